"""The ``gws-async`` command and the examples, run for real, with a user's mistakes: each
one ends in a line that says what to do, never in a traceback. Also the version, the
start-up lines of ``listen``, ``--timeout``, each subcommand's own ``--help``, and colour
in pretty output on a terminal only.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import os
import pty
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from gws_async.cli import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from gws_async.simulator import GwsSimulator, SimAgent

from .test_cli import (
    EXIT_TIMEOUT,
    ITEM_ADDED,
    PASSWORD,
    RUN_TIMEOUT,
    USERNAME,
    WORKBINS,
    _cli,
    _env,
    _finish,
    _read_until,
    _run,
    _spawn_options,
    posix_signals,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ESC = "\x1b["


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    return lines[0]


@contextlib.contextmanager
def _taken_port() -> Iterator[int]:
    """A loopback port somebody else listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


# -- simulator: where it cannot listen ------------------------------------------------------


async def test_simulator_on_a_busy_port_says_so_in_one_line() -> None:
    with _taken_port() as port:
        code, out, err = await _run(
            "simulator", "--port", str(port), env=_env(), timeout=RUN_TIMEOUT
        )

    assert code == EXIT_ERROR, err
    line = _one_line(err)
    assert str(port) in line
    assert "in use" in line
    assert "--port 0" in line
    assert out == ""


@posix_signals
async def test_simulator_port_0_takes_a_free_port_and_says_which() -> None:
    async with _cli("simulator", "--port", "0", env=_env()) as proc:
        logged = await _read_until(proc.stderr, "GWS simulator listening on", "simulator start")
        proc.send_signal(signal.SIGINT)
        await _finish(proc, EXIT_TIMEOUT, "the simulator to exit on SIGINT")

    port = re.search(r"listening on http://127\.0\.0\.1:(\d+)/api/v2", logged)
    assert port is not None, logged
    assert int(port.group(1)) > 0


async def test_simulator_on_an_unresolvable_host_says_so_in_one_line() -> None:
    # Own agents, so that the loopback rule does not refuse the host first.
    env = _env(GWS_SIMULATOR_AGENTS="carol:s3cret-9f")
    code, out, err = await _run(
        "simulator", "--host", "no-such-host.invalid", env=env, timeout=RUN_TIMEOUT
    )

    assert code == EXIT_ERROR, err
    line = _one_line(err)
    assert "no-such-host.invalid" in line
    assert "s3cret" not in line
    assert out == ""


# -- usage errors: one line, exit 2 ---------------------------------------------------------


async def test_a_topic_without_a_leading_slash_is_a_one_line_usage_error() -> None:
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
    code, out, err = await _run(
        "listen", "http://127.0.0.1:9", "--topic", "workbins", env=env, timeout=RUN_TIMEOUT
    )

    assert code == EXIT_USAGE
    line = _one_line(err)
    assert "'workbins'" in line
    assert "/v2/me/workbins" in line  # the topic it most likely meant
    assert "--help" in line
    assert out == ""


async def test_an_agent_on_the_command_line_is_a_one_line_usage_error() -> None:
    code, out, err = await _run("simulator", "--agent", "bob", env=_env(), timeout=RUN_TIMEOUT)

    assert code == EXIT_USAGE
    line = _one_line(err)
    assert "--agents-file" in line
    assert out == ""


async def test_an_unknown_option_is_a_one_line_usage_error() -> None:
    code, _, err = await _run("listen", "--no-such-option", env=_env(), timeout=RUN_TIMEOUT)

    assert code == EXIT_USAGE
    assert "--no-such-option" in _one_line(err)


async def test_an_unknown_topic_is_warned_about_and_subscribed_anyway() -> None:
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
    async with GwsSimulator(long_poll_timeout=5.0) as sim:
        code, _, err = await _run(
            "listen",
            sim.url,
            "--topic",
            "/v2/me/nothing",
            "--topic",
            "/v2/me/**",
            "--duration",
            "0.3",
            env=env,
            timeout=RUN_TIMEOUT,
        )

    assert code == EXIT_OK, err
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1, err  # a known wildcard is not warned about
    assert "/v2/me/nothing" in warnings[0]
    assert "/v2/me/workbins" in warnings[0]  # the known topics are listed
    assert "Traceback" not in err


# -- version, start-up lines, --timeout ----------------------------------------------------


async def test_version_comes_from_the_package_metadata() -> None:
    code, out, _ = await _run("--version", env=_env(), timeout=RUN_TIMEOUT)

    assert code == EXIT_OK
    assert out.strip() == f"gws-async {importlib.metadata.version('gws-async')}"


