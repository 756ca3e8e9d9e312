"""Calls: Dial on a device and the call-control operations on ``/me/calls/{id}``.

Spec sections "Calls API", "Asynchronous Operations", "Call Control" and "Asynchronous
Telephony Operations Notifications". Every operation answers ``{"statusCode": 0,
"referenceId": N}`` at once and its outcome follows as ``CallStateChangeMessage`` on
``/v2/me/calls`` carrying the same ``referenceId`` (``StatusChange``,
``ParticipantsUpdated``, ``AttachedDataChanged`` or ``DtmfSent``).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from ._common import (
    CONTEXT,
    OperationCall,
    SimContext,
    api_url,
    current_agent,
    fail,
    requested_fields,
    select_fields,
)
from ._state import SimCall

__all__ = ["TOPIC_CALLS", "call_resource", "ring_call", "setup"]

TOPIC_CALLS = "/v2/me/calls"

_CALL = "/me/calls/{id}"
_DEVICE_CALLS = "/devices/{id}/calls"

_USER_DATA_CAPABILITIES = [
    "AttachUserData",
    "UpdateUserData",
    "DeleteUserData",
    "DeleteUserDataPair",
]
_CAPABILITIES: dict[str, list[str]] = {
    "Ringing": ["Answer", "Hangup", *_USER_DATA_CAPABILITIES],
    "Dialing": ["Hangup", *_USER_DATA_CAPABILITIES],
    "Established": [
        "Hangup",
        "Hold",
        "SingleStepTransfer",
        "SingleStepConference",
        "InitiateConference",
        "SendDtmf",
        "MergeWithOtherCall",
        "SwapCalls",
        *_USER_DATA_CAPABILITIES,
    ],
    "Held": ["Hangup", "Retrieve", "CompleteConference", *_USER_DATA_CAPABILITIES],
    "Released": [],
}


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the call routes and operations."""
    root = ctx.api_root
    app.router.add_get(f"{root}/me/calls", _get_calls)
    app.router.add_get(f"{root}/me/calls/{{call_id}}", _get_call)
    app.router.add_post(f"{root}/me/calls/{{call_id}}", _post_call)
    app.router.add_post(f"{root}/devices/{{device_id}}/calls", _post_device_calls)

    ctx.table(_DEVICE_CALLS).add(_dial, "Dial")
    table = ctx.table(_CALL)
    handlers: dict[str, Callable[[OperationCall, SimCall, int], None]] = {
        "Answer": _answer,
        "Hangup": _hangup,
        "Hold": _hold,
        "Retrieve": _retrieve,
        "MuteCall": _mute,
        "UnmuteCall": _mute,
        "SingleStepTransfer": _single_step_transfer,
        "SingleStepConference": _single_step_conference,
        "InitiateConference": _initiate_conference,
        "CompleteConference": _complete_conference,
        "SendDtmf": _send_dtmf,
        "RemoveParticipantFromConference": _remove_participant,
        "SwapCalls": _swap_calls,
        "MergeWithOtherCall": _merge,
        "AttachUserData": _user_data,
        "UpdateUserData": _user_data,
        "DeleteUserData": _user_data,
        "DeleteUserDataPair": _user_data,
    }
    for operation, handler in handlers.items():
        table.add(_call_operation(handler), operation)


# -- state and rendering ------------------------------------------------------------------


def _new_call(ctx: SimContext, username: str, state: str, **fields: Any) -> SimCall:
    while True:
        call_id = secrets.token_hex(8)
        if call_id not in ctx.state.calls:
            break
    call = SimCall(
        id=call_id,
        owner=username,
        state=state,
        call_uuid=secrets.token_hex(16).upper(),
        **fields,
    )
    ctx.state.calls[call_id] = call
    return call


def call_resource(api: str, ctx: SimContext, call: SimCall) -> dict[str, Any]:
    """A call as ``/me/calls`` and ``CallStateChangeMessage`` show it."""
    device_id = ctx.state.presence[call.owner].device_id
    capabilities = list(_CAPABILITIES.get(call.state, []))
    if call.state == "Established":
        capabilities.append("UnmuteCall" if call.mute else "MuteCall")
        if len(call.participants) > 1:
            capabilities.append("RemoveParticipantFromConference")
    return {
        "id": call.id,
        "state": call.state,
        "callUuid": call.call_uuid,
        "deviceUri": f"{api}/devices/{device_id}",
        "uri": f"{api}/me/calls/{call.id}",
        "participants": list(call.participants),
        "participantsInfo": [
            {
                "location": None,
                "country": {"name": "", "code": "", "callingCode": ""},
                "formattedPhoneNumber": number,
                "isValidNumber": False,
                "E164digits": number,
            }
            for number in call.participants
        ],
        "ani": call.ani,
        "dnis": call.dnis,
        "capabilities": capabilities,
        "duration": "0",
        "mute": "On" if call.mute else "Off",
        "userData": dict(call.user_data),
    }


