"""The HTTP transport: one session to one GWS node, with its authentication, CSRF token and
re-login, and the two REST request paths (JSON answers and raw bodies).

Everything that talks HTTP to GWS goes through here or through the Bayeux client, which
rides the same session; both decode answers with :func:`gws_async._json.decode_body` and
name transport failures with :func:`gws_async._exceptions.connection_error`, so each is
done one way only.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl as ssl_module
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import aiohttp
from yarl import URL

from . import _json
from ._exceptions import AuthenticationError, CsrfTokenError, connection_error, error_from_response
from ._json import decode_body
from ._limits import DEFAULT_MAX_RESPONSE_SIZE, read_body
from .bayeux import Extension, Message

__all__ = ["Transport"]

log = logging.getLogger("gws_async.http")

_MUTATING = frozenset({"POST", "PUT", "DELETE", "PATCH"})
# A 200 JSON answer of request_raw this small is read to see whether it is a GWS failure.
_RAW_PEEK = 65536
_LOGIN = ("GET", "/me", "GetMe")


def _basic_auth(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


# The login generation a Bayeux request was sent under. Outgoing and incoming hooks of one
# exchange run in the same task, so a context variable links them; concurrent exchanges
# run in other tasks and have their own.
_sent_under: ContextVar[int] = ContextVar("gws_async_sent_under")


class _CsrfExtension(Extension):
    """Puts the transport's CSRF token on Bayeux requests and learns new ones from answers."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def outgoing(self, messages: list[Message], headers: dict[str, str]) -> None:
        headers.update(self._transport.csrf_headers())
        _sent_under.set(self._transport.login_generation)

    async def incoming(self, messages: list[Message], headers: Mapping[str, str]) -> None:
        self._transport.learn_csrf(headers, _sent_under.get(-1))