async def test_listen_says_where_it_connects_and_as_whom_it_logged_in() -> None:
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
    async with GwsSimulator(long_poll_timeout=5.0) as sim:
        me = sim.state.agent(USERNAME)
        url = sim.url
        code, out, err = await _run(
            "listen", url, "--duration", "0.3", env=env, timeout=RUN_TIMEOUT
        )

    assert code == EXIT_OK, err
    lines = err.splitlines()
    assert lines[0] == f"gws-async: connecting to {url} as {USERNAME}..."
    assert lines[1] == f"gws-async: logged in as {USERNAME} ({me.first_name} {me.last_name})"
    assert lines[2].startswith("gws-async: listening on ")
    # Standard output still carries only the events.
    assert [line.split('"type":"')[1].split('"')[0] for line in out.splitlines()] == [
        "ListenerConnected"
    ]


@contextlib.asynccontextmanager
async def _silent_server() -> AsyncIterator[str]:
    """A server on loopback that takes every request and answers none for a minute."""

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(60)
        return web.Response()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hang)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_listen_timeout_bounds_each_rest_request() -> None:
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
    async with _silent_server() as url:
        started = time.monotonic()
        code, out, err = await _run("listen", url, "--timeout", "0.5", env=env, timeout=RUN_TIMEOUT)
        elapsed = time.monotonic() - started

    assert code == EXIT_ERROR, err
    assert "within 0.5 s" in err, err  # the login, given up after --timeout
    assert elapsed < 10, elapsed  # the default is 30 s
    assert "Traceback" not in err
    assert PASSWORD not in err + out


@pytest.mark.parametrize("value", ["0", "-1", "x", "nan"])
async def test_a_bad_timeout_is_a_usage_error(value: str) -> None:
    code, _, err = await _run("listen", f"--timeout={value}", env=_env(), timeout=RUN_TIMEOUT)

    assert code == EXIT_USAGE
    assert "--timeout" in _one_line(err)


# -- each subcommand's help shows only its own ------------------------------------------------

LISTEN_ONLY = ("GWS_URL", "GWS_USERNAME", "GWS_PASSWORD", "--format", "--topic", "prompted")
SIMULATOR_ONLY = ("GWS_SIMULATOR_AGENTS", "--agents-file", "--allow-default-passwords")


@pytest.mark.parametrize(
    ("command", "own", "foreign"),
    [
        ("listen", (*LISTEN_ONLY, "--timeout"), SIMULATOR_ONLY),
        ("simulator", (*SIMULATOR_ONLY, "--port 0"), (*LISTEN_ONLY, "login refused")),
        ("demo", (), (*LISTEN_ONLY, *SIMULATOR_ONLY, "login refused")),
    ],
)
async def test_each_subcommand_help_shows_only_what_applies_to_it(
    command: str, own: tuple[str, ...], foreign: tuple[str, ...]
) -> None:
    code, out, err = await _run(command, "--help", env=_env(), timeout=RUN_TIMEOUT)

    assert code == EXIT_OK, err
    for text in own:
        assert text in out, f"{text!r} missing from gws-async {command} --help"
    for text in foreign:
        assert text not in out, f"{text!r} does not belong in gws-async {command} --help"
    # Every subcommand documents its exit statuses, the usage error among them.
    assert re.search(r"\n  2 +usage error", out), out
    assert re.search(r"\n  130 .*SIGINT", out), out


# -- colour: on a terminal, never when piped or with NO_COLOR ----------------------------------


async def _listen_pretty(stdout_fd: int, env: dict[str, str], *args: str) -> str:
    """Run ``listen`` with standard output on ``stdout_fd`` until it printed the pushed
    event; returns its standard error."""
    async with GwsSimulator(long_poll_timeout=5.0) as sim:
        argv = ("listen", sim.url, "--topic", WORKBINS, "--count", "2", *args)
        async with _cli(*argv, env=env, stdout=stdout_fd) as proc:
            err = await _read_until(proc.stderr, "listening on", "listen start")
            assert sim.push(USERNAME, WORKBINS, ITEM_ADDED) == 1
            _, rest = await _finish(proc, RUN_TIMEOUT, "listen to stop after --count 2")
    assert proc.returncode == EXIT_OK, err + rest
    return err + rest


def _drain(fd: int) -> str:
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


async def _on_a_terminal(env: dict[str, str], *args: str) -> str:
    leader, follower = pty.openpty()
    try:
        try:
            await _listen_pretty(follower, env, *args)
        finally:
            os.close(follower)
        return _drain(leader)
    finally:
        os.close(leader)


