"""E-mail: inbound e-mails, replies, forwards, sending and new outbound e-mails (spec
section "E-mail"). Operations answer in the status text style (``{"status": "ok"}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ._common import OperationCall, OperationHandler, SimContext, StatusError, fail
from ._interaction_common import (
    ME_INTERACTION,
    check_media,
    check_owned,
    end,
    interaction_of,
    invite,
    notify,
    ok,
    required_string,
    status_text,
)
from ._state import SimAgent, SimInteraction, utcnow

__all__ = ["deliver_email", "setup"]

# email_object keys of Send (camelCase) -> the stored PascalCase keys of the samples.
_SEND_KEYS = {
    "toAddress": "ToAddress",
    "fromAddress": "FromAddress",
    "ccAddress": "CCAddresses",
    "bccAddress": "BCCAddress",
    "subject": "Subject",
    "text": "Text",
}


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the e-mail operations to the ``/me/interactions`` operation tables."""
    table = ctx.table(ME_INTERACTION)
    for operation, handler in _EMAIL_OPERATIONS.items():
        table.add(status_text(handler), operation)
    ctx.table("/me/interactions").add(status_text(_create_email), "CreateEmail")


def deliver_email(
    ctx: SimContext,
    username: str,
    *,
    subject: str,
    text: str,
    from_address: str,
    to_address: str,
    user_data: Mapping[str, Any] | None = None,
) -> str:
    """An inbound e-mail offered (``Invited``) to ``username``; ``user_data`` is attached
    beside ``Subject``, ``FromAddress`` and ``To``."""
    ctx.state.agent(username)
    interaction = ctx.state.add_interaction(
        media="email",
        state="Invited",
        user_data={
            **(user_data or {}),
            "Subject": subject,
            "FromAddress": from_address,
            "To": to_address,
        },
        interaction_id=None,
        queue="SimpleEmailInQueue",
    )
    invite(interaction, username)
    interaction.email = {
        "ToAddress": to_address,
        "FromAddress": from_address,
        "Subject": subject,
        "Text": text,
        "MimeType": "text/plain",
    }
    notify(ctx, username, interaction, reference_id=None)
    return interaction.id


def _flag(body: Mapping[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise StatusError(1, f"{key} must be true or false")


def _outbound(
    ctx: SimContext,
    agent: SimAgent,
    *,
    queue: str,
    subtype: str,
    email: dict[str, Any],
    parent: SimInteraction | None,
    interaction_type: str = "Outbound",
) -> SimInteraction:
    interaction = ctx.state.add_interaction(
        media="email",
        state="ReplyCreated",
        user_data=dict(parent.user_data) if parent is not None else None,
        interaction_id=None,
        queue=queue,
    )
    interaction.owner = agent.username
    interaction.assigned_at = utcnow()
    interaction.interaction_type = interaction_type
    interaction.interaction_subtype = subtype
    interaction.parent_id = parent.id if parent is not None else None
    interaction.email = {"MimeType": "text/plain", **email}
    return interaction


def _quoted(original: str, start_line: str | None, indent: str | None) -> str:
    lines = [f"{indent}{line}" if indent else line for line in original.splitlines()]
    return "\n".join([start_line, *lines] if start_line else lines)


async def _reply(call: OperationCall) -> web.Response:
    """Reply / ReplyAll: a ReplyCreated outbound e-mail, named by ``replyInteractionId``."""
    ctx, agent, body = call.ctx, call.agent, call.body
    original = interaction_of(call)
    check_media(original, "email", call.operation)
    check_owned(original, agent, "Accepted")
    queue = required_string(body, "queueName")
    for key in ("subjectPrefix", "replyToStartLine", "indentCharacter"):
        if body.get(key) is not None and not isinstance(body[key], str):
            fail(1, f"{key} must be a string")
    reply_all = call.operation == "ReplyAll"
    quote_original = _flag(body, "quoteOriginal", reply_all)
    source = original.email
    email: dict[str, Any] = {
        "ToAddress": source.get("ReplyToAddress") or source.get("FromAddress"),
        "FromAddress": source.get("ToAddress"),
        "Subject": (body.get("subjectPrefix") or "") + (source.get("Subject") or ""),
        "Text": _quoted(
            source.get("Text") or "", body.get("replyToStartLine"), body.get("indentCharacter")
        )
        if quote_original
        else "",
    }
    if reply_all and source.get("CCAddresses"):
        email["CCAddresses"] = source["CCAddresses"]
    reply = _outbound(
        ctx, agent, queue=queue, subtype="OutboundReply", email=email, parent=original
    )
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, reply, reference_id=reference_id)
    return ok(reference_id, replyInteractionId=reply.id)


async def _forward(call: OperationCall) -> web.Response:
    """Forward: an outbound copy (ReplyCreated) the agent addresses before sending it."""
    ctx, agent = call.ctx, call.agent
    original = interaction_of(call)
    check_media(original, "email", call.operation)
    check_owned(original, agent, "Accepted")
    source = original.email
    email = {
        "FromAddress": source.get("ToAddress"),
        "Subject": "Fwd: " + (source.get("Subject") or ""),
        "Text": source.get("Text") or "",
    }
    copy = _outbound(
        ctx, agent, queue=original.queue, subtype="OutboundNew", email=email, parent=original
    )
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, copy, reference_id=reference_id)
    return ok(reference_id, replyInteractionId=copy.id)


async def _send(call: OperationCall) -> web.Response:
    """Send: ``queueName`` and ``email_object``; the e-mail leaves the agent (state Sent)."""
    ctx, agent, body = call.ctx, call.agent, call.body
    queue = required_string(body, "queueName")
    email = body.get("email_object")
    if not isinstance(email, dict):
        fail(1, "email_object is required")
    required_string(email, "toAddress")
    interaction = interaction_of(call)
    check_media(interaction, "email", call.operation)
    check_owned(interaction, agent, "ReplyCreated")
    for key, value in email.items():
        if key in _SEND_KEYS and value is not None:
            interaction.email[_SEND_KEYS[key]] = value
    interaction.owner = None
    interaction.state = "Sent"
    interaction.queue = queue
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, interaction, reference_id=reference_id)
    return ok(reference_id)


async def _cancel_reply(call: OperationCall) -> web.Response:
    """CancelReplyEmail: the draft reply is dropped."""
    ctx, agent = call.ctx, call.agent
    interaction = interaction_of(call)
    check_media(interaction, "email", call.operation)
    check_owned(interaction, agent, "ReplyCreated")
    return end(ctx, interaction, agent)


async def _create_email(call: OperationCall) -> web.Response:
    """CreateEmail on ``POST /me/interactions``: a new outbound e-mail, ReplyCreated."""
    ctx, agent, body = call.ctx, call.agent, call.body
    queue = required_string(body, "queueName")
    kinds = {}
    for key, default in (("interactionType", "Outbound"), ("interactionSubType", "OutboundNew")):
        value = body.get(key, default)
        if not isinstance(value, str) or not value:
            fail(1, f"{key} must be a non-empty string")
        kinds[key] = value
    email = _outbound(
        ctx,
        agent,
        queue=queue,
        subtype=kinds["interactionSubType"],
        interaction_type=kinds["interactionType"],
        email={},
        parent=None,
    )
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, email, reference_id=reference_id)
    return ok(reference_id)


_EMAIL_OPERATIONS: dict[str, OperationHandler] = {
    "Reply": _reply,
    "ReplyAll": _reply,
    "Forward": _forward,
    "Send": _send,
    "CancelReplyEmail": _cancel_reply,
}
