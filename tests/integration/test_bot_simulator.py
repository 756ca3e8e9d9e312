"""The bot and the agent pool with real clients against the simulator over loopback, and
the bot's signal handling in a real subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from collections.abc import AsyncIterator

import pytest

from gws_async import (
    AuthenticationError,
    CallStateChangeMessage,
    GwsClient,
    Reconnected,
    Snapshot,
    Topic,
    WorkbinStateChangeMessage,
)
from gws_async.bot import Bot, Context, action, call_state, workbin
from gws_async.pool import AgentLoginError, AgentPool
from gws_async.simulator import GwsSimulator, SimAgent
from tests.conftest import Eventually

# -- one client -------------------------------------------------------------------------------


async def test_a_bot_pulls_what_lands_in_its_workbin(
    sim: GwsSimulator, eventually: Eventually
) -> None:
    wb = next(w.id for w in sim.state.workbins.values() if w.name == "TestWorkbin")
    bot = Bot()
    pulled: list[str] = []

    @bot.on_startup
    async def watch(ctx: Context) -> None:
        await ctx.gws.workbins.subscribe(wb)

    @bot.on(WorkbinStateChangeMessage, workbin(wb) & action("ItemAdded"))
    async def pull(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        await ctx.gws.workbins.pull(wb, event.interaction.id)
        pulled.append(event.interaction.id)

    async with GwsClient(sim.url, "agent1", "password1") as gws, bot.running(gws):
        items = [sim.put_in_workbin("agent1", wb, media=m) for m in ("email", "chat")]
        await eventually(lambda: len(pulled) == 2)
    assert sorted(pulled) == sorted(items)
    assert all(sim.state.interactions[i].owner == "agent1" for i in items)


async def test_the_reconnect_hook_resyncs_after_the_session_was_renewed(
    sim: GwsSimulator,
    eventually: Eventually,
) -> None:
    bot = Bot()
    snapshots: list[Snapshot] = []

    @bot.on_reconnect
    async def resync(event: Reconnected, ctx: Context) -> None:
        if event.session_renewed:
            snapshots.append(await ctx.gws.resync())

    async with GwsClient(sim.url, "agent1", "password1") as gws, bot.running(gws):
        await eventually(lambda: gws.stats.connected)
        call_id = sim.ring_call("agent1")
        sim.expire_bayeux_sessions("agent1")  # the server forgot the Bayeux session
        await eventually(lambda: bool(snapshots))
    assert [c.id for c in snapshots[0].calls] == [call_id]


# -- agent pool -------------------------------------------------------------------------------


@pytest.fixture
async def crowd() -> AsyncIterator[GwsSimulator]:
    agents = [SimAgent(f"agent{n}", f"pw{n}") for n in range(20)]
    async with GwsSimulator(agents, long_poll_timeout=2.0) as simulator:
        yield simulator


def credentials(count: int) -> list[tuple[str, str]]:
    return [(f"agent{n}", f"pw{n}") for n in range(count)]


async def test_a_pool_of_twenty_agents_each_handles_only_its_own_events(
    crowd: GwsSimulator,
    eventually: Eventually,
) -> None:
    bot = Bot()
    answered: dict[str, list[str]] = {}

    @bot.on(CallStateChangeMessage, call_state("Ringing"))
    async def answer(event: CallStateChangeMessage, ctx: Context) -> None:
        assert event.call is not None
        await ctx.gws.calls.answer(event.call.id)
        answered.setdefault(ctx.agent, []).extend(event.call.participants)

    async with AgentPool(crowd.url, credentials(20), concurrency=5) as pool:
        assert list(pool) == [f"agent{n}" for n in range(20)]
        sessions = [pool[name].session for name in pool]
        # One shared connection pool; one cookie jar, HTTP session and Bayeux session each.
        assert all(session.connector is pool.connector for session in sessions)
        assert len({id(session.cookie_jar) for session in sessions}) == 20
        assert sorted(s.username for s in crowd.state.http_sessions.values()) == sorted(pool)
        assert len({pool[name].listener.client_id for name in pool}) == 20  # type: ignore[union-attr]
        async with bot.running(pool):
            calls = {f"agent{n}": crowd.ring_call(f"agent{n}", f"555{n:04d}") for n in range(20)}
            await eventually(lambda: sum(len(v) for v in answered.values()) == 20)
            await bot.wait_idle(timeout=5)
        assert answered == {f"agent{n}": [f"555{n:04d}"] for n in range(20)}
        for name, call_id in calls.items():
            call = crowd.state.calls[call_id]
            assert (call.owner, call.state) == (name, "Established")
    # Logged out: no Bayeux session of any agent is left on the server.
    assert all(crowd.push(f"agent{n}", Topic.CALLS, {}) == 0 for n in range(20))
    assert all(session.closed for session in sessions)
    assert pool.connector.closed


async def test_a_pool_logs_in_with_bounded_concurrency(
    crowd: GwsSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = GwsClient.open
    active = most = 0

    async def counting_open(self: GwsClient) -> object:
        nonlocal active, most
        active += 1
        most = max(most, active)
        try:
            await asyncio.sleep(0.01)
            return await original(self)
        finally:
            active -= 1

    monkeypatch.setattr(GwsClient, "open", counting_open)
    async with AgentPool(crowd.url, credentials(12), concurrency=3, topics=()) as pool:
        assert len(pool) == 12
    assert most == 3


async def test_a_login_failure_names_the_agent_and_closes_everything(
    crowd: GwsSimulator,
) -> None:
    agents = credentials(8)
    agents[5] = ("agent5", "wrong-password")
    pool = AgentPool(crowd.url, agents, concurrency=8)
    with pytest.raises(AgentLoginError) as info:
        async with pool:
            pytest.fail("the pool must not open")
    assert info.value.agent == "agent5"
    assert "agent5" in str(info.value)
    assert "wrong-password" not in str(info.value)
    assert isinstance(info.value.__cause__, AuthenticationError)
    assert pool.connector.closed
    assert len(pool) == 0
    # The agents that had logged in were logged out again.
    assert all(crowd.push(f"agent{n}", Topic.CALLS, {}) == 0 for n in range(8))


def test_a_pool_refuses_duplicate_or_no_agents() -> None:
    with pytest.raises(ValueError, match="duplicate agents: agent1"):
        AgentPool("http://127.0.0.1:1", [("agent1", "a"), ("agent1", "b")])
    with pytest.raises(ValueError, match="empty"):
        AgentPool("http://127.0.0.1:1", [])


# -- signals ----------------------------------------------------------------------------------

# A bot with one slow handler and concurrency 1: of two chats offered at startup, the
# first is taken and the second waits in the buffer.
CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from gws_async import GwsClient, InteractionStateMessage
    from gws_async.bot import Bot, Context, interaction_state
    from gws_async.simulator import GwsSimulator

    work, grace = float(sys.argv[1]), float(sys.argv[2])
    bot = Bot(concurrency=1, shutdown_grace=grace)
    number: dict[str, int] = {}

    @bot.on(InteractionStateMessage, interaction_state("Invited"))
    async def handle(chat: InteractionStateMessage, ctx: Context) -> None:
        print("started", number[chat.id], flush=True)
        try:
            await asyncio.sleep(work)
        except asyncio.CancelledError:
            print("cancelled", number[chat.id], flush=True)
            raise
        print("finished", number[chat.id], flush=True)

    @bot.on_shutdown
    async def bye(ctx: Context) -> None:
        print("shutdown", ctx.agent, flush=True)

    async def main() -> None:
        async with GwsSimulator(long_poll_timeout=2.0) as sim:
            @bot.on_startup
            async def offer(ctx: Context) -> None:
                for n in (1, 2):
                    number[sim.offer_chat(ctx.agent)] = n

            async with GwsClient(sim.url, "agent1", "password1") as gws:
                await bot.run_forever(gws)
        print("exited", flush=True)

    asyncio.run(main())
    """
)


