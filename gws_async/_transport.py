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
import ipaddress
import logging
import re
import ssl as ssl_module
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from typing import Any, Final, Literal

import aiohttp
from yarl import URL

from . import _json
from ._exceptions import (
    AuthenticationError,
    ClientStateError,
    CsrfTokenError,
    UnexpectedRedirectError,
    connection_error,
    error_from_response,
)
from ._json import decode_body
from ._limits import DEFAULT_MAX_RESPONSE_SIZE, read_body
from .bayeux import Extension, Message

__all__ = ["Transport", "check_credentials"]

log = logging.getLogger("gws_async.http")

_MUTATING = frozenset({"POST", "PUT", "DELETE", "PATCH"})
# A 200 JSON answer of request_raw this small is read to see whether it is a GWS failure.
_RAW_PEEK = 65536
_LOGIN = ("GET", "/me", "GetMe")


def check_credentials(username: object, password: object) -> None:
    """Refuse credentials Basic auth cannot carry: both must be ``str`` (``None`` or bytes
    would be sent as ``"None"`` or ``"b'...'"``), the user name not empty and without
    ``:`` (the separator of user name and password). Never shows the password."""
    if not isinstance(username, str):
        raise TypeError(f"username must be a str, got {type(username).__name__}")
    if not isinstance(password, str):
        raise TypeError(f"password must be a str, got {type(password).__name__}")
    if not username:
        raise ValueError("username is empty")
    if ":" in username:
        raise ValueError("username must not contain ':': HTTP Basic auth cannot carry it")


def _basic_auth(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


# A CSRF header name must be an HTTP token naming a header of our own: an answer naming
# Authorization, Cookie or Host would make us overwrite the credentials or the target,
# Content-* or a hop-by-hop header would desynchronise the request.
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}")
_CSRF_TOKEN: Final = re.compile(r"[\x20-\x7e]{1,4096}")
_RESERVED_HEADERS: Final = frozenset(
    {
        "authorization", "proxy-authorization", "www-authenticate", "cookie", "cookie2",
        "set-cookie", "host", "connection", "keep-alive", "te", "trailer", "trailers",
        "transfer-encoding", "upgrade", "expect", "origin", "referer", "user-agent",
        "accept", "range", "via", "forwarded", "date", "max-forwards",
    }
)  # fmt: skip
_RESERVED_PREFIXES: Final = ("content-", "proxy-", "sec-", "if-", "accept-", "x-forwarded-")


def _plain_custom_header(name: str) -> bool:
    lowered = name.lower()
    return (
        _HEADER_NAME.fullmatch(name) is not None
        and lowered not in _RESERVED_HEADERS
        and not lowered.startswith(_RESERVED_PREFIXES)
    )


# Origins already warned about for plain HTTP: once per process, not once per agent.
_warned_plain_http: set[str] = set()


def _warn_plain_http(origin: URL) -> None:
    host = origin.host or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if origin.scheme != "http" or loopback or str(origin) in _warned_plain_http:
        return
    _warned_plain_http.add(str(origin))
    log.warning(
        "%s is plain HTTP: the password (Basic auth) and the session cookie cross the "
        "network in clear text; use https://",
        origin,
    )


