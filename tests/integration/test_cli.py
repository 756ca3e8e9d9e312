"""The ``gws-async`` command, run for real: ``python -m gws_async ...`` as a subprocess.

``tests/unit/test_cli_format.py`` covers the output formats and the options in-process.

Every child gets stdin from /dev/null (so nothing can wait on a prompt), every wait is
bounded, and every child is killed if still running and reaped when its test ends.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any, TypeVar

import aiohttp
import pytest

from gws_async.cli import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
)
from gws_async.cli._parser import build_parser
from gws_async.events import (
    EVENT_TYPES,
    UnknownEvent,
    WorkbinSubscriptionStateChangeMessage,
    decode_event,
)
from gws_async.simulator import GwsSimulator

T = TypeVar("T")

# Upper bounds only: a healthy run takes a fraction of these.
START_TIMEOUT = 20.0  # for a child to start and say it is ready, or to print an event
EXIT_TIMEOUT = 5.0  # for a child to exit once it has been told to (or has failed)
RUN_TIMEOUT = 20.0  # for a command that fails fast to run to its end
DEMO_TIMEOUT = 60.0

USERNAME = "agent1"
PASSWORD = "password1"
WORKBINS = "/v2/me/workbins"

posix_signals = pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT / SIGTERM")


def _env(**variables: str) -> dict[str, str]:
    """This environment without GWS credentials, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if k not in ("GWS_USERNAME", "GWS_PASSWORD")}
    env.update(variables)
    return env


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _spawn_options() -> dict[str, Any]:
    # A child inherits an ignored SIGINT (pytest started in the background of a
    # non-interactive shell, for one), and Python then never raises KeyboardInterrupt.
    # Restore the default so that the Ctrl-C tests test the command, not how pytest runs.
    if sys.platform != "win32" and signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        return {"preexec_fn": _default_sigint}
    return {}


@contextlib.asynccontextmanager
async def _cli(
    *args: str, env: Mapping[str, str], stdout: int = asyncio.subprocess.PIPE
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m gws_async *args``, killed if still running and reaped on exit."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gws_async",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stdout,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
        **_spawn_options(),
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        # Drains both pipes and waits for the exit status: no transport outlives the test.
        await asyncio.wait_for(proc.communicate(), EXIT_TIMEOUT)


async def _within(awaitable: Awaitable[T], timeout: float, what: str) -> T:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


async def _finish(proc: asyncio.subprocess.Process, timeout: float, what: str) -> tuple[str, str]:
    """The rest of stdout and stderr, once the child has exited."""
    out, err = await _within(proc.communicate(), timeout, what)
    return (out or b"").decode(), (err or b"").decode()


async def _run(*args: str, env: Mapping[str, str], timeout: float) -> tuple[int, str, str]:
    """Run the command to its end: exit status, stdout, stderr."""
    async with _cli(*args, env=env) as proc:
        out, err = await _finish(proc, timeout, f"gws-async {' '.join(args)} to exit")
    assert proc.returncode is not None
    return proc.returncode, out, err


async def _read_until(stream: asyncio.StreamReader | None, marker: str, what: str) -> str:
    """Read lines until one contains ``marker``; returns everything read."""
    assert stream is not None
    seen: list[str] = []

    async def scan() -> bool:
        while line := await stream.readline():
            seen.append(line.decode())
            if marker in seen[-1]:
                return True
        return False

    try:
        found = await asyncio.wait_for(scan(), START_TIMEOUT)
    except asyncio.TimeoutError:
        pytest.fail(f"no {marker!r} after {START_TIMEOUT:.0f} s ({what}); read: {seen!r}")
    if not found:
        pytest.fail(f"the command exited before printing {marker!r} ({what}); read: {seen!r}")
    return "".join(seen)


async def _lines_until(stream: asyncio.StreamReader | None, marker: str, what: str) -> list[str]:
    """Lines (without their newline) until one contains ``marker``."""
    return (await _read_until(stream, marker, what)).splitlines()


def _summary(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("gws-async: summary: ")]
    assert len(lines) == 1, f"expected one summary line on stderr:\n{err}"
    return lines[0]


def _secrets(password: str) -> tuple[str, ...]:
    """What must never be printed: the password, and the Basic token that carries it."""
    token = base64.b64encode(f"{USERNAME}:{password}".encode()).decode("ascii")
    return password, token


def _basic(username: str, password: str) -> dict[str, str]:
    # By hand: aiohttp.BasicAuth is deprecated in recent aiohttp releases.
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- demo ---------------------------------------------------------------------------------


async def test_demo_runs_the_round_trip_and_exits_0() -> None:
    code, out, err = await _run("demo", env=_env(), timeout=DEMO_TIMEOUT)

    assert code == EXIT_OK, err
    for text in ("ItemAdded", "ItemRemoved", "Pulled", "AddChat ref=", "bye"):
        assert text in out, f"{text!r} missing from the demo output:\n{out}"
    assert out.rstrip().endswith("bye")
    assert "Traceback" not in err


# -- simulator ----------------------------------------------------------------------------


@posix_signals
async def test_simulator_serves_the_api_until_sigint() -> None:
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api/v2"
    async with _cli("simulator", "--port", str(port), env=_env()) as proc:
        logged = await _read_until(proc.stderr, "GWS simulator listening on", "simulator start")
        assert api in logged

        # No cookie jar: the wrong password must not ride on the first login's session.
        async with aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=10)
        ) as http:
            async with http.get(f"{api}/me", headers=_basic(USERNAME, PASSWORD)) as response:
                assert response.status == 200
                me = await response.json()
            wrong = _basic(USERNAME, "wrong-password")
            async with http.get(f"{api}/me", headers=wrong) as response:
                assert response.status == 401

        proc.send_signal(signal.SIGINT)
        _, rest = await _finish(proc, EXIT_TIMEOUT, "the simulator to exit on SIGINT")

    assert me["user"]["userName"] == USERNAME
    assert proc.returncode == EXIT_INTERRUPTED
    assert "Traceback" not in logged + rest, logged + rest


