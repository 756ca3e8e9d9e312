"""Workbins API: personal and group workbins, their content and the pull operations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import yarl
from aiohttp import web

from ._common import (
    CONTEXT,
    TOPIC_INTERACTIONS,
    TOPIC_WORKBINS,
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
from ._interaction_common import message_of
from ._render import (
    media_kind,
    state_resource_v2,
    workbin_content_item,
    workitem_resource,
)
from ._state import SimAgent, SimInteraction, SimWorkbin, utcnow

__all__ = ["place", "put_in_workbin", "setup"]

# operationName -> the media family it is restricted to (None: any media).
_GROUP_ADD_OPERATIONS: dict[str, str | None] = {
    "AddInteraction": None,
    "AddChat": "chat",
    "AddEmail": "email",
    "AddWorkitem": "workitem",
    "AddTweet": "tweet",
    "AddFacebook": "facebook",
    "AddFacebooksession": "facebooksession",
    "AddOpenmedia": "openmedia",
}
_GROUP_PULL_OPERATIONS: dict[str, str | None] = {
    "PullInteraction": None,
    "PullChat": "chat",
    "PullEmail": "email",
    "PullWorkitem": "workitem",
    "PullTweet": "tweet",
    "PullFacebook": "facebook",
    "PullFacebooksession": "facebooksession",
    "PullOpenmedia": "openmedia",
}
# PullInteractionFromWorkbin (POST /workbins/{id}) documents only these four.
_WORKBIN_PULL_OPERATIONS: dict[str, str | None] = {
    name: _GROUP_PULL_OPERATIONS[name]
    for name in ("PullInteraction", "PullChat", "PullEmail", "PullWorkitem")
}

_ITEM_URI = re.compile(r"/workbins/(?P<workbin>[^/]+)/interactions/(?P<interaction>[^/]+)/?$")

_ME_WORKBIN = "/me/workbins/{id}"
_WORKBIN = "/workbins/{id}"


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the workbin routes and operations."""
    root = ctx.api_root
    app.router.add_get(f"{root}/me/workbins", _get_workbin_types_info)
    app.router.add_get(f"{root}/me/workbins/{{workbin_id}}/interactions", _get_workbin_content)
    app.router.add_post(f"{root}/me/workbins/{{workbin_id}}/interactions", _add_to_workbin)
    app.router.add_post(f"{root}/me/workbins/{{workbin_id}}", _post_me_workbin)
    app.router.add_post(f"{root}/workbins/{{workbin_id}}", _post_workbin)

    me_workbin = ctx.table(_ME_WORKBIN)
    me_workbin.add(_subscribe, "Subscribe", "Unsubscribe")
    me_workbin.add(_group_add, *_GROUP_ADD_OPERATIONS)
    me_workbin.add(_group_pull, *_GROUP_PULL_OPERATIONS)
    ctx.table(_WORKBIN).add(_pull_from_workbin, *_WORKBIN_PULL_OPERATIONS)
    ctx.table("/me/interactions").add(_pull_by_uri, "PullInteractionFromWorkbin")


# -- domain ---------------------------------------------------------------------------------


def put_in_workbin(
    ctx: SimContext,
    username: str,
    workbin_id: str,
    *,
    media: str,
    user_data: Mapping[str, Any] | None,
    interaction_id: str | None,
) -> str:
    """Create an interaction sitting in a workbin (``username``'s copy if personal)."""
    agent = ctx.state.agent(username)
    workbin = ctx.state.workbin(workbin_id)
    interaction = ctx.state.add_interaction(
        media=media,
        state="Queued",
        user_data=user_data,
        interaction_id=interaction_id,
        queue=workbin.queue_name,
    )
    place(ctx, interaction, workbin, agent, reference_id=None)
    return interaction.id


def place(
    ctx: SimContext,
    interaction: SimInteraction,
    workbin: SimWorkbin,
    actor: SimAgent,
    *,
    reference_id: int | None,
) -> None:
    """Put ``interaction`` in ``workbin`` (``actor``'s copy if personal) and send ItemAdded."""
    # AssignedTo/AssignedAt of the content: the agent who had it, or the one filing it.
    holder = ctx.state.agents.get(interaction.owner or "") or actor
    interaction.assigned_to = holder.employee_id
    interaction.assigned_at = interaction.assigned_at or utcnow()
    interaction.place_in_queue_seq = ctx.state.next_seq()
    interaction.owner = None
    interaction.state = "Queued"
    interaction.workbin_id = workbin.id
    interaction.workbin_owner = None if workbin.is_group else actor.username
    interaction.placed_in_workbin_at = utcnow()
    interaction.queue = workbin.queue_name
    _notify_workbin(ctx, "ItemAdded", interaction, workbin, actor, reference_id)


