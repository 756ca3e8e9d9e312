"""``gws-async simulator --scenario FILE`` run for real: the example scenario served, with
its traffic; a malformed file refused in one line naming the line and the key."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from gws_async import CallStateChangeMessage, GwsClient, InteractionStateMessage, Topic
from gws_async.cli import EXIT_TERMINATED, EXIT_USAGE

from .test_cli import EXIT_TIMEOUT, RUN_TIMEOUT, _cli, _env, _finish, _free_port, _read_until, _run
from .test_cli_simulator import READY, _status

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "scenario.toml"
SECRET = "pw-9Zq"


@pytest.fixture
def busy(tmp_path: Path) -> Path:
    """The example with 300 of each medium a minute per group: it shows within a second."""
    lines = [
        line.split("=")[0] + "= 300" if "_per_minute" in line else line
        for line in EXAMPLE.read_text().splitlines()
    ]
    path = tmp_path / "busy.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="needs POSIX signals")
async def test_the_example_scenario_is_served_with_its_traffic(busy: Path) -> None:
    port = _free_port()
    async with _cli("simulator", "--port", str(port), "--scenario", str(busy), env=_env()) as proc:
        logged = await _read_until(proc.stderr, READY, "simulator start")
        assert await _status(port, "agent1", "password1") == 401
        assert await _status(port, "ben", "ben-example-pw") == 200
        async with GwsClient(f"http://127.0.0.1:{port}", "chloe", "chloe-example-pw") as chloe:
            await chloe.subscribe(Topic.CALLS, Topic.INTERACTIONS)
            offer = await chloe.wait_for(
                InteractionStateMessage, check=lambda e: e.state == "Invited", timeout=10
            )
            call = await chloe.wait_for(CallStateChangeMessage, timeout=10)
        proc.send_signal(signal.SIGTERM)
        _, rest = await _finish(proc, EXIT_TIMEOUT, "the simulator to exit on SIGTERM")
    assert proc.returncode == EXIT_TERMINATED
    assert offer.user_data["AgentGroup"] == "support"
    assert call.call is not None
    assert call.call.user_data["OrderNumber"].startswith("ORD-")
    assert "workbin SalesBacklog (sales): id " in logged + rest
    assert "traffic for support: 300 calls, 300 chats, 300 e-mails a minute" in logged + rest
    assert "example-pw" not in logged + rest
    assert "Traceback" not in logged + rest


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (f'[[agents]]\nusername = "carol"\npassword = {SECRET}\n', "line 3: agents[0].password"),
        (
            f'[[agents]]\nusername = "carol"\npasword = "{SECRET}"\n',
            "line 3: agents[0].pasword: unknown key (did you mean 'password'?)",
        ),
        (
            f'[[agents]]\nusername = "carol"\npassword = "{SECRET}"\n\n'
            "[traffic.sales]\nchats_per_minute = 'many'\n",
            "line 5: traffic.sales: no agent is in agent group 'sales'",
        ),
    ],
    ids=["syntax", "unknown key", "empty group"],
)
async def test_a_malformed_scenario_is_one_line_and_exit_2(
    tmp_path: Path, content: str, where: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    code, out, err = await _run(
        "simulator", "--scenario", str(path), env=_env(), timeout=RUN_TIMEOUT
    )
    assert code == EXIT_USAGE
    assert err == f"gws-async: {path} {where}" + err.split(where, 1)[1]
    assert err.count("\n") == 1
    assert SECRET not in out + err


async def test_a_missing_scenario_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    code, _, err = await _run(
        "simulator", "--scenario", str(missing), env=_env(), timeout=RUN_TIMEOUT
    )
    assert code == EXIT_USAGE
    assert f"cannot read the scenario {missing}" in err
    assert "Traceback" not in err


async def test_a_scenario_and_an_agents_file_are_one_too_many(tmp_path: Path) -> None:
    agents = tmp_path / "agents.txt"
    agents.write_text(f"carol:{SECRET}\n")
    code, _, err = await _run(
        "simulator",
        "--scenario",
        str(EXAMPLE),
        "--agents-file",
        str(agents),
        env=_env(),
        timeout=RUN_TIMEOUT,
    )
    assert code == EXIT_USAGE
    assert "--scenario" in err
    assert "--agents-file" in err


async def test_the_example_s_published_passwords_are_refused_beyond_loopback() -> None:
    port = str(_free_port())
    code, out, err = await _run(
        "simulator",
        "--host",
        "0.0.0.0",
        "--port",
        port,
        "--scenario",
        str(EXAMPLE),
        env=_env(),
        timeout=RUN_TIMEOUT,
    )
    assert code == EXIT_USAGE
    assert "ana, ben, chloe, dmitri" in err
    assert "--allow-default-passwords" in err
    assert "example-pw" not in out + err
    assert READY not in err


async def test_help_mentions_the_scenario() -> None:
    code, out, _ = await _run("simulator", "--help", env=_env(), timeout=RUN_TIMEOUT)
    assert code == 0
    assert "--scenario FILE" in out
    assert "examples/scenario.toml" in out
