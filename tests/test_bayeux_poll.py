"""The long-poll's own connection (gws_async._bayeux_poll) against raw HTTP servers on
loopback: keep-alive, cookies and extension headers shared with the session, chunked and
compressed answers, the body cap, redirects refused, timeouts, a stale connection."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from gws_async._bayeux_poll import usable_for
from gws_async._bayeux_wire import BayeuxWire, Extension, Message, connect_message
from gws_async._exceptions import (
    GwsApiError,
    GwsConnectionError,
    GwsTimeoutError,
    ResponseTooLargeError,
)
from gws_async.bayeux import BayeuxClient

SECRET = "Basic c2VjcmV0OnNlY3JldA=="
CONNECT_REPLY = [{"channel": "/meta/connect", "successful": True}]

# Answers the request (its head as text, its body) with raw bytes, or None to close.
Handler = Callable[[str, bytes], Awaitable[bytes | None]]


def answer(body: bytes | Any, *, status: str = "200 OK", headers: str = "") -> bytes:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{headers}"
        f"Content-Length: {len(raw)}\r\n\r\n"
    ).encode() + raw


class RawServer:
    """An HTTP/1.1 server that hands each request to ``handler`` and counts connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[str] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                length = next(
                    int(line.split(":", 1)[1])
                    for line in head.split("\r\n")
                    if line.lower().startswith("content-length:")
                )
                body = await reader.readexactly(length)
                self.requests.append(head)
                out = await self.handler(head, body)
                if out is None:
                    break
                writer.write(out)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/cometd"


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Handler], Awaitable[RawServer]]]:
    servers: list[RawServer] = []

    async def start(handler: Handler) -> RawServer:
        raw = RawServer(handler)
        raw.server = await asyncio.start_server(raw.serve, "127.0.0.1", 0)
        servers.append(raw)
        return raw

    yield start
    for raw in servers:
        assert raw.server is not None
        for writer in raw.writers:
            writer.close()
        raw.server.close()
        await raw.server.wait_closed()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
        yield s


class TokenExtension(Extension):
    def __init__(self) -> None:
        self.seen: list[str | None] = []

    async def outgoing(self, messages: list[Message], headers: dict[str, str]) -> None:
        headers["X-CSRF-Token"] = "tok"

    async def incoming(self, messages: list[Message], headers: Any) -> None:
        self.seen.append(headers.get("x-csrf-header"))


def wire_for(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> BayeuxWire:
    return BayeuxWire(session, url, headers={"Authorization": SECRET}, extensions=(), **kwargs)


async def poll(wire: BayeuxWire, timeout: float = 5.0) -> list[Message]:
    return await wire.post([connect_message("c1", "1", first=False)], timeout=timeout, poll=True)


async def test_used_only_where_nothing_watches_the_session(session: aiohttp.ClientSession) -> None:
    url = URL("http://127.0.0.1:1/cometd")
    assert usable_for(session, url)
    assert not usable_for(session, URL("unix:///x"))
    async with aiohttp.ClientSession(trust_env=True) as env:
        assert not usable_for(env, url)  # a proxy may come from the environment
    async with aiohttp.ClientSession(headers={"X-A": "1"}) as defaults:
        assert not usable_for(defaults, url)
    async with aiohttp.ClientSession(trace_configs=[aiohttp.TraceConfig()]) as traced:
        assert not usable_for(traced, url)
    with aioresponses():
        assert not usable_for(session, url)  # a mock of the session's requests
    assert not wire_for(session, str(url), dedicated_poll=False).dedicated_poll
    assert wire_for(session, str(url)).dedicated_poll


async def test_polls_share_one_kept_alive_connection_the_cookies_and_the_headers(
    raw_server: Callable[[Handler], Awaitable[RawServer]], session: aiohttp.ClientSession
) -> None:
    async def handler(head: str, body: bytes) -> bytes:
        assert json.loads(body)[0]["channel"] == "/meta/connect"
        return answer(
            CONNECT_REPLY, headers="Set-Cookie: learnt=2; Path=/\r\nX-CSRF-Header: fresh\r\n"
        )

    server = await raw_server(handler)
    session.cookie_jar.update_cookies({"jsession": "1"}, URL(server.url))
    extension = TokenExtension()
    wire = BayeuxWire(
        session, server.url, headers={"Authorization": SECRET}, extensions=[extension]
    )
    for _ in range(3):
        assert await poll(wire) == CONNECT_REPLY
    assert server.connections == 1
    first, last = server.requests[0], server.requests[-1]
    assert first.startswith("POST /cometd HTTP/1.1\r\n")
    assert f"Authorization: {SECRET}" in first
    assert "X-CSRF-Token: tok" in first
    assert "Cookie: jsession=1" in first
    assert "learnt=2" in last  # learnt from the first answer, into the session's jar
    assert {c.key for c in session.cookie_jar} == {"jsession", "learnt"}
    assert extension.seen == ["fresh"] * 3
    await wire.aclose()


async def test_chunked_and_compressed_answers_are_read(
    raw_server: Callable[[Handler], Awaitable[RawServer]], session: aiohttp.ClientSession
) -> None:
    raw = json.dumps(CONNECT_REPLY).encode()
    packed = gzip.compress(raw)
    pieces = [raw[i : i + 7] for i in range(0, len(raw), 7)]
    answers = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
        + b"0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(packed)
        + packed,
    ]

    async def handler(head: str, body: bytes) -> bytes:
        return answers.pop(0)

    server = await raw_server(handler)
    wire = wire_for(session, server.url)
    assert await poll(wire) == CONNECT_REPLY
    assert await poll(wire) == CONNECT_REPLY
    assert server.connections == 1
    await wire.aclose()


