"""The ``gws-async`` command, run for real: ``python -m gws_async ...`` as a subprocess.

Every child gets stdin from /dev/null (so nothing can wait on a prompt), every wait is
bounded, and every child is killed if still running and reaped when its test ends.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any, TypeVar

import aiohttp
import pytest

from gws_async.cli import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
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

posix_signals = pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")


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
    assert PASSWORD not in line + out + err


@posix_signals
async def test_listen_stops_quietly_when_its_reader_goes_away() -> None:
    # `gws-async listen ... | head -1`: once the reader has gone, the next event line
    # cannot be written. The command must end, without a traceback.
    env = _env(GWS_USERNAME=USERNAME, GWS_PASSWORD=PASSWORD)
    read_end, write_end = os.pipe()
    try:
        async with GwsSimulator(long_poll_timeout=5.0) as sim:
            args = ("listen", sim.url, "--topic", WORKBINS)
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
