"""Presence: agent states per channel, Do Not Disturb, call forwarding, password change,
the contact-center session, and the devices, channels and skills the agent reads them from.

Spec sections "Channels API", "Query Agent State", "Set Agent States Across all
Channels", "Set Agent State for a Particular Channel", "Devices API", "Change Password",
"Presence" and "Device/Channel Management". ``/me``, ``/me/channels/{id}`` and
``/channels/{id}`` answer in the status text style (``{"status": "ok"}``) like the spec;
``/devices/{id}`` operations are asynchronous telephony operations and answer
``{"statusCode": 0, "referenceId": N}``.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ._common import (
    CONTEXT,
    OperationCall,
    SimContext,
    api_url,
    current_agent,
    current_session,
    fail,
    list_answer,
    requested_fields,
    select_fields,
)
from ._provisioning import provisioning_of, user_skill_resources
from ._state import AgentPresence, SimAgent

__all__ = [
    "AGENT_STATES",
    "CHANNELS",
    "TOPIC_CHANNELS",
    "TOPIC_DEVICES",
    "TOPIC_ME",
    "AgentStateDefinition",
    "channel_resource",
    "device_resource",
    "publish_device",
    "setup",
    "skill_resources",
    "user_state",
]

TOPIC_ME = "/v2/me"
TOPIC_DEVICES = "/v2/me/devices"
TOPIC_CHANNELS = "/v2/me/channels"

# The one voice environment every simulated device belongs to.
_VOICE_ENVIRONMENT_ID = uuid.uuid5(uuid.NAMESPACE_OID, "gws-simulator/voice-environment")

#: The multimedia channels every agent has (voice is the device).
CHANNELS: tuple[str, ...] = ("chat", "email")
_ALL_CHANNELS: tuple[str, ...] = ("voice", *CHANNELS)


@dataclass(frozen=True)
class AgentStateDefinition:
    """One agent state an operation name selects (``Ready``, ``OutToLunch``...)."""

    state: str
    display_name: str
    reason: str | None = None
    work_mode: str | None = None


#: Operation name -> agent state, as ``/settings/agent-states`` would define them.
AGENT_STATES: dict[str, AgentStateDefinition] = {
    "Ready": AgentStateDefinition("Ready", "Ready"),
    "NotReady": AgentStateDefinition("NotReady", "Not Ready"),
    "OutToLunch": AgentStateDefinition("NotReady", "Out to Lunch", "Lunch", "AuxWork"),
    "AfterCallWork": AgentStateDefinition("NotReady", "After Call Work", None, "AfterCallWork"),
}


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the presence routes and the ``/me``, channel and device operations."""
    root = ctx.api_root
    app.router.add_post(f"{root}/me", _post_me)
    app.router.add_get(f"{root}/me/channels", _get_my_channels)
    app.router.add_get(f"{root}/me/channels/{{channel_id}}", _get_my_channel)
    app.router.add_post(f"{root}/me/channels/{{channel_id}}", _post_my_channel)
    app.router.add_post(f"{root}/channels/{{channel_id}}", _post_channel)
    app.router.add_get(f"{root}/me/devices", _get_my_devices)
    app.router.add_get(f"{root}/me/devices/{{device_id}}", _get_device)
    app.router.add_get(f"{root}/devices", _get_devices)
    app.router.add_get(f"{root}/devices/{{device_id}}", _get_device)
    app.router.add_post(f"{root}/devices/{{device_id}}", _post_device)
    app.router.add_get(f"{root}/users/{{user_id}}/devices", _get_user_devices)
    app.router.add_get(f"{root}/me/skills", _get_my_skills)
    app.router.add_get(f"{root}/me/skills/{{skill_id}}", _get_my_skill)

    me = ctx.table("/me")
    for operation in AGENT_STATES:
        me.add(_me_state, operation)
    me.add(_me_dnd, "DoNotDisturbOn", "DoNotDisturbOff")
    me.add(_change_password, "ChangePassword")
    me.add(_start_session, "StartContactCenterSession")
    me.add(_end_session, "EndContactCenterSession")

    my_channel = ctx.table("/me/channels/{id}")
    for operation in AGENT_STATES:
        my_channel.add(_channel_state, operation)
    ctx.table("/channels/{id}").add(_channel_dnd, "DoNotDisturbOn", "DoNotDisturbOff")
    ctx.table("/devices/{id}").add(
        _device_operation, "DoNotDisturbOn", "DoNotDisturbOff", "ForwardCallsOn", "ForwardCallsOff"
    )


# -- rendering ----------------------------------------------------------------------------