@pytest.mark.parametrize("shape", ["length", "chunked", "gzip bomb"])
async def test_an_answer_over_the_cap_is_refused(
    raw_server: Callable[[Handler], Awaitable[RawServer]],
    session: aiohttp.ClientSession,
    shape: str,
) -> None:
    big = b"[" + b" " * 5000 + b"]"
    if shape == "length":
        out = answer(big)
    elif shape == "chunked":
        out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (
            len(big),
            big,
        )
    else:
        packed = gzip.compress(b" " * 10_000_000)
        out = (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(packed)
            + packed
        )

    async def handler(head: str, body: bytes) -> bytes:
        return out

    server = await raw_server(handler)
    wire = wire_for(session, server.url, max_response_size=1000)
    with pytest.raises(ResponseTooLargeError, match="larger than 1000 bytes"):
        await poll(wire)
    await wire.aclose()


async def test_a_redirect_is_refused(
    raw_server: Callable[[Handler], Awaitable[RawServer]], session: aiohttp.ClientSession
) -> None:
    async def handler(head: str, body: bytes) -> bytes:
        return answer(b"", status="302 Found", headers="Location: http://elsewhere/\r\n")

    server = await raw_server(handler)
    wire = wire_for(session, server.url)
    with pytest.raises(GwsApiError, match="redirect"):
        await poll(wire)
    assert len(server.requests) == 1
    await wire.aclose()


async def test_no_answer_in_time_is_a_timeout_without_the_credentials(
    raw_server: Callable[[Handler], Awaitable[RawServer]], session: aiohttp.ClientSession
) -> None:
    async def handler(head: str, body: bytes) -> bytes:
        await asyncio.sleep(10)
        return answer(CONNECT_REPLY)

    server = await raw_server(handler)
    wire = wire_for(session, server.url)
    with pytest.raises(GwsTimeoutError) as info:
        await poll(wire, timeout=0.2)
    error: BaseException | None = info.value
    assert error is not None
    assert error.__cause__ is None
    assert error.__context__ is None
    assert "secret" not in repr(error)
    assert SECRET not in str(error)
    await wire.aclose()


async def test_a_connection_the_server_closed_while_idle_is_replaced(
    raw_server: Callable[[Handler], Awaitable[RawServer]], session: aiohttp.ClientSession
) -> None:
    served = 0

    async def handler(head: str, body: bytes) -> bytes | None:
        nonlocal served
        served += 1
        # The second request finds the connection closed (as an idle timeout would).
        return None if served == 2 else answer(CONNECT_REPLY)

    server = await raw_server(handler)
    wire = wire_for(session, server.url)
    assert await poll(wire) == CONNECT_REPLY
    assert await poll(wire) == CONNECT_REPLY
    assert server.connections == 2
    await wire.aclose()


async def test_connection_close_and_a_refused_connection(
    raw_server: Callable[[Handler], Awaitable[RawServer]], session: aiohttp.ClientSession
) -> None:
    async def handler(head: str, body: bytes) -> bytes:
        return answer(CONNECT_REPLY, headers="Connection: close\r\n")

    server = await raw_server(handler)
    wire = wire_for(session, server.url)
    assert await poll(wire) == CONNECT_REPLY
    assert await poll(wire) == CONNECT_REPLY
    assert server.connections == 2
    await wire.aclose()
    assert server.server is not None
    refused_url = server.url
    server.server.close()
    await server.server.wait_closed()
    with pytest.raises(GwsConnectionError, match=r"POST /cometd failed: \w+"):
        await poll(wire_for(session, refused_url))


async def test_a_client_delivers_through_the_dedicated_connection_and_closes_it(
    raw_server: Callable[[Handler], Awaitable[RawServer]], session: aiohttp.ClientSession
) -> None:
    seq = 0

    async def handler(head: str, body: bytes) -> bytes:
        nonlocal seq
        message = json.loads(body)[0]
        reply = {"channel": message["channel"], "id": message["id"], "successful": True}
        if message["channel"] == "/meta/handshake":
            reply["clientId"] = "c1"
            return answer([reply])
        if message["channel"] == "/meta/connect":
            seq += 1
            return answer([{"channel": "/a", "data": {"seq": seq}}, reply])
        return answer([reply])

    server = await raw_server(handler)
    got: list[Any] = []
    done = asyncio.Event()

    async def on_message(message: Message) -> None:
        got.append(message["data"]["seq"])
        if len(got) == 5:
            done.set()

    client = BayeuxClient(session, server.url, on_message=on_message)
    assert client._wire.dedicated_poll
    await client.start()
    await client.subscribe("/a")
    await asyncio.wait_for(done.wait(), 5)
    await client.close()
    assert got[:5] == [1, 2, 3, 4, 5]
    assert client._wire._poll is not None
    assert client._wire._poll._link is None


