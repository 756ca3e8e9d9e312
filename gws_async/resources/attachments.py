"""Attachments of an interaction (spec section "Attachments API"): ``gws.interactions.attachments``.

An attachment is a document of one interaction (typically an e-mail). Uploads are
``multipart/form-data`` with the file in the field ``attachment``; downloads are the raw
bytes with their MIME type.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
from collections.abc import AsyncIterator, Mapping
from email.message import Message
from pathlib import Path
from typing import IO, Any

import aiohttp

from .._exceptions import ResponseTooLargeError
from .._limits import read_body
from ..results import AttachmentContent
from ._base import Resource, segment
from ._query import AnswerShapeError

__all__ = ["AttachmentsResource"]

_CHUNK = 64 * 1024


def _path(interaction_id: str, attachment_id: str | None = None) -> str:
    path = f"/me/interactions/{segment(interaction_id, 'interaction_id')}/attachments"
    if attachment_id is not None:
        path += f"/{segment(attachment_id, 'attachment_id')}"
    return path


def _file_name(disposition: str | None) -> str | None:
    if not disposition:
        return None
    message = Message()
    message["Content-Disposition"] = disposition
    name = message.get_filename()
    return str(name) if name else None


def _document_id(body: Mapping[str, Any]) -> str:
    document_id = body.get("documentId")
    if not isinstance(document_id, str) or not document_id:
        raise AnswerShapeError("the answer did not fit: no documentId (a non-empty string)")
    return document_id


def _already_read(resp: aiohttp.ClientResponse) -> bytes | None:
    # The transport reads a small JSON answer to see whether it is a failure; such an
    # attachment is then in aiohttp's body cache, and its stream is spent.
    body = resp._body
    return body if isinstance(body, bytes) else None


class _Limit:
    """``max_size`` of a streamed download (``None``: no limit) and the path it names."""

    def __init__(self, max_size: int | None, shown: str) -> None:
        self.max_size = max_size
        self.shown = shown

    def check(self, status: int, size: int) -> None:
        """:class:`ResponseTooLargeError` when ``size`` bytes are past ``max_size``."""
        if self.max_size is not None and size > self.max_size:
            raise ResponseTooLargeError(
                "GET",
                self.shown,
                status,
                operation="GetAttachment",
                server_message=f"the attachment is larger than {self.max_size} bytes (max_size)",
            )


async def _chunks(resp: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    cached = _already_read(resp)
    if cached is not None:
        yield cached
        return
    async for chunk in resp.content.iter_chunked(_CHUNK):
        yield chunk


async def _write(resp: aiohttp.ClientResponse, target: IO[bytes], limit: _Limit) -> None:
    size = 0
    async for chunk in _chunks(resp):
        size += len(chunk)
        limit.check(resp.status, size)
        await asyncio.to_thread(target.write, chunk)


async def _write_file(resp: aiohttp.ClientResponse, file: Path, limit: _Limit) -> None:
    opened = await asyncio.to_thread(file.open, "wb")
    try:
        await _write(resp, opened, limit)
    except BaseException:
        # A part of a file looks like a whole one: leave nothing behind.
        await asyncio.to_thread(opened.close)
        await asyncio.to_thread(file.unlink, missing_ok=True)
        raise
    await asyncio.to_thread(opened.close)


def _content(resp: aiohttp.ClientResponse, data: bytes) -> AttachmentContent:
    return AttachmentContent(
        data=data,
        mime_type=resp.content_type or None,
        file_name=_file_name(resp.headers.get("Content-Disposition")),
    )


class AttachmentsResource(Resource):
    """Upload, download and delete the attachments of an interaction."""

    async def upload(
        self,
        interaction_id: str,
        content: bytes | str | os.PathLike[str] | IO[bytes],
        *,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str:
        """Attach a file to an interaction and return its ``documentId``.

        ``content`` is the bytes themselves, a file path (``str`` or ``Path``, streamed
        from disk) or a binary file object. ``filename`` defaults to the path's name
        (required with bytes); ``content_type`` to a guess from the name.
        """
        path = _path(interaction_id)
        opened: IO[bytes] | None = None
        payload: Any
        if isinstance(content, (bytes, bytearray, memoryview)):
            payload = bytes(content)
        elif isinstance(content, (str, os.PathLike)):
            file = Path(content)
            if not await asyncio.to_thread(file.is_file):
                raise ValueError(f"no such file: {file}")
            filename = filename or file.name
            opened = await asyncio.to_thread(file.open, "rb")
            payload = opened
        elif hasattr(content, "read"):
            payload = content
            filename = filename or os.path.basename(str(getattr(content, "name", "") or ""))
        else:
            raise ValueError("content must be bytes, a file path or a binary file object")
        try:
            if not filename or not filename.strip():
                raise ValueError("filename is empty")
            form = aiohttp.FormData()
            form.add_field(
                "attachment",
                payload,
                filename=filename,
                content_type=content_type
                or mimetypes.guess_type(filename)[0]
                or "application/octet-stream",
            )
            body = await self._transport.request("POST", path, data=form, operation="AddAttachment")
        finally:
            if opened is not None:
                await asyncio.to_thread(opened.close)
        return self._read(lambda: _document_id(body), "POST", path, operation="AddAttachment")

    async def download(self, interaction_id: str, attachment_id: str) -> AttachmentContent:
        """An attachment's bytes, MIME type and file name (``GET .../attachments/{id}``).

        The whole attachment is held in memory, so it is capped like every answer at the
        client's ``max_response_size`` (32 MiB by default): a larger one raises
        :class:`~gws_async.ResponseTooLargeError`. For large files see :meth:`download_to`.
        """
        path = _path(interaction_id, attachment_id)
        shown = f"{self._transport.api_root}{path}"
        async with self._transport.request_raw("GET", path, operation="GetAttachment") as resp:
            data = _already_read(resp)
            if data is None:
                data = await read_body(
                    resp,
                    self._transport.max_response_size,
                    "GET",
                    shown,
                    operation="GetAttachment",
                )
            return _content(resp, data)

    async def download_to(
        self,
        interaction_id: str,
        attachment_id: str,
        destination: str | os.PathLike[str] | IO[bytes],
        *,
        max_size: int | None = None,
    ) -> AttachmentContent:
        """Stream an attachment into a file path or a binary file object, chunk by chunk.

        Returns the MIME type and file name; its ``data`` is empty (the bytes are in the
        destination). Only one chunk (64 KiB) is in memory at a time, so the size is not
        capped by ``max_response_size``; ``max_size`` (bytes, default ``None``: no limit)
        stops a download that grows larger with :class:`~gws_async.ResponseTooLargeError`.
        A path is written only once the download started successfully, and removed again
        if it fails part-way; a file object keeps what was written before the failure.
        """
        if max_size is not None and (
            isinstance(max_size, bool) or not isinstance(max_size, int) or max_size <= 0
        ):
            raise ValueError(f"max_size must be a positive number of bytes, got {max_size!r}")
        path = _path(interaction_id, attachment_id)
        limit = _Limit(max_size, f"{self._transport.api_root}{path}")
        async with self._transport.request_raw("GET", path, operation="GetAttachment") as resp:
            if not resp.headers.get("Content-Encoding"):  # else it counts compressed bytes
                limit.check(resp.status, resp.content_length or 0)
            if isinstance(destination, (str, os.PathLike)):
                await _write_file(resp, Path(destination), limit)
            else:
                await _write(resp, destination, limit)
            return _content(resp, b"")

    async def delete(self, interaction_id: str, attachment_id: str) -> None:
        """Delete an attachment (``DELETE .../attachments/{id}``)."""
        await self._transport.request(
            "DELETE", _path(interaction_id, attachment_id), operation="DeleteAttachment"
        )