def _publish(
    ctx: SimContext,
    api: str,
    call: SimCall,
    notification_type: str,
    reference_id: int | None,
    **extra: Any,
) -> None:
    data: dict[str, Any] = {
        "messageType": "CallStateChangeMessage",
        "call": call_resource(api, ctx, call),
        "phoneNumber": ctx.state.presence[call.owner].phone_number,
        "notificationType": notification_type,
        **extra,
    }
    if reference_id is not None:
        data["referenceId"] = reference_id
    ctx.publish(call.owner, TOPIC_CALLS, data)


def ring_call(
    ctx: SimContext,
    api: str,
    username: str,
    from_number: str,
    user_data: Mapping[str, Any] | None = None,
) -> str:
    """An inbound call ringing on the agent's device (with ``user_data`` attached);
    ``StatusChange`` Ringing follows."""
    presence = ctx.state.presence[ctx.state.agent(username).username]
    if not from_number.strip():
        raise ValueError("from_number is empty")
    call = _new_call(
        ctx,
        username,
        "Ringing",
        participants=[from_number],
        ani=from_number,
        dnis=presence.phone_number,
        user_data=dict(user_data or {}),
    )
    _publish(ctx, api, call, "StatusChange", None)
    return call.id


# -- routes -------------------------------------------------------------------------------


def _owned(ctx: SimContext, username: str) -> list[SimCall]:
    return [c for c in ctx.state.calls.values() if c.owner == username]


