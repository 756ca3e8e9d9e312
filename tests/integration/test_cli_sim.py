"""``gws-async sim HOOK ...`` against a simulator, and what ``gws-async simulator`` says
about its control API when it starts.

Every hook runs through :func:`run_sim` against an in-process simulator (in a thread: the
command runs its own event loop); the command line, its refusals and the start-up run
as real subprocesses.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gws_async.cli import EXIT_ERROR, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE
from gws_async.cli._sim import run_sim
from gws_async.simulator import GwsSimulator

from .test_cli import EXIT_TIMEOUT, RUN_TIMEOUT, _cli, _env, _finish, _free_port, _read_until, _run

TOKEN = "cli-test-token-0123456789"
READY = "gws-async: control API:"

pytestmark = pytest.mark.simulator(control_token=TOKEN)


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    return path


async def sim_cli(sim: GwsSimulator, token_file: Path, *argv: str) -> tuple[int, Any]:
    """``gws-async sim --url ... --token-file ... *argv`` in-process: status and answer."""
    out = io.StringIO()
    args = ["--url", sim.url, "--token-file", str(token_file), *argv]
    status = await asyncio.to_thread(run_sim, args, out)
    return status, json.loads(out.getvalue()) if out.getvalue() else None


def _workbin(sim: GwsSimulator, name: str) -> str:
    return next(wb.id for wb in sim.state.workbins.values() if wb.name == name)


# (argv, check of the answer and the simulator's state)
HOOK_RUNS: dict[str, tuple[list[str], Callable[[GwsSimulator, Any], bool]]] = {
    "put-in-workbin": (
        ["agent1", "TestWorkbin", "--media", "email", "--user-data", '{"k": "v"}'],
        lambda sim, a: (
            sim.state.interactions[a["interaction_id"]].workbin_id == _workbin(sim, "TestWorkbin")
        ),
    ),
    "create-interaction": (
        ["agent2", "--state", "Accepted", "--interaction-id", "0001CLI000000001"],
        lambda sim, a: sim.state.interactions["0001CLI000000001"].owner == "agent2",
    ),
    "ring-call": (
        ["agent1", "--from-number", "42"],
        lambda sim, a: sim.state.calls[a["call_id"]].ani == "42",
    ),
    "offer-chat": (
        ["agent1", "--nickname", "Bob", "--message", "Hi"],
        lambda sim, a: sim.state.interactions[a["interaction_id"]].state == "Invited",
    ),
    "customer-says": (
        ["{chat}", "Still there?"],
        lambda sim, a: any(
            e.get("MessageText") == "Still there?"
            for i in sim.state.interactions.values()
            for e in i.transcript
        ),
    ),
    "deliver-email": (
        ["agent1", "Order 42", "Where is it?", "bob@example.com"],
        lambda sim, a: sim.state.interactions[a["interaction_id"]].email["Subject"] == "Order 42",
    ),
    "push": (["agent1", "/v2/me/workbins", '{"a": 1}'], lambda sim, a: a == {"delivered": 0}),
    "push-raw": (["agent1", '{"channel": "/x", "data": 1}'], lambda sim, a: a == {"delivered": 0}),
    "expire-bayeux-sessions": (["--username", "agent1"], lambda sim, a: a == {"sessions": 0}),
    "disconnect-bayeux-sessions": ([], lambda sim, a: a == {"sessions": 0}),
    "revoke-invitations": (["--username", "agent1"], lambda sim, a: a == {"revoked": []}),
    "stall-next": (["1", "--path-prefix", "/nowhere"], lambda sim, a: a == {}),
    "fail-next": (
        ["1", "--status", "503", "--body", "later"],
        lambda sim, a: sim._failures[0].status == 503 and sim._failures[0].body == b"later",
    ),
}


def test_every_hook_has_a_run_here() -> None:
    from gws_async.simulator._control import HOOKS

    assert set(HOOK_RUNS) == {hook.name for hook in HOOKS}


@pytest.mark.parametrize("hook", sorted(HOOK_RUNS))
async def test_each_hook_from_the_command_line(
    sim: GwsSimulator, token_file: Path, hook: str
) -> None:
    argv, check = HOOK_RUNS[hook]
    chat = sim.offer_chat("agent2")
    status, answer = await sim_cli(
        sim, token_file, hook, *(chat if a == "{chat}" else a for a in argv)
    )
    assert status == EXIT_OK
    assert check(sim, answer)


async def test_state_prints_the_simulator_state(sim: GwsSimulator, token_file: Path) -> None:
    chat = sim.offer_chat("agent1")
    status, state = await sim_cli(sim, token_file, "state")
    assert status == EXIT_OK
    assert [i["id"] for i in state["agents"][0]["interactions"]] == [chat]


# -- the real command -----------------------------------------------------------------------


async def test_the_simulator_tells_where_its_console_is_and_sim_drives_it(
    tmp_path: Path,
) -> None:
    port = _free_port()
    env = _env()
    env.pop("GWS_SIMULATOR_TOKEN", None)
    async with _cli("simulator", "--port", str(port), env=env) as proc:
        said = await _read_until(proc.stderr, READY, "the simulator to start")
        token = re.search(r"/console#token=(\S+)", said)
        assert token is not None, said
        assert f"export GWS_SIMULATOR_TOKEN={token[1]} GWS_SIMULATOR_URL=" in said
        url = f"http://127.0.0.1:{port}"
        driven = _env(GWS_SIMULATOR_TOKEN=token[1], GWS_SIMULATOR_URL=url)
        code, out, err = await _run("sim", "offer-chat", "agent1", env=driven, timeout=RUN_TIMEOUT)
        assert (code, err) == (EXIT_OK, "")
        iid = json.loads(out)["interaction_id"]
        code, out, _ = await _run("sim", "state", env=driven, timeout=RUN_TIMEOUT)
        assert iid in out
        proc.send_signal(signal.SIGTERM)
        await _finish(proc, EXIT_TIMEOUT, "the simulator to stop")
    assert proc.returncode == EXIT_TERMINATED


@pytest.mark.parametrize("source", ["file", "environment"])
async def test_a_given_or_written_token_is_not_printed(tmp_path: Path, source: str) -> None:
    path = tmp_path / "token"
    path.write_text("old content, world-readable")
    path.chmod(0o644)
    if source == "file":
        args, env = ["--token-file", str(path)], _env()
        env.pop("GWS_SIMULATOR_TOKEN", None)
    else:
        args, env = [], _env(GWS_SIMULATOR_TOKEN=TOKEN)
    async with _cli("simulator", "--port", "0", *args, env=env) as proc:
        said = await _read_until(proc.stderr, READY, "the simulator to start")
        proc.send_signal(signal.SIGTERM)
        _, rest = await _finish(proc, EXIT_TIMEOUT, "the simulator to stop")
    assert "#token=" not in said + rest
    if source == "file":
        token = path.read_text().strip()
        assert len(token) >= 32
        assert token not in said + rest
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert f"--token-file {path}" in said
    else:
        assert TOKEN not in said + rest
        assert "the token is $GWS_SIMULATOR_TOKEN" in said


async def test_a_short_token_in_the_environment_is_refused() -> None:
    env = _env(GWS_SIMULATOR_TOKEN="short")
    code, _, err = await _run("simulator", "--port", "0", env=env, timeout=RUN_TIMEOUT)
    assert code == EXIT_USAGE
    assert err.strip() == "gws-async: $GWS_SIMULATOR_TOKEN is too short: it needs 16 characters"


async def test_refusals_are_one_line_with_their_exit_status(
    sim: GwsSimulator, token_file: Path, tmp_path: Path
) -> None:
    url = sim.url
    good = _env(GWS_SIMULATOR_TOKEN=TOKEN, GWS_SIMULATOR_URL=url)
    no_token = {k: v for k, v in good.items() if k != "GWS_SIMULATOR_TOKEN"}
    cases: list[tuple[list[str], dict[str, str], int, str]] = [
        (["offer-chat"], good, EXIT_USAGE, "required: USERNAME"),
        (["fail-next", "zero"], good, EXIT_USAGE, "expected a whole number, got 'zero'"),
        (["fail-next", "1", "--status", "99"], good, EXIT_USAGE, "expected 100 to 599"),
        (["push", "agent1", "/t", "{oops"], good, EXIT_USAGE, "not JSON"),
        (["put-in-workbin", "agent1", "X", "--user-data", "[1]"], good, EXIT_USAGE, "object"),
        (["ring-the-bell"], good, EXIT_USAGE, "invalid choice: 'ring-the-bell'"),
        ([], good, EXIT_USAGE, "required: HOOK"),
        (["offer-chat", "nobody"], good, EXIT_USAGE, "offer-chat: unknown agent 'nobody'"),
        (["put-in-workbin", "agent1", "Nope"], good, EXIT_USAGE, "unknown workbin 'Nope'"),
        (["--token", "s3cr3t-on-the-line", "state"], good, EXIT_USAGE, "--token is not accepted"),
        (["state"], no_token, EXIT_USAGE, "no control token"),
        (["--token-file", str(tmp_path / "none"), "state"], no_token, EXIT_USAGE, "cannot read"),
        (["--url", "ftp://x", "state"], good, EXIT_USAGE, "--url must be an http://"),
        (["state"], {**good, "GWS_SIMULATOR_TOKEN": "w" * 20}, EXIT_ERROR, "refused the control"),
        (["--url", f"http://127.0.0.1:{_free_port()}", "state"], good, EXIT_ERROR, "cannot reach"),
    ]
    runs = [_run("sim", *argv, env=env, timeout=RUN_TIMEOUT) for argv, env, _, _ in cases]
    for (argv, _, status, message), (code, out, err) in zip(
        cases, await asyncio.gather(*runs), strict=True
    ):
        assert (code, out) == (status, ""), (argv, err)
        assert len(err.strip().splitlines()) == 1, (argv, err)
        assert message in err, (argv, err)
        assert "Traceback" not in err
        assert "s3cr3t-on-the-line" not in err
        assert TOKEN not in err
    assert sim.state.interactions == {}


def test_every_argument_has_help() -> None:
    from gws_async.cli._parser import build_parser
    from gws_async.cli._sim import _build_parser

    outer = next(a for a in build_parser()._actions if a.dest == "command").choices["sim"]
    parser = _build_parser()
    hooks = next(a for a in parser._actions if a.dest == "hook").choices
    for command in (outer, parser, *hooks.values()):
        for action in command._actions:
            assert action.help, f"{command.prog}: {action.dest} has no help"


async def test_help_lists_every_hook() -> None:
    code, out, _ = await _run("sim", "--help", env=_env(), timeout=RUN_TIMEOUT)
    assert code == EXIT_OK
    for hook in HOOK_RUNS:
        assert hook in out