def _take(
    ctx: SimContext,
    interaction: SimInteraction,
    workbin: SimWorkbin,
    agent: SimAgent,
    *,
    reference_id: int,
    nickname: str | None = None,
) -> None:
    personal_owner = ctx.state.agents.get(interaction.workbin_owner or "")
    interaction.workbin_id = None
    interaction.workbin_owner = None
    interaction.owner = agent.username
    interaction.assigned_to = agent.employee_id
    interaction.assigned_at = utcnow()
    is_workitem = media_kind(interaction.media) == "workitem"
    interaction.state = "Processing" if is_workitem else "Pulled"
    _notify_workbin(ctx, "ItemRemoved", interaction, workbin, personal_owner or agent, reference_id)

    data: dict[str, Any]
    if is_workitem:
        data = {
            "messageType": "WorkitemStateChangeMessage",
            "notificationType": "StatusChange",
            "workitem": workitem_resource(interaction, workbin, agent),
        }
    else:
        data = message_of(ctx, interaction)
        if nickname and interaction.media == "chat":
            interaction.chat_event_id += 1
            data["chat_notifications"] = [_party_joined(interaction, agent, nickname)]
    data["referenceId"] = reference_id
    ctx.publish(agent.username, TOPIC_INTERACTIONS, data)


def _party_joined(interaction: SimInteraction, agent: SimAgent, nickname: str) -> dict[str, Any]:
    return {
        "EventId": interaction.chat_event_id,
        "NoticeText": None,
        "NoticeType": None,
        "MessageText": None,
        "UserId": agent.user_id[:16].upper(),
        "MessageType": "PARTY_JOINED",
        "UserType": "Agent",
        "Visibility": "All",
        "NickName": nickname,
    }


def _notify_workbin(
    ctx: SimContext,
    action: str,
    interaction: SimInteraction,
    workbin: SimWorkbin,
    actor: SimAgent,
    reference_id: int | None,
) -> None:
    """Publish a WorkbinStateChangeMessage to the subscribers who may see ``workbin``.

    ``actor`` is the personal workbin's owner, or for a group workbin the agent acting.
    """
    key, resource = state_resource_v2(interaction)
    data: dict[str, Any] = {"messageType": "WorkbinStateChangeMessage", "action": action}
    recipients: list[SimAgent]
    if workbin.agent_group is not None:
        data["agentGroup"] = workbin.agent_group
        recipients = [*ctx.state.members(workbin), actor]
    elif workbin.place_group is not None:
        data["placeGroup"] = workbin.place_group
        recipients = [*ctx.state.members(workbin), actor]
    else:
        data["workbinAgentId"] = actor.employee_id
        data["workbinUserId"] = actor.user_id
        recipients = [actor]
    data[key] = resource
    data["id"] = workbin.id
    if reference_id is not None:
        data["referenceId"] = reference_id
    notified: set[str] = set()
    for agent in recipients:
        if agent.username in notified:
            continue
        notified.add(agent.username)
        if (agent.username, workbin.id) in ctx.state.workbin_subscriptions:
            ctx.publish(agent.username, TOPIC_WORKBINS, data)


# -- lookups ----------------------------------------------------------------------------------


def _visible_workbin(ctx: SimContext, agent: SimAgent, workbin_id: str) -> SimWorkbin:
    workbin = ctx.state.workbins.get(workbin_id)
    if workbin is None:
        fail(6, f"Workbin {workbin_id} not found")
    if not ctx.state.is_member(agent, workbin):
        fail(5, f"Agent {agent.username} may not access workbin {workbin_id}")
    return workbin


def _interaction(ctx: SimContext, body: Mapping[str, Any], key: str) -> SimInteraction:
    interaction_id = body.get(key)
    if not isinstance(interaction_id, str) or not interaction_id:
        fail(1, f"{key} is required")
    interaction = ctx.state.interactions.get(interaction_id)
    if interaction is None:
        fail(6, f"Interaction {interaction_id} not found")
    return interaction


def _check_media(interaction: SimInteraction, operation: str, kind: str | None) -> None:
    if kind is not None and media_kind(interaction.media) != kind:
        fail(2, f"{operation} does not apply to {interaction.media} interaction {interaction.id}")


def _check_owned(interaction: SimInteraction, agent: SimAgent) -> None:
    if interaction.owner != agent.username or interaction.workbin_id is not None:
        fail(2, f"Interaction {interaction.id} is not owned by {agent.username}")


