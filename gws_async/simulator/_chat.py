"""Chat: customer chats, messages, typing notifications, the transcript and chat
consultations (spec section "Chat").

Chat operations answer ``{"statusCode": 0, "referenceId": N}``; the consultation ones
``{"status": 0, "referenceId": N}`` and, on failure, ``{"status": N, "description"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ._common import OperationCall, OperationHandler, SimContext, StatusError, fail
from ._interaction_common import (
    ME_INTERACTION,
    agent_chat_id,
    chat_event,
    check_media,
    check_owned,
    check_participant,
    find_agent,
    interaction_of,
    invite,
    notify,
    participants,
    required_string,
)
from ._state import SimInteraction

__all__ = ["customer_says", "offer_chat", "setup"]

_TYPING = {"TypingStarted": "TYPING_STARTED", "TypingStopped": "TYPING_STOPPED"}


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the chat operations to the ``/me/interactions/{id}`` operation table."""
    table = ctx.table(ME_INTERACTION)
    for operation, handler in _CHAT_OPERATIONS.items():
        table.add(handler, operation)
    for operation, handler in _CONSULTATION_OPERATIONS.items():
        table.add(_status_number(handler), operation)


def _status_number(handler: OperationHandler) -> OperationHandler:
    """Failures as ``{"status": N, "description"}``."""

    async def wrapped(call: OperationCall) -> web.Response:
        try:
            return await handler(call)
        except StatusError as exc:
            return web.json_response({"status": exc.status_code, "description": exc.message})

    return wrapped


def _customer_chat_id(interaction: SimInteraction) -> str:
    return ("C" + interaction.id)[:16].upper()


def offer_chat(
    ctx: SimContext,
    username: str,
    *,
    nickname: str,
    message: str | None,
    user_data: Mapping[str, Any] | None = None,
) -> str:
    """A chat from a customer, offered (``Invited``) to ``username``."""
    ctx.state.agent(username)
    interaction = ctx.state.add_interaction(
        media="chat",
        state="Invited",
        user_data=user_data,
        interaction_id=None,
        queue="SimpleChatInQueue",
    )
    invite(interaction, username)
    customer = _customer_chat_id(interaction)
    chat_event(interaction, "PARTY_JOINED", user_id=customer, user_type="Client", nickname=nickname)
    if message:
        chat_event(interaction, "NEW_MESSAGE", user_id=customer, user_type=None, text=message)
    notify(ctx, username, interaction, reference_id=None)
    return interaction.id


def customer_says(ctx: SimContext, interaction_id: str, text: str) -> None:
    """A NEW_MESSAGE from the customer of a chat, sent to the agents in it."""
    interaction = ctx.state.interactions[interaction_id]
    if interaction.media != "chat":
        raise ValueError(f"interaction {interaction_id} is not a chat")
    event = chat_event(
        interaction,
        "NEW_MESSAGE",
        user_id=_customer_chat_id(interaction),
        user_type=None,
        text=text,
    )
    if interaction.state != "Invited":
        for username in participants(interaction):
            notify(ctx, username, interaction, reference_id=None, chat=[event])


def _chat(call: OperationCall) -> SimInteraction:
    interaction = interaction_of(call)
    check_media(interaction, "chat", call.operation)
    check_participant(interaction, call.agent)
    return interaction


def _broadcast(
    ctx: SimContext, interaction: SimInteraction, events: list[dict[str, Any]]
) -> web.Response:
    reference_id = ctx.state.next_reference_id()
    for username in participants(interaction):
        notify(ctx, username, interaction, reference_id=reference_id, chat=events)
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


async def _send_message(call: OperationCall) -> web.Response:
    """SendMessage: ``text``, a NEW_MESSAGE from the agent to every party."""
    text = call.body.get("text")
    if not isinstance(text, str) or not text:
        fail(1, "text is required")
    interaction = _chat(call)
    event = chat_event(
        interaction, "NEW_MESSAGE", user_id=agent_chat_id(call.agent), user_type="Agent", text=text
    )
    return _broadcast(call.ctx, interaction, [event])


