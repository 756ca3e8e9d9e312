"""A dedicated keep-alive HTTP/1.1 connection for the Bayeux long-poll.

One ``/meta/connect`` at a time rides it, so it needs none of aiohttp's pooling, and its
request is mostly prebuilt: through aiohttp a poll costs about three times the CPU (most
of a client's CPU with many agents at one message per poll). It still shares what matters
with the session it stands beside: the cookie jar (read before and fed after every poll),
the TLS setting, the headers the extensions add, the refusal of redirects (by the caller)
and the body cap. It is used only where aiohttp would do nothing more: see
:func:`usable_for`; REST and the other Bayeux requests stay on the session.

Per poll it does as little as it can: its own protocol (no stream reader or writer) reads
the answer from one buffer and wakes the poll once it is all there; one request is one
``transport.write``; the headers and the ``Cookie`` header are encoded again only when
they change; and the poll's deadline is one attribute, watched by one timer per
connection that is re-armed when it fires early, not one timer per poll.
"""

from __future__ import annotations

import asyncio
import operator
import ssl as ssl_module
import zlib
from collections.abc import AsyncIterator, Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Final, cast

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._exceptions import GwsConnectionError, GwsTimeoutError, ResponseTooLargeError
from ._timeouts import wait_for

__all__ = ["PollConnection", "usable_for"]

# The request's replacement aiohttp shipped with: a replaced one (a mock, an instrumentation)
# means someone watches the session's requests, and the poll must stay among them.
_AIOHTTP_REQUEST: Final = aiohttp.ClientSession._request
# The largest head (status line and headers) of an answer read.
_MAX_HEAD: Final = 64 * 1024
# Unread bytes buffered before the socket is no longer read (resumed when a read waits).
_HIGH_WATER: Final = 2 * _MAX_HEAD
# How long closing waits for the socket to be released (a TLS goodbye may never come).
_CLOSE_WAIT: Final = 0.1


def usable_for(session: aiohttp.ClientSession, url: URL) -> bool:
    """Whether a poll may bypass ``session``: a plain ``TCPConnector``, no proxy (nor
    ``trust_env``, which may bring one), no default headers, no trace hooks, aiohttp's own
    request code, and an absolute http(s) URL."""
    return (
        url.scheme in ("http", "https")
        and bool(url.host)
        and type(session.connector) is aiohttp.TCPConnector
        and not session.trust_env
        and getattr(session, "_default_proxy", None) is None
        and not getattr(session, "_default_headers", None)
        and not getattr(session, "_trace_configs", None)
        and type(session)._request is _AIOHTTP_REQUEST
    )


class _Closed(Exception):
    """The server closed the connection before the answer began."""


