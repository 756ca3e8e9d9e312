"""Interactions API: operations on interactions of every media, e-mail, chat and attachments.

Notifications go to ``/v2/me/interactions`` as ``InteractionStateMessage``. Every operation
that publishes one answers with a ``referenceId`` that the notification repeats, so
clients can match them. Where the spec documents nothing for an agent losing an
interaction (Reject, StopProcessing, PlaceInQueue, Transfer, PlaceInWorkbin,
CancelReplyEmail), the simulator sends its documented ``Revoked`` state.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from ._common import (
    CONTEXT,
    TOPIC_INTERACTIONS,
    OperationCall,
    SimContext,
    StatusError,
    api_url,
    current_agent,
    fail,
    read_json_object,
    requested_fields,
    select_fields,
)
from ._render import interaction_resource
from ._state import SimAgent, SimInteraction, SimWorkbin, utcnow
from ._workbins import _place

__all__ = ["customer_says", "deliver_email", "offer_chat", "setup"]

_ME_INTERACTION = "/me/interactions/{id}"
_REPLY_CAPABILITIES = ["Cancel", "Send", "PlaceInWorkbin", "UpdateProperties", "LinkAttachment"]
_TYPING = {"TypingStarted": "TYPING_STARTED", "TypingStopped": "TYPING_STOPPED"}
# email_object keys of Send (camelCase) -> the stored PascalCase keys of the samples.
_SEND_KEYS = {
    "toAddress": "ToAddress",
    "fromAddress": "FromAddress",
    "ccAddress": "CCAddresses",
    "bccAddress": "BCCAddress",
    "subject": "Subject",
    "text": "Text",
}

Handler = Callable[[OperationCall], Awaitable[web.Response]]


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the interaction routes and operations."""
    root = ctx.api_root
    app.router.add_get(f"{root}/interactions", _get_interactions)
    app.router.add_get(f"{root}/interactions/{{interaction_id}}", _get_interaction)
    app.router.add_put(f"{root}/interactions/{{interaction_id}}", _put_interaction)
    app.router.add_post(f"{root}/me/interactions/{{interaction_id}}", _post_me_interaction)
    attachments = f"{root}/me/interactions/{{interaction_id}}/attachments"
    app.router.add_post(attachments, _add_attachment)
    app.router.add_get(attachments + "/{attachment_id}", _get_attachment)
    app.router.add_delete(attachments + "/{attachment_id}", _delete_attachment)

    table = ctx.table(_ME_INTERACTION)
    table.add(_accept, "Accept")
    for operation, handler in _STATUS_TEXT_OPERATIONS.items():
        table.add(_status_text(handler), operation)
    for operation, handler in _CHAT_OPERATIONS.items():
        table.add(handler, operation)
    for operation, handler in _CONSULTATION_OPERATIONS.items():
        table.add(_status_number(handler), operation)
    ctx.table("/me/interactions").add(_status_text(_create_email), "CreateEmail")


# -- answer styles --------------------------------------------------------------------------


def _status_text(handler: Handler) -> Handler:
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


def _status_number(handler: Handler) -> Handler:
    """Failures as ``{"status": N, "description"}``."""

    async def wrapped(call: OperationCall) -> web.Response:
        try:
            return await handler(call)
        except StatusError as exc:
            return web.json_response({"status": exc.status_code, "description": exc.message})

    return wrapped


def _ok(reference_id: int, **extra: Any) -> web.Response:
    return web.json_response({"status": "ok", **extra, "referenceId": reference_id})


# -- rendering and notifications -------------------------------------------------------------


def _resource(interaction: SimInteraction) -> dict[str, Any]:
    resource = interaction_resource(interaction)
    if interaction.media == "email":
        if interaction.state == "Invited":
            resource["email_object"] = {
                "subject": interaction.email.get("Subject"),
                "interactionId": interaction.id,
            }
        if interaction.state == "ReplyCreated":
            resource["capabilities"] = list(_REPLY_CAPABILITIES)
    return resource