def _location_origin(resp: aiohttp.ClientResponse) -> str:
    """The origin a redirect points to; its path and query may carry anything."""
    try:
        return str(resp.url.join(URL(resp.headers.get("Location", ""))).origin())
    except ValueError:
        return ""


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
        if url.query_string or url.fragment:
            raise ValueError("base_url must not carry a query or a fragment")
        check_credentials(username, password)
        self.base = url.origin()
        # A path in base_url is the deployment's context path: the API root and the
        # CometD endpoint live under it.
        prefix = url.raw_path.rstrip("/")
        api_root = prefix + "/" + api_root.strip("/")
        self.api_root = api_root.rstrip("/") or "/"
        """The API root's path, context path included (``/api/v2``, ``/gws/api/v2``)."""
        cometd = (
            f"{prefix}/{cometd_path.strip('/')}" if cometd_path else f"{api_root}/notifications"
        )
        self._cometd_path = "/" + cometd.strip("/")
        _warn_plain_http(self.base)
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
        self._state: Literal["new", "open", "closed"] = "new"
        self._warned_csrf_name = False
        self._csrf_header: str | None = None
        self._csrf_token: str | None = None
        self.login_generation = 0
        """Counts the logins: answers to requests of an earlier one teach nothing."""

    def __repr__(self) -> str:
        return f"Transport({str(self.base)!r}, username={self.username!r})"

    # -- session --------------------------------------------------------------------------

    def open(self) -> None:
        """Create the owned session (in the running event loop) if there is none yet.

        Raises :class:`ClientStateError` when already open or closed: a client is opened
        once (``async with`` or ``open()``, not both) and cannot be reopened.
        """
        if self._state == "open":
            raise ClientStateError("the client is already open: enter it once")
        if self._state == "closed":
            raise ClientStateError("the client is closed: make a new one")
        self._state = "open"
        if self._session is None:
            self._session = aiohttp.ClientSession(
                cookie_jar=aiohttp.CookieJar(unsafe=True),
                connector=aiohttp.TCPConnector(limit=self._limit, ssl=self.ssl),
            )
            self._owns_session = True

    async def close(self) -> None:
        """Close the session if this transport owns it; an injected one is left open.
        Every later request raises :class:`ClientStateError`."""
        self._state = "closed"
        if self._owns_session and self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared HTTP session (after :meth:`close`, the closed one, to inspect)."""
        if self._session is None or self._state == "new":
            raise ClientStateError("the client is not open: use 'async with GwsClient(...)'")
        return self._session

    def _live_session(self) -> aiohttp.ClientSession:
        """The session to send on: refuses a client that is not open, or closed."""
        if self._state == "closed":
            raise ClientStateError("the client is closed: make a new one")
        return self.session

    @property
    def api_url(self) -> URL:
        """The API root URL, e.g. ``http://gws:8090/api/v2``."""
        return self.base.with_path(self.api_root, encoded=True)

    @property
    def cometd_url(self) -> URL:
        """The CometD endpoint URL."""
        return self.base.with_path(self._cometd_path, encoded=True)

    # -- CSRF and login -------------------------------------------------------------------

    def csrf_headers(self) -> dict[str, str]:
        """The CSRF header to send on a write, once a token is known."""
        if self._csrf_header and self._csrf_token:
            return {self._csrf_header: self._csrf_token}
        return {}

    def learn_csrf(
        self, headers: Mapping[str, str], generation: int, url: URL | None = None
    ) -> None:
        """Take the CSRF token an answer carries, if it answers the current login.

        ``url`` is the answer's URL: an answer from another origin teaches nothing. The
        header name (``X-CSRF-HEADER``) must be a plain custom header, never one that
        carries credentials, routing or framing (``Authorization``, ``Cookie``, ``Host``,
        ``Content-*``, hop-by-hop headers); the token must be printable ASCII, at most
        4096 characters.
        """
        if generation != self.login_generation:
            # The answer to a request of the previous login (e.g. a long-poll held across
            # a re-login) carries that session's token: taking it would pair the new
            # session's cookie with a dead token, and every write would be refused.
            return
        if url is not None and url.origin() != self.base:
            return
        token = headers.get("X-CSRF-TOKEN")
        if not token:
            return
        name = headers.get("X-CSRF-HEADER") or "X-CSRF-TOKEN"
        if token == self._csrf_token and name == self._csrf_header:
            return  # the pair in use (checked when it was taken): every poll brings it
        if _CSRF_TOKEN.fullmatch(token) is None:
            return
        if not _plain_custom_header(name):
            if not self._warned_csrf_name:
                self._warned_csrf_name = True
                log.warning("ignoring the CSRF header name %r: not a plain custom header", name)
            return
        self._csrf_header = name
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
        :class:`GwsConnectionError` when unreachable; a redirect is never followed
        (:class:`UnexpectedRedirectError`). A write refused for a stale CSRF token is
        retried once with a fresh token; after a 401 the transport logs in again and
        retries once. A body larger than :attr:`max_response_size` raises
        :class:`ResponseTooLargeError`.
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
        response with its body unread, to stream in chunks or read whole (then capped with
        :func:`gws_async._limits.read_body` at :attr:`max_response_size`)::

            async with gws.request_raw("GET", path) as resp:
                async for chunk in resp.content.iter_chunked(65536): ...

        A failure (HTTP >= 300, or a JSON GWS failure reply) raises like :meth:`request`;
        after a 401 the transport logs in again and retries once. Meant for reads: no
        CSRF retry.
        """
        async with AsyncExitStack() as stack:
            try:
                resp = await stack.enter_async_context(
                    self._raw_once(method, path, params, operation)
                )
            except AuthenticationError:
                if operation == _LOGIN[2]:
                    raise
                log.info("HTTP 401: the session expired; logging in again and retrying once")
                await self.relogin()
                resp = await stack.enter_async_context(
                    self._raw_once(method, path, params, operation)
                )
            yield resp

    @asynccontextmanager
    async def _raw_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        operation: str | None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        method = method.upper()
        url, shown = self._url(path, params)
        session = self._live_session()
        headers = self._headers(method, {})
        generation = self.login_generation
        try:
            async with session.request(
                method,
                url,
                headers=headers,
                timeout=self._timeout,
                ssl=self.ssl,
                allow_redirects=False,
            ) as resp:
                self.learn_csrf(resp.headers, generation, resp.url)
                self._refuse_redirect(resp, method, shown, operation)
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
        session = self._live_session()
        headers = self._headers(method, {"Accept": "application/json"})
        payload: Any = data
        if json_body is not None:
            payload = _json.dumps(json_body)
            headers["Content-Type"] = "application/json"
        generation = self.login_generation
        try:
            async with session.request(
                method,
                url,
                data=payload,
                headers=headers,
                timeout=self._timeout,
                ssl=self.ssl,
                # Never followed: the target would get the credentials, the CSRF token
                # and the body, and its answer would be taken for GWS's.
                allow_redirects=False,
            ) as resp:
                self.learn_csrf(resp.headers, generation, resp.url)
                self._refuse_redirect(resp, method, shown, operation)
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

    @staticmethod
    def _refuse_redirect(
        resp: aiohttp.ClientResponse, method: str, shown: str, operation: str | None
    ) -> None:
        if 300 <= resp.status < 400:
            origin = _location_origin(resp)
            log.warning("%s %s was redirected to %s: not followed", method, shown, origin)
            raise UnexpectedRedirectError(method, shown, resp.status, origin, operation=operation)

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