class _Link(asyncio.Protocol):
    """One connection: the bytes received and not yet read, and the one read waiting."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[None] | None = None
        self.eof = False
        self.error: Exception | None = None
        self.paused = False
        self.lost: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's is one without deriving from asyncio.Transport).
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        transport = self.transport
        if (
            len(buffer) > _HIGH_WATER
            and not self.paused
            and transport is not None
            and not transport.is_closing()
        ):
            # Nobody reads it (a server talking out of turn): stop reading until a read waits.
            self.paused = True
            transport.pause_reading()
        self.wake()

    def eof_received(self) -> bool:
        self.eof = True
        self.wake()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self.wake()
        if not self.lost.done():
            self.lost.set_result(None)

    def wake(self) -> None:
        """Let the waiting read look at the buffer again."""
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def take(self, size: int) -> bytes:
        """The first ``size`` bytes of the buffer, removed from it."""
        buffer = self.buffer
        if len(buffer) == size:
            data = bytes(buffer)
            buffer.clear()
        else:
            data = bytes(buffer[:size])
            del buffer[:size]
        return data


class PollConnection:
    """POSTs one body at a time to one URL over a kept-alive connection."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: URL,
        *,
        ssl: ssl_module.SSLContext | bool,
        max_response_size: int,
    ) -> None:
        self._session = session
        self._url = url
        self._host = url.raw_host or ""
        self._port = url.port or (443 if url.scheme == "https" else 80)
        self._ssl: ssl_module.SSLContext | None = None
        if url.scheme == "https":
            self._ssl = _context(ssl)
        host = url.raw_host or ""
        host = f"[{host}]" if ":" in host else host
        if not url.is_default_port():
            host += f":{self._port}"
        self._head = f"POST {url.raw_path_qs} HTTP/1.1\r\nHost: {host}\r\n".encode("latin-1")
        self._limit = max_response_size
        self._link: _Link | None = None
        self._closing: _Link | None = None
        # The headers last sent and their encoding; the cookies last sent and theirs.
        self._headers: dict[str, str] = {}
        self._headers_bytes = b""
        self._cookies: tuple[object, ...] = ()
        self._cookie_bytes = b""
        # The running post's deadline (loop time), whether it passed, and the timer that
        # watches it: armed at or before the deadline, re-armed when it fires early.
        self._deadline = 0.0
        self._busy = False
        self._timed_out = False
        self._timer: asyncio.TimerHandle | None = None

    def close(self) -> None:
        """Close the connection (the next post opens another)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        link, self._link = self._link, None
        if link is not None and link.transport is not None:
            link.transport.close()
            self._closing = link

    async def aclose(self) -> None:
        """Close the connection and wait (a tenth of a second at most) until it is."""
        self.close()
        link, self._closing = self._closing, None
        if link is not None:
            await asyncio.wait((link.lost,), timeout=_CLOSE_WAIT)

    async def post(
        self, body: bytes, headers: Mapping[str, str], *, timeout: float, path: str
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        """POST ``body``; the answer's status, headers and body, read within ``timeout``.

        Raises:
            GwsConnectionError: no answer (refused, reset, TLS, malformed); its
                :class:`GwsTimeoutError` subclass when not within ``timeout``.
            ResponseTooLargeError: the body is larger than ``max_response_size``.
        """
        if self._session.closed:
            raise GwsConnectionError("POST", path, "the HTTP session is closed")
        request = self._request(body, headers)
        self._start(timeout)
        reason = None
        try:
            try:
                return await self._exchange(request)
            except _Closed:
                # A kept-alive connection the server closed while idle: once more, anew.
                return await self._exchange(request)
        except ResponseTooLargeError:
            self.close()
            raise
        except asyncio.TimeoutError:
            self.close()
            reason = "timeout"
        except (OSError, EOFError, ValueError, _Closed) as exc:
            self.close()
            reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
        except BaseException:  # cancelled mid-exchange: the connection's state is unknown
            self.close()
            raise
        finally:
            self._busy = False
        # Raised outside the handlers: no error of the exchange rides along.
        if reason == "timeout":
            raise GwsTimeoutError("POST", path, f"no answer within {timeout:g} s")
        raise GwsConnectionError("POST", path, reason or "failed")

    def _start(self, timeout: float) -> None:
        """Set the deadline of the post that starts; arm the timer only if it would fire
        after it (a timer armed earlier re-arms itself when it fires)."""
        loop = asyncio.get_running_loop()
        self._deadline = deadline = loop.time() + timeout
        self._busy = True
        self._timed_out = False
        timer = self._timer
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if not self._busy:
            return  # idle: the next post arms it again
        loop = asyncio.get_running_loop()
        if loop.time() < self._deadline:
            self._timer = loop.call_at(self._deadline, self._on_timer)
            return
        self._timed_out = True
        if self._link is not None:
            self._link.wake()

    def _request(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        if headers != self._headers:
            lines = []
            for name, value in headers.items():
                if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                    raise GwsConnectionError("POST", self._url.path, f"invalid header {name!r}")
                lines.append(f"{name}: {value}\r\n")
            self._headers = dict(headers)
            self._headers_bytes = "".join(lines).encode("latin-1")
        return b"".join(
            (
                self._head,
                self._headers_bytes,
                self._cookie_header(),
                b"Content-Length: %d\r\n\r\n" % len(body),
                body,
            )
        )

    def _cookie_header(self) -> bytes:
        """The ``Cookie`` line for the URL, from the session's jar.

        aiohttp's jar stores a new object for every cookie it takes and drops the expired
        ones when it is iterated: the same objects (held here, so never another's id)
        mean the same cookies, and the line last built is still right.
        """
        jar = self._session.cookie_jar
        if type(jar) is aiohttp.CookieJar:
            current = tuple(jar)
            cached = self._cookies
            if len(current) == len(cached) and all(map(operator.is_, current, cached)):
                return self._cookie_bytes
            self._cookies = current
        cookies = jar.filter_cookies(self._url)
        line = b""
        if cookies:
            text = "; ".join(f"{m.key}={m.coded_value}" for m in cookies.values())
            line = f"Cookie: {text}\r\n".encode("latin-1")
        self._cookie_bytes = line
        return line

    async def _open(self) -> _Link:
        self.close()
        self._start_timer_again()
        loop = asyncio.get_running_loop()
        remaining = self._deadline - loop.time()
        if remaining <= 0:
            raise asyncio.TimeoutError
        link = _Link(loop)
        await wait_for(
            loop.create_connection(
                lambda: link,
                self._host,
                self._port,
                ssl=self._ssl,
                server_hostname=self._host if self._ssl is not None else None,
            ),
            remaining,
        )
        self._link = link
        return link

    def _start_timer_again(self) -> None:
        # close() dropped the timer; the running post still has its deadline.
        if self._busy and self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(self._deadline, self._on_timer)

    async def _exchange(self, request: bytes) -> tuple[int, CIMultiDictProxy[str], bytes]:
        link = self._link
        reused = link is not None
        if link is None or link.eof or link.transport is None or link.transport.is_closing():
            link = await self._open()
            reused = False
        assert link.transport is not None
        link.transport.write(request)
        try:
            head = await self._until(link, b"\r\n\r\n", _MAX_HEAD)
        except asyncio.IncompleteReadError as exc:
            if reused and not exc.partial:
                self.close()
                raise _Closed from None
            raise
        status, headers, keep_alive = _parse_head(head)
        body = await self._body(link, headers)
        if not keep_alive:
            self.close()
        self._learn_cookies(headers)
        return status, CIMultiDictProxy(headers), body

    async def _more(self, link: _Link) -> None:
        """Wait until more bytes came (or the end, or the deadline)."""
        if self._timed_out:
            raise asyncio.TimeoutError
        if link.eof:
            raise link.error or asyncio.IncompleteReadError(bytes(link.buffer), None)
        if link.paused and link.transport is not None:
            link.paused = False
            if not link.transport.is_closing():
                link.transport.resume_reading()
        waiter = link.waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            link.waiter = None
        if self._timed_out:
            raise asyncio.TimeoutError

    async def _until(self, link: _Link, separator: bytes, limit: int) -> bytes:
        """The bytes up to and with ``separator``; at most ``limit`` of them."""
        start = 0
        while (found := link.buffer.find(separator, start)) < 0:
            if len(link.buffer) > limit:
                raise ValueError(f"no {separator!r} within {limit} bytes")
            start = max(0, len(link.buffer) - len(separator) + 1)
            await self._more(link)
        return link.take(found + len(separator))

    async def _exactly(self, link: _Link, size: int) -> bytes:
        while len(link.buffer) < size:
            await self._more(link)
        return link.take(size)

    async def _rest(self, link: _Link) -> AsyncIterator[bytes]:
        """What comes until the server closes the connection."""
        while True:
            if link.buffer:
                yield link.take(len(link.buffer))
            elif link.eof:
                if link.error is not None:
                    raise link.error
                return
            else:
                await self._more(link)

    async def _body(self, link: _Link, headers: CIMultiDict[str]) -> bytes:
        encoding = headers.get("Content-Encoding", "identity").strip().lower()
        chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
        length = None if chunked else headers.get("Content-Length")
        if encoding == "identity" and length is not None:  # the common case
            size = int(length)
            if size < 0:
                raise ValueError("negative Content-Length")
            if size > self._limit:
                raise self._too_large()
            return await self._exactly(link, size)
        inflate = None
        if encoding in ("gzip", "deflate"):
            inflate = zlib.decompressobj(wbits=47 if encoding == "gzip" else 15)
        elif encoding != "identity":
            raise ValueError(f"unsupported Content-Encoding {encoding!r}")
        chunks: list[bytes] = []
        size = 0
        async for data in self._pieces(link, chunked, length):
            if inflate is not None:
                # Decompressed no further than the cap: a small gzip bomb stops there.
                data = inflate.decompress(data, self._limit + 1 - size)
            size += len(data)
            if size > self._limit:
                raise self._too_large()
            chunks.append(data)
        return b"".join(chunks)

    async def _pieces(self, link: _Link, chunked: bool, length: str | None) -> AsyncIterator[bytes]:
        """A body's raw pieces: chunked, by Content-Length (compressed), or up to the close;
        a piece larger than the cap is refused unread."""
        if chunked:
            while True:
                line = await self._until(link, b"\r\n", _MAX_HEAD)
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while (await self._until(link, b"\r\n", _MAX_HEAD)) != b"\r\n":  # trailers
                        pass
                    return
                if size > self._limit:
                    raise self._too_large()
                yield (await self._exactly(link, size + 2))[:-2]
        elif length is not None:
            size = int(length)
            if size < 0:
                raise ValueError("negative Content-Length")
            if size > self._limit:
                raise self._too_large()
            yield await self._exactly(link, size)
        else:
            async for data in self._rest(link):
                yield data

    def _too_large(self) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            "POST",
            self._url.path,
            200,
            server_message=f"the answer is larger than {self._limit} bytes (max_response_size)",
        )

    def _learn_cookies(self, headers: CIMultiDict[str]) -> None:
        values = headers.getall("Set-Cookie", ())
        if not values:
            return
        cookies: SimpleCookie = SimpleCookie()
        for value in values:
            try:
                cookies.load(value)
            except CookieError:  # a malformed cookie is ignored, as aiohttp does
                continue
        self._session.cookie_jar.update_cookies(cookies, self._url)


def _parse_head(head: bytes) -> tuple[int, CIMultiDict[str], bool]:
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError("not an HTTP/1.x answer")
    status = int(rest[:3])
    fields: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line:
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError("malformed header line")
            fields.append((name.strip(), value.strip()))
    headers: CIMultiDict[str] = CIMultiDict(fields)
    connection = headers.get("Connection", "").lower()
    keep_alive = "close" not in connection and (version == "HTTP/1.1" or "keep-alive" in connection)
    delimited = "Content-Length" in headers or "chunked" in headers.get("Transfer-Encoding", "")
    return status, headers, keep_alive and delimited


def _context(ssl: ssl_module.SSLContext | bool) -> ssl_module.SSLContext:
    if isinstance(ssl, ssl_module.SSLContext):
        return ssl
    context = ssl_module.create_default_context()
    if ssl is False:  # as aiohttp's ssl=False: encrypted, not verified
        context.check_hostname = False
        context.verify_mode = ssl_module.CERT_NONE
    return context
