"""Attachments of an interaction: upload, download and delete (spec section "E-mail",
``/me/interactions/{id}/attachments``).

An upload is read in chunks and refused past ``SimContext.max_attachment_size`` bytes
(``DEFAULT_MAX_ATTACHMENT_SIZE``, 16 MiB, unless the simulator was given another), so that one
request cannot fill the memory. The spec names no limit nor its answer; the simulator says
HTTP 413 with ``statusCode 2``, like an over-long value.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import BodyPartReader, web

from ._common import CONTEXT, SimContext, StatusError, current_agent, fail
from ._interaction_common import check_participant, visible
from ._state import SimInteraction

__all__ = ["setup"]

# Room for the multipart boundaries and part headers around the file itself.
_MULTIPART_OVERHEAD = 64 * 1024


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the attachment routes."""
    root = ctx.api_root
    attachments = f"{root}/me/interactions/{{interaction_id}}/attachments"
    app.router.add_post(attachments, _add_attachment)
    app.router.add_get(attachments + "/{attachment_id}", _get_attachment)
    app.router.add_delete(attachments + "/{attachment_id}", _delete_attachment)


def _attachment_list(interaction: SimInteraction) -> list[dict[str, Any]]:
    return [
        {"id": doc_id, "name": name, "size": len(data), "mimetype": mime}
        for doc_id, (name, mime, data) in interaction.attachments.items()
    ]


def _too_large(limit: int) -> StatusError:
    return StatusError(2, f"Attachment larger than {limit} bytes", http_status=413)


async def _read_file(part: BodyPartReader, limit: int) -> bytes:
    # In chunks, counting: the upload may exceed the app's client_max_size, and a huge
    # one must be refused before it is all in memory.
    data = bytearray()
    while chunk := await part.read_chunk():
        data.extend(chunk)
        if len(data) > limit:
            raise _too_large(limit)
    return bytes(data)


async def _add_attachment(request: web.Request) -> web.Response:
    """POST .../attachments: multipart, the file in the field ``attachment``."""
    ctx = request.app[CONTEXT]
    agent = current_agent(request)
    interaction = visible(ctx, agent, request.match_info["interaction_id"])
    check_participant(interaction, agent)
    if not request.content_type.startswith("multipart/"):
        fail(1, "attachment is required (multipart/form-data)")
    limit = ctx.max_attachment_size
    declared = request.content_length
    if declared is not None and declared > limit + _MULTIPART_OVERHEAD:
        raise _too_large(limit)
    reader = await request.multipart()
    found: tuple[str, str, bytes] | None = None
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader) and part.name == "attachment" and found is None:
            data = await _read_file(part, limit)
            mime = part.headers.get("Content-Type", "application/octet-stream")
            found = (part.filename or "attachment", mime, data)
        elif isinstance(part, BodyPartReader):
            await part.release()
    if found is None:
        fail(1, "attachment is required")
    document_id = "0000" + secrets.token_hex(6).upper()
    interaction.attachments[document_id] = found
    interaction.email["attachments"] = _attachment_list(interaction)
    return web.json_response({"statusCode": 0, "documentId": document_id})


def _attachment(request: web.Request) -> tuple[SimInteraction, str]:
    ctx = request.app[CONTEXT]
    agent = current_agent(request)
    interaction = visible(ctx, agent, request.match_info["interaction_id"])
    document_id = request.match_info["attachment_id"]
    if document_id not in interaction.attachments:
        fail(6, f"Attachment {document_id} not found")
    return interaction, document_id


async def _get_attachment(request: web.Request) -> web.Response:
    """GET .../attachments/{id}: the bytes, with their MIME type (for whoever may see the
    interaction)."""
    interaction, document_id = _attachment(request)
    name, mime, data = interaction.attachments[document_id]
    return web.Response(
        body=data,
        content_type=mime.split(";")[0].strip(),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _delete_attachment(request: web.Request) -> web.Response:
    """DELETE .../attachments/{id}."""
    agent = current_agent(request)
    interaction, document_id = _attachment(request)
    check_participant(interaction, agent)
    del interaction.attachments[document_id]
    interaction.email["attachments"] = _attachment_list(interaction)
    return web.json_response({"statusCode": 0})
