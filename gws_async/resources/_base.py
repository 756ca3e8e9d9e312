"""What every resource namespace shares."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from .._transport import Transport

__all__ = ["Resource", "segment"]

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