def _notify(
    ctx: SimContext,
    username: str,
    interaction: SimInteraction,
    *,
    reference_id: int | None,
    state: str | None = None,
    chat: list[dict[str, Any]] | None = None,
) -> None:
    data: dict[str, Any] = {"messageType": "InteractionStateMessage", **_resource(interaction)}
    if state is not None:
        data["state"] = state
        if state in ("Revoked", "Sent", "LeftConference"):
            data["capabilities"] = []
    if chat is not None:
        data["chat_notifications"] = chat
    if reference_id is not None:
        data["referenceId"] = reference_id
    ctx.publish(username, TOPIC_INTERACTIONS, data)


def _participants(interaction: SimInteraction) -> list[str]:
    names = [interaction.owner or "", *interaction.conference, interaction.consultation or ""]
    return [name for name in dict.fromkeys(names) if name]


def _chat_event(
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


def _agent_chat_id(agent: SimAgent) -> str:
    return agent.user_id[:16].upper()


def _customer_chat_id(interaction: SimInteraction) -> str:
    return ("C" + interaction.id)[:16].upper()


# -- lookups ------------------------------------------------------------------------------------


def _lookup(ctx: SimContext, interaction_id: str) -> SimInteraction:
    interaction = ctx.state.interactions.get(interaction_id)
    if interaction is None:
        fail(6, f"Interaction {interaction_id} not found")
    return interaction


def _target(call: OperationCall) -> SimInteraction:
    return _lookup(call.ctx, call.path_param("interaction_id"))


def _check_invited(interaction: SimInteraction, agent: SimAgent) -> None:
    if interaction.state != "Invited" or interaction.owner != agent.username:
        fail(2, f"Interaction {interaction.id} is not offered to {agent.username}")


def _check_owned(interaction: SimInteraction, agent: SimAgent, *states: str) -> None:
    if interaction.owner != agent.username or interaction.state == "Invited":
        fail(2, f"Interaction {interaction.id} is not owned by {agent.username}")
    if states and interaction.state not in states:
        fail(2, f"Interaction {interaction.id} is {interaction.state}, not {'/'.join(states)}")


def _check_participant(interaction: SimInteraction, agent: SimAgent) -> None:
    if interaction.state == "Invited" or agent.username not in _participants(interaction):
        fail(2, f"{agent.username} is not a party of interaction {interaction.id}")


def _check_media(interaction: SimInteraction, media: str, operation: str) -> None:
    if interaction.media != media:
        fail(2, f"{operation} does not apply to {interaction.media} interaction {interaction.id}")


def _string(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        fail(1, f"{key} is required")
    return value


def _find_agent(ctx: SimContext, identifier: str) -> SimAgent:
    for agent in ctx.state.agents.values():
        if identifier in (agent.username, agent.user_id, agent.employee_id):
            return agent
    raise StatusError(6, f"Agent {identifier} not found")


def _find_workbin(ctx: SimContext, agent: SimAgent, identifier: str) -> SimWorkbin:
    for workbin in ctx.state.workbins.values():
        if identifier in (workbin.id, workbin.name):
            if not ctx.state.is_member(agent, workbin):
                fail(5, f"Agent {agent.username} may not access workbin {identifier}")
            return workbin
    raise StatusError(6, f"Workbin {identifier} not found")


def _flag(body: Mapping[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise StatusError(1, f"{key} must be true or false")


# -- scenario hooks ---------------------------------------------------------------------------


def offer_chat(ctx: SimContext, username: str, *, nickname: str, message: str | None) -> str:
    """A chat from a customer, offered (``Invited``) to ``username``."""
    ctx.state.agent(username)
    interaction = ctx.state.add_interaction(
        media="chat",
        state="Invited",
        user_data=None,
        interaction_id=None,
        queue="SimpleChatInQueue",
    )
    interaction.owner = username
    customer = _customer_chat_id(interaction)
    _chat_event(
        interaction, "PARTY_JOINED", user_id=customer, user_type="Client", nickname=nickname
    )
    if message:
        _chat_event(interaction, "NEW_MESSAGE", user_id=customer, user_type=None, text=message)
    _notify(ctx, username, interaction, reference_id=None)
    return interaction.id


def customer_says(ctx: SimContext, interaction_id: str, text: str) -> None:
    """A NEW_MESSAGE from the customer of a chat, sent to the agents in it."""
    interaction = ctx.state.interactions[interaction_id]
    if interaction.media != "chat":
        raise ValueError(f"interaction {interaction_id} is not a chat")
    event = _chat_event(
        interaction,
        "NEW_MESSAGE",
        user_id=_customer_chat_id(interaction),
        user_type=None,
        text=text,
    )
    if interaction.state != "Invited":
        for username in _participants(interaction):
            _notify(ctx, username, interaction, reference_id=None, chat=[event])


def deliver_email(
    ctx: SimContext,
    username: str,
    *,
    subject: str,
    text: str,
    from_address: str,
    to_address: str,
) -> str:
    """An inbound e-mail offered (``Invited``) to ``username``."""
    ctx.state.agent(username)
    interaction = ctx.state.add_interaction(
        media="email",
        state="Invited",
        user_data={"Subject": subject, "FromAddress": from_address, "To": to_address},
        interaction_id=None,
        queue="SimpleEmailInQueue",
    )
    interaction.owner = username
    interaction.email = {
        "ToAddress": to_address,
        "FromAddress": from_address,
        "Subject": subject,
        "Text": text,
        "MimeType": "text/plain",
    }
    _notify(ctx, username, interaction, reference_id=None)
    return interaction.id


# -- GET / PUT --------------------------------------------------------------------------------


async def _get_interactions(request: web.Request) -> web.Response:
    """GET /interactions: every active interaction, as URIs or with ``fields``."""
    ctx = request.app[CONTEXT]
    current_agent(request)
    active = list(ctx.state.interactions.values())
    fields = requested_fields(request)
    if fields is None:
        base = f"{api_url(request)}/interactions"
        return web.json_response(
            {"statusCode": 0, "uris": [f"{base}/{quote(i.id, safe='')}" for i in active]}
        )
    resources = [select_fields(_resource(i), fields) for i in active]
    return web.json_response({"statusCode": 0, "interactions": resources})


async def _get_interaction(request: web.Request) -> web.Response:
    """GET /interactions/{id}."""
    ctx = request.app[CONTEXT]
    current_agent(request)
    interaction = _lookup(ctx, request.match_info["interaction_id"])
    return web.json_response({"statusCode": 0, "interaction": _resource(interaction)})


async def _put_interaction(request: web.Request) -> web.Response:
    """PUT /interactions/{id}: ``userData`` is merged; ``currentQueue`` moves the interaction."""
    ctx = request.app[CONTEXT]
    agent = current_agent(request)
    body = await read_json_object(request)
    interaction = _lookup(ctx, request.match_info["interaction_id"])
    if not body:
        fail(1, "nothing to update")
    unknown = set(body) - {"userData", "currentQueue"}
    if unknown:
        fail(1, f"cannot update {', '.join(sorted(unknown))}")
    user_data = body.get("userData", {})
    queue = body.get("currentQueue")
    if not isinstance(user_data, dict) or (queue is not None and not isinstance(queue, str)):
        fail(1, "userData must be an object and currentQueue a string")
    _check_participant(interaction, agent)
    interaction.user_data.update(user_data)
    if queue:
        interaction.queue = queue
    reference_id = ctx.state.next_reference_id()
    _notify(ctx, agent.username, interaction, reference_id=reference_id)
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


async def _post_me_interaction(request: web.Request) -> web.Response:
    return await request.app[CONTEXT].table(_ME_INTERACTION).dispatch(request)


# -- operations of every media ----------------------------------------------------------------


async def _accept(call: OperationCall) -> web.Response:
    """Accept: ``statusCode`` answers for chat, ``status`` text for the other media."""
    ctx, agent = call.ctx, call.agent
    try:
        interaction = _target(call)
    except StatusError as exc:
        return web.json_response(
            {"status": "error", "errorDescription": exc.message, "statusCode": exc.status_code}
        )
    if interaction.media != "chat":
        return await _status_text(_accept_other)(call)
    _check_invited(interaction, agent)
    nickname = call.body.get("nickname", agent.first_name)
    if not isinstance(nickname, str) or not nickname:
        fail(1, "nickname must be a non-empty string")
    interaction.state = "Accepted"
    interaction.assigned_at = utcnow()
    _chat_event(
        interaction,
        "PARTY_JOINED",
        user_id=_agent_chat_id(agent),
        user_type="Agent",
        nickname=nickname,
    )
    reference_id = ctx.state.next_reference_id()
    _notify(
        ctx,
        agent.username,
        interaction,
        reference_id=reference_id,
        chat=list(interaction.transcript),
    )
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


async def _accept_other(call: OperationCall) -> web.Response:
    ctx, agent = call.ctx, call.agent
    interaction = _target(call)
    _check_invited(interaction, agent)
    interaction.state = "Accepted"
    interaction.assigned_at = utcnow()
    reference_id = ctx.state.next_reference_id()
    _notify(ctx, agent.username, interaction, reference_id=reference_id)
    return _ok(reference_id)


def _release(
    ctx: SimContext, interaction: SimInteraction, agent: SimAgent, *, queue: str | None = None
) -> web.Response:
    """The agent no longer has the interaction: back to a queue, Revoked sent."""
    interaction.owner = None
    interaction.state = "Queued"
    if queue is not None:
        interaction.queue = queue
    reference_id = ctx.state.next_reference_id()
    _notify(ctx, agent.username, interaction, reference_id=reference_id, state="Revoked")
    return _ok(reference_id)


async def _reject(call: OperationCall) -> web.Response:
    """Reject: the invitation goes back to its queue for another agent."""
    interaction = _target(call)
    _check_invited(interaction, call.agent)
    return _release(call.ctx, interaction, call.agent)


async def _stop_processing(call: OperationCall) -> web.Response:
    """StopProcessing: the agent is done; the interaction ends."""
    ctx, agent = call.ctx, call.agent
    interaction = _target(call)
    _check_owned(interaction, agent)
    del ctx.state.interactions[interaction.id]
    interaction.owner = None
    reference_id = ctx.state.next_reference_id()
    _notify(ctx, agent.username, interaction, reference_id=reference_id, state="Revoked")
    return _ok(reference_id)


async def _place_in_queue(call: OperationCall) -> web.Response:
    """PlaceInQueue: ``queue``."""
    queue = _string(call.body, "queue")
    interaction = _target(call)
    _check_owned(interaction, call.agent)
    return _release(call.ctx, interaction, call.agent, queue=queue)


def _merge(target: dict[str, Any], changes: Mapping[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


async def _update_properties(call: OperationCall) -> web.Response:
    """UpdateProperties: ``properties``, merged (nested maps too) into the user data."""
    ctx, agent = call.ctx, call.agent
    properties = call.body.get("properties")
    if not isinstance(properties, dict) or not properties:
        fail(1, "properties is required")
    interaction = _target(call)
    _check_participant(interaction, agent)
    _merge(interaction.user_data, properties)
    reference_id = ctx.state.next_reference_id()
    _notify(ctx, agent.username, interaction, reference_id=reference_id)
    return _ok(reference_id)


async def _place_in_workbin(call: OperationCall) -> web.Response:
    """PlaceInWorkbin: ``workbin`` (id or name); ItemAdded goes to the workbin's subscribers."""
    ctx, agent = call.ctx, call.agent
    name = _string(call.body, "workbin")
    interaction = _target(call)
    _check_owned(interaction, agent)
    workbin = _find_workbin(ctx, agent, name)
    reference_id = ctx.state.next_reference_id()
    _notify(ctx, agent.username, interaction, reference_id=reference_id, state="Revoked")
    _place(ctx, interaction, workbin, agent, reference_id=reference_id)
    return _ok(reference_id)


async def _get_workbin_content(call: OperationCall) -> web.Response:
    """GetWorkbinContent: one InteractionStateMessage per interaction in ``workbin``."""
    ctx, agent = call.ctx, call.agent
    name = _string(call.body, "workbin")
    _target(call)
    workbin = _find_workbin(ctx, agent, name)
    reference_id = ctx.state.next_reference_id()
    for item in ctx.state.in_workbin(workbin, agent.username):
        _notify(ctx, agent.username, item, reference_id=reference_id)
    return _ok(reference_id)


async def _transfer(call: OperationCall) -> web.Response:
    """Transfer: ``targetId``; the target agent is invited, the sender loses it."""
    ctx, agent = call.ctx, call.agent
    target_id = _string(call.body, "targetId")
    interaction = _target(call)
    _check_owned(interaction, agent)
    target = _find_agent(ctx, target_id)
    if target.username == agent.username:
        fail(2, "cannot transfer an interaction to its owner")
    reference_id = ctx.state.next_reference_id()
    _notify(ctx, agent.username, interaction, reference_id=reference_id, state="Revoked")
    interaction.owner = target.username
    interaction.state = "Invited"
    interaction.conference.clear()
    _notify(ctx, target.username, interaction, reference_id=None)
    return _ok(reference_id)


async def _start_conference(call: OperationCall) -> web.Response:
    """StartConference: ``agentId``; both agents get ``InvitedConference``."""
    ctx, agent = call.ctx, call.agent
    agent_id = _string(call.body, "agentId")
    interaction = _target(call)
    _check_owned(interaction, agent)
    target = _find_agent(ctx, agent_id)
    if target.username in _participants(interaction):
        fail(2, f"{target.username} is already working on interaction {interaction.id}")
    interaction.conference.append(target.username)
    reference_id = ctx.state.next_reference_id()
    for username in (agent.username, target.username):
        _notify(ctx, username, interaction, reference_id=reference_id, state="InvitedConference")
    return _ok(reference_id)


async def _leave_conference(call: OperationCall) -> web.Response:
    """LeaveConference (the spec's EndConference): ``agentId`` leaves; the last one keeps it."""
    ctx, agent = call.ctx, call.agent
    agent_id = _string(call.body, "agentId")
    interaction = _target(call)
    _check_participant(interaction, agent)
    leaving = _find_agent(ctx, agent_id)
    if not interaction.conference:
        fail(2, f"Interaction {interaction.id} is not in a conference")
    if leaving.username == interaction.owner:
        interaction.owner = interaction.conference.pop()
    elif leaving.username in interaction.conference:
        interaction.conference.remove(leaving.username)
    else:
        fail(2, f"{leaving.username} is not in the conference on {interaction.id}")
    reference_id = ctx.state.next_reference_id()
    for username in dict.fromkeys([*_participants(interaction), leaving.username, agent.username]):
        _notify(ctx, username, interaction, reference_id=reference_id, state="LeftConference")
    return _ok(reference_id)


# -- e-mail -------------------------------------------------------------------------------------


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
    original = _target(call)
    _check_media(original, "email", call.operation)
    _check_owned(original, agent, "Accepted")
    queue = _string(body, "queueName")
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
    _notify(ctx, agent.username, reply, reference_id=reference_id)
    return _ok(reference_id, replyInteractionId=reply.id)


async def _forward(call: OperationCall) -> web.Response:
    """Forward: an outbound copy (ReplyCreated) the agent addresses before sending it."""
    ctx, agent = call.ctx, call.agent
    original = _target(call)
    _check_media(original, "email", call.operation)
    _check_owned(original, agent, "Accepted")
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
    _notify(ctx, agent.username, copy, reference_id=reference_id)
    return _ok(reference_id, replyInteractionId=copy.id)


async def _send(call: OperationCall) -> web.Response:
    """Send: ``queueName`` and ``email_object``; the e-mail leaves the agent (state Sent)."""
    ctx, agent, body = call.ctx, call.agent, call.body
    queue = _string(body, "queueName")
    email = body.get("email_object")
    if not isinstance(email, dict):
        fail(1, "email_object is required")
    _string(email, "toAddress")
    interaction = _target(call)
    _check_media(interaction, "email", call.operation)
    _check_owned(interaction, agent, "ReplyCreated")
    for key, value in email.items():
        if key in _SEND_KEYS and value is not None:
            interaction.email[_SEND_KEYS[key]] = value
    interaction.owner = None
    interaction.state = "Sent"
    interaction.queue = queue
    reference_id = ctx.state.next_reference_id()
    _notify(ctx, agent.username, interaction, reference_id=reference_id)
    return _ok(reference_id)


async def _cancel_reply(call: OperationCall) -> web.Response:
    """CancelReplyEmail: the draft reply is dropped."""
    ctx, agent = call.ctx, call.agent
    interaction = _target(call)
    _check_media(interaction, "email", call.operation)
    _check_owned(interaction, agent, "ReplyCreated")
    del ctx.state.interactions[interaction.id]
    interaction.owner = None
    reference_id = ctx.state.next_reference_id()
    _notify(ctx, agent.username, interaction, reference_id=reference_id, state="Revoked")
    return _ok(reference_id)


async def _create_email(call: OperationCall) -> web.Response:
    """CreateEmail on ``POST /me/interactions``: a new outbound e-mail, ReplyCreated."""
    ctx, agent, body = call.ctx, call.agent, call.body
    queue = _string(body, "queueName")
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
    _notify(ctx, agent.username, email, reference_id=reference_id)
    return _ok(reference_id)


# -- chat ---------------------------------------------------------------------------------------


def _chat(call: OperationCall) -> SimInteraction:
    interaction = _target(call)
    _check_media(interaction, "chat", call.operation)
    _check_participant(interaction, call.agent)
    return interaction


def _broadcast(
    ctx: SimContext, interaction: SimInteraction, events: list[dict[str, Any]]
) -> web.Response:
    reference_id = ctx.state.next_reference_id()
    for username in _participants(interaction):
        _notify(ctx, username, interaction, reference_id=reference_id, chat=events)
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


async def _send_message(call: OperationCall) -> web.Response:
    """SendMessage: ``text``, a NEW_MESSAGE from the agent to every party."""
    text = call.body.get("text")
    if not isinstance(text, str) or not text:
        fail(1, "text is required")
    interaction = _chat(call)
    event = _chat_event(
        interaction, "NEW_MESSAGE", user_id=_agent_chat_id(call.agent), user_type="Agent", text=text
    )
    return _broadcast(call.ctx, interaction, [event])


async def _send_notification(call: OperationCall) -> web.Response:
    """SendNotification: ``notification`` TypingStarted or TypingStopped (not kept)."""
    notification = call.body.get("notification")
    if notification not in _TYPING:
        fail(1, f"notification must be one of {', '.join(_TYPING)}")
    interaction = _chat(call)
    event = _chat_event(
        interaction,
        _TYPING[notification],
        user_id=_agent_chat_id(call.agent),
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
    _notify(ctx, agent.username, interaction, reference_id=reference_id, chat=events)
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


async def _start_consultation(call: OperationCall) -> web.Response:
    """StartChatConsultation: ``agentId`` joins the chat with internal visibility."""
    ctx, agent = call.ctx, call.agent
    agent_id = _string(call.body, "agentId")
    interaction = _target(call)
    _check_media(interaction, "chat", call.operation)
    _check_owned(interaction, agent, "Accepted")
    if interaction.consultation is not None:
        fail(2, f"a consultation is already running on {interaction.id}")
    target = _find_agent(ctx, agent_id)
    if target.username in _participants(interaction):
        fail(2, f"{target.username} is already in chat {interaction.id}")
    interaction.consultation = target.username
    event = _chat_event(
        interaction,
        "PARTY_JOINED",
        user_id=_agent_chat_id(target),
        user_type="Agent",
        nickname=target.first_name,
        visibility="Int",
    )
    reference_id = ctx.state.next_reference_id()
    _notify(ctx, agent.username, interaction, reference_id=reference_id, chat=[event])
    _notify(
        ctx,
        target.username,
        interaction,
        reference_id=reference_id,
        state="InvitedConsultation",
        chat=list(interaction.transcript),
    )
    return web.json_response({"status": 0, "referenceId": reference_id})


def _consultant(call: OperationCall) -> tuple[SimInteraction, str]:
    interaction = _target(call)
    _check_media(interaction, "chat", call.operation)
    _check_owned(interaction, call.agent, "Accepted")
    if interaction.consultation is None:
        fail(2, f"no consultation is running on {interaction.id}")
    return interaction, interaction.consultation


async def _complete_transfer(call: OperationCall) -> web.Response:
    """CompleteTransfer: the consulted agent becomes the owner; the caller leaves."""
    ctx, agent = call.ctx, call.agent
    interaction, consultant = _consultant(call)
    event = _chat_event(interaction, "PARTY_LEFT", user_id=_agent_chat_id(agent), user_type="Agent")
    interaction.owner = consultant
    interaction.consultation = None
    reference_id = ctx.state.next_reference_id()
    _notify(ctx, agent.username, interaction, reference_id=reference_id, state="Revoked")
    _notify(ctx, consultant, interaction, reference_id=reference_id, chat=[event])
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
        _notify(ctx, username, interaction, reference_id=reference_id)
    return web.json_response({"status": 0, "referenceId": reference_id})


# -- attachments ------------------------------------------------------------------------------


def _attachment_list(interaction: SimInteraction) -> list[dict[str, Any]]:
    return [
        {"id": doc_id, "name": name, "size": len(data), "mimetype": mime}
        for doc_id, (name, mime, data) in interaction.attachments.items()
    ]


async def _add_attachment(request: web.Request) -> web.Response:
    """POST .../attachments: multipart, the file in the field ``attachment``."""
    ctx = request.app[CONTEXT]
    agent = current_agent(request)
    interaction = _lookup(ctx, request.match_info["interaction_id"])
    _check_participant(interaction, agent)
    if not request.content_type.startswith("multipart/"):
        fail(1, "attachment is required (multipart/form-data)")
    reader = await request.multipart()
    found: tuple[str, str, bytes] | None = None
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader) and part.name == "attachment":
            # Read in chunks: the upload may exceed the app's client_max_size.
            data = bytearray()
            while chunk := await part.read_chunk():
                data.extend(chunk)
            mime = part.headers.get("Content-Type", "application/octet-stream")
            found = (part.filename or "attachment", mime, bytes(data))
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
    interaction = _lookup(ctx, request.match_info["interaction_id"])
    document_id = request.match_info["attachment_id"]
    if document_id not in interaction.attachments:
        fail(6, f"Attachment {document_id} not found")
    return interaction, document_id


async def _get_attachment(request: web.Request) -> web.Response:
    """GET .../attachments/{id}: the bytes, with their MIME type."""
    current_agent(request)
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
    _check_participant(interaction, agent)
    del interaction.attachments[document_id]
    interaction.email["attachments"] = _attachment_list(interaction)
    return web.json_response({"statusCode": 0})


_STATUS_TEXT_OPERATIONS: dict[str, Handler] = {
    "Reject": _reject,
    "StopProcessing": _stop_processing,
    "PlaceInQueue": _place_in_queue,
    "UpdateProperties": _update_properties,
    "PlaceInWorkbin": _place_in_workbin,
    "GetWorkbinContent": _get_workbin_content,
    "Transfer": _transfer,
    "StartConference": _start_conference,
    "LeaveConference": _leave_conference,
    "Reply": _reply,
    "ReplyAll": _reply,
    "Forward": _forward,
    "Send": _send,
    "CancelReplyEmail": _cancel_reply,
}
_CHAT_OPERATIONS: dict[str, Handler] = {
    "SendMessage": _send_message,
    "SendNotification": _send_notification,
    "RequestChatHistory": _request_chat_history,
}
_CONSULTATION_OPERATIONS: dict[str, Handler] = {
    "StartChatConsultation": _start_consultation,
    "CompleteTransfer": _complete_transfer,
    "LeaveChatConsultation": _leave_consultation,
}
