"""One error hierarchy for every failure, mapped in one place.

::

    GwsError
    ├── GwsConnectionError            the server could not be reached
    │   └── GwsTimeoutError           ...in time (also an asyncio.TimeoutError)
    ├── GwsApiError                   the server answered, and the answer is a failure
    │   ├── MissingParameterError     statusCode 1
    │   ├── InvalidStateError         statusCode 2
    │   ├── ForbiddenError            statusCode 3, HTTP 403
    │   │   └── CsrfTokenError        HTTP 403 "Missing or invalid Csrf token"
    │   ├── InternalServerError       statusCode 4, HTTP 5xx
    │   ├── PermissionDeniedError     statusCode 5
    │   ├── NotFoundError             statusCode 6, HTTP 404
    │   ├── AuthenticationError       HTTP 401
    │   └── InvalidResponseError      not JSON, not an object, or not understood
    │       ├── ResponseTooLargeError   larger than ``max_response_size``
    │       └── UnexpectedRedirectError a 3xx: GWS API answers are never redirected
    ├── BayeuxError                   a Bayeux (CometD) protocol failure
    └── ClientStateError              used before open, after close, or opened twice
                                      (also a RuntimeError)

Messages name the method, the path, the HTTP status and the server's text. They are built
from the request path only, so they never carry the password, the ``Authorization``
header or a cookie value.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp.client_reqrep import ConnectionKey
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

__all__ = [
    "STATUS_CODE_MEANINGS",
    "AuthenticationError",
    "BayeuxError",
    "ClientStateError",
    "CsrfTokenError",
    "ForbiddenError",
    "GwsApiError",
    "GwsConnectionError",
    "GwsError",
    "GwsTimeoutError",
    "InternalServerError",
    "InvalidResponseError",
    "InvalidStateError",
    "MissingParameterError",
    "NotFoundError",
    "PermissionDeniedError",
    "ResponseTooLargeError",
    "UnexpectedRedirectError",
    "connection_error",
    "error_from_response",
]

#: The spec's Return Values table.
STATUS_CODE_MEANINGS: Mapping[int, str] = {
    0: "success",
    1: "a required parameter is missing",
    2: "a parameter is not valid for the current state",
    3: "the operation is forbidden",
    4: "internal error",
    5: "no permission for this operation",
    6: "the requested resource was not found",
}

_MAX_SERVER_TEXT = 300
_TAG = re.compile(r"<[^>]*>")


class GwsError(Exception):
    """Base class of every error raised by gws_async."""


class GwsConnectionError(GwsError):
    """The request never got an HTTP answer: refused, reset, DNS, TLS."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(f"{method} {path} failed: {reason}")


class GwsTimeoutError(GwsConnectionError, asyncio.TimeoutError):
    """The request got no answer in time."""


class GwsApiError(GwsError):
    """The server answered and the answer is a failure.

    Attributes:
        operation: the operation that failed (``AddInteractionToWorkbin``, ``GetMe``...).
        method: HTTP method of the failed request.
        path: request path (no host, no credentials).
        http_status: HTTP status code of the answer.
        status_code: the body's ``statusCode`` (or numeric ``status``), if any.
        server_message: the server's own text (``statusMessage``, ``errorDescription``,
            ``description`` or the start of a non-JSON body).
        body: the decoded JSON body, when there was one.
    """

    def __init__(
        self,
        method: str,
        path: str,
        http_status: int,
        *,
        operation: str | None = None,
        status_code: int | None = None,
        server_message: str = "",
        body: Any = None,
    ) -> None:
        self.operation = operation
        self.method = method
        self.path = path
        self.http_status = http_status
        self.status_code = status_code
        self.server_message = server_message
        self.body = body
        super().__init__(self._describe())

    def _describe(self) -> str:
        head = f"{self.operation}: " if self.operation else ""
        parts = [f"{head}{self.method} {self.path} -> HTTP {self.http_status}"]
        if self.status_code is not None:
            meaning = STATUS_CODE_MEANINGS.get(self.status_code, "unknown status")
            parts.append(f"statusCode {self.status_code} ({meaning})")
        text = f": {self.server_message}" if self.server_message else ""
        return ", ".join(parts) + text


class MissingParameterError(GwsApiError):
    """statusCode 1: a required parameter is missing in the request."""


class InvalidStateError(GwsApiError):
    """statusCode 2: a parameter is not valid for the current state."""


class ForbiddenError(GwsApiError):
    """statusCode 3 or HTTP 403: the operation is forbidden."""


class CsrfTokenError(ForbiddenError):
    """HTTP 403 for a missing or stale CSRF token."""


