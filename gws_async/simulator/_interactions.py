"""Interactions API: reading and updating interactions, and the operations of every media
(spec section "Interactions"); e-mail is in :mod:`._email`, chat in :mod:`._chat`,
attachments in :mod:`._attachments`.

Notifications go to ``/v2/me/interactions`` as ``InteractionStateMessage``. Every operation
that publishes one answers with a ``referenceId`` that the notification repeats, so
clients can match them. Where the spec documents nothing for an agent losing an
interaction (Reject, StopProcessing, PlaceInQueue, Transfer, PlaceInWorkbin,
CancelReplyEmail), the simulator sends its documented ``Revoked`` state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from aiohttp import web

from . import _revocation
from ._common import (
    CONTEXT,
    OperationCall,
    OperationHandler,
    SimContext,
    StatusError,
    api_url,
    current_agent,
    fail,
    read_json_object,
    requested_fields,
    select_fields,
)
from ._interaction_common import (
    ME_INTERACTION,
    agent_chat_id,
    chat_event,
    check_owned,
    check_participant,
    end,
    find_agent,
    interaction_of,
    invite,
    notify,
    ok,
    participants,
    required_string,
    resource_of,
    status_text,
    visible,
)
from ._state import SimAgent, SimInteraction, SimWorkbin, utcnow
from ._workbins import place

__all__ = ["setup"]


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the interaction routes and the operations of every media."""
    root = ctx.api_root
    app.router.add_get(f"{root}/interactions", _get_interactions)
    app.router.add_get(f"{root}/interactions/{{interaction_id}}", _get_interaction)
    app.router.add_put(f"{root}/interactions/{{interaction_id}}", _put_interaction)
    app.router.add_post(f"{root}/me/interactions/{{interaction_id}}", _post_me_interaction)
    table = ctx.table(ME_INTERACTION)
    table.add(_accept, "Accept")
    for operation, handler in _STATUS_TEXT_OPERATIONS.items():
        table.add(status_text(handler), operation)
    _revocation.setup(app, ctx)


# -- lookups ------------------------------------------------------------------------------------


def _check_invited(interaction: SimInteraction, agent: SimAgent) -> None:
    if interaction.state != "Invited" or interaction.owner != agent.username:
        fail(2, f"Interaction {interaction.id} is not offered to {agent.username}")


def _find_workbin(ctx: SimContext, agent: SimAgent, identifier: str) -> SimWorkbin:
    for workbin in ctx.state.workbins.values():
        if identifier in (workbin.id, workbin.name):
            if not ctx.state.is_member(agent, workbin):
                fail(5, f"Agent {agent.username} may not access workbin {identifier}")
            return workbin
    raise StatusError(6, f"Workbin {identifier} not found")


# -- GET / PUT --------------------------------------------------------------------------------


async def _get_interactions(request: web.Request) -> web.Response:
    """GET /interactions: the active interactions the agent may see (all of them for a
    Contact Center Admin), as URIs or with ``fields``."""
    ctx = request.app[CONTEXT]
    active = ctx.state.visible_to(current_agent(request))
    fields = requested_fields(request)
    if fields is None:
        base = f"{api_url(request)}/interactions"
        return web.json_response(
            {"statusCode": 0, "uris": [f"{base}/{quote(i.id, safe='')}" for i in active]}
        )
    resources = [select_fields(resource_of(ctx, i), fields) for i in active]
    return web.json_response({"statusCode": 0, "interactions": resources})


async def _get_interaction(request: web.Request) -> web.Response:
    """GET /interactions/{id}."""
    ctx = request.app[CONTEXT]
    interaction = visible(ctx, current_agent(request), request.match_info["interaction_id"])
    return web.json_response({"statusCode": 0, "interaction": resource_of(ctx, interaction)})