# -- listen -------------------------------------------------------------------------------

SUBSCRIBED = {
    "messageType": "WorkbinSubscriptionStateChangeMessage",
    "id": "wb",
    "stateResource": "Subscribed",
    "referenceId": 1,
}
MALFORMED = {"messageType": "WorkbinStateChangeMessage", "id": "wb"}  # no *StateResourceV2
ITEM_ADDED = {
    "messageType": "WorkbinStateChangeMessage",
    "id": "wb",
    "action": "ItemAdded",
    "chatStateResourceV2": {"id": "i1", "userData": {"k": "v"}},
}


def test_the_pushed_payloads_decode_as_the_listen_test_assumes() -> None:
    # The listen test below relies on these: one typed event of another type, one that
    # does not validate (an UnknownEvent) and one WorkbinStateChangeMessage.
    assert isinstance(decode_event(WORKBINS, SUBSCRIBED), WorkbinSubscriptionStateChangeMessage)
    malformed = decode_event(WORKBINS, MALFORMED)
    assert isinstance(malformed, UnknownEvent)
    assert malformed.error
    assert type(decode_event(WORKBINS, ITEM_ADDED)).__name__ == "WorkbinStateChangeMessage"


@posix_signals
async def test_listen_prints_matching_events_as_json_lines_until_sigint() -> None:
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
    async with GwsSimulator(long_poll_timeout=5.0) as sim:
        args = ("listen", sim.url, "--topic", WORKBINS, "--type", "WorkbinStateChangeMessage")
        async with _cli(*args, env=env) as proc:
            assert proc.stdout is not None
            err = await _read_until(proc.stderr, "listening on", "listen start")
            assert WORKBINS in err

            # Each push reaches the one Bayeux session of the listener; only the last
            # is a WorkbinStateChangeMessage. Delivery keeps the order, so once the last
            # one is printed the other two have been through the filter.
            for data in (SUBSCRIBED, MALFORMED, ITEM_ADDED):
                assert sim.push(USERNAME, WORKBINS, data) == 1
            raw = await _within(proc.stdout.readline(), START_TIMEOUT, "an event line")
            line = raw.decode()

            proc.send_signal(signal.SIGINT)
            out, rest = await _finish(proc, EXIT_TIMEOUT, "listen to exit on SIGINT")
            err += rest

    assert proc.returncode == EXIT_INTERRUPTED, err
    record = json.loads(line)
    assert record == {"topic": WORKBINS, "type": "WorkbinStateChangeMessage", "data": ITEM_ADDED}
    assert out == "", "events that --type should have filtered out were printed"
    assert "Traceback" not in err, err
    # Every event is counted, printed or not; the summary goes to stderr, not stdout.
    # (ListenerConnected may come after the notifications that arrived with the first
    # connect, hence after the line above: it is not counted on here.)
    summary = _summary(err)
    for part in (
        "UnknownEvent 1",
        "WorkbinStateChangeMessage 1",
        "WorkbinSubscriptionStateChangeMessage 1",
        "; 1 printed, 0 reconnects, 1 unknown",
    ):
        assert part in summary, summary
    assert err.rstrip().endswith("gws-async: interrupted")
    for secret in _secrets(PASSWORD):
        assert secret not in line + out + err


