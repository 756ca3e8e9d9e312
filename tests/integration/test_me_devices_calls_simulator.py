"""gws.me, gws.channels, gws.devices and gws.calls against the embedded simulator."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import pytest

from gws_async import (
    AuthenticationError,
    CallStateChangeMessage,
    ChannelStateChange,
    DeviceStateChangeMessage,
    GwsClient,
    GwsEvent,
    InvalidStateError,
    MissingParameterError,
    NotFoundError,
    OperationResult,
    PasswordChangeError,
    PasswordChangeSuccessful,
    PermissionDeniedError,
    Topic,
)
from gws_async.simulator import GwsSimulator

pytestmark = pytest.mark.subscribed()

E = TypeVar("E", bound=GwsEvent)
TIMEOUT = 5.0


async def by_reference(gws: GwsClient, result: OperationResult, kind: type[E]) -> E:
    assert result.reference_id is not None
    event = await gws.wait_for_reference(result.reference_id, timeout=TIMEOUT)
    assert isinstance(event, kind)
    return event


async def then(gws: GwsClient, operation: Awaitable[OperationResult], kind: type[E]) -> E:
    """Register a wait for the next ``kind`` event, run the operation, return the event."""
    waiter = gws.wait_for(kind, timeout=TIMEOUT)
    result = await operation
    assert isinstance(result, OperationResult)
    return await waiter


async def my_device(gws: GwsClient) -> str:
    (device,) = await gws.devices.list()
    return device.id


async def test_me_state_operations_notify_devices_and_channels(gws: GwsClient) -> None:
    user = await gws.me.get(subresources=True)
    assert user.devices[0]["userState"]["state"] == "NotReady"
    assert {c["channel"] for c in user.channels} == {"chat", "email"}

    channels = gws.wait_for(ChannelStateChange, timeout=TIMEOUT)
    device = await then(gws, gws.me.ready(), DeviceStateChangeMessage)
    assert device.devices[0].user_state is not None
    assert device.devices[0].user_state.state == "Ready"
    assert {c.user_state.state for c in (await channels).channels if c.user_state} == {"Ready"}

    device = await then(gws, gws.me.set_state("OutToLunch"), DeviceStateChangeMessage)
    state = device.devices[0].user_state
    assert state is not None
    assert (state.state, state.reason, state.display_name) == ("NotReady", "Lunch", "Out to Lunch")

    device = await then(gws, gws.me.not_ready(), DeviceStateChangeMessage)
    assert device.devices[0].user_state is not None
    assert device.devices[0].user_state.display_name == "Not Ready"

    with pytest.raises(MissingParameterError, match="Unknown operation"):
        await gws.me.set_state("Dancing")


async def test_me_dnd_on_and_off(gws: GwsClient) -> None:
    channels = gws.wait_for(ChannelStateChange, timeout=TIMEOUT)
    device = await then(gws, gws.me.dnd_on(), DeviceStateChangeMessage)
    assert device.devices[0].do_not_disturb == "On"
    assert {c.dnd_state for c in (await channels).channels} == {"On"}
    with pytest.raises(InvalidStateError):
        await gws.me.dnd_on()
    device = await then(gws, gws.me.dnd_off(), DeviceStateChangeMessage)
    assert device.devices[0].do_not_disturb == "Off"


async def test_channel_state_and_dnd(gws: GwsClient) -> None:
    event = await then(gws, gws.channels.ready("chat"), ChannelStateChange)
    (chat,) = event.channels
    assert chat.channel == "chat"
    assert chat.user_state is not None
    assert chat.user_state.state == "Ready"
    assert (await gws.channels.get("chat")).user_state.state == "Ready"  # type: ignore[union-attr]
    assert (await gws.channels.get("email")).user_state.state == "NotReady"  # type: ignore[union-attr]

    event = await then(gws, gws.channels.set_state("chat", "OutToLunch"), ChannelStateChange)
    assert event.channels[0].user_state is not None
    assert event.channels[0].user_state.reason == "Lunch"
    event = await then(gws, gws.channels.not_ready("chat"), ChannelStateChange)
    assert event.channels[0].user_state is not None
    assert event.channels[0].user_state.state == "NotReady"

    event = await then(gws, gws.channels.dnd_on("email"), ChannelStateChange)
    assert (event.channels[0].channel, event.channels[0].dnd_state) == ("email", "On")
    event = await then(gws, gws.channels.dnd_off("email"), ChannelStateChange)
    assert event.channels[0].dnd_state == "Off"
    listed = {c.channel: c.dnd_state for c in await gws.channels.list()}
    assert listed == {"chat": "Off", "email": "Off"}

    with pytest.raises(NotFoundError):
        await gws.channels.ready("fax")


async def test_device_reads_dnd_and_forwarding(sim: GwsSimulator, gws: GwsClient) -> None:
    device_id = await my_device(gws)
    uris = await gws.devices.list_uris()
    assert uris == [f"{sim.api_url}/devices/{device_id}"]
    assert [d.id for d in await gws.devices.list(all_devices=True)] == [device_id]
    assert gws.user is not None
    assert [d.id for d in await gws.devices.list(user_id=gws.user.id)] == [device_id]
    other = sim.state.agent("agent2").user_id
    with pytest.raises(PermissionDeniedError):
        await gws.devices.list(user_id=other)
    assert (await gws.devices.get(device_id)).device_state == "Active"
    assert (await gws.devices.get(device_id, mine=True)).id == device_id
    with pytest.raises(NotFoundError):
        await gws.devices.get("nope")

    event = await by_reference(gws, await gws.devices.dnd_on(device_id), DeviceStateChangeMessage)
    assert event.devices[0].do_not_disturb == "On"
    event = await by_reference(gws, await gws.devices.dnd_off(device_id), DeviceStateChangeMessage)
    assert event.devices[0].do_not_disturb == "Off"

    forwarding = await gws.devices.forward_calls_on(device_id, "5009")
    event = await by_reference(gws, forwarding, DeviceStateChangeMessage)
    assert event.devices[0].forward_to == "5009"
    assert "ForwardCallsOff" in event.devices[0].capabilities
    with pytest.raises(InvalidStateError):
        await gws.devices.forward_calls_on(device_id, "5010")
    stop = await gws.devices.forward_calls_off(device_id)
    event = await by_reference(gws, stop, DeviceStateChangeMessage)
    assert event.devices[0].forward_to is None
    with pytest.raises(InvalidStateError):
        await gws.devices.forward_calls_off(device_id)


async def test_change_password_notifies_me(sim: GwsSimulator, gws: GwsClient) -> None:
    failed = await then(gws, gws.me.change_password("wrong", "newpass1"), PasswordChangeError)
    assert failed.error_code == 2
    weak = await then(gws, gws.me.change_password("password1", "x"), PasswordChangeError)
    assert weak.error_code == 1
    done = await then(
        gws,
        gws.me.change_password("password1", "newpass1", first_login=True),
        PasswordChangeSuccessful,
    )
    assert done.notification_type == "PasswordChangeSuccessful"
    assert sim.state.agent("agent1").password == "newpass1"
    with pytest.raises(AuthenticationError):
        async with GwsClient(sim.url, "agent1", "password1"):
            pass
    async with GwsClient(sim.url, "agent1", "newpass1") as again:
        assert again.user is not None


async def test_contact_center_session(sim: GwsSimulator, gws: GwsClient) -> None:
    with pytest.raises(InvalidStateError):
        await gws.me.start_contact_center_session(channels=["voice"])
    (session,) = sim.state.http_sessions
    event = await then(gws, gws.me.end_contact_center_session(), DeviceStateChangeMessage)
    assert event.devices[0].device_state == "Inactive"
    # The HTTP session was invalidated: the next request logs in again with Basic auth.
    with pytest.raises(InvalidStateError):
        await gws.me.ready()
    assert session not in sim.state.http_sessions
    with pytest.raises(NotFoundError):
        await gws.me.start_contact_center_session(channels=["voice"], place="NoSuchPlace")
    with pytest.raises(InvalidStateError):
        await gws.me.start_contact_center_session(channels=["voice"], place="Place_agent2")
    await gws.subscribe(Topic.DEVICES)  # the listener may have re-handshaken
    event = await then(
        gws,
        gws.me.start_contact_center_session(
            place="Place_agent1", login_code="1001", queue="8001", channels=["voice", "chat"]
        ),
        DeviceStateChangeMessage,
    )
    assert event.devices[0].device_state == "Active"
    assert sim.state.presence["agent1"].session_channels == ["voice", "chat"]


async def test_skills(gws: GwsClient) -> None:
    skills = await gws.me.list_skills()
    assert [s.name for s in skills] == ["English", "Billing"]
    uris = await gws.me.list_skill_uris()
    assert uris == [s.uri for s in skills]
    assert (await gws.me.get_skill(skills[0].id)).level == "5"
    with pytest.raises(NotFoundError):
        await gws.me.get_skill("nope")


async def dial(gws: GwsClient, number: str) -> str:
    """Dial and return the call id once it is Established."""
    device_id = await my_device(gws)
    established = gws.wait_for(
        CallStateChangeMessage,
        check=lambda e: (
            e.call is not None and e.call.state == "Established" and e.call.participants == [number]
        ),
        timeout=TIMEOUT,
    )
    result = await gws.devices.dial(device_id, number)
    dialing = await by_reference(gws, result, CallStateChangeMessage)
    assert dialing.call is not None
    assert (dialing.call.state, dialing.notification_type) == ("Dialing", "StatusChange")
    event = await established
    assert event.call is not None
    return event.call.id


async def test_dial_hold_retrieve_mute_hangup(sim: GwsSimulator, gws: GwsClient) -> None:
    call_id = await dial(gws, "5551000")
    (listed,) = await gws.calls.list()
    assert (listed.id, listed.state) == (call_id, "Established")
    assert await gws.calls.list_uris() == [gws.calls.uri(call_id)]
    assert (await gws.calls.get(call_id)).participants == ["5551000"]

    async def step(result: OperationResult) -> CallStateChangeMessage:
        return await by_reference(gws, result, CallStateChangeMessage)

    held = await step(await gws.calls.hold(call_id))
    assert held.call is not None
    assert held.call.state == "Held"
    with pytest.raises(InvalidStateError):
        await gws.calls.hold(call_id)
    retrieved = await step(await gws.calls.retrieve(call_id))
    assert retrieved.call is not None
    assert retrieved.call.state == "Established"
    muted = await step(await gws.calls.mute(call_id))
    assert muted.call is not None
    assert muted.call.mute == "On"
    unmuted = await step(await gws.calls.unmute(call_id))
    assert unmuted.call is not None
    assert unmuted.call.mute == "Off"
    sent = await step(await gws.calls.send_dtmf(call_id, "1234"))
    assert sent.notification_type == "DtmfSent"
    released = await step(await gws.calls.hangup(call_id))
    assert released.call is not None
    assert released.call.state == "Released"
    assert await gws.calls.list() == []
    with pytest.raises(NotFoundError):
        await gws.calls.hangup(call_id)


async def test_ring_answer_attached_data_and_transfer(sim: GwsSimulator, gws: GwsClient) -> None:
    ringing = gws.wait_for(CallStateChangeMessage, timeout=TIMEOUT)
    call_id = sim.ring_call("agent1", from_number="5557777")
    event = await ringing
    assert event.call is not None
    assert (event.call.id, event.call.state, event.call.ani) == (call_id, "Ringing", "5557777")
    assert event.reference_id is None
    with pytest.raises(InvalidStateError):
        await gws.calls.hold(call_id)

    async def step(result: OperationResult) -> CallStateChangeMessage:
        return await by_reference(gws, result, CallStateChangeMessage)

    answered = await step(await gws.calls.answer(call_id))
    assert answered.call is not None
    assert answered.call.state == "Established"
    attached = await step(await gws.calls.attach_user_data(call_id, {"Order": "42", "Vip": 1}))
    assert attached.notification_type == "AttachedDataChanged"
    assert attached.call is not None
    assert attached.call.user_data == {"Order": "42", "Vip": 1}
    updated = await step(await gws.calls.update_user_data(call_id, {"Order": "43"}))
    assert updated.call is not None
    assert updated.call.user_data["Order"] == "43"
    pair = await step(await gws.calls.delete_user_data_pair(call_id, "Vip"))
    assert pair.call is not None
    assert pair.call.user_data == {"Order": "43"}
    with pytest.raises(NotFoundError):
        await gws.calls.delete_user_data_pair(call_id, "Vip")
    cleared = await step(await gws.calls.delete_user_data(call_id))
    assert cleared.call is not None
    assert cleared.call.user_data == {}

    transferred = await step(await gws.calls.single_step_transfer(call_id, "5002"))
    assert transferred.call is not None
    assert transferred.call.state == "Released"
    assert call_id not in sim.state.calls


async def test_conference_operations(sim: GwsSimulator, gws: GwsClient) -> None:
    async def step(result: OperationResult) -> CallStateChangeMessage:
        return await by_reference(gws, result, CallStateChangeMessage)

    call_id = await dial(gws, "5551000")
    added = await step(await gws.calls.single_step_conference(call_id, "5002"))
    assert added.notification_type == "ParticipantsUpdated"
    assert added.call is not None
    assert added.call.participants == ["5551000", "5002"]
    with pytest.raises(NotFoundError):
        await gws.calls.remove_participant(call_id, "5009")
    removed = await step(await gws.calls.remove_participant(call_id, "5002"))
    assert removed.call is not None
    assert removed.call.participants == ["5551000"]
    with pytest.raises(InvalidStateError):  # the last party cannot be removed
        await gws.calls.remove_participant(call_id, "5551000")

    consult = gws.wait_for(
        CallStateChangeMessage,
        check=lambda e: (
            e.call is not None and e.call.id != call_id and e.call.state == "Established"
        ),
        timeout=TIMEOUT,
    )
    held = await step(await gws.calls.initiate_conference(call_id, "5003"))
    assert held.call is not None
    assert held.call.state == "Held"
    consult_event = await consult
    assert consult_event.call is not None
    assert consult_event.call.uri is not None
    completed = await step(await gws.calls.complete_conference(call_id, consult_event.call.uri))
    assert completed.notification_type == "ParticipantsUpdated"
    assert completed.call is not None
    assert completed.call.state == "Established"
    assert completed.call.participants == ["5551000", "5003"]
    assert list(sim.state.calls) == [call_id]

    # Two calls: swap them, then merge them.
    second = await dial(gws, "5551001")
    with pytest.raises(InvalidStateError):  # the first call is Established, not Held
        await gws.calls.swap_calls(second, gws.calls.uri(call_id))
    await step(await gws.calls.hold(call_id))
    swapped = await step(await gws.calls.swap_calls(second, gws.calls.uri(call_id)))
    assert swapped.call is not None
    assert swapped.call.state == "Held"
    assert sim.state.calls[call_id].state == "Established"
    merged = await step(await gws.calls.merge_with_other_call(call_id, gws.calls.uri(second)))
    assert merged.call is not None
    assert merged.call.participants == ["5551000", "5003", "5551001"]
    assert list(sim.state.calls) == [call_id]
    with pytest.raises(NotFoundError):
        await gws.calls.merge_with_other_call(call_id, gws.calls.uri("gone"))


async def test_simulator_checks_parameters_the_client_would_refuse(
    sim: GwsSimulator, gws: GwsClient
) -> None:
    call_id = await dial(gws, "5551000")
    path = f"/me/calls/{call_id}"
    for body in (
        {"operationName": "SendDtmf", "digits": "12*"},
        {"operationName": "SendDtmf"},
        {"operationName": "InitiateConference", "destination": "5003"},
        {"operationName": "AttachUserData", "userData": "x"},
        {"operationName": "SwapCalls"},
    ):
        with pytest.raises(MissingParameterError):
            await gws.request("POST", path, json_body=body)
    device = f"/devices/{await my_device(gws)}"
    with pytest.raises(MissingParameterError):
        await gws.request("POST", f"{device}/calls", json_body={"operationName": "Dial"})
    with pytest.raises(MissingParameterError):
        await gws.request("POST", device, json_body={"operationName": "ForwardCallsOn"})
    with pytest.raises(MissingParameterError):
        await gws.request(
            "POST", "/me", json_body={"operationName": "ChangePassword", "oldPassword": "%%"}
        )
