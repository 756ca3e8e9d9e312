"""A dedicated keep-alive HTTP/1.1 connection for the Bayeux long-poll.

One ``/meta/connect`` at a time rides it, so it needs none of aiohttp's pooling, and its
request is mostly prebuilt: through aiohttp a poll costs about three times the CPU (most
of a client's CPU with many agents at one message per poll). It still shares what matters
with the session it stands beside: the cookie jar (read before and fed after every poll),
the TLS setting, the headers the extensions add, the refusal of redirects (by the caller)
and the body cap. It is used only where aiohttp would do nothing more: see
:func:`usable_for`; REST and the other Bayeux requests stay on the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl as ssl_module
import sys
import zlib
from collections.abc import AsyncIterator, Callable, Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Final

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._exceptions import GwsConnectionError, GwsTimeoutError, ResponseTooLargeError

__all__ = ["PollConnection", "usable_for"]

# The request's replacement aiohttp shipped with: a replaced one (a mock, an instrumentation)
# means someone watches the session's requests, and the poll must stay among them.
_AIOHTTP_REQUEST: Final = aiohttp.ClientSession._request
# The largest head (status line and headers) of an answer read.
_MAX_HEAD: Final = 64 * 1024
_CHUNK: Final = 64 * 1024
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
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._closing: asyncio.StreamWriter | None = None

    def close(self) -> None:
        """Close the connection (the next post opens another)."""
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            self._closing = writer

    async def aclose(self) -> None:
        """Close the connection and wait (a tenth of a second at most) until it is."""
        self.close()
        writer, self._closing = self._closing, None
        if writer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), _CLOSE_WAIT)

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
        reason = None
        try:
            async with _timeout(timeout):
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
        except (OSError, EOFError, ValueError, _Closed, asyncio.LimitOverrunError) as exc:
            self.close()
            reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
        except BaseException:  # cancelled mid-exchange: the connection's state is unknown
            self.close()
            raise
        # Raised outside the handlers: no error of the exchange rides along.
        if reason == "timeout":
            raise GwsTimeoutError("POST", path, f"no answer within {timeout:g} s")
        raise GwsConnectionError("POST", path, reason or "failed")

    def _request(self, body: bytes, headers: Mapping[str, str]) -> bytes:
        lines = [self._head]
        for name, value in headers.items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise GwsConnectionError("POST", self._url.path, f"invalid header {name!r}")
            lines.append(f"{name}: {value}\r\n".encode("latin-1"))
        cookies = self._session.cookie_jar.filter_cookies(self._url)
        if cookies:
            jar = "; ".join(f"{m.key}={m.coded_value}" for m in cookies.values())
            lines.append(f"Cookie: {jar}\r\n".encode("latin-1"))
        lines.append(b"Content-Length: %d\r\n\r\n" % len(body))
        lines.append(body)
        return b"".join(lines)

    async def _exchange(self, request: bytes) -> tuple[int, CIMultiDictProxy[str], bytes]:
        reused = self._writer is not None
        if self._writer is None or self._reader is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(
                self._host,
                self._port,
                ssl=self._ssl,
                server_hostname=self._host if self._ssl is not None else None,
                limit=_MAX_HEAD,
            )
        reader, writer = self._reader, self._writer
        writer.write(request)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if reused and not exc.partial:
                self.close()
                raise _Closed from None
            raise
        status, headers, keep_alive = _parse_head(head)
        body = await self._body(reader, headers)
        if not keep_alive:
            self.close()
        self._learn_cookies(headers)
        return status, CIMultiDictProxy(headers), body

    async def _body(self, reader: asyncio.StreamReader, headers: CIMultiDict[str]) -> bytes:
        encoding = headers.get("Content-Encoding", "identity").strip().lower()
        chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
        length = None if chunked else headers.get("Content-Length")
        if encoding == "identity" and length is not None:  # the common case
            size = int(length)
            if size < 0:
                raise ValueError("negative Content-Length")
            if size > self._limit:
                raise self._too_large()
            return await reader.readexactly(size)
        inflate = None
        if encoding in ("gzip", "deflate"):
            inflate = zlib.decompressobj(wbits=47 if encoding == "gzip" else 15)
        elif encoding != "identity":
            raise ValueError(f"unsupported Content-Encoding {encoding!r}")
        chunks: list[bytes] = []
        size = 0
        async for data in _pieces(reader, chunked, length, self._limit, self._too_large):
            if inflate is not None:
                # Decompressed no further than the cap: a small gzip bomb stops there.
                data = inflate.decompress(data, self._limit + 1 - size)
            size += len(data)
            if size > self._limit:
                raise self._too_large()
            chunks.append(data)
        return b"".join(chunks)

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


async def _pieces(
    reader: asyncio.StreamReader,
    chunked: bool,
    length: str | None,
    limit: int,
    too_large: Callable[[], Exception],
) -> AsyncIterator[bytes]:
    """A body's raw pieces: chunked, by Content-Length (compressed), or up to the close;
    a piece larger than ``limit`` is refused unread."""
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                return
            if size > limit:
                raise too_large()
            yield (await reader.readexactly(size + 2))[:-2]
    elif length is not None:
        size = int(length)
        if size < 0:
            raise ValueError("negative Content-Length")
        if size > limit:
            raise too_large()
        yield await reader.readexactly(size)
    else:
        while data := await reader.read(_CHUNK):
            yield data


def _parse_head(head: bytes) -> tuple[int, CIMultiDict[str], bool]:
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError("not an HTTP/1.x answer")
    status = int(rest[:3])
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines[1:]:
        if line:
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError("malformed header line")
            headers.add(name.strip(), value.strip())
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


if sys.version_info >= (3, 11):
    _timeout = asyncio.timeout
else:  # pragma: no cover - Python 3.10

    def _timeout(delay: float) -> _Timeout:
        return _Timeout(delay)

    class _Timeout:
        def __init__(self, delay: float) -> None:
            self._delay = delay
            self._handle: asyncio.TimerHandle | None = None
            self._fired = False

        async def __aenter__(self) -> None:
            task = asyncio.current_task()
            assert task is not None

            def fire() -> None:
                self._fired = True
                task.cancel()

            self._handle = asyncio.get_running_loop().call_later(self._delay, fire)

        async def __aexit__(self, exc_type: object, exc: object, tb: object) -> bool:
            if self._handle is not None:
                self._handle.cancel()
            if self._fired and exc_type is asyncio.CancelledError:
                raise asyncio.TimeoutError
            return False