@posix_signals
async def test_listen_stops_quietly_when_its_reader_goes_away() -> None:
    # `gws-async listen ... | head -1`: once the reader has gone, the next event line
    # cannot be written. The command must end, without a traceback. (--type keeps
    # ListenerConnected off stdout, so that the push below is the first line written.)
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
    read_end, write_end = os.pipe()
    try:
        async with GwsSimulator(long_poll_timeout=5.0) as sim:
            args = ("listen", sim.url, "--topic", WORKBINS, "--type", "WorkbinStateChangeMessage")
            async with _cli(*args, env=env, stdout=write_end) as proc:
                os.close(write_end)
                write_end = -1
                os.close(read_end)
                read_end = -1
                err = await _read_until(proc.stderr, "listening on", "listen start")
                assert sim.push(USERNAME, WORKBINS, ITEM_ADDED) == 1
                _, rest = await _finish(proc, EXIT_TIMEOUT, "listen to exit on a closed pipe")
                err += rest
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)

    assert proc.returncode == EXIT_ERROR, err
    assert "Traceback" not in err, err
    assert "BrokenPipeError" not in err, err
    assert "; 0 printed," in _summary(err)


async def test_listen_without_a_username_is_a_usage_error() -> None:
    code, out, err = await _run(
        "listen", "http://127.0.0.1:9", env=_env(GWS_PASSWORD=PASSWORD), timeout=RUN_TIMEOUT
    )

    assert code == EXIT_USAGE
    assert "--username" in err
    assert "GWS_USERNAME" in err
    assert "Traceback" not in err
    assert PASSWORD not in out + err


async def test_listen_without_a_password_or_terminal_is_a_usage_error() -> None:
    # stdin is /dev/null: the command must say what to set instead of prompting.
    code, _, err = await _run(
        "listen", "http://127.0.0.1:9", env=_env(GWS_USERNAME=USERNAME), timeout=RUN_TIMEOUT
    )

    assert code == EXIT_USAGE
    assert "GWS_PASSWORD" in err
    assert "Traceback" not in err


async def test_listen_with_a_wrong_password_names_http_401() -> None:
    wrong = "not-the-password-7d1c"
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=wrong)
    async with GwsSimulator() as sim:
        code, out, err = await _run("listen", sim.url, env=env, timeout=RUN_TIMEOUT)

    assert code == EXIT_ERROR
    assert "HTTP 401" in err
    assert "Traceback" not in err
    assert wrong not in out + err
    assert out == ""


async def test_listen_with_an_unknown_event_type_lists_the_known_ones() -> None:
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
    code, out, err = await _run(
        "listen", "http://127.0.0.1:9", "--type", "NoSuchEvent", env=env, timeout=RUN_TIMEOUT
    )

    assert code == EXIT_USAGE
    assert "NoSuchEvent" in err
    for name in [cls.__name__ for cls in EVENT_TYPES] + [UnknownEvent.__name__]:
        assert name in err
    assert "Traceback" not in err
    assert out == ""


CALL_RINGING = {
    "messageType": "CallStateChangeMessage",
    "notificationType": "StatusChange",
    "call": {"id": "c1", "state": "Ringing", "participants": ["5551234"]},
}
TIME = r"\d\d:\d\d:\d\d\.\d{3}"


