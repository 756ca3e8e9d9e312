"""Attachments of an interaction (spec section "Attachments API"): ``gws.interactions.attachments``.

An attachment is a document of one interaction (typically an e-mail). Uploads are
``multipart/form-data`` with the file in the field ``attachment``; downloads are the raw
bytes with their MIME type.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
from email.message import Message
from pathlib import Path
from typing import IO, Any

import aiohttp

from ..results import AttachmentContent
from ._base import Resource, segment

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
        document_id = body.get("documentId")
        if not isinstance(document_id, str) or not document_id:
            raise ValueError(f"the server returned no documentId: {body!r}")
        return document_id

    async def download(self, interaction_id: str, attachment_id: str) -> AttachmentContent:
        """An attachment's bytes, MIME type and file name (``GET .../attachments/{id}``).
        For large files see :meth:`download_to`."""
        async with self._transport.request_raw(
            "GET", _path(interaction_id, attachment_id), operation="GetAttachment"
        ) as resp:
            return _content(resp, await resp.read())

    async def download_to(
        self,
        interaction_id: str,
        attachment_id: str,
        destination: str | os.PathLike[str] | IO[bytes],
    ) -> AttachmentContent:
        """Stream an attachment into a file path or a binary file object, chunk by chunk.

        Returns the MIME type and file name; its ``data`` is empty (the bytes are in the
        destination). A path is written only once the download started successfully.
        """
        async with self._transport.request_raw(
            "GET", _path(interaction_id, attachment_id), operation="GetAttachment"
        ) as resp:
            opened: IO[bytes] | None = None
            if isinstance(destination, (str, os.PathLike)):
                opened = await asyncio.to_thread(Path(destination).open, "wb")
                target: IO[bytes] = opened
            else:
                target = destination
            try:
                async for chunk in resp.content.iter_chunked(_CHUNK):
                    await asyncio.to_thread(target.write, chunk)
            finally:
                if opened is not None:
                    await asyncio.to_thread(opened.close)
            return _content(resp, b"")

    async def delete(self, interaction_id: str, attachment_id: str) -> None:
        """Delete an attachment (``DELETE .../attachments/{id}``)."""
        await self._transport.request(
            "DELETE", _path(interaction_id, attachment_id), operation="DeleteAttachment"
        )
