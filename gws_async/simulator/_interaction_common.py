"""What the interaction sections share: answer styles, the interaction as notified, and the
checks the operations make.

Notifications go to ``/v2/me/interactions`` as ``InteractionStateMessage``. Every operation
that publishes one answers with a ``referenceId`` that the notification repeats, so
clients can match them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ._common import (
    TOPIC_INTERACTIONS,
    OperationCall,
    OperationHandler,
    SimContext,
    StatusError,
    fail,
)
from ._render import interaction_resource
from ._state import SimAgent, SimInteraction, utcnow

__all__ = [
    "ME_INTERACTION",
    "agent_chat_id",
    "chat_event",
    "check_media",
    "check_owned",
    "check_participant",
    "end",
    "find_agent",
    "interaction_of",
    "invite",
    "lookup",
    "message_of",
    "notify",
    "ok",
    "participants",
    "required_string",
    "resource_of",
    "status_text",
    "visible",
]

#: The operation table of ``POST /me/interactions/{id}``.
ME_INTERACTION = "/me/interactions/{id}"
# What an e-mail draft (ReplyCreated) allows, instead of the inbound e-mail's capabilities.
_REPLY_CAPABILITIES = ["Cancel", "Send", "PlaceInWorkbin", "UpdateProperties", "LinkAttachment"]
# The e-mail keys of the operation pages (PascalCase) -> those of the Interaction
# Notifications page's sample (camelCase).
_CAMEL_CASE = {
    "ToAddress": "toAddress",
    "FromAddress": "fromAddress",
    "ReplyToAddress": "replyToAddress",
    "CCAddresses": "ccAddresses",
    "BCCAddress": "bccAddress",
    "Subject": "subject",
    "Text": "text",
    "StructuredText": "structuredText",
    "MimeType": "mimeType",
    "StructuredTextMimeType": "structuredTextMimeType",
    "TheComment": "theComment",
    "ContactID": "contactId",
}

# -- answer styles --------------------------------------------------------------------------


def status_text(handler: OperationHandler) -> OperationHandler:
    """Failures as ``{"status": "error", "errorDescription"}`` (plus the statusCode)."""

    async def wrapped(call: OperationCall) -> web.Response:
        try:
            return await handler(call)
        except StatusError as exc:
            return web.json_response(
                {
                    "status": "error",
                    "errorDescription": exc.message,
                    "statusCode": exc.status_code,
                }
            )

    return wrapped


def ok(reference_id: int, **extra: Any) -> web.Response:
    """The status text success: ``{"status": "ok", ...extra, "referenceId": N}``."""
    return web.json_response({"status": "ok", **extra, "referenceId": reference_id})


# -- rendering and notifications -------------------------------------------------------------


def resource_of(ctx: SimContext, interaction: SimInteraction) -> dict[str, Any]:
    """The interaction as the Interactions API shows it: an invited e-mail shows only its
    subject, a draft reply the draft's capabilities; an e-mail in the reading of the spec
    the simulator was configured with (``email_keys``, ``email_interaction_type``)."""
    resource = interaction_resource(interaction)
    if interaction.media != "email":
        return resource
    if interaction.state == "Invited":
        resource["email_object"] = {
            "subject": interaction.email.get("Subject"),
            "interactionId": interaction.id,
        }
    if interaction.state == "ReplyCreated":
        resource["capabilities"] = list(_REPLY_CAPABILITIES)
    if ctx.email_interaction_type == "Email":
        resource["interactionType"] = "Email"
    if ctx.email_keys == "camelCase":
        email = resource["email_object"]
        resource["email_object"] = {_CAMEL_CASE.get(k, k): v for k, v in email.items()}
    return resource


def message_of(ctx: SimContext, interaction: SimInteraction) -> dict[str, Any]:
    """The interaction as an ``InteractionStateMessage`` (without ``referenceId``): what
    ``/v2/me/interactions`` and ``GET /me/interactions?fields=*`` show."""
    return {"messageType": "InteractionStateMessage", **resource_of(ctx, interaction)}


def notify(
    ctx: SimContext,
    username: str,
    interaction: SimInteraction,
    *,
    reference_id: int | None,
    state: str | None = None,
    chat: list[dict[str, Any]] | None = None,
) -> None:
    """``InteractionStateMessage`` to ``username``, with ``state`` and ``chat`` events
    overriding or adding to the interaction's own."""
    data = message_of(ctx, interaction)
    if state is not None:
        data["state"] = state
        if state in ("Revoked", "Sent", "LeftConference"):
            data["capabilities"] = []
    if chat is not None:
        data["chat_notifications"] = chat
    if reference_id is not None:
        data["referenceId"] = reference_id
    ctx.publish(username, TOPIC_INTERACTIONS, data)