class InternalServerError(GwsApiError):
    """statusCode 4 or HTTP 5xx: GWS or one of the servers behind it failed."""


class PermissionDeniedError(GwsApiError):
    """statusCode 5: the user has no permission for this operation."""


class NotFoundError(GwsApiError):
    """statusCode 6 or HTTP 404: the resource does not exist."""


class AuthenticationError(GwsApiError):
    """HTTP 401: the credentials were refused or the session expired."""


class InvalidResponseError(GwsApiError):
    """The answer could not be understood: not JSON, not an object, or an unknown shape."""


class ResponseTooLargeError(InvalidResponseError):
    """The answer's body was larger than the client accepts (``max_response_size``)."""


class UnexpectedRedirectError(InvalidResponseError):
    """A 3xx answer. GWS API requests are not redirected in normal operation, so the
    redirect is not followed (the request's credentials, CSRF token and body would go to
    its target) and its answer is not taken for GWS's.

    ``location`` is the origin (``scheme://host:port``) the answer pointed to, or ``""``
    when it had no usable ``Location``; the rest of the target is not kept.
    """

    def __init__(
        self,
        method: str,
        path: str,
        http_status: int,
        location: str,
        *,
        operation: str | None = None,
    ) -> None:
        self.location = location
        target = f"redirected to {location}" if location else "a redirect without a Location"
        super().__init__(
            method,
            path,
            http_status,
            operation=operation,
            server_message=f"{target}, not followed (GWS API requests are never redirected)",
        )


class ClientStateError(GwsError, RuntimeError):
    """A client (or pool) used in a state that does not allow it: before it is opened,
    after it was closed, or opened a second time. A closed client cannot be reopened:
    make a new one."""


class BayeuxError(GwsError):
    """A Bayeux failure: an unsuccessful meta reply, or ``reconnect: none`` advice.

    The Bayeux ``error`` field (``"402::Unknown client"``, ``"403:chan:denied"``) is parsed
    into ``code``, ``args`` and ``message``.
    """

    def __init__(self, channel: str, error: str | None, description: str = "") -> None:
        self.channel = channel
        self.error = error
        self.code, self.args_, self.message = parse_bayeux_error(error)
        detail = description or self.message or (error or "unsuccessful")
        code = f" {self.code}" if self.code is not None else ""
        super().__init__(f"Bayeux {channel} failed{code}: {detail}")


def parse_bayeux_error(error: str | None) -> tuple[int | None, list[str], str]:
    """Split a Bayeux ``error`` (``code:args:message``) into its parts."""
    if not error:
        return None, [], ""
    head, sep, rest = error.partition(":")
    if not sep:
        return None, [], error
    args_text, sep2, message = rest.partition(":")
    try:
        code: int | None = int(head)
    except ValueError:
        return None, [], error
    if not sep2:
        # "402::msg" has empty args; "402:msg" is malformed but common: keep the text.
        return code, [], args_text
    args = [a for a in args_text.split(",") if a]
    return code, args, message


_BY_STATUS_CODE: Mapping[int, type[GwsApiError]] = {
    1: MissingParameterError,
    2: InvalidStateError,
    3: ForbiddenError,
    4: InternalServerError,
    5: PermissionDeniedError,
    6: NotFoundError,
}


def _by_http_status(http_status: int, server_message: str) -> type[GwsApiError]:
    if http_status == 401:
        return AuthenticationError
    if http_status == 403:
        return CsrfTokenError if "csrf" in server_message.lower() else ForbiddenError
    if http_status == 404:
        return NotFoundError
    if http_status >= 500:
        return InternalServerError
    return GwsApiError


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SERVER_TEXT else text[: _MAX_SERVER_TEXT - 3] + "..."


def _read_status(body: Any, text: str) -> tuple[int | None, bool, str]:
    """The GWS status code, whether the body says it failed, and the server's message."""
    status_code: int | None = None
    message = ""
    failed = False
    if isinstance(body, dict):
        if "statusCode" in body:
            status_code = _as_int(body["statusCode"])
            failed = status_code != 0
            message = str(body.get("statusMessage") or "")
        elif "status" in body:
            status = body["status"]
            number = _as_int(status)
            if number is not None:
                status_code = number
                failed = number != 0
                message = str(body.get("description") or body.get("statusMessage") or "")
            elif isinstance(status, str) and status.lower() == "error":
                failed = True
                message = str(body.get("errorDescription") or body.get("description") or "")
            elif not (isinstance(status, str) and status.lower() == "ok"):
                failed = True
                message = f"unknown status {status!r}"
        for key in ("statusMessage", "errorDescription", "description", "message", "error"):
            if not message and isinstance(body.get(key), str):
                message = body[key]
    elif body is None and text:
        message = _TAG.sub(" ", text)
    return status_code, failed, _clip(message)


