"""Credentials stay secret, and TLS is verified unless the caller says otherwise.

A full run (login, listening, REST errors, a stale CSRF token, HTTP 401 and a lost
Bayeux session, a refused login, the CLI) is captured: every log record at DEBUG from
every logger, the reprs and texts of the client, its events, stats and errors with
their tracebacks, and the CLI's output. None may contain the password, the
``Authorization`` header's value or a session cookie's value.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import shutil
import signal
import ssl
import subprocess
import sys
import traceback
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from gws_async import (
    AuthenticationError,
    GwsClient,
    GwsConnectionError,
    GwsError,
    Reconnected,
    Topic,
    WorkbinStateChangeMessage,
)
from gws_async.pool import AgentLoginError, AgentPool
from gws_async.simulator import GwsSimulator
from gws_async.simulator._state import SimAgent

USER = "agent7"
PASSWORD = "Pa55-w0rd-Secr3t"
WRONG = "Wr0ng-Pa55-Secr3t"

pytestmark = pytest.mark.simulator([SimAgent(USER, PASSWORD)], long_poll_timeout=1.0)


def basic(password: str) -> str:
    return base64.b64encode(f"{USER}:{password}".encode()).decode()


class Transcript:
    """Everything a user, an operator or a log collector could see."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def show(self, *objects: object) -> None:
        for obj in objects:
            self.parts += [repr(obj), str(obj)]
            if isinstance(obj, BaseException):
                self.parts.append("".join(traceback.format_exception(obj)))

    @property
    def text(self) -> str:
        return "\n".join(self.parts)


def secrets_of(sim: GwsSimulator) -> list[str]:
    """The password, both Basic tokens, and every session cookie and CSRF token issued."""
    issued = [s.id for s in sim.state.http_sessions.values()]
    issued += [s.csrf_token for s in sim.state.http_sessions.values()]
    return [PASSWORD, WRONG, basic(PASSWORD), basic(WRONG), *issued]