async def _send_notification(call: OperationCall) -> web.Response:
    """SendNotification: ``notification`` TypingStarted or TypingStopped (not kept)."""
    notification = call.body.get("notification")
    if notification not in _TYPING:
        fail(1, f"notification must be one of {', '.join(_TYPING)}")
    interaction = _chat(call)
    event = chat_event(
        interaction,
        _TYPING[notification],
        user_id=agent_chat_id(call.agent),
        user_type="Agent",
        keep=False,
    )
    return _broadcast(call.ctx, interaction, [event])


async def _request_chat_history(call: OperationCall) -> web.Response:
    """RequestChatHistory: the transcript from ``eventId`` (optional) on, to the caller."""
    ctx, agent = call.ctx, call.agent
    raw = call.body.get("eventId", 0)
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        fail(1, "eventId must be a non-negative integer")
    interaction = _chat(call)
    events = [e for e in interaction.transcript if e["EventId"] >= raw]
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, interaction, reference_id=reference_id, chat=events)
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


async def _start_consultation(call: OperationCall) -> web.Response:
    """StartChatConsultation: ``agentId`` joins the chat with internal visibility."""
    ctx, agent = call.ctx, call.agent
    agent_id = required_string(call.body, "agentId")
    interaction = interaction_of(call)
    check_media(interaction, "chat", call.operation)
    check_owned(interaction, agent, "Accepted")
    if interaction.consultation is not None:
        fail(2, f"a consultation is already running on {interaction.id}")
    target = find_agent(ctx, agent_id)
    if target.username in participants(interaction):
        fail(2, f"{target.username} is already in chat {interaction.id}")
    interaction.consultation = target.username
    event = chat_event(
        interaction,
        "PARTY_JOINED",
        user_id=agent_chat_id(target),
        user_type="Agent",
        nickname=target.first_name,
        visibility="Int",
    )
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, interaction, reference_id=reference_id, chat=[event])
    notify(
        ctx,
        target.username,
        interaction,
        reference_id=reference_id,
        state="InvitedConsultation",
        chat=list(interaction.transcript),
    )
    return web.json_response({"status": 0, "referenceId": reference_id})


def _consultant(call: OperationCall) -> tuple[SimInteraction, str]:
    interaction = interaction_of(call)
    check_media(interaction, "chat", call.operation)
    check_owned(interaction, call.agent, "Accepted")
    if interaction.consultation is None:
        fail(2, f"no consultation is running on {interaction.id}")
    return interaction, interaction.consultation


async def _complete_transfer(call: OperationCall) -> web.Response:
    """CompleteTransfer: the consulted agent becomes the owner; the caller leaves."""
    ctx, agent = call.ctx, call.agent
    interaction, consultant = _consultant(call)
    event = chat_event(interaction, "PARTY_LEFT", user_id=agent_chat_id(agent), user_type="Agent")
    interaction.owner = consultant
    interaction.consultation = None
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, interaction, reference_id=reference_id, state="Revoked")
    notify(ctx, consultant, interaction, reference_id=reference_id, chat=[event])
    return web.json_response({"status": 0, "referenceId": reference_id})


async def _leave_consultation(call: OperationCall) -> web.Response:
    """LeaveChatConsultation (the spec's CompleteConference): the consulted agent stays in
    the chat as a conference party."""
    ctx, agent = call.ctx, call.agent
    interaction, consultant = _consultant(call)
    interaction.consultation = None
    interaction.conference.append(consultant)
    reference_id = ctx.state.next_reference_id()
    for username in (agent.username, consultant):
        notify(ctx, username, interaction, reference_id=reference_id)
    return web.json_response({"status": 0, "referenceId": reference_id})


_CHAT_OPERATIONS: dict[str, OperationHandler] = {
    "SendMessage": _send_message,
    "SendNotification": _send_notification,
    "RequestChatHistory": _request_chat_history,
}
_CONSULTATION_OPERATIONS: dict[str, OperationHandler] = {
    "StartChatConsultation": _start_consultation,
    "CompleteTransfer": _complete_transfer,
    "LeaveChatConsultation": _leave_consultation,
}
