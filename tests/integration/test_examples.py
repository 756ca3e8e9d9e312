"""Every example runs end to end against the embedded simulator."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from gws_async.simulator import GwsSimulator, SimAgent

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def run_example(name: str, timeout: float = 30.0) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GWS_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / name),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_workbin_watcher() -> None:
    code, out, err = await run_example("workbin_watcher.py")
    assert code == 0, err
    assert "Traceback" not in err
    assert out.count("pulled ") == 3
    for media in ("email", "chat", "workitem"):
        assert f"new {media}" in out
    assert "processed 3 item(s)" in out


def assert_clean(err: str) -> None:
    for symptom in ("Traceback", "Unclosed", "Task was destroyed", "never awaited"):
        assert symptom not in err, err


async def start_example(name: str, sim: GwsSimulator, **env: str) -> asyncio.subprocess.Process:
    """The example in its real-GWS mode, pointed at ``sim``; it runs until signalled."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GWS_")}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / name),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**base, "GWS_URL": sim.url, **env},
    )


async def read_until(proc: asyncio.subprocess.Process, prefix: str, count: int = 1) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    while sum(line.startswith(prefix) for line in lines) < count:
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert line, f"the example ended early after {lines}"
        lines.append(line.decode().rstrip("\n"))
    return lines


async def terminate(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def test_auto_accept_chat() -> None:
    code, out, err = await run_example("auto_accept_chat.py")
    assert code == 0, err
    assert_clean(err)
    lines = out.splitlines()
    assert lines[0] == "agent1 is ready for chats as Ava"
    assert sum(line.startswith("greeted chat ") for line in lines) == 3
    transcripts = [line for line in lines if line.startswith("transcript of ")]
    assert len(transcripts) == 3
    for name, line in zip(("Alice", "Bob", "Carol"), transcripts, strict=True):
        # The simulator's transcript: the customer, then the agent under its nickname,
        # then the greeting, in that order.
        events = line.split(": ", 1)[1].split(" | ")
        assert events == [
            f"PARTY_JOINED {name}",
            f"NEW_MESSAGE Hi, {name} here",
            "PARTY_JOINED Ava",
            "NEW_MESSAGE Hello, this is Ava. Thank you for writing: we will answer by e-mail"
            " today.",
        ]


async def test_email_triage() -> None:
    code, out, err = await run_example("email_triage.py")
    assert code == 0, err
    assert_clean(err)
    assert out.count("accepted ") == 3
    assert out.count("sent reply ") == 3
    # The simulator's outbox after the run: each reply went to its sender, with the
    # acknowledgement for its subject above the quoted original.
    outbox = out[out.index("outbox: ") :]
    assert "outbox: to ann@example.com: Re: Refund for order 1234\n" in outbox
    assert (
        "    Your refund request is with our billing team: expect news within two days.\n"
        "\n"
        "    ann@example.com wrote:\n"
        "    > I was charged twice.\n"
        "    > Please refund one.\n"
    ) in outbox
    assert "outbox: to bob@example.com: Re: URGENT: cannot log in\n" in outbox
    assert "we will call you within the hour" in outbox
    assert "    > My account is locked.\n" in outbox
    assert "outbox: to cid@example.com: Re: Opening hours\n" in outbox
    assert "we will answer within one working day" in outbox


async def test_call_monitor() -> None:
    code, out, err = await run_example("call_monitor.py")
    assert code == 0, err
    assert_clean(err)
    seen = [line.split() for line in out.splitlines()]
    assert len({words[2] for words in seen}) == 1  # one call, seen throughout
    changes = [(words[0], words[3], " ".join(words[5:])) for words in seen]
    assert changes == [
        ("StatusChange", "Ringing", "5551234"),
        ("StatusChange", "Established", "5551234"),
        ("ParticipantsUpdated", "Established", "5551234, 5550000"),
        ("StatusChange", "Held", "5551234, 5550000"),
        ("StatusChange", "Established", "5551234, 5550000"),
        ("StatusChange", "Released", "5551234, 5550000"),
    ]


async def test_agent_pool() -> None:
    code, out, err = await run_example("agent_pool.py")
    assert code == 0, err
    assert_clean(err)
    lines = out.splitlines()
    assert lines[0] == "10 agents logged in over one connection pool"
    # Each agent answered exactly the call that rang on its own phone...
    answered = sorted(line for line in lines if " answered " in line)
    assert answered == sorted(f"agent{n} answered a call from 55500{n:02d}" for n in range(1, 11))
    # ...and the simulator agrees.
    state = sorted(line for line in lines if line.startswith("simulator: "))
    assert state == sorted(
        f"simulator: the call from 55500{n:02d} is Established on agent{n}'s phone"
        for n in range(1, 11)
    )


async def test_auto_accept_chat_against_a_server_until_sigterm() -> None:
    async with GwsSimulator(long_poll_timeout=2.0) as sim:
        proc = await start_example(
            "auto_accept_chat.py",
            sim,
            GWS_USERNAME="agent2",
            GWS_PASSWORD="password2",
            GWS_NICKNAME="Max",
        )
        await read_until(proc, "agent2 is ready for chats as Max")
        assert sim.state.presence["agent2"].user_states["chat"] == "Ready"
        iid = sim.offer_chat("agent2", nickname="Zoe")
        chat = sim.state.interactions[iid]
        await read_until(proc, f"greeted chat {iid}")
        code, err = await terminate(proc)
        assert code == 0, err
        assert_clean(err)
        assert chat.transcript[-1]["MessageText"].startswith("Hello, this is Max.")
        assert iid not in sim.state.interactions  # StopProcessing ended it
        # The shutdown hook ran before the client logged out.
        assert sim.state.presence["agent2"].user_states["chat"] == "NotReady"


async def test_agent_pool_against_a_server_until_sigterm() -> None:
    agents = [SimAgent(f"a{n}", f"pw{n}") for n in range(3)]
    async with GwsSimulator(agents, long_poll_timeout=2.0) as sim:
        proc = await start_example(
            "agent_pool.py", sim, GWS_USERNAME="a0,a1,a2", GWS_PASSWORD="pw0,pw1,pw2"
        )
        # Logged in and subscribed once every agent has its Bayeux session.
        deadline = asyncio.get_running_loop().time() + 20
        probe = {"messageType": "DeviceStateChangeMessage", "devices": []}
        while any(sim.push(f"a{n}", "/v2/me/devices", probe) == 0 for n in range(3)):
            assert asyncio.get_running_loop().time() < deadline, "the agents did not log in"
            await asyncio.sleep(0.05)
        calls = {f"a{n}": sim.ring_call(f"a{n}", f"77{n}") for n in range(3)}
        lines = await read_until(proc, "a", 3)
        code, err = await terminate(proc)
        assert code == 0, err
        assert_clean(err)
        assert sorted(lines) == [f"a{n} answered a call from 77{n}" for n in range(3)]
        for name, call_id in calls.items():
            assert (sim.state.calls[call_id].owner, sim.state.calls[call_id].state) == (
                name,
                "Established",
            )