async def _get_calls(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    calls = _owned(ctx, current_agent(request).username)
    api = api_url(request)
    fields = requested_fields(request)
    if fields is None:
        return web.json_response(
            {"statusCode": 0, "uris": [f"{api}/me/calls/{c.id}" for c in calls]}
        )
    resources = [select_fields(call_resource(api, ctx, c), fields) for c in calls]
    return web.json_response({"statusCode": 0, "calls": resources})


def _find(ctx: SimContext, username: str, call_id: str) -> SimCall:
    call = ctx.state.calls.get(call_id)
    if call is None or call.owner != username:
        fail(6, f"Unknown call {call_id}")
    return call


async def _get_call(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    call = _find(ctx, current_agent(request).username, request.match_info["call_id"])
    return web.json_response({"statusCode": 0, "call": call_resource(api_url(request), ctx, call)})


async def _post_call(request: web.Request) -> web.Response:
    return await request.app[CONTEXT].table(_CALL).dispatch(request)


async def _post_device_calls(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    presence = ctx.state.presence[current_agent(request).username]
    if request.match_info["device_id"] != presence.device_id:
        fail(6, f"Unknown device {request.match_info['device_id']}")
    return await ctx.table(_DEVICE_CALLS).dispatch(request)


def _destination(body: dict[str, Any], *, nested: bool = False) -> str:
    value = body.get("destination")
    if nested:
        value = value.get("phoneNumber") if isinstance(value, dict) else None
    if not isinstance(value, str) or not value.strip():
        what = "destination.phoneNumber" if nested else "destination"
        fail(1, f"{what} is required")
    return value


async def _dial(call: OperationCall) -> web.Response:
    """Dial: a new call, Dialing then Established."""
    destination = _destination(call.body)
    if not call.ctx.state.presence[call.agent.username].session_active:
        fail(2, "The device is not logged in (StartContactCenterSession)")
    reference_id = call.ctx.state.next_reference_id()
    _dial_out(call, destination, reference_id)
    return web.json_response({"statusCode": 0, "referenceId": reference_id})


def _dial_out(
    call: OperationCall,
    destination: str,
    reference_id: int | None,
    *,
    consult_of: str | None = None,
) -> None:
    """A call from the agent's phone to ``destination``: Dialing, then Established."""
    presence = call.ctx.state.presence[call.agent.username]
    new = _new_call(
        call.ctx,
        call.agent.username,
        "Dialing",
        participants=[destination],
        ani=presence.phone_number,
        dnis=destination,
        consult_of=consult_of,
    )
    api = api_url(call.request)
    _publish(call.ctx, api, new, "StatusChange", reference_id)
    new.state = "Established"
    _publish(call.ctx, api, new, "StatusChange", None)


def _call_operation(
    handler: Callable[[OperationCall, SimCall, int], None],
) -> Callable[[OperationCall], Awaitable[web.Response]]:
    async def run(call: OperationCall) -> web.Response:
        target = _find(call.ctx, call.agent.username, call.path_param("call_id"))
        if call.operation not in call_resource("", call.ctx, target)["capabilities"]:
            fail(2, f"{call.operation} is not possible on a call in state {target.state}")
        reference_id = call.ctx.state.next_reference_id()
        handler(call, target, reference_id)
        return web.json_response({"statusCode": 0, "referenceId": reference_id})

    return run


def _status(call: OperationCall, target: SimCall, state: str, reference_id: int | None) -> None:
    target.state = state
    _publish(call.ctx, api_url(call.request), target, "StatusChange", reference_id)
    if state == "Released":
        call.ctx.state.calls.pop(target.id, None)


def _answer(call: OperationCall, target: SimCall, reference_id: int) -> None:
    _status(call, target, "Established", reference_id)


def _hangup(call: OperationCall, target: SimCall, reference_id: int) -> None:
    _status(call, target, "Released", reference_id)


def _hold(call: OperationCall, target: SimCall, reference_id: int) -> None:
    _status(call, target, "Held", reference_id)


def _retrieve(call: OperationCall, target: SimCall, reference_id: int) -> None:
    _status(call, target, "Established", reference_id)


def _mute(call: OperationCall, target: SimCall, reference_id: int) -> None:
    target.mute = call.operation == "MuteCall"
    _publish(call.ctx, api_url(call.request), target, "StatusChange", reference_id)


def _single_step_transfer(call: OperationCall, target: SimCall, reference_id: int) -> None:
    _destination(call.body)
    _status(call, target, "Released", reference_id)


def _participants(call: OperationCall, target: SimCall, reference_id: int) -> None:
    _publish(call.ctx, api_url(call.request), target, "ParticipantsUpdated", reference_id)


def _single_step_conference(call: OperationCall, target: SimCall, reference_id: int) -> None:
    destination = _destination(call.body)
    if destination in target.participants:
        fail(2, f"{destination} is already in the call")
    target.participants.append(destination)
    _participants(call, target, reference_id)


def _initiate_conference(call: OperationCall, target: SimCall, reference_id: int) -> None:
    """The call goes on hold and a consultation call to the destination starts."""
    destination = _destination(call.body, nested=True)
    _status(call, target, "Held", reference_id)
    _dial_out(call, destination, None, consult_of=target.id)


def _other_call(call: OperationCall, key: str) -> SimCall:
    uri = call.body.get(key)
    if not isinstance(uri, str) or not uri.strip():
        fail(1, f"{key} is required")
    call_id = unquote(uri.rstrip("/").rsplit("/", 1)[-1])
    other = _find(call.ctx, call.agent.username, call_id)
    if other.id == call.path_param("call_id"):
        fail(2, f"{key} names the call the operation is sent to")
    return other


def _join(call: OperationCall, target: SimCall, other: SimCall, reference_id: int) -> None:
    """Move the other call's parties into ``target``, release the other call."""
    for number in other.participants:
        if number not in target.participants:
            target.participants.append(number)
    _status(call, other, "Released", None)
    target.state = "Established"
    _participants(call, target, reference_id)


def _complete_conference(call: OperationCall, target: SimCall, reference_id: int) -> None:
    consult = _other_call(call, "consultCallUri")
    if consult.state != "Established":
        fail(2, f"The consultation call is {consult.state}, not Established")
    _join(call, target, consult, reference_id)


def _merge(call: OperationCall, target: SimCall, reference_id: int) -> None:
    other = _other_call(call, "otherCallUri")
    if other.state not in ("Established", "Held"):
        fail(2, f"The other call is {other.state}")
    _join(call, target, other, reference_id)


def _swap_calls(call: OperationCall, target: SimCall, reference_id: int) -> None:
    other = _other_call(call, "otherCallUri")
    if other.state != "Held":
        fail(2, f"The other call is {other.state}, not Held")
    _status(call, target, "Held", reference_id)
    _status(call, other, "Established", None)


def _send_dtmf(call: OperationCall, target: SimCall, reference_id: int) -> None:
    digits = call.body.get("digits")
    if not isinstance(digits, str) or not digits:
        fail(1, "digits is required")
    if not digits.isascii() or not digits.isdigit():
        fail(1, "digits must contain only the digits 0 to 9")
    _publish(call.ctx, api_url(call.request), target, "DtmfSent", reference_id, digits=digits)


def _remove_participant(call: OperationCall, target: SimCall, reference_id: int) -> None:
    participant = call.body.get("participant")
    if not isinstance(participant, str) or not participant.strip():
        fail(1, "participant is required")
    if participant not in target.participants:
        fail(6, f"{participant} is not in the call")
    target.participants.remove(participant)
    _participants(call, target, reference_id)


def _user_data(call: OperationCall, target: SimCall, reference_id: int) -> None:
    operation = call.operation
    if operation in ("AttachUserData", "UpdateUserData"):
        data = call.body.get("userData")
        if not isinstance(data, dict) or not data:
            fail(1, "userData is required (a non-empty object)")
        target.user_data.update(data)
    elif operation == "DeleteUserData":
        target.user_data.clear()
    else:
        key = call.body.get("key")
        if not isinstance(key, str) or not key:
            fail(1, "key is required")
        if key not in target.user_data:
            fail(6, f"No attached data under {key}")
        del target.user_data[key]
    _publish(call.ctx, api_url(call.request), target, "AttachedDataChanged", reference_id)