def user_state(presence: AgentPresence, channel: str) -> dict[str, Any]:
    """The ``userState`` object of one channel (``voice`` for the device)."""
    operation = presence.state_operations.get(channel) or presence.user_states[channel]
    definition = AGENT_STATES.get(operation) or AgentStateDefinition(operation, operation)
    state: dict[str, Any] = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"agent-state/{operation}")).upper(),
        "state": presence.user_states[channel],
        "displayName": definition.display_name,
    }
    if definition.reason is not None:
        state["reason"] = definition.reason
    if definition.work_mode is not None:
        state["workMode"] = definition.work_mode
    return state


def _device_capabilities(presence: AgentPresence) -> list[str]:
    return [
        "DoNotDisturbOff" if presence.dnd["voice"] else "DoNotDisturbOn",
        "ForwardCallsOff" if presence.forward_to else "ForwardCallsOn",
    ]


def device_resource(api: str, presence: AgentPresence) -> dict[str, Any]:
    """The agent's device as ``/devices``, ``/me/devices`` and ``DeviceStateChangeMessage``
    show it: the keys of the spec's samples, a ``PSTNPhone`` of no particular country."""
    phone_number_id = uuid.uuid5(uuid.NAMESPACE_OID, f"phone-number/{presence.device_id}")
    device: dict[str, Any] = {
        "id": presence.device_id,
        "deviceState": "Active" if presence.session_active else "Inactive",
        "userState": user_state(presence, "voice"),
        "phoneNumberUri": f"{api}/phone-numbers/{phone_number_id}",
        "type": "PSTNPhone",
        "model": "SimulatedDevice",
        "vendor": "GwsSimulator",
        "phoneNumber": presence.phone_number,
        "country": {"name": "", "code": "", "callingCode": ""},
        "e164Number": presence.phone_number,
        "telephonyNetwork": "Private",
        "voiceEnvironmentUri": f"{api}/voice-environments/{_VOICE_ENVIRONMENT_ID}",
        "doNotDisturb": "On" if presence.dnd["voice"] else "Off",
        "capabilities": _device_capabilities(presence),
        "uri": f"{api}/devices/{presence.device_id}",
        "path": f"/devices/{presence.device_id}",
    }
    if presence.forward_to:
        device["forwardTo"] = presence.forward_to
    return device


def channel_resource(presence: AgentPresence, channel: str) -> dict[str, Any]:
    """One multimedia channel as ``/me/channels`` and channel notifications show it."""
    return {
        "channel": channel,
        "userState": user_state(presence, channel),
        "dndState": "On" if presence.dnd[channel] else "Off",
    }


def skill_resources(request: web.Request, agent: SimAgent) -> list[dict[str, Any]]:
    """The agent's skills with their levels (the defaults, or a scenario's)."""
    return user_skill_resources(provisioning_of(request), api_url(request), agent.username)


def publish_device(ctx: SimContext, username: str, api: str, reference_id: int | None) -> None:
    """``DeviceStateChangeMessage`` on ``/v2/me/devices`` for the agent's device."""
    data: dict[str, Any] = {
        "messageType": "DeviceStateChangeMessage",
        "devices": [device_resource(api, ctx.state.presence[username])],
    }
    if reference_id is not None:
        data["referenceId"] = reference_id
    ctx.publish(username, TOPIC_DEVICES, data)


def _publish_channels(ctx: SimContext, username: str, channels: list[str]) -> None:
    presence = ctx.state.presence[username]
    data = {"channels": [channel_resource(presence, c) for c in channels]}
    ctx.publish(username, TOPIC_CHANNELS, data)


def _ok() -> web.Response:
    return web.json_response({"status": "ok"})


# -- /me ----------------------------------------------------------------------------------


async def _post_me(request: web.Request) -> web.Response:
    return await request.app[CONTEXT].table("/me").dispatch(request)


def _apply_state(presence: AgentPresence, channel: str, operation: str) -> None:
    presence.user_states[channel] = AGENT_STATES[operation].state
    presence.state_operations[channel] = operation


async def _me_state(call: OperationCall) -> web.Response:
    """Ready, NotReady or a custom state on every channel and the device."""
    presence = call.ctx.state.presence[call.agent.username]
    if not presence.session_active:
        fail(2, f"{call.operation}: no contact-center session (StartContactCenterSession)")
    for channel in _ALL_CHANNELS:
        _apply_state(presence, channel, call.operation)
    publish_device(call.ctx, call.agent.username, api_url(call.request), None)
    _publish_channels(call.ctx, call.agent.username, list(CHANNELS))
    return _ok()


async def _me_dnd(call: OperationCall) -> web.Response:
    """DoNotDisturbOn / DoNotDisturbOff for every device and channel."""
    presence = call.ctx.state.presence[call.agent.username]
    on = call.operation == "DoNotDisturbOn"
    if all(presence.dnd[c] == on for c in _ALL_CHANNELS):
        fail(2, f"Do Not Disturb is already {'on' if on else 'off'}")
    for channel in _ALL_CHANNELS:
        presence.dnd[channel] = on
    publish_device(call.ctx, call.agent.username, api_url(call.request), None)
    _publish_channels(call.ctx, call.agent.username, list(CHANNELS))
    return _ok()


