"""The Bayeux client against hostile or broken servers on 127.0.0.1: answers too large to
hold, absurd advice, redirects, a changed password, a restart, a cancelled close()."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gws_async import (
    AuthenticationError,
    Backoff,
    ConnectionLost,
    GwsClient,
    GwsConnectionError,
    ListenerConnected,
    ListenerStopped,
    Reconnected,
    ResponseTooLargeError,
    StreamClosed,
    Topic,
)
from gws_async.bayeux import BayeuxClient, Message
from gws_async.cli._format import describe_event
from gws_async.simulator import GwsSimulator
from tests.conftest import Eventually

CAP = 256 * 1024
PASSWORD = "s3cret-pw"
SECRET_AUTH = "Basic " + base64.b64encode(f"agent1:{PASSWORD}".encode()).decode()

NEEDS_311 = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="asyncio.timeout and TaskGroup are Python 3.11+"
)

ConnectHandler = Callable[[web.Request, Message], Awaitable[web.StreamResponse]]


class HostileServer:
    """A GWS look-alike: ``GET /api/v2/me`` logs in, the Bayeux endpoint handshakes and
    subscribes normally, and each ``/meta/connect`` is answered by :attr:`on_connect`."""

    def __init__(self) -> None:
        self.on_connect: ConnectHandler = self.empty_connect
        self.handshake_advice: Any = {"reconnect": "retry", "interval": 0, "timeout": 1000}
        self.handshake_body: bytes | None = None
        self.connects = 0
        self.requests = 0
        self.stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/api/v2/me", self._me)
        app.router.add_post("/api/v2/notifications", self._bayeux)
        runner = web.AppRunner(app, shutdown_timeout=0.2)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        self.stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def cometd_url(self) -> str:
        return self.url + "/api/v2/notifications"

    async def _me(self, request: web.Request) -> web.Response:
        self.requests += 1
        response = web.json_response({"statusCode": 0, "user": {"id": "u1", "userName": "agent1"}})
        response.set_cookie("JSESSIONID", "cookie-secret-value", path="/")
        return response

    async def _bayeux(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        messages = json.loads(await request.read())
        replies: list[Message] = []
        for message in messages:
            channel = message["channel"]
            if channel == "/meta/connect":
                self.connects += 1
                return await self.on_connect(request, message)
            reply = {"channel": channel, "id": message["id"], "successful": True}
            if channel == "/meta/handshake":
                if self.handshake_body is not None:
                    return web.Response(body=self.handshake_body, content_type="application/json")
                reply.update(clientId="c1", version="1.0", advice=self.handshake_advice)
            if "subscription" in message:
                reply["subscription"] = message["subscription"]
            replies.append(reply)
        return web.json_response(replies)

    @staticmethod
    async def empty_connect(request: web.Request, message: Message) -> web.StreamResponse:
        return web.json_response(
            [{"channel": "/meta/connect", "id": message["id"], "successful": True}]
        )


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    server = HostileServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


class Changes:
    """Records on_connection_change."""

    def __init__(self) -> None:
        self.causes: list[BaseException | None] = []

    async def __call__(self, connected: bool, cause: BaseException | None) -> None:
        self.causes.append(cause)


# -- item: answers too large to hold ------------------------------------------------------------


async def gzip_bomb(request: web.Request, message: Message) -> web.StreamResponse:
    # 8 MiB of JSON whitespace in about 8 KiB of gzip.
    body = gzip.compress(b"[" + b" " * (8 * 1024 * 1024) + b"]")
    return web.Response(
        body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )


def declared_huge(server: HostileServer) -> ConnectHandler:
    async def handler(request: web.Request, message: Message) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(100 * 1024 * 1024)})
        await response.prepare(request)
        await response.write(b"[")
        await server.stopping.wait()
        return response

    return handler


def endless(server: HostileServer) -> ConnectHandler:
    async def handler(request: web.Request, message: Message) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            await response.write(b"[")
            while not server.stopping.is_set():
                await response.write(b" " * 65536)
        except (ConnectionError, RuntimeError):
            pass  # the client hung up, as it should
        return response

    return handler


def after_first(handler: ConnectHandler) -> ConnectHandler:
    """The first connect is answered normally (so the client is connected), then ``handler``."""

    async def answer(request: web.Request, message: Message) -> web.StreamResponse:
        if message.get("advice", {}).get("timeout") == 0:
            return await HostileServer.empty_connect(request, message)
        return await handler(request, message)

    return answer


@pytest.mark.parametrize("kind", ["gzip-bomb", "content-length", "endless"])
async def test_a_too_large_answer_is_a_failed_answer_retried_with_backoff(
    hostile: HostileServer, session: aiohttp.ClientSession, eventually: Eventually, kind: str
) -> None:
    hostile.on_connect = after_first(
        {
            "gzip-bomb": gzip_bomb,
            "content-length": declared_huge(hostile),
            "endless": endless(hostile),
        }[kind]
    )
    changes = Changes()
    client = BayeuxClient(
        session,
        hostile.cometd_url,
        backoff=Backoff(base=0.2, factor=1.0, maximum=0.2),
        on_connection_change=changes,
        max_response_size=CAP,
    )
    await client.start()
    await eventually(lambda: hostile.connects >= 3, timeout=3.0)
    before = hostile.connects
    await asyncio.sleep(1.0)
    # Backed off 0.1-0.2 s between tries: not a tight re-download loop.
    assert 3 <= hostile.connects - before <= 12
    assert not client.connected
    [connected, cause] = changes.causes
    assert connected is None
    assert isinstance(cause, ResponseTooLargeError)
    assert "POST /api/v2/notifications" in str(cause)
    assert "max_response_size" in str(cause)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.close()  # no MemoryError, no hang
    assert loop.time() - started < 1.0
    assert not client.running


async def test_the_client_closes_cleanly_after_endless_answers(
    hostile: HostileServer,
) -> None:
    hostile.on_connect = after_first(endless(hostile))
    gws = capped_client(hostile)
    async with gws, gws.events(ConnectionLost) as stream:
        await gws.subscribe(Topic.WORKBINS)
        lost = await stream.get(5)
        assert isinstance(lost, ConnectionLost)
        assert "ResponseTooLargeError" in lost.cause
    assert gws.session.closed


def once_then_empty(answer_once: Callable[[Message], web.StreamResponse]) -> ConnectHandler:
    """After the first connect, one answer made by ``answer_once``, then empty answers."""
    sent = False

    async def answer(request: web.Request, message: Message) -> web.StreamResponse:
        nonlocal sent
        if sent:
            return await HostileServer.empty_connect(request, message)
        sent = True
        return answer_once(message)

    return after_first(answer)


def capped_client(server: HostileServer) -> GwsClient:
    """A client accepting answers up to :data:`CAP`, retrying every 0.05 s."""
    return GwsClient(
        server.url,
        "agent1",
        PASSWORD,
        max_response_size=CAP,
        backoff=Backoff(base=0.05, factor=1.0, maximum=0.05),
    )


def too_large_with_an_event(message: Message) -> web.StreamResponse:
    # Holding more than the client accepts: once refused, the event is gone, as with a
    # real CometD server, which sends a message once.
    data = {"channel": "/workspace/v3/workbins", "id": "m1", "data": {"x": "y" * CAP}}
    reply = {"channel": "/meta/connect", "id": message["id"], "successful": True}
    return web.json_response([data, reply])


@pytest.mark.parametrize(
    ("answer_once", "missed"),
    [(too_large_with_an_event, True), (lambda _: web.Response(status=503, text="busy"), False)],
    ids=["too-large", "http-503"],
)
async def test_events_refused_for_their_size_are_reported_missed(
    hostile: HostileServer, answer_once: Callable[[Message], web.StreamResponse], missed: bool
) -> None:
    hostile.on_connect = once_then_empty(answer_once)
    gws = capped_client(hostile)
    async with gws, gws.events(ConnectionLost, Reconnected) as stream:
        await gws.subscribe(Topic.WORKBINS)
        lost = await stream.get(5)
        assert isinstance(lost, ConnectionLost)
        assert ("ResponseTooLargeError" in lost.cause) is missed
        back = await stream.get(5)
        assert isinstance(back, Reconnected)
        assert not back.session_renewed
        # A failed answer that held no events (an HTTP error) misses nothing.
        assert back.events_missed is missed
        assert gws.stats.refused_answers == int(missed)


# -- item: advice without bounds ----------------------------------------------------------------


async def test_infinite_interval_advice_is_refused(
    hostile: HostileServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    # Not JSON, but what Python's json module and Jackson's lenient mode write.
    hostile.handshake_body = (
        b'[{"channel":"/meta/handshake","id":"1","successful":true,"clientId":"c1",'
        b'"version":"1.0","advice":{"reconnect":"retry","interval":Infinity,"timeout":NaN,'
        b'"maxInterval":-Infinity}}]'
    )
    async with BayeuxClient(session, hostile.cometd_url) as client:
        assert client.advice.interval == 0.0
        assert client.advice.timeout == 30.0
        assert client.advice.max_interval == 10.0
        await eventually(lambda: hostile.connects >= 2, timeout=2.0)


async def test_empty_instant_answers_do_not_make_the_client_spin(
    hostile: HostileServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    async with BayeuxClient(session, hostile.cometd_url) as client:
        await eventually(lambda: client.connected, timeout=2.0)
        before = hostile.connects
        await asyncio.sleep(1.0)
        assert hostile.connects - before <= 5  # was about 2,400 a second


async def test_answers_with_data_are_polled_again_at_once(
    hostile: HostileServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    async def with_data(request: web.Request, message: Message) -> web.StreamResponse:
        reply = {"channel": "/meta/connect", "id": message["id"], "successful": True}
        return web.json_response([{"channel": "/a", "data": {"n": hostile.connects}}, reply])

    hostile.on_connect = with_data
    got: list[Message] = []

    async def on_message(message: Message) -> None:
        got.append(message)

    async with BayeuxClient(session, hostile.cometd_url, on_message=on_message):
        await eventually(lambda: len(got) >= 1, timeout=2.0)
        before = len(got)
        await asyncio.sleep(0.5)
        assert len(got) - before >= 10  # no spacing imposed on a poll that brought data


# -- items: redirects, secrets in causes --------------------------------------------------------


async def test_redirects_are_not_followed_and_carry_no_secret(
    hostile: HostileServer, eventually: Eventually
) -> None:
    elsewhere = HostileServer()
    await elsewhere.start()
    try:

        async def redirect(request: web.Request, message: Message) -> web.StreamResponse:
            target = elsewhere.cometd_url if hostile.connects % 2 else hostile.cometd_url
            raise web.HTTPTemporaryRedirect(target)

        hostile.on_connect = after_first(redirect)
        async with (
            GwsClient(
                hostile.url,
                "agent1",
                PASSWORD,
                backoff=Backoff(base=0.02, factor=1.0, maximum=0.02),
            ) as gws,
            gws.events(ConnectionLost) as stream,
        ):
            await gws.subscribe(Topic.WORKBINS)
            lost = await stream.get(5)
            assert isinstance(lost, ConnectionLost)
            assert "HTTP 307" in lost.cause
            await eventually(lambda: hostile.connects >= 6, timeout=3.0)
            assert gws.listener is not None
            assert not gws.listener.connected
            causes = [lost.cause]
        assert elsewhere.requests == 0  # nothing went to the other origin
        assert all(PASSWORD not in c and SECRET_AUTH not in c for c in causes)
    finally:
        await elsewhere.stop()


def _chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


async def test_a_transport_failure_carries_no_credential(
    hostile: HostileServer,
) -> None:
    async def reset(request: web.Request, message: Message) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    hostile.on_connect = after_first(reset)
    changes = Changes()
    headers = {"Authorization": SECRET_AUTH}
    async with aiohttp.ClientSession(cookies={"JSESSIONID": "cookie-secret-value"}) as session:
        client = BayeuxClient(
            session,
            hostile.cometd_url,
            headers=headers,
            on_connection_change=changes,
            backoff=Backoff(base=0.05, factor=1.0, maximum=0.05),
        )
        async with client:
            await asyncio.sleep(0.3)
    [_, cause] = changes.causes
    assert isinstance(cause, GwsConnectionError)
    chain = _chain(cause)
    assert chain == [cause]  # no aiohttp error (with its request_info) hangs off it
    for exc in chain:
        text = repr(exc) + repr(vars(exc))
        assert PASSWORD not in text
        assert SECRET_AUTH not in text
        assert "cookie-secret-value" not in text


# -- item: a changed password -------------------------------------------------------------------


@pytest.mark.simulator(long_poll_timeout=0.3)
async def test_a_changed_password_stops_the_listener_after_a_few_tries(
    sim: GwsSimulator,
) -> None:
    async with (
        GwsClient(
            sim.url, "agent1", "password1", backoff=Backoff(base=0.02, factor=1.0, maximum=0.02)
        ) as gws,
        gws.events() as stream,
    ):
        await gws.subscribe(Topic.WORKBINS)
        assert isinstance(await stream.get(5), ListenerConnected)
        # The password changes elsewhere and the server forgets the HTTP sessions.
        sim.state.agents["agent1"].password = "changed"
        sim.state.http_sessions.clear()
        sim.requests.clear()
        seen: list[Any] = []

        async def drain() -> None:
            async for event in stream:
                seen.append(event)

        with pytest.raises(StreamClosed, match="HTTP 401"):
            await asyncio.wait_for(drain(), 5)
        assert isinstance(seen[-1], ListenerStopped)
        assert "HTTP 401" in seen[-1].cause
        assert "HTTP 401" in describe_event(seen[-1])  # what `gws-async listen` prints
        listener = gws.listener
        assert listener is not None
        assert isinstance(listener.failure, AuthenticationError)
        assert not listener.running
        tries = len(sim.requests)
        await asyncio.sleep(0.5)
        assert len(sim.requests) == tries  # stopped for good
        logins = sum(1 for method, path in sim.requests if path == "/api/v2/me")
        assert 1 <= logins <= 3
        assert tries <= 8
        secret = base64.b64encode(b"agent1:password1").decode()
        for exc in _chain(listener.failure):
            text = repr(exc) + repr(vars(exc))
            assert "password1" not in text
            assert secret not in text


# -- item: recovery after a restart -------------------------------------------------------------


@pytest.mark.simulator(long_poll_timeout=1.0)
async def test_recovery_follows_a_restart_within_half_a_second(sim: GwsSimulator) -> None:
    posts = 0

    async def on_request_start(*args: Any) -> None:
        nonlocal posts
        posts += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    # The largest delays of the default backoff (no jitter) make the old behaviour certain.
    backoff = Backoff(rand=lambda: 1.0)
    async with (
        aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), trace_configs=[trace]
        ) as session,
        GwsClient(sim.url, "agent1", "password1", session=session, backoff=backoff) as gws,
        gws.events(ListenerConnected, ConnectionLost, Reconnected) as stream,
    ):
        await gws.subscribe(Topic.WORKBINS)
        assert isinstance(await stream.get(5), ListenerConnected)
        await sim.stop()
        assert isinstance(await stream.get(5), ConnectionLost)
        posts = 0
        await asyncio.sleep(2.0)
        down_posts = posts
        await sim.start()
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert isinstance(await stream.get(5), Reconnected)
        assert loop.time() - started < 0.5
    assert down_posts <= 5  # backed off while the server was down


# -- item: close() and cancellation -------------------------------------------------------------


async def slow_to_stop(client_connected: asyncio.Event) -> Callable[..., Awaitable[None]]:
    async def on_batch(messages: list[Message], deadline: float) -> None:
        client_connected.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await asyncio.sleep(0.5)  # cleanup that takes a while
            raise

    return on_batch


async def _started_slow_client(
    hostile: HostileServer, session: aiohttp.ClientSession
) -> BayeuxClient:
    async def with_data(request: web.Request, message: Message) -> web.StreamResponse:
        reply = {"channel": "/meta/connect", "id": message["id"], "successful": True}
        return web.json_response([{"channel": "/a", "data": {}}, reply])

    hostile.on_connect = with_data
    dispatching = asyncio.Event()
    client = BayeuxClient(session, hostile.cometd_url, on_batch=await slow_to_stop(dispatching))
    await client.start()
    await asyncio.wait_for(dispatching.wait(), 2)
    return client


@NEEDS_311
async def test_close_lets_a_timeout_aimed_at_its_caller_through(
    hostile: HostileServer, session: aiohttp.ClientSession
) -> None:
    client = await _started_slow_client(hostile, session)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await client.close()
    await asyncio.sleep(0.6)  # the loop task ends on its own
    assert not client.running


@NEEDS_311
async def test_close_lets_a_task_group_cancel_its_caller(
    hostile: HostileServer, session: aiohttp.ClientSession
) -> None:
    client = await _started_slow_client(hostile, session)
    closing_finished = False

    async def close_it() -> None:
        nonlocal closing_finished
        await client.close()
        closing_finished = True

    async def fail_soon() -> None:
        await asyncio.sleep(0.1)
        raise ValueError("sibling failed")

    async def run_group() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(close_it())
            group.create_task(fail_soon())

    with pytest.raises(Exception, match="unhandled errors in a TaskGroup") as info:
        await run_group()
    assert info.group_contains(ValueError)
    assert not closing_finished  # cancelled, not returned normally
    await asyncio.sleep(0.6)
    assert not client.running


async def test_close_of_a_cancelled_caller_task_ends_cancelled(
    hostile: HostileServer, session: aiohttp.ClientSession
) -> None:
    client = await _started_slow_client(hostile, session)
    task = asyncio.create_task(client.close())
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled()
    await asyncio.sleep(0.6)
    assert not client.running
