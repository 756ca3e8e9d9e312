"""Limits on what a server may make the client hold: the size of one answer's body."""

from __future__ import annotations

from typing import Final

import aiohttp

from ._exceptions import ResponseTooLargeError

__all__ = ["DEFAULT_MAX_RESPONSE_SIZE", "read_body"]

#: The largest decoded (decompressed) answer body accepted, REST or Bayeux: GWS answers are
#: kilobytes to a few megabytes; 32 MiB leaves room without letting a server exhaust memory.
DEFAULT_MAX_RESPONSE_SIZE: Final = 32 * 1024 * 1024

_CHUNK: Final = 64 * 1024


async def read_body(
    resp: aiohttp.ClientResponse,
    limit: int,
    method: str,
    path: str,
    *,
    operation: str | None = None,
) -> bytes:
    """Read an answer's body, refusing one whose decoded size exceeds ``limit`` bytes.

    ``Content-Length`` counts the compressed bytes, so it is trusted only for an answer
    without ``Content-Encoding``; anything else is read in chunks and counted as it is
    decompressed, so that a small gzip bomb or an endless body stops at the limit.
    """
    length = resp.content_length
    if length is not None and length > limit:
        raise _too_large(method, path, resp.status, limit, operation)
    if length is not None and not resp.headers.get("Content-Encoding"):
        return await resp.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(method, path, resp.status, limit, operation)
        chunks.append(chunk)
    body = b"".join(chunks)
    # The stream is consumed: let a later resp.read() return the body, as aiohttp's own
    # read() would have cached it.
    resp._body = body
    return body


def _too_large(
    method: str, path: str, status: int, limit: int, operation: str | None
) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        method,
        path,
        status,
        operation=operation,
        server_message=f"the answer is larger than {limit} bytes (max_response_size)",
    )