async def test_a_full_run_shows_no_secret(
    sim: GwsSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen = Transcript()
    cookies: list[str] = []
    async with GwsClient(sim.url, USER, PASSWORD) as gws:
        seen.show(gws, gws.user)
        async with gws.events(WorkbinStateChangeMessage, Reconnected) as stream:
            workbin = next(w.workbin_id for w in await gws.workbins.list())
            await gws.workbins.subscribe(workbin)
            sim.put_in_workbin(USER, workbin, user_data={"Subject": "hello"})
            seen.show(await stream.get(5))

            for failing in (
                gws.workbins.get_content("no-such-workbin"),
                gws.interactions.get("no-such-interaction"),
            ):
                with pytest.raises(GwsError) as caught:
                    await failing
                seen.show(caught.value)

            gws._transport._csrf_token = "stale"  # the next write is refused once, then retried
            await gws.workbins.unsubscribe(workbin)
            sim.fail_next(1, status=401, body="", path_prefix="/api/v2/me/calls")
            seen.show(await gws.calls.list())  # logs in again, then retries
            sim.expire_bayeux_sessions(USER)
            seen.show(await stream.get(5))  # Reconnected
            sim.fail_next(1, status=500, path_prefix="/api/v2/me")
            with pytest.raises(GwsError) as caught:
                await gws.me.get()
            seen.show(caught.value, gws.stats, gws.listener)
            cookies = [morsel.value for morsel in gws.session.cookie_jar]
    with pytest.raises(AuthenticationError) as refused:
        async with GwsClient(sim.url, USER, WRONG):
            pass
    seen.show(refused.value)

    assert cookies, "the run must have had a session cookie to protect"
    haystack = seen.text + "\n" + caplog.text
    assert USER in haystack  # the capture works: the user name is not a secret
    assert "InternalServerError" in haystack
    assert "AuthenticationError" in haystack
    for secret in [*secrets_of(sim), *cookies]:
        assert secret not in haystack


async def test_the_cli_shows_no_secret(sim: GwsSimulator) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GWS_")}
    env.update(GWS_USERNAME=USER, GWS_PASSWORD=PASSWORD, PYTHONUNBUFFERED="1")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gws_async",
        "-vv",  # debug logging: the most it ever shows
        "listen",
        sim.url,
        "--format",
        "json",
        "--duration",
        "3",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    # Feed it events, a lost session and a refused REST call while it listens.
    await asyncio.sleep(1.5)
    sim.push(USER, Topic.WORKBINS, {"messageType": "Martian", "secret-ish": "no"})
    sim.expire_bayeux_sessions(USER)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
    text = out.decode() + err.decode()
    assert proc.returncode == 0, text
    assert "Martian" in text  # it did run and print
    for secret in secrets_of(sim):
        assert secret not in text


# -- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
async def https_sim(certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    """The simulator's application behind HTTPS with a self-signed certificate."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sim = GwsSimulator()
    runner = web.AppRunner(sim.make_app(), shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    yield f"https://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_tls_is_verified_by_default(https_sim: str, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(GwsConnectionError, match=r"(?i)certificate"):
        async with GwsClient(https_sim, "agent1", "password1"):
            pass
    assert "verification is disabled" not in caplog.text


async def test_tls_with_the_callers_trust_store(
    https_sim: str, certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    async with GwsClient(https_sim, "agent1", "password1", ssl=trust) as gws:
        assert gws.user is not None
    assert "verification is disabled" not in caplog.text


async def test_turning_tls_verification_off_is_explicit_and_logged(
    https_sim: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gws_async")
    async with GwsClient(https_sim, "agent1", "password1", ssl=False) as gws:
        assert gws.user is not None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("TLS certificate verification is disabled" in r.getMessage() for r in warnings)


async def test_a_tls_failure_leaves_no_secret_in_the_error_chain(https_sim: str) -> None:
    with pytest.raises(GwsConnectionError) as info:
        async with GwsClient(https_sim, "agent1", "password1"):
            pass
    todo: list[BaseException] = [info.value]
    seen: list[str] = []
    while todo:
        err = todo.pop()
        values = [*err.args, *vars(err).values()]
        seen += [repr(err), str(err), *map(repr, values)]
        todo += [v for v in values if isinstance(v, BaseException) and v is not err]
        todo += [e for e in (err.__cause__, err.__context__) if e is not None]
    text = "\n".join(seen)
    assert "certificate" in text.lower()
    for secret in ("password1", base64.b64encode(b"agent1:password1").decode()):
        assert secret not in text


@pytest.mark.parametrize("trusted", [True, False])
async def test_ssl_is_honoured_with_an_injected_session(
    https_sim: str, certificate: tuple[Path, Path], trusted: bool
) -> None:
    """REST and the Bayeux long-poll both use ``ssl=``, whatever the session's default."""
    ssl_option: ssl.SSLContext | bool = (
        ssl.create_default_context(cafile=str(certificate[0])) if trusted else False
    )
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with GwsClient(
            https_sim, "agent1", "password1", session=session, ssl=ssl_option
        ) as gws:
            await gws.subscribe(Topic.WORKBINS)  # the Bayeux requests too
            assert gws.stats.handshakes == 1
            assert gws.user is not None
        assert not session.closed


async def test_an_injected_session_still_verifies_tls_by_default(https_sim: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(GwsConnectionError, match=r"(?i)certificate"):
            async with GwsClient(https_sim, "agent1", "password1", session=session):
                pass


async def test_an_agent_pool_honours_ssl(https_sim: str, certificate: tuple[Path, Path]) -> None:
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    agents = [("agent1", "password1"), ("agent2", "password2")]
    async with AgentPool(https_sim, agents, ssl=trust, topics=[Topic.WORKBINS]) as pool:
        assert sorted(pool) == ["agent1", "agent2"]
        for client in pool.values():
            assert client.stats.handshakes == 1  # the Bayeux session too, over TLS
    with pytest.raises(AgentLoginError, match="agent1"):
        async with AgentPool(https_sim, agents[:1]):
            pass