def _decode_password(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        fail(1, f"{key} is required (base64)")
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        fail(1, f"{key} is not valid base64")


async def _change_password(call: OperationCall) -> web.Response:
    """ChangePassword: answers at once; the outcome arrives on ``/v2/me``."""
    first_login = call.request.query.get("firstLogin", "false")
    if first_login not in ("true", "false"):
        fail(1, "firstLogin must be true or false")
    old = _decode_password(call.body, "oldPassword")
    new = _decode_password(call.body, "newPassword")
    agent = call.agent
    if old != agent.password:
        data: dict[str, Any] = {
            "notificationType": "PasswordChangeError",
            "errorCode": 2,
            "errorMessage": "Did not enter old password correctly",
        }
    elif len(new) < 4 or new == old:
        data = {
            "notificationType": "PasswordChangeError",
            "errorCode": 1,
            "errorMessage": "Password does not meet security guidelines",
        }
    else:
        agent.password = new
        data = {"notificationType": "PasswordChangeSuccessful"}
    call.ctx.publish(agent.username, TOPIC_ME, data)
    return web.json_response({"statusCode": 0})


async def _start_session(call: OperationCall) -> web.Response:
    """StartContactCenterSession: log the agent in on the place's device."""
    presence = call.ctx.state.presence[call.agent.username]
    body = call.body
    for key in ("place", "loginCode", "queue"):
        if key in body and not isinstance(body[key], str):
            fail(1, f"{key} must be a string")
    channels = body.get("channels", ["voice"])
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        fail(1, "channels must be an array of strings")
    unknown = [c for c in channels if c not in _ALL_CHANNELS]
    if unknown:
        fail(6, f"Unknown channel {unknown[0]}")
    place = body.get("place") or call.agent.place
    if place != call.agent.place:
        if any(a.place == place for a in call.ctx.state.agents.values()):
            fail(2, f"The devices of place {place} are assigned to another user")
        fail(6, f"Unknown place {place}")
    if presence.session_active:
        fail(2, "A contact-center session is already running")
    presence.session_active = True
    presence.session_place = place
    presence.session_channels = list(channels)
    for channel in _ALL_CHANNELS:
        _apply_state(presence, channel, "NotReady")
    publish_device(call.ctx, call.agent.username, api_url(call.request), None)
    return web.json_response({"statusCode": 0})


async def _end_session(call: OperationCall) -> web.Response:
    """EndContactCenterSession: log out, release the device, end the HTTP session."""
    presence = call.ctx.state.presence[call.agent.username]
    if not presence.session_active:
        fail(2, "No contact-center session is running")
    presence.session_active = False
    presence.session_place = None
    presence.session_channels = []
    for channel in _ALL_CHANNELS:
        _apply_state(presence, channel, "NotReady")
    publish_device(call.ctx, call.agent.username, api_url(call.request), None)
    call.ctx.state.http_sessions.pop(current_session(call.request).id, None)
    return web.json_response({"statusCode": 0})


# -- channels -----------------------------------------------------------------------------


def _channel_param(request: web.Request) -> str:
    channel = request.match_info["channel_id"]
    if channel not in CHANNELS:
        fail(6, f"Unknown channel {channel}")
    return channel


async def _get_my_channels(request: web.Request) -> web.Response:
    presence = request.app[CONTEXT].state.presence[current_agent(request).username]
    channels = [channel_resource(presence, c) for c in CHANNELS]
    return web.json_response({"statusCode": 0, "channels": channels})


async def _get_my_channel(request: web.Request) -> web.Response:
    channel = _channel_param(request)
    presence = request.app[CONTEXT].state.presence[current_agent(request).username]
    return web.json_response({"statusCode": 0, "channel": channel_resource(presence, channel)})


async def _post_my_channel(request: web.Request) -> web.Response:
    _channel_param(request)
    return await request.app[CONTEXT].table("/me/channels/{id}").dispatch(request)


async def _post_channel(request: web.Request) -> web.Response:
    _channel_param(request)
    return await request.app[CONTEXT].table("/channels/{id}").dispatch(request)


async def _channel_state(call: OperationCall) -> web.Response:
    """Ready, NotReady or a custom state on one channel."""
    channel = call.path_param("channel_id")
    presence = call.ctx.state.presence[call.agent.username]
    if not presence.session_active:
        fail(2, f"{call.operation}: no contact-center session (StartContactCenterSession)")
    _apply_state(presence, channel, call.operation)
    _publish_channels(call.ctx, call.agent.username, [channel])
    return _ok()


async def _channel_dnd(call: OperationCall) -> web.Response:
    """DoNotDisturbOn / DoNotDisturbOff on one channel."""
    channel = call.path_param("channel_id")
    presence = call.ctx.state.presence[call.agent.username]
    on = call.operation == "DoNotDisturbOn"
    if presence.dnd[channel] == on:
        fail(2, f"Do Not Disturb is already {'on' if on else 'off'} on {channel}")
    presence.dnd[channel] = on
    _publish_channels(call.ctx, call.agent.username, [channel])
    return _ok()


# -- devices ------------------------------------------------------------------------------


def _own_device(request: web.Request) -> AgentPresence:
    presence = request.app[CONTEXT].state.presence[current_agent(request).username]
    if request.match_info["device_id"] != presence.device_id:
        fail(6, f"Unknown device {request.match_info['device_id']}")
    return presence


def _is_admin(agent: SimAgent) -> bool:
    return "ROLE_ADMIN" in agent.roles


def _device_list(request: web.Request, presences: list[AgentPresence]) -> web.Response:
    api = api_url(request)
    fields = requested_fields(request)
    if fields is None:
        uris = [f"{api}/devices/{presence.device_id}" for presence in presences]
        return web.json_response({"statusCode": 0, "uris": uris})
    devices = [select_fields(device_resource(api, p), fields) for p in presences]
    return web.json_response({"statusCode": 0, "devices": devices})


async def _get_my_devices(request: web.Request) -> web.Response:
    """GET /me/devices: the agent's device."""
    presence = request.app[CONTEXT].state.presence[current_agent(request).username]
    return _device_list(request, [presence])


async def _get_devices(request: web.Request) -> web.Response:
    """GET /devices: every device of the contact center for a Contact Center Admin, as
    the spec has it; an agent sees its own."""
    if not _is_admin(current_agent(request)):
        return await _get_my_devices(request)
    return _device_list(request, list(request.app[CONTEXT].state.presence.values()))


async def _get_user_devices(request: web.Request) -> web.Response:
    """GET /users/{id}/devices: a user's devices, for a Contact Center Admin (or itself)."""
    ctx = request.app[CONTEXT]
    agent = current_agent(request)
    user_id = request.match_info["user_id"]
    owner = next((a for a in ctx.state.agents.values() if a.user_id == user_id), None)
    if owner is None:
        fail(6, f"Unknown user {user_id}")
    if owner is not agent and not _is_admin(agent):
        fail(5, "Only a Contact Center Admin may list another user's devices")
    return _device_list(request, [ctx.state.presence[owner.username]])


async def _get_device(request: web.Request) -> web.Response:
    """GET /devices/{id}: the agent's own device; any device for a Contact Center Admin."""
    ctx = request.app[CONTEXT]
    if _is_admin(current_agent(request)):
        wanted = request.match_info["device_id"]
        presence = next((p for p in ctx.state.presence.values() if p.device_id == wanted), None)
        if presence is None:
            fail(6, f"Unknown device {wanted}")
    else:
        presence = _own_device(request)
    device = device_resource(api_url(request), presence)
    return web.json_response({"statusCode": 0, "device": device})


async def _post_device(request: web.Request) -> web.Response:
    _own_device(request)
    return await request.app[CONTEXT].table("/devices/{id}").dispatch(request)


async def _device_operation(call: OperationCall) -> web.Response:
    """DoNotDisturbOn/Off and ForwardCallsOn/Off on the voice device."""
    presence = call.ctx.state.presence[call.agent.username]
    operation = call.operation
    if operation in ("DoNotDisturbOn", "DoNotDisturbOff"):
        on = operation == "DoNotDisturbOn"
        if presence.dnd["voice"] == on:
            fail(2, f"Do Not Disturb is already {'on' if on else 'off'} on the device")
        presence.dnd["voice"] = on
    elif operation == "ForwardCallsOn":
        destination = call.body.get("destination")
        if not isinstance(destination, str) or not destination.strip():
            fail(1, "destination is required")
        if presence.forward_to:
            fail(2, f"Calls are already forwarded to {presence.forward_to}")
        presence.forward_to = destination
    else:
        if not presence.forward_to:
            fail(2, "Calls are not being forwarded")
        presence.forward_to = None
    reference_id = call.ctx.state.next_reference_id()
    publish_device(call.ctx, call.agent.username, api_url(call.request), reference_id)
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


# -- skills -------------------------------------------------------------------------------


async def _get_my_skills(request: web.Request) -> web.Response:
    skills = skill_resources(request, current_agent(request))
    return list_answer(request, "skills", skills, uris=True)


async def _get_my_skill(request: web.Request) -> web.Response:
    wanted = request.match_info["skill_id"]
    skills = skill_resources(request, current_agent(request))
    found = next((s for s in skills if s["id"] == wanted), None)
    if found is None:
        fail(6, f"Unknown skill {wanted}")
    return web.json_response({"statusCode": 0, "skill": found})