@posix_signals
async def test_listen_pretty_prints_one_line_per_event_and_a_summary_on_sigterm() -> None:
    # The URL comes from GWS_URL; lifecycle events are printed in their place among the
    # notifications; SIGTERM ends the command cleanly with 143 after the summary.
    async with GwsSimulator(long_poll_timeout=5.0) as sim:
        env = _env(GWS_URL=sim.url, GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
        async with _cli("listen", "--format", "pretty", env=env) as proc:
            err = await _read_until(proc.stderr, "listening on", "listen start")
            lines = await _lines_until(proc.stdout, "ListenerConnected", "ListenerConnected")
            for topic, data in (
                (WORKBINS, ITEM_ADDED),
                (WORKBINS, MALFORMED),
                ("/v2/me/calls", CALL_RINGING),
            ):
                assert sim.push(USERNAME, topic, data) == 1
            lines += await _lines_until(proc.stdout, "CallStateChangeMessage", "the call")
            # The server forgets the Bayeux session: the listener handshakes again.
            assert sim.expire_bayeux_sessions(USERNAME) == 1
            lines += await _lines_until(proc.stdout, "Reconnected", "the reconnection")

            proc.send_signal(signal.SIGTERM)
            out, rest = await _finish(proc, EXIT_TIMEOUT, "listen to exit on SIGTERM")
            err += rest

    assert proc.returncode == EXIT_TERMINATED, err
    expected = [
        r"ListenerConnected client=\w+",
        r"WorkbinStateChangeMessage action=ItemAdded media=chat interaction=i1 workbin=wb",
        r"UnknownEvent topic=/v2/me/workbins message_type=WorkbinStateChangeMessage "
        r'error="invalid WorkbinStateChangeMessage: .*StateResourceV2 key, found none"',
        r"CallStateChangeMessage notification=StatusChange state=Ringing call=c1 "
        r"participants=5551234",
        r'ConnectionLost cause="BayeuxError: .*402.*"',
        r"Reconnected downtime=\d+\.\d{3}s session=renewed events=missed client=\w+",
    ]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(f"{TIME} {pattern}", line), f"{line!r} !~ {pattern!r}"
    assert out == ""
    summary = _summary(err)
    assert summary.startswith("gws-async: summary: 6 events in "), summary
    for part in (
        "CallStateChangeMessage 1",
        "ConnectionLost 1",
        "ListenerConnected 1",
        "Reconnected 1",
        "UnknownEvent 1",
        "WorkbinStateChangeMessage 1",
        "; 6 printed, 1 reconnects, 1 unknown",
    ):
        assert part in summary, summary
    assert err.rstrip().endswith("gws-async: terminated")
    assert "Traceback" not in err, err
    for secret in _secrets(PASSWORD):
        assert secret not in "\n".join(lines) + out + err


async def test_listen_count_ends_with_0_and_a_summary_and_never_shows_the_password() -> None:
    # --count: a normal end. The password comes from a variable named by --password-env,
    # and not even debug logging (-vv) shows it or its Basic token.
    password = "s3cret-Pa55-e41f"
    agent = f"{USERNAME}:{password}"
    env = _env(GWS_USERNAME=USERNAME, MY_GWS_SECRET=password)
    second = {**ITEM_ADDED, "chatStateResourceV2": {"id": "i2"}}
    async with GwsSimulator(agents=None, long_poll_timeout=5.0) as sim:
        sim.state.agent(USERNAME).password = password
        args = (
            "-vv",
            "listen",
            sim.url,
            "--password-env",
            "MY_GWS_SECRET",
            "--format",
            "json",
            "--type",
            "WorkbinStateChangeMessage",
            "--count",
            "2",
        )
        async with _cli(*args, env=env) as proc:
            err = await _read_until(proc.stderr, "listening on", "listen start")
            for data in (ITEM_ADDED, second):
                assert sim.push(USERNAME, WORKBINS, data) == 1
            out, rest = await _finish(proc, RUN_TIMEOUT, "listen to stop after --count 2")
            err += rest

    assert proc.returncode == EXIT_OK, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["data"] for r in records] == [ITEM_ADDED, second]
    summary = _summary(err)
    assert "(WorkbinStateChangeMessage 2" in summary, summary
    assert "; 2 printed, 0 reconnects, 0 unknown" in summary, summary
    assert "interrupted" not in err
    assert "Traceback" not in err, err
    for secret in (*_secrets(password), agent):
        assert secret not in out + err


async def test_listen_duration_ends_with_0_and_a_summary() -> None:
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
    async with GwsSimulator(long_poll_timeout=5.0) as sim:
        code, out, err = await _run(
            "listen", sim.url, "--duration", "0.5", env=env, timeout=RUN_TIMEOUT
        )

    assert code == EXIT_OK, err
    assert [json.loads(line)["type"] for line in out.splitlines()] == ["ListenerConnected"]
    summary = _summary(err)
    seconds = float(re.search(r" in (\d+\.\d) s", summary).group(1))  # type: ignore[union-attr]
    assert seconds >= 0.5, summary
    assert "Traceback" not in err, err