def end(ctx: SimContext, interaction: SimInteraction, agent: SimAgent) -> web.Response:
    """The interaction ends (StopProcessing, a cancelled draft): gone, Revoked sent."""
    del ctx.state.interactions[interaction.id]
    interaction.owner = None
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, interaction, reference_id=reference_id, state="Revoked")
    return ok(reference_id)


def invite(interaction: SimInteraction, username: str) -> None:
    """Offer the interaction to ``username`` (``Invited``); the inactivity period after
    which an unanswered invitation is Revoked starts now."""
    interaction.owner = username
    interaction.state = "Invited"
    interaction.invited_at = utcnow()


def participants(interaction: SimInteraction) -> list[str]:
    """The agents in the interaction: owner, conference parties, consulted agent."""
    names = [interaction.owner or "", *interaction.conference, interaction.consultation or ""]
    return [name for name in dict.fromkeys(names) if name]


def chat_event(
    interaction: SimInteraction,
    message_type: str,
    *,
    user_id: str,
    user_type: str | None,
    text: str | None = None,
    nickname: str | None = None,
    visibility: str = "All",
    keep: bool = True,
) -> dict[str, Any]:
    """The next chat event of the interaction, kept in its transcript unless ``keep`` is
    false (typing notifications)."""
    interaction.chat_event_id += 1
    event = {
        "EventId": interaction.chat_event_id,
        "NoticeText": None,
        "NoticeType": None,
        "MessageText": text,
        "UserId": user_id,
        "MessageType": message_type,
        "UserType": user_type,
        "Visibility": visibility,
        "NickName": nickname,
    }
    if keep:
        interaction.transcript.append(event)
    return event


def agent_chat_id(agent: SimAgent) -> str:
    """The agent's ``UserId`` in chat events."""
    return agent.user_id[:16].upper()


# -- lookups ------------------------------------------------------------------------------------


def lookup(ctx: SimContext, interaction_id: str) -> SimInteraction:
    """The interaction ``interaction_id`` (``statusCode 6`` if there is none)."""
    interaction = ctx.state.interactions.get(interaction_id)
    if interaction is None:
        fail(6, f"Interaction {interaction_id} not found")
    return interaction


def visible(ctx: SimContext, agent: SimAgent, interaction_id: str) -> SimInteraction:
    """The interaction ``interaction_id`` if ``agent`` may see it; someone else's answers
    exactly like an unknown one (``statusCode 6``), so its existence does not leak."""
    interaction = ctx.state.interactions.get(interaction_id)
    if interaction is None or not ctx.state.can_see(agent, interaction):
        fail(6, f"Interaction {interaction_id} not found")
    return interaction


def interaction_of(call: OperationCall) -> SimInteraction:
    """The interaction named by the operation's path."""
    return lookup(call.ctx, call.path_param("interaction_id"))


def check_owned(interaction: SimInteraction, agent: SimAgent, *states: str) -> None:
    """The agent owns the interaction (accepted, not just invited), in one of ``states``."""
    if interaction.owner != agent.username or interaction.state == "Invited":
        fail(2, f"Interaction {interaction.id} is not owned by {agent.username}")
    if states and interaction.state not in states:
        fail(2, f"Interaction {interaction.id} is {interaction.state}, not {'/'.join(states)}")


def check_participant(interaction: SimInteraction, agent: SimAgent) -> None:
    """The agent is one of the interaction's :func:`participants`."""
    if interaction.state == "Invited" or agent.username not in participants(interaction):
        fail(2, f"{agent.username} is not a party of interaction {interaction.id}")


def check_media(interaction: SimInteraction, media: str, operation: str) -> None:
    """``operation`` applies only to ``media`` interactions."""
    if interaction.media != media:
        fail(2, f"{operation} does not apply to {interaction.media} interaction {interaction.id}")


def required_string(body: Mapping[str, Any], key: str) -> str:
    """``body[key]``, a non-blank string (``statusCode 1`` otherwise)."""
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        fail(1, f"{key} is required")
    return value


def find_agent(ctx: SimContext, identifier: str) -> SimAgent:
    """The agent by user name, user id or employee id."""
    for agent in ctx.state.agents.values():
        if identifier in (agent.username, agent.user_id, agent.employee_id):
            return agent
    raise StatusError(6, f"Agent {identifier} not found")