class Transport:
    """One HTTP session to one GWS node, owned or injected.

    It sends the Basic ``Authorization`` header (built once, never shown), keeps the
    session cookie in a jar that accepts IP-address hosts, learns the CSRF token from
    answers and sends it on writes (and, through :meth:`bayeux_extension`, on Bayeux
    requests), retries a write once after a stale-token 403 and a request once after a
    401 (logging in again). See :class:`gws_async.GwsClient` for the arguments.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        api_root: str = "/api/v2",
        cometd_path: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 30.0,
        ssl: ssl_module.SSLContext | bool = True,
        limit: int = 100,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        url = URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("base_url must be an absolute http:// or https:// URL")
        if url.user or url.password:
            raise ValueError("pass the credentials as username and password, not in the URL")
        if not username:
            raise ValueError("username is empty")
        self.base = url.with_path("").with_query(None).with_fragment(None)
        self.api_root = "/" + api_root.strip("/")
        self._cometd_path = "/" + (cometd_path or f"{self.api_root}/notifications").strip("/")
        self.username = username
        # Built once; kept out of every repr, log line and error message.
        self.auth_headers: Mapping[str, str] = {"Authorization": _basic_auth(username, password)}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        if ssl is False:
            log.warning("TLS certificate verification is disabled for %s", self.base)
        self.ssl = ssl
        """TLS verification for every request of this client, REST and Bayeux."""
        self.max_response_size = max_response_size
        """The largest decoded answer body accepted, in bytes."""
        self._limit = limit
        self._session = session
        self._owns_session = session is None
        self._csrf_header: str | None = None
        self._csrf_token: str | None = None
        self.login_generation = 0
        """Counts the logins: answers to requests of an earlier one teach nothing."""

    def __repr__(self) -> str:
        return f"Transport({str(self.base)!r}, username={self.username!r})"

    # -- session --------------------------------------------------------------------------

    def open(self) -> None:
        """Create the owned session (in the running event loop) if there is none yet."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                cookie_jar=aiohttp.CookieJar(unsafe=True),
                connector=aiohttp.TCPConnector(limit=self._limit, ssl=self.ssl),
            )
            self._owns_session = True

    async def close(self) -> None:
        """Close the session if this transport owns it; an injected one is left open."""
        if self._owns_session and self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared HTTP session."""
        if self._session is None:
            raise RuntimeError("the client is not open: use 'async with GwsClient(...)'")
        return self._session

    @property
    def api_url(self) -> URL:
        """The API root URL, e.g. ``http://gws:8090/api/v2``."""
        return self.base.with_path(self.api_root)

    @property
    def cometd_url(self) -> URL:
        """The CometD endpoint URL."""
        return self.base.with_path(self._cometd_path)

    # -- CSRF and login -------------------------------------------------------------------

    def csrf_headers(self) -> dict[str, str]:
        """The CSRF header to send on a write, once a token is known."""
        if self._csrf_header and self._csrf_token:
            return {self._csrf_header: self._csrf_token}
        return {}

    def learn_csrf(self, headers: Mapping[str, str], generation: int) -> None:
        """Take the CSRF token an answer carries, if it answers the current login."""
        if generation != self.login_generation:
            # The answer to a request of the previous login (e.g. a long-poll held across
            # a re-login) carries that session's token: taking it would pair the new
            # session's cookie with a dead token, and every write would be refused.
            return
        token = headers.get("X-CSRF-TOKEN")
        if token:
            self._csrf_header = headers.get("X-CSRF-HEADER") or "X-CSRF-TOKEN"
            self._csrf_token = token

    def forget_csrf(self) -> None:
        """Drop the CSRF token, so that the next answer's is taken."""
        self._csrf_token = None

    def bayeux_extension(self) -> Extension:
        """The Bayeux extension that carries this transport's CSRF token both ways."""
        return _CsrfExtension(self)

    async def relogin(self) -> None:
        """Start a new HTTP session: forget the cookies and CSRF token, log in again."""
        self.login_generation += 1
        self.session.cookie_jar.clear_domain(self.base.host or "")
        self._csrf_token = None
        await self._send(*_LOGIN[:2], None, None, None, _LOGIN[2])

    # -- requests -------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        data: Any = None,
        operation: str | None = None,
    ) -> dict[str, Any]:
        """Send one request to the API and return its decoded JSON object.

        ``path`` is relative to the API root and already escaped. Raises a
        :class:`GwsApiError` subclass for every failure style of the spec and
        :class:`GwsConnectionError` when unreachable. A write refused for a stale CSRF
        token is retried once with a fresh token; after a 401 the transport logs in again
        and retries once.
        """
        try:
            return await self._send(method, path, params, json_body, data, operation)
        except CsrfTokenError:
            if method.upper() not in _MUTATING:
                raise
            log.info("CSRF token refused; fetching a new one and retrying once")
            self._csrf_token = None
            await self._send(*_LOGIN[:2], None, None, None, _LOGIN[2])
            return await self._send(method, path, params, json_body, data, operation)
        except AuthenticationError:
            if operation == _LOGIN[2]:
                raise  # the login itself was refused: the credentials are wrong
            log.info("HTTP 401: the session expired; logging in again and retrying once")
            await self.relogin()
            return await self._send(method, path, params, json_body, data, operation)

    @asynccontextmanager
    async def request_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        operation: str | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send one request whose answer is not JSON (an attachment's bytes) and yield the
        response with its body unread, to read at once or stream in chunks::

            async with gws.request_raw("GET", path) as resp:
                async for chunk in resp.content.iter_chunked(65536): ...

        A failure (HTTP >= 400, or a JSON GWS failure reply) raises like :meth:`request`.
        Meant for reads: no CSRF retry.
        """
        method = method.upper()
        url, shown = self._url(path, params)
        headers = self._headers(method, {})
        generation = self.login_generation
        try:
            async with self.session.request(
                method, url, headers=headers, timeout=self._timeout, ssl=self.ssl
            ) as resp:
                self.learn_csrf(resp.headers, generation)
                small = (resp.content_length or 0) <= _RAW_PEEK
                if resp.status >= 400 or (resp.content_type == "application/json" and small):
                    raw = await read_body(
                        resp, self.max_response_size, method, shown, operation=operation
                    )
                    body, text = decode_body(raw) if raw else ({}, "")
                    # A 200 JSON answer may be the attachment itself: only a failure counts.
                    if resp.status >= 400 or isinstance(body, dict):
                        error = error_from_response(
                            method, shown, resp.status, body, text, operation=operation
                        )
                        if error is not None:
                            raise error
                yield resp
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise connection_error(method, shown, exc, self._timeout.total) from exc

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json_body: Any,
        data: Any,
        operation: str | None,
    ) -> dict[str, Any]:
        method = method.upper()
        url, shown = self._url(path, params)
        headers = self._headers(method, {"Accept": "application/json"})
        payload: Any = data
        if json_body is not None:
            payload = _json.dumps(json_body)
            headers["Content-Type"] = "application/json"
        generation = self.login_generation
        try:
            async with self.session.request(
                method, url, data=payload, headers=headers, timeout=self._timeout, ssl=self.ssl
            ) as resp:
                self.learn_csrf(resp.headers, generation)
                status = resp.status
                raw = await read_body(
                    resp, self.max_response_size, method, shown, operation=operation
                )
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise connection_error(method, shown, exc, self._timeout.total) from exc
        body: Any
        if raw:
            body, text = decode_body(raw)
        else:  # an empty 200 is how GWS answers some operations
            body, text = ({} if status < 300 else None), ""
        log.debug("%s %s -> %d", method, shown, status)
        error = error_from_response(method, shown, status, body, text, operation=operation)
        if error is not None:
            raise error
        return body  # type: ignore[no-any-return]

    def _url(self, path: str, params: Mapping[str, str] | None) -> tuple[URL, str]:
        """The request URL and the path shown in errors and logs (no host, no secret)."""
        url = URL(f"{self.api_url}{path}", encoded=True)
        if params:
            url = url.update_query(params)
        shown = f"{self.api_root}{path}" + (f"?{url.query_string}" if url.query_string else "")
        return url, shown

    def _headers(self, method: str, headers: dict[str, str]) -> dict[str, str]:
        headers.update(self.auth_headers)
        if method in _MUTATING:
            headers.update(self.csrf_headers())
        return headers
