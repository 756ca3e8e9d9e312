"""What every resource namespace shares: path escaping and the three ways a resource
talks to the server (send an operation, read a collection, read one item)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from .._base import GwsModel
from ..results import OperationResult
from ._query import parse_items, parse_one, parse_uris

if TYPE_CHECKING:
    from .._transport import Transport

__all__ = ["Resource", "segment"]

M = TypeVar("M", bound=GwsModel)

# RFC 3986 "pchar" minus what would change the path's meaning ('/', '?', '#', '%').
_SAFE = "!$&'()*+,;=:@"


def segment(value: str, name: str = "id") -> str:
    """Escape one path segment, refusing empty values before anything is sent.

    Workbin ids are base64 and may contain ``/`` or ``+``; they must not split the path.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} is empty")
    return quote(value, safe=_SAFE)


class Resource:
    """A namespace of operations sent through one transport."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

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
        return OperationResult.model_validate(answer)

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
        return parse_items(body, key, model)

    async def _uris(
        self, path: str, *, operation: str, params: Mapping[str, str] | None = None
    ) -> list[str]:
        """``GET`` a collection without ``fields`` and return its ``uris``."""
        body = await self._transport.request("GET", path, params=params, operation=operation)
        return parse_uris(body)

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
        return parse_one(body, key, model)