async def test_listen_exits_1_when_the_server_ends_the_bayeux_session_for_good() -> None:
    # An administrator disconnects the agent: the connect is answered with advice
    # reconnect "none", the listener gives up, and the command ends with 1, the reason
    # and the summary.
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
    async with GwsSimulator(long_poll_timeout=5.0) as sim:
        args = ("listen", sim.url, "--format", "pretty", "--topic", WORKBINS)
        async with _cli(*args, env=env) as proc:
            err = await _read_until(proc.stderr, "listening on", "listen start")
            lines = await _lines_until(proc.stdout, "ListenerConnected", "ListenerConnected")
            assert sim.push(USERNAME, WORKBINS, SUBSCRIBED) == 1
            lines += await _lines_until(proc.stdout, "Subscription", "the notification")
            assert sim.disconnect_bayeux_sessions(USERNAME) == 1
            out, rest = await _finish(proc, RUN_TIMEOUT, "listen to give up")
            err += rest

    assert proc.returncode == EXIT_ERROR, err
    lines += out.splitlines()
    assert [line.split()[1] for line in lines] == [
        "ListenerConnected",
        "WorkbinSubscriptionStateChangeMessage",
        "ConnectionLost",
        "ListenerStopped",
    ]
    assert "reconnect: none" in lines[-1]
    assert "; 4 printed, 0 reconnects, 0 unknown" in _summary(err)
    assert re.search(r"gws-async: the event listener stopped: .*reconnect: none\n*$", err), err
    assert "Traceback" not in err, err


@posix_signals
async def test_simulator_ends_cleanly_on_sigterm() -> None:
    port = _free_port()
    async with _cli("simulator", "--port", str(port), env=_env()) as proc:
        logged = await _read_until(proc.stderr, "GWS simulator listening on", "simulator start")
        proc.send_signal(signal.SIGTERM)
        _, rest = await _finish(proc, EXIT_TIMEOUT, "the simulator to exit on SIGTERM")

    assert proc.returncode == EXIT_TERMINATED
    assert rest.rstrip().endswith("gws-async: terminated")
    assert "Traceback" not in logged + rest, logged + rest


async def test_listen_without_a_url_is_a_usage_error() -> None:
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
    env.pop("GWS_URL", None)
    code, out, err = await _run("listen", env=env, timeout=RUN_TIMEOUT)

    assert code == EXIT_USAGE
    assert "GWS_URL" in err
    assert out == ""
    assert "Traceback" not in err


@pytest.mark.parametrize("url", ["ftp://gws.example", "gws.example:8090", "http://u:pw@gws:1"])
async def test_listen_with_a_bad_url_is_a_usage_error(url: str) -> None:
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
    code, out, err = await _run("listen", url, env=env, timeout=RUN_TIMEOUT)

    assert code == EXIT_USAGE, err
    assert "URL" in err
    assert "pw@" not in err
    assert out == ""
    assert "Traceback" not in err


@pytest.mark.parametrize("option", ["--password", "-p"])
async def test_a_password_on_the_command_line_is_refused_without_echo(option: str) -> None:
    secret = "typed-by-mistake-91c2"
    env = _env(GWS_USERNAME=USERNAME)
    code, out, err = await _run(
        "listen", "http://127.0.0.1:9", option, secret, env=env, timeout=RUN_TIMEOUT
    )

    assert code == EXIT_USAGE
    assert "GWS_PASSWORD" in err
    assert secret not in out + err


def _option_strings(parser: Any) -> list[str]:
    import argparse

    return [
        option
        for action in parser._actions
        if action.help != argparse.SUPPRESS
        for option in action.option_strings
    ]


@pytest.mark.parametrize("command", ["", "simulator", "listen", "demo"])
async def test_help_explains_every_option_the_environment_and_the_exit_statuses(
    command: str,
) -> None:
    parser = build_parser()
    if command:
        parser = next(
            action.choices[command]
            for action in parser._actions
            if isinstance(getattr(action, "choices", None), dict)
        )
    args = (command, "--help") if command else ("--help",)
    code, out, err = await _run(*args, env=_env(), timeout=RUN_TIMEOUT)

    assert code == EXIT_OK, err
    for option in _option_strings(parser):
        assert option in out, f"{option} missing from gws-async {command} --help"
    # Each subcommand's help describes only its own environment and exit statuses (see
    # test_cli_usability.py); the top-level help describes them all.
    if command in ("", "listen"):
        for text in ("GWS_URL", "GWS_USERNAME", "GWS_PASSWORD"):
            assert text in out
    assert "exit status" in out
    codes = (r"\n  1 ", r"\n  2 ", r"\n  130 .*SIGINT", r"\n  143 .*SIGTERM")
    for code_line in codes if command == "simulator" else (r"\n  0 ", *codes):
        assert re.search(code_line, out), code_line
    if command == "listen":
        for text in ("listen", "--format", "pretty", "json", "--count", "--duration"):
            assert text in out