@posix_signals
async def test_pretty_output_on_a_terminal_is_coloured() -> None:
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD, TERM="xterm")
    env.pop("NO_COLOR", None)
    out = await _on_a_terminal(env)

    # Auto format on a terminal: pretty, with the lifecycle event and the state in colour.
    assert f"{ESC}" in out, repr(out)
    assert re.search(r"\x1b\[[0-9;]*mListenerConnected\x1b\[0m", out), repr(out)
    assert re.search(r"action=\x1b\[[0-9;]*mItemAdded\x1b\[0m", out), repr(out)


@posix_signals
@pytest.mark.parametrize("value", ["1", "0", "no"])
async def test_no_color_turns_colour_off_whatever_its_value(value: str) -> None:
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD, TERM="xterm", NO_COLOR=value)
    out = await _on_a_terminal(env)

    assert "ListenerConnected" in out
    assert "action=ItemAdded" in out
    assert ESC not in out, repr(out)


async def test_pretty_output_into_a_pipe_has_no_colour() -> None:
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD, TERM="xterm")
    env.pop("NO_COLOR", None)
    read_end, write_end = os.pipe()
    try:
        await _listen_pretty(write_end, env, "--format", "pretty")
        os.close(write_end)
        write_end = -1
        out = _drain(read_end)
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)

    assert "action=ItemAdded" in out
    assert ESC not in out, repr(out)


# -- the examples against a GWS: a start-up line, and a clean Ctrl-C --------------------------

EXAMPLE_ACCOUNTS = {
    "auto_accept_chat.py": ("agent1", "password1"),
    "call_monitor.py": ("agent1", "password1"),
    "email_triage.py": ("agent1", "password1"),
    "workbin_watcher.py": ("agent1", "password1"),
    "agent_pool.py": ("agent1,agent2", "password1,password2"),
}


async def _start_example(name: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / name),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        **_spawn_options(),
    )


def _example_env(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GWS_")}
    env.update(variables)
    return env


@posix_signals
@pytest.mark.parametrize("name", sorted(EXAMPLE_ACCOUNTS))
@pytest.mark.parametrize("when", ["at once", "once logged in"])
async def test_an_example_against_a_gws_says_so_and_ends_cleanly_on_sigint(
    name: str, when: str
) -> None:
    username, password = EXAMPLE_ACCOUNTS[name]
    async with GwsSimulator(
        [SimAgent("agent1", "password1"), SimAgent("agent2", "password2")],
        long_poll_timeout=2.0,
    ) as sim:
        env = _example_env(GWS_URL=sim.url, GWS_USERNAME=username, GWS_PASSWORD=password)
        proc = await _start_example(name, env)
        try:
            err = await _read_until(proc.stderr, "Ctrl-C to stop", "the start-up line")
            assert f"connecting to {sim.url} as {username}" in err
            if when == "once logged in":
                deadline = time.monotonic() + 20
                # Each example subscribes to the interactions or the calls (the topics of
                # its handlers); no handler takes this message.
                probe = {"messageType": "UsabilityProbe"}
                while not any(
                    sim.push("agent1", topic, probe)
                    for topic in ("/v2/me/interactions", "/v2/me/calls")
                ):
                    assert time.monotonic() < deadline, "the example did not log in"
                    await asyncio.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            _, rest = await _finish(proc, 20, f"{name} to exit on SIGINT")
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    assert proc.returncode in (EXIT_OK, EXIT_INTERRUPTED), err + rest
    for symptom in ("Traceback", "Unclosed", "Task was destroyed", "never awaited"):
        assert symptom not in err + rest, err + rest


@pytest.mark.parametrize("name", sorted(EXAMPLE_ACCOUNTS))
async def test_an_example_without_credentials_says_what_to_set(name: str) -> None:
    proc = await _start_example(name, _example_env(GWS_URL="http://127.0.0.1:9"))
    _, err = await _finish(proc, RUN_TIMEOUT, f"{name} to exit")

    assert proc.returncode != 0
    line = _one_line(err)
    assert "GWS_USERNAME" in line
    assert "GWS_PASSWORD" in line


@pytest.mark.parametrize("name", sorted(EXAMPLE_ACCOUNTS))
async def test_an_example_with_a_wrong_password_says_so_in_one_line(name: str) -> None:
    username, _ = EXAMPLE_ACCOUNTS[name]
    async with GwsSimulator(
        [SimAgent("agent1", "password1"), SimAgent("agent2", "password2")]
    ) as sim:
        env = _example_env(GWS_URL=sim.url, GWS_USERNAME=username, GWS_PASSWORD="wrong-7c1")
        proc = await _start_example(name, env)
        _, err = await _finish(proc, RUN_TIMEOUT, f"{name} to exit")

    assert proc.returncode == 1, err
    assert "Traceback" not in err, err
    assert "401" in err.strip().splitlines()[-1], err
    assert "wrong-7c1" not in err