def _check_in_workbin(
    ctx: SimContext, interaction: SimInteraction, workbin: SimWorkbin, agent: SimAgent
) -> None:
    if interaction not in ctx.state.in_workbin(workbin, agent.username):
        fail(2, f"Interaction {interaction.id} is not in workbin {workbin.id}")


def _group_of_request(call: OperationCall, workbin: SimWorkbin) -> None:
    """Check the ``agentGroup``/``placeGroup`` query parameter against ``workbin``."""
    state = call.ctx.state
    agent_group = call.request.query.get("agentGroup")
    place_group = call.request.query.get("placeGroup")
    if agent_group and place_group:
        fail(2, "agentGroup and placeGroup are mutually exclusive")
    if agent_group:
        if agent_group not in state.agent_groups():
            fail(6, f"Agent group {agent_group} not found")
        if workbin.agent_group != agent_group:
            fail(2, f"Workbin {workbin.id} is not a workbin of agent group {agent_group}")
    elif place_group:
        if place_group not in state.place_groups():
            fail(6, f"Place group {place_group} not found")
        if workbin.place_group != place_group:
            fail(2, f"Workbin {workbin.id} is not a workbin of place group {place_group}")
    else:
        fail(1, f"{call.operation} needs the agentGroup or placeGroup query parameter")