def _error_class(
    http_status: int, body: Any, status_code: int | None, failed: bool, message: str
) -> type[GwsApiError] | None:
    if http_status >= 400 or (http_status >= 300 and body is None):
        cls = _by_http_status(http_status, message)
        if http_status not in (401, 403):
            # The body's statusCode is more precise than the HTTP status.
            cls = _BY_STATUS_CODE.get(status_code or -1, cls)
        return cls
    if failed:
        return _BY_STATUS_CODE.get(status_code or -1, GwsApiError)
    return None


def error_from_response(
    method: str,
    path: str,
    http_status: int,
    body: Any,
    text: str = "",
    *,
    operation: str | None = None,
) -> GwsApiError | None:
    """Map one HTTP answer to the error it means, or ``None`` for a success.

    Understands the three response styles of the spec: ``statusCode``, ``status`` text
    (``"ok"`` / ``"error"``) and ``status`` number. ``body`` is the decoded JSON (or
    ``None`` when the body was not JSON, in which case ``text`` is the raw body).
    """
    status_code, failed, message = _read_status(body, text)
    cls = _error_class(http_status, body, status_code, failed, message)
    if cls is not None:
        return cls(
            method,
            path,
            http_status,
            operation=operation,
            status_code=status_code,
            server_message=message,
            body=body,
        )
    if body is None or not isinstance(body, dict):
        shape = "not JSON" if body is None else f"a JSON {type(body).__name__}, not an object"
        snippet = f" ({message})" if message else ""
        return InvalidResponseError(
            method,
            path,
            http_status,
            operation=operation,
            server_message=f"the answer is {shape}{snippet}",
            body=body,
        )
    return None


def connection_error(
    method: str, path: str, exc: BaseException, timeout: float | None
) -> GwsConnectionError:
    """The error for a request that got no answer: :class:`GwsTimeoutError` for a timeout,
    else :class:`GwsConnectionError` naming what failed (``exc`` from aiohttp or asyncio).

    ``exc`` becomes the new error's ``__cause__``/``__context__`` (``raise ... from exc``),
    so it is first cleaned, with every error reachable from it, by :func:`scrub_credentials`.
    """
    scrub_credentials(exc)
    if isinstance(exc, asyncio.TimeoutError):
        waited = f"within {timeout:g} s" if timeout is not None else "in time"
        return GwsTimeoutError(method, path, f"no answer {waited}")
    reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
    return GwsConnectionError(method, path, reason)


def scrub_credentials(exc: BaseException) -> None:
    """Remove, in place, what may carry a credential from ``exc`` and from every error
    reachable from it (its ``__cause__``, ``__context__``, and the errors in its args and
    attributes): aiohttp keeps the request's headers (``Authorization``, ``Cookie``, the
    CSRF token), the redirect history and the answer's headers (``Set-Cookie``) on its
    errors, and a proxy's credentials in its connection key. Type and message are kept."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        err = todo.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        for name, value in list(vars(err).items()):
            clean = _scrubbed(value)
            if clean is not value:
                setattr(err, name, clean)
        args = tuple(_scrubbed(arg) for arg in err.args)
        if any(a is not b for a, b in zip(args, err.args, strict=True)):
            err.args = args
        todo += [v for v in (*err.args, *vars(err).values()) if isinstance(v, BaseException)]
        todo += [e for e in (err.__cause__, err.__context__) if e is not None]


def _scrubbed(value: Any) -> Any:
    """``value`` without credentials: headers and responses go, URLs lose their user info."""
    if value is None or isinstance(value, (str, int, float, bytes, BaseException)):
        return value
    if isinstance(value, aiohttp.RequestInfo):
        return aiohttp.RequestInfo(
            _scrubbed(value.url), value.method, CIMultiDictProxy(CIMultiDict()),
            _scrubbed(value.real_url),
        )  # fmt: skip
    if isinstance(value, URL):
        return value.with_user(None)
    if isinstance(value, ConnectionKey):
        return value._replace(proxy=_scrubbed(value.proxy), proxy_auth=None)
    if isinstance(value, (aiohttp.ClientResponse, Mapping)) or hasattr(value, "headers"):
        return None  # responses, header maps and parsed answers (RawResponseMessage)
    if isinstance(value, (tuple, list)):
        kept = [_scrubbed(item) for item in value if not isinstance(item, aiohttp.ClientResponse)]
        return type(value)(kept) if isinstance(value, list) or type(value) is tuple else value
    return value