async def _put_interaction(request: web.Request) -> web.Response:
    """PUT /interactions/{id}: ``userData`` is merged; ``currentQueue`` moves the interaction."""
    ctx = request.app[CONTEXT]
    agent = current_agent(request)
    body = await read_json_object(request)
    interaction = visible(ctx, agent, request.match_info["interaction_id"])
    if not body:
        fail(1, "nothing to update")
    unknown = set(body) - {"userData", "currentQueue"}
    if unknown:
        fail(1, f"cannot update {', '.join(sorted(unknown))}")
    user_data = body.get("userData", {})
    queue = body.get("currentQueue")
    if not isinstance(user_data, dict) or (queue is not None and not isinstance(queue, str)):
        fail(1, "userData must be an object and currentQueue a string")
    check_participant(interaction, agent)
    interaction.user_data.update(user_data)
    if queue:
        interaction.queue = queue
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, interaction, reference_id=reference_id)
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


async def _post_me_interaction(request: web.Request) -> web.Response:
    return await request.app[CONTEXT].table(ME_INTERACTION).dispatch(request)


# -- operations of every media ----------------------------------------------------------------


async def _accept(call: OperationCall) -> web.Response:
    """Accept: ``statusCode`` answers for chat, ``status`` text for the other media."""
    ctx, agent = call.ctx, call.agent
    try:
        interaction = interaction_of(call)
    except StatusError as exc:
        return web.json_response(
            {"status": "error", "errorDescription": exc.message, "statusCode": exc.status_code}
        )
    if interaction.media != "chat":
        return await status_text(_accept_other)(call)
    _check_invited(interaction, agent)
    nickname = call.body.get("nickname", agent.first_name)
    if not isinstance(nickname, str) or not nickname:
        fail(1, "nickname must be a non-empty string")
    interaction.state = "Accepted"
    interaction.assigned_at = utcnow()
    chat_event(
        interaction,
        "PARTY_JOINED",
        user_id=agent_chat_id(agent),
        user_type="Agent",
        nickname=nickname,
    )
    reference_id = ctx.state.next_reference_id()
    notify(
        ctx,
        agent.username,
        interaction,
        reference_id=reference_id,
        chat=list(interaction.transcript),
    )
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


async def _accept_other(call: OperationCall) -> web.Response:
    ctx, agent = call.ctx, call.agent
    interaction = interaction_of(call)
    _check_invited(interaction, agent)
    interaction.state = "Accepted"
    interaction.assigned_at = utcnow()
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, interaction, reference_id=reference_id)
    return ok(reference_id)


def _release(
    ctx: SimContext, interaction: SimInteraction, agent: SimAgent, *, queue: str | None = None
) -> web.Response:
    """The agent no longer has the interaction: back to a queue, Revoked sent."""
    interaction.owner = None
    interaction.state = "Queued"
    if queue is not None:
        interaction.queue = queue
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, interaction, reference_id=reference_id, state="Revoked")
    return ok(reference_id)


async def _reject(call: OperationCall) -> web.Response:
    """Reject: the invitation goes back to its queue for another agent."""
    interaction = interaction_of(call)
    _check_invited(interaction, call.agent)
    return _release(call.ctx, interaction, call.agent)


async def _stop_processing(call: OperationCall) -> web.Response:
    """StopProcessing: the agent is done; the interaction ends."""
    ctx, agent = call.ctx, call.agent
    interaction = interaction_of(call)
    check_owned(interaction, agent)
    return end(ctx, interaction, agent)


async def _place_in_queue(call: OperationCall) -> web.Response:
    """PlaceInQueue: ``queue``."""
    queue = required_string(call.body, "queue")
    interaction = interaction_of(call)
    check_owned(interaction, call.agent)
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
    interaction = interaction_of(call)
    check_participant(interaction, agent)
    _merge(interaction.user_data, properties)
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, interaction, reference_id=reference_id)
    return ok(reference_id)


