"""What every resource namespace shares: path escaping and the three ways a resource
talks to the server (send an operation, read a collection, read one item)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, unquote

from yarl import URL

from .._base import GwsModel
from .._exceptions import InvalidResponseError
from ..results import OperationResult
from ._query import AnswerShapeError, parse_items, parse_one, parse_uris, validated

if TYPE_CHECKING:
    from .._transport import Transport

__all__ = ["Resource", "segment"]

M = TypeVar("M", bound=GwsModel)
T = TypeVar("T")

# RFC 3986 "pchar" minus what would change the path's meaning ('/', '?', '#', '%').
_SAFE = "!$&'()*+,;=:@"
# How many rounds of percent-decoding a proxy chain in front of GWS may apply.
_DECODINGS = 3


def _has_dot_segment(value: str) -> bool:
    """Whether ``value`` is, or becomes on the way, a ``.`` / ``..`` path segment.

    Servers and proxies decode ``%2E`` and ``%2F`` (some more than once), fold fullwidth
    dots (NFKC) and split on ``\\`` as well as ``/``: escaping cannot keep such an id
    from walking the path, so it is refused.
    """
    text = value
    for _ in range(_DECODINGS):
        text = unicodedata.normalize("NFKC", unquote(text))
    parts = text.replace("\\", "/").split("/")
    return any(part.strip() in (".", "..") for part in parts)


def segment(value: str, name: str = "id") -> str:
    """Escape one path segment, refusing empty values and dot segments before anything
    is sent.

    Workbin ids are base64 and may contain ``/`` or ``+``; they must not split the path.
    ``.`` and ``..`` (also percent-encoded, fullwidth, or as a part between slashes) raise
    :class:`ValueError`: servers normalise them away, so ``workbins/../interactions``
    would reach another resource. Base64 and GWS ids never contain them.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} is empty")
    if _has_dot_segment(value):
        raise ValueError(f"{name} is or contains a dot segment ('.' or '..'): {value!r}")
    return quote(value, safe=_SAFE)


class Resource:
    """A namespace of operations sent through one transport.

    Every answer is read into its result model here: one that does not fit raises
    :class:`~gws_async.InvalidResponseError` naming the operation, method and path, with a
    short summary of what did not fit (never the answer itself).
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _read(
        self,
        parse: Callable[[], T],
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, str] | None = None,
    ) -> T:
        """``parse()``, or :class:`InvalidResponseError` when the answer does not fit."""
        try:
            return parse()
        except AnswerShapeError as exc:
            summary = exc.summary
        # The path as the transport shows it in its own errors.
        query = f"?{URL('/').with_query(params).query_string}" if params else ""
        # Raised outside the except block, so nothing of the answer rides in its context.
        # The transport hands back only successful answers, and GWS sends those as 200.
        raise InvalidResponseError(
            method.upper(),
            f"{self._transport.api_root}{path}{query}",
            200,
            operation=operation,
            server_message=summary,
        )

    async def _perform(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> OperationResult:
        """Send an operation and return the server's answer as an :class:`OperationResult`."""
        answer = await self._transport.request(
            method, path, params=params, json_body=json_body, operation=operation
        )
        return self._read(
            lambda: validated(OperationResult, answer),
            method,
            path,
            operation=operation,
            params=params,
        )

    async def _list(
        self,
        path: str,
        key: str,
        model: type[M],
        *,
        operation: str,
        params: Mapping[str, str] | None = None,
    ) -> list[M]:
        """``GET`` a collection and return its ``key`` items as ``model``s."""
        body = await self._transport.request("GET", path, params=params, operation=operation)
        return self._read(
            lambda: parse_items(body, key, model), "GET", path, operation=operation, params=params
        )

    async def _uris(
        self, path: str, *, operation: str, params: Mapping[str, str] | None = None
    ) -> list[str]:
        """``GET`` a collection without ``fields`` and return its ``uris``."""
        body = await self._transport.request("GET", path, params=params, operation=operation)
        return self._read(lambda: parse_uris(body), "GET", path, operation=operation, params=params)

    async def _one(
        self,
        path: str,
        key: str,
        model: type[M],
        *,
        operation: str,
        params: Mapping[str, str] | None = None,
    ) -> M:
        """``GET`` one resource, wrapped in ``{"<key>": {...}}`` or not, as a ``model``."""
        body = await self._transport.request("GET", path, params=params, operation=operation)
        return self._read(
            lambda: parse_one(body, key, model), "GET", path, operation=operation, params=params
        )