def _save_lar(body: Mapping[str, Any]) -> bool:
    value = body.get("saveLAR", False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise StatusError(2, "saveLAR must be true or false")


# -- handlers -------------------------------------------------------------------------------


async def _get_workbin_types_info(request: web.Request) -> web.Response:
    """GetWorkbinTypesInfo."""
    ctx = request.app[CONTEXT]
    workbins = [
        {
            "workbinId": workbin.id,
            "active": 1,
            "workbinName": workbin.name,
            "viewName": workbin.view_name,
            "workbinType": 1,
        }
        for workbin in ctx.state.personal_workbins()
    ]
    return web.json_response({"status": 0, "workbins": workbins})


async def _get_workbin_content(request: web.Request) -> web.Response:
    """GetWorkbinContent: URIs, or with ``fields`` the content items."""
    ctx = request.app[CONTEXT]
    agent = current_agent(request)
    workbin = _visible_workbin(ctx, agent, request.match_info["workbin_id"])
    items = ctx.state.in_workbin(workbin, agent.username)
    fields = requested_fields(request)
    if fields is None:
        return web.json_response(
            {"statusCode": 0, "uris": [_item_uri(request, workbin, i) for i in items]}
        )
    content = [
        select_fields(
            workbin_content_item(i, workbin, ctx.state.agents.get(i.workbin_owner or "")), fields
        )
        for i in items
    ]
    return web.json_response({"statusCode": 0, "interactions": content})


def _item_uri(request: web.Request, workbin: SimWorkbin, interaction: SimInteraction) -> str:
    return (
        f"{api_url(request)}/me/workbins/{quote(workbin.id, safe='=')}"
        f"/interactions/{quote(interaction.id, safe='')}"
    )


async def _add_to_workbin(request: web.Request) -> web.Response:
    """AddInteractionToWorkbin."""
    ctx = request.app[CONTEXT]
    agent = current_agent(request)
    body = await read_json_object(request)
    workbin = _visible_workbin(ctx, agent, request.match_info["workbin_id"])
    interaction = _interaction(ctx, body, "interactionId")
    _check_owned(interaction, agent)
    reference_id = ctx.state.next_reference_id()
    place(ctx, interaction, workbin, agent, reference_id=reference_id)
    uri = _item_uri(request, workbin, interaction)
    return web.json_response({"status": 0, "uri": uri, "referenceId": reference_id})


async def _post_me_workbin(request: web.Request) -> web.Response:
    return await request.app[CONTEXT].table(_ME_WORKBIN).dispatch(request)


async def _post_workbin(request: web.Request) -> web.Response:
    return await request.app[CONTEXT].table(_WORKBIN).dispatch(request)


async def _subscribe(call: OperationCall) -> web.Response:
    """SubscribeWorkbinEvents / UnsubscribeWorkbinEvents.

    A failure answers ``statusCode`` and its message as usual, with the ``referenceId``
    of the ``RequestFailed`` notification the spec sends for it.
    """
    ctx, agent = call.ctx, call.agent
    workbin_id = call.path_param("workbin_id")
    reference_id = ctx.state.next_reference_id()
    try:
        workbin = _visible_workbin(ctx, agent, workbin_id)
    except StatusError as exc:
        _publish_subscription(call, workbin_id, "RequestFailed", reference_id)
        body = {"statusCode": exc.status_code, "statusMessage": exc.message}
        return web.json_response({**body, "referenceId": reference_id})
    key = (agent.username, workbin.id)
    subscribe = call.operation == "Subscribe"
    if subscribe:
        ctx.state.workbin_subscriptions.add(key)
    else:
        ctx.state.workbin_subscriptions.discard(key)
    state = "Subscribed" if subscribe else "Unsubscribed"
    _publish_subscription(call, workbin.id, state, reference_id)
    return web.json_response({"status": 0, "referenceId": reference_id})


def _publish_subscription(
    call: OperationCall, workbin_id: str, state: str, reference_id: int
) -> None:
    call.ctx.publish(
        call.agent.username,
        TOPIC_WORKBINS,
        {
            "messageType": "WorkbinSubscriptionStateChangeMessage",
            "stateResource": state,
            "id": workbin_id,
            "workbinUserId": call.agent.user_id,
            "referenceId": reference_id,
        },
    )


def _group_item(
    call: OperationCall, media_of: Mapping[str, str | None]
) -> tuple[SimWorkbin, SimInteraction]:
    """The group workbin and the interaction (``id``) an Add or Pull operation names."""
    workbin = _visible_workbin(call.ctx, call.agent, call.path_param("workbin_id"))
    _group_of_request(call, workbin)
    interaction = _interaction(call.ctx, call.body, "id")
    _check_media(interaction, call.operation, media_of[call.operation])
    return workbin, interaction


async def _group_add(call: OperationCall) -> web.Response:
    """AddInteraction (and AddChat, AddEmail...) to an AgentGroup or PlaceGroup workbin."""
    ctx, agent = call.ctx, call.agent
    workbin, interaction = _group_item(call, _GROUP_ADD_OPERATIONS)
    _check_owned(interaction, agent)
    if _save_lar(call.body):
        interaction.last_agent = agent.username
    reference_id = ctx.state.next_reference_id()
    place(ctx, interaction, workbin, agent, reference_id=reference_id)
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


async def _group_pull(call: OperationCall) -> web.Response:
    """PullInteraction (and PullChat, PullEmail...) from an AgentGroup or PlaceGroup workbin."""
    ctx, agent = call.ctx, call.agent
    workbin, interaction = _group_item(call, _GROUP_PULL_OPERATIONS)
    _check_in_workbin(ctx, interaction, workbin, agent)
    reference_id = ctx.state.next_reference_id()
    _take(ctx, interaction, workbin, agent, reference_id=reference_id)
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


async def _pull_from_workbin(call: OperationCall) -> web.Response:
    """PullInteractionFromWorkbin: ``POST /workbins/{id}``, any workbin the agent can see."""
    ctx, agent = call.ctx, call.agent
    workbin = _visible_workbin(ctx, agent, call.path_param("workbin_id"))
    interaction = _interaction(ctx, call.body, "id")
    _check_media(interaction, call.operation, _WORKBIN_PULL_OPERATIONS[call.operation])
    _check_in_workbin(ctx, interaction, workbin, agent)
    nickname = call.body.get("nickname")
    if nickname is not None and not isinstance(nickname, str):
        fail(2, "nickname must be a string")
    reference_id = ctx.state.next_reference_id()
    _take(
        ctx,
        interaction,
        workbin,
        agent,
        reference_id=reference_id,
        nickname=nickname if call.operation == "PullChat" else None,
    )
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


async def _pull_by_uri(call: OperationCall) -> web.Response:
    """PullInteraction: ``POST /me/interactions`` with the item's ``uri``."""
    ctx, agent = call.ctx, call.agent
    uri = call.body.get("uri")
    if not isinstance(uri, str) or not uri:
        fail(1, "uri is required")
    try:
        match = _ITEM_URI.search(yarl.URL(uri).path)
    except ValueError:
        match = None
    if match is None:
        fail(2, f"{uri} is not a workbin interaction URI")
    workbin = _visible_workbin(ctx, agent, match["workbin"])
    interaction = ctx.state.interactions.get(match["interaction"])
    if interaction is None:
        fail(6, f"Interaction {match['interaction']} not found")
    _check_in_workbin(ctx, interaction, workbin, agent)
    reference_id = ctx.state.next_reference_id()
    _take(ctx, interaction, workbin, agent, reference_id=reference_id)
    return web.json_response({"status": 0, "referenceId": reference_id})