async def _place_in_workbin(call: OperationCall) -> web.Response:
    """PlaceInWorkbin: ``workbin`` (id or name); ItemAdded goes to the workbin's subscribers."""
    ctx, agent = call.ctx, call.agent
    name = required_string(call.body, "workbin")
    interaction = interaction_of(call)
    check_owned(interaction, agent)
    workbin = _find_workbin(ctx, agent, name)
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, interaction, reference_id=reference_id, state="Revoked")
    place(ctx, interaction, workbin, agent, reference_id=reference_id)
    return ok(reference_id)


async def _get_workbin_content(call: OperationCall) -> web.Response:
    """GetWorkbinContent: one InteractionStateMessage per interaction in ``workbin``."""
    ctx, agent = call.ctx, call.agent
    name = required_string(call.body, "workbin")
    interaction_of(call)
    workbin = _find_workbin(ctx, agent, name)
    reference_id = ctx.state.next_reference_id()
    for item in ctx.state.in_workbin(workbin, agent.username):
        notify(ctx, agent.username, item, reference_id=reference_id)
    return ok(reference_id)


async def _transfer(call: OperationCall) -> web.Response:
    """Transfer: ``targetId``; the target agent is invited, the sender loses it."""
    ctx, agent = call.ctx, call.agent
    target_id = required_string(call.body, "targetId")
    interaction = interaction_of(call)
    check_owned(interaction, agent)
    target = find_agent(ctx, target_id)
    if target.username == agent.username:
        fail(2, "cannot transfer an interaction to its owner")
    reference_id = ctx.state.next_reference_id()
    notify(ctx, agent.username, interaction, reference_id=reference_id, state="Revoked")
    invite(interaction, target.username)
    interaction.conference.clear()
    notify(ctx, target.username, interaction, reference_id=None)
    return ok(reference_id)


async def _start_conference(call: OperationCall) -> web.Response:
    """StartConference: ``agentId``; both agents get ``InvitedConference``."""
    ctx, agent = call.ctx, call.agent
    agent_id = required_string(call.body, "agentId")
    interaction = interaction_of(call)
    check_owned(interaction, agent)
    target = find_agent(ctx, agent_id)
    if target.username in participants(interaction):
        fail(2, f"{target.username} is already working on interaction {interaction.id}")
    interaction.conference.append(target.username)
    reference_id = ctx.state.next_reference_id()
    for username in (agent.username, target.username):
        notify(ctx, username, interaction, reference_id=reference_id, state="InvitedConference")
    return ok(reference_id)


async def _leave_conference(call: OperationCall) -> web.Response:
    """LeaveConference (the spec's EndConference): ``agentId`` leaves; the last one keeps it."""
    ctx, agent = call.ctx, call.agent
    agent_id = required_string(call.body, "agentId")
    interaction = interaction_of(call)
    check_participant(interaction, agent)
    leaving = find_agent(ctx, agent_id)
    if not interaction.conference:
        fail(2, f"Interaction {interaction.id} is not in a conference")
    if leaving.username == interaction.owner:
        interaction.owner = interaction.conference.pop()
    elif leaving.username in interaction.conference:
        interaction.conference.remove(leaving.username)
    else:
        fail(2, f"{leaving.username} is not in the conference on {interaction.id}")
    reference_id = ctx.state.next_reference_id()
    for username in dict.fromkeys([*participants(interaction), leaving.username, agent.username]):
        notify(ctx, username, interaction, reference_id=reference_id, state="LeftConference")
    return ok(reference_id)


_STATUS_TEXT_OPERATIONS: dict[str, OperationHandler] = {
    "Reject": _reject,
    "StopProcessing": _stop_processing,
    "PlaceInQueue": _place_in_queue,
    "UpdateProperties": _update_properties,
    "PlaceInWorkbin": _place_in_workbin,
    "GetWorkbinContent": _get_workbin_content,
    "Transfer": _transfer,
    "StartConference": _start_conference,
    "LeaveConference": _leave_conference,
}