async def test_each_poll_keeps_its_own_deadline_on_one_connection(
    raw_server: Callable[[Handler], Awaitable[RawServer]], session: aiohttp.ClientSession
) -> None:
    delays = [0.0, 0.5, 0.0, 10.0]

    async def handler(head: str, body: bytes) -> bytes:
        await asyncio.sleep(delays.pop(0))
        return answer(CONNECT_REPLY)

    server = await raw_server(handler)
    wire = wire_for(session, server.url)
    loop = asyncio.get_running_loop()
    # A short poll, then a longer one held past the first's deadline: not cut short.
    assert await poll(wire, timeout=0.2) == CONNECT_REPLY
    assert await poll(wire, timeout=5.0) == CONNECT_REPLY
    # A long poll, then a short one: its own deadline, not the first's.
    assert await poll(wire, timeout=5.0) == CONNECT_REPLY
    started = loop.time()
    with pytest.raises(GwsTimeoutError):
        await poll(wire, timeout=0.3)
    assert 0.25 < loop.time() - started < 2.0
    assert server.connections == 1
    await wire.aclose()


async def test_a_changed_cookie_or_header_is_sent_on_the_next_poll(
    raw_server: Callable[[Handler], Awaitable[RawServer]], session: aiohttp.ClientSession
) -> None:
    async def handler(head: str, body: bytes) -> bytes:
        return answer(CONNECT_REPLY)

    class Rotating(Extension):
        token = "one"

        async def outgoing(self, messages: list[Message], headers: dict[str, str]) -> None:
            headers["X-CSRF-Token"] = self.token

    server = await raw_server(handler)
    extension = Rotating()
    wire = BayeuxWire(session, server.url, headers={}, extensions=[extension])
    url = URL(server.url)

    def cookie_line() -> str | None:
        head = server.requests[-1]
        return next((line for line in head.split("\r\n") if line.startswith("Cookie:")), None)

    session.cookie_jar.update_cookies({"jsession": "1"}, url)
    await poll(wire)
    assert cookie_line() == "Cookie: jsession=1"
    assert "X-CSRF-Token: one" in server.requests[-1]
    session.cookie_jar.update_cookies({"jsession": "2"}, url)  # as a REST answer would
    extension.token = "two"
    await poll(wire)
    assert cookie_line() == "Cookie: jsession=2"
    assert "X-CSRF-Token: two" in server.requests[-1]
    session.cookie_jar.update_cookies({"other": "3"}, url)
    await poll(wire)
    assert cookie_line() == "Cookie: jsession=2; other=3"
    expiring = SimpleCookie()
    expiring.load("other=3; Max-Age=1")
    session.cookie_jar.update_cookies(expiring, url)
    await asyncio.sleep(1.1)
    await poll(wire)
    assert cookie_line() == "Cookie: jsession=2"
    session.cookie_jar.clear()
    await poll(wire)
    assert cookie_line() is None
    await wire.aclose()


async def test_a_server_talking_out_of_turn_is_not_read_into_memory(
    raw_server: Callable[[Handler], Awaitable[RawServer]], session: aiohttp.ClientSession
) -> None:
    async def handler(head: str, body: bytes) -> bytes:
        return answer(CONNECT_REPLY) + b"x" * 4_000_000  # then garbage nobody asked for

    server = await raw_server(handler)
    wire = wire_for(session, server.url)
    assert await poll(wire) == CONNECT_REPLY
    await asyncio.sleep(0.3)
    assert wire._poll is not None
    assert wire._poll._link is not None
    assert len(wire._poll._link.buffer) < 1_000_000  # reading paused, the rest left unread
    with pytest.raises(GwsConnectionError, match="ValueError"):
        await poll(wire)  # the garbage is no answer
    await wire.aclose()


def test_the_connection_works_on_uvloop() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> None:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    await reader.readexactly(length)
                    served.append(1)
                    if len(served) < 3:  # the third is never answered
                        writer.write(answer(CONNECT_REPLY))
            writer.close()

        served: list[int] = []
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with aiohttp.ClientSession() as session:
            wire = wire_for(session, f"http://127.0.0.1:{port}/cometd")
            assert wire.dedicated_poll
            assert await poll(wire) == CONNECT_REPLY
            assert await poll(wire) == CONNECT_REPLY
            with pytest.raises(GwsTimeoutError):
                await poll(wire, timeout=0.2)
            await wire.aclose()
        server.close()
        await server.wait_closed()

    uvloop.run(scenario())