async def run_child(
    work: float, grace: float, *signals: signal.Signals
) -> tuple[int, list[str], str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GWS_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        str(work),
        str(grace),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    loop = asyncio.get_running_loop()
    try:
        first = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert first.decode().strip() == "started 1", first
        sent = loop.time()
        for sig in signals:
            proc.send_signal(sig)
            await asyncio.sleep(0.2)
        out, err = await asyncio.wait_for(proc.communicate(), 20)
        took = loop.time() - sent
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, ["started 1", *out.decode().splitlines()], err.decode(), took


def assert_clean(stderr: str) -> None:
    for symptom in ("Traceback", "Unclosed", "Task was destroyed", "never awaited"):
        assert symptom not in stderr, stderr


async def test_sigterm_lets_the_running_handler_finish_and_takes_no_new_event() -> None:
    code, lines, err, _ = await run_child(0.5, 10.0, signal.SIGTERM)
    assert code == 0, err
    assert lines == ["started 1", "finished 1", "shutdown agent1", "exited"]
    assert_clean(err)


async def test_sigint_cancels_a_handler_still_running_after_the_grace() -> None:
    code, lines, err, took = await run_child(60.0, 0.3, signal.SIGINT)
    assert code == 0, err
    assert lines == ["started 1", "cancelled 1", "shutdown agent1", "exited"]
    assert took < 5
    assert_clean(err)


async def test_a_second_signal_cancels_at_once() -> None:
    code, lines, err, took = await run_child(60.0, 60.0, signal.SIGINT, signal.SIGINT)
    assert code == 0, err
    assert lines == ["started 1", "cancelled 1", "shutdown agent1", "exited"]
    assert took < 5
    assert_clean(err)
