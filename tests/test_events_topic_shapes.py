"""Recognising notifications by topic and shape: the spec's attribute tables list no
``messageType`` for calls, devices and channels, so their topic and their keys say what
they are; an unrecognised ``messageType`` falls back to the topic's own decoding."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from gws_async import GwsClient
from gws_async.events import (
    CallStateChangeMessage,
    ChannelStateChange,
    DeviceStateChangeMessage,
    GwsEvent,
    PasswordChangeError,
    PasswordChangeSuccessful,
    UnknownEvent,
    UserPasswordChangeSuccessful,
    decode_event,
)
from gws_async.simulator import GwsSimulator
from gws_async.topics import Topic

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "spec"


def _sample(name: str) -> tuple[str, dict[str, Any]]:
    """A spec sample's topic and data."""
    message = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return message["channel"], message["data"]


def _without_message_type(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "messageType"}


# --- calls and devices without messageType -----------------------------------------------


def test_a_call_is_recognised_by_its_topic_and_shape() -> None:
    topic, sample = _sample("call_state_change")
    data = _without_message_type(sample)

    event = decode_event(topic, data)

    assert isinstance(event, CallStateChangeMessage), getattr(event, "error", None)
    assert event.message_type is None
    assert event.notification_type == "StatusChange"
    assert event.call is not None
    assert event.call.id == "010a0229f0cbd001"
    assert event.raw is data


def test_devices_are_recognised_by_their_topic_and_shape() -> None:
    topic, sample = _sample("device_state_change")
    data = _without_message_type(sample)

    event = decode_event(topic, data)

    assert isinstance(event, DeviceStateChangeMessage), getattr(event, "error", None)
    assert event.message_type is None
    [device] = event.devices
    assert device.id == "5aceae61-0b5c-4578-9477-cd352d43cb17"


@pytest.mark.parametrize("topic", [Topic.CALLS, Topic.CALLS + "/"])
def test_every_call_notification_type_of_the_spec(topic: str) -> None:
    for notification_type in ("StatusChange", "ParticipantsUpdated", "AttachedDataChanged"):
        data = {"call": {"id": "c", "state": "Established"}, "notificationType": notification_type}

        event = decode_event(topic, data)

        assert isinstance(event, CallStateChangeMessage)
        assert event.notification_type == notification_type


def test_a_call_shape_without_a_valid_call_is_an_unknown_event_with_the_reason() -> None:
    event = decode_event(Topic.CALLS, {"call": "c1", "notificationType": "StatusChange"})

    assert isinstance(event, UnknownEvent)
    assert event.error is not None
    assert "CallStateChangeMessage" in event.error


@pytest.mark.parametrize(
    ("topic", "data"),
    [
        # The shape needs both keys.
        (Topic.CALLS, {"call": {"id": "c"}}),
        (Topic.CALLS, {"notificationType": "StatusChange"}),
        # A shape on another topic is not recognised: the topic says which shape applies.
        (Topic.DEVICES, {"call": {"id": "c"}, "notificationType": "StatusChange"}),
        (Topic.CALLS, {"devices": []}),
        (Topic.INTERACTIONS, {"devices": []}),
        (Topic.WORKBINS, {"channels": []}),
    ],
)
def test_a_partial_or_misplaced_shape_is_not_recognised(topic: str, data: Any) -> None:
    event = decode_event(topic, data)

    assert type(event) is UnknownEvent
    assert event.error is None


# --- an unrecognised messageType falls back to the topic's decoding ------------------------


@pytest.mark.parametrize(
    ("topic", "data", "cls"),
    [
        (
            Topic.CHANNELS,
            {"messageType": "ChannelStateChangeMessage", "channels": [{"channel": "chat"}]},
            ChannelStateChange,
        ),
        (
            Topic.ME,
            {"messageType": "UserNotification", "notificationType": "PasswordChangeSuccessful"},
            PasswordChangeSuccessful,
        ),
        (
            Topic.ME + "/",
            {
                "messageTypeName": "PasswordChange",
                "notificationType": "PasswordChangeError",
                "errorCode": 2,
            },
            PasswordChangeError,
        ),
        (
            Topic.USERS,
            {
                "messageType": "UserPasswordMessage",
                "notificationType": "PasswordChangeSuccessful",
                "userId": "u1",
            },
            UserPasswordChangeSuccessful,
        ),
        (
            Topic.CALLS,
            {
                "messageType": "CallStateChangedMessage",  # as the spec's prose spells it
                "call": {"id": "c"},
                "notificationType": "StatusChange",
            },
            CallStateChangeMessage,
        ),
        (
            Topic.DEVICES,
            {"messageType": "DevicesMessage", "devices": [{"id": "d"}]},
            DeviceStateChangeMessage,
        ),
    ],
)
def test_an_unrecognised_message_type_falls_back_to_the_topic(
    topic: str, data: dict[str, Any], cls: type[GwsEvent]
) -> None:
    before = copy.deepcopy(data)

    event = decode_event(topic, data)

    assert type(event) is cls, getattr(event, "error", None)
    # What the server said is kept: the event's type came from the topic, not from it.
    assert event.message_type == data.get("messageType", data.get("messageTypeName"))
    assert event.raw is data
    assert data == before


@pytest.mark.parametrize(
    ("topic", "data"),
    [
        (Topic.ME, {"messageType": "SomethingNew", "notificationType": "SomethingElse"}),
        (Topic.ME, {"messageType": "SomethingNew"}),
        (Topic.CHANNELS, {"messageType": "SomethingNew", "state": "x"}),
        (Topic.INTERACTIONS, {"messageType": "SomethingNew", "id": "x"}),
        (Topic.WORKBINS, {"messageType": "SomethingNew", "channels": []}),
    ],
)
def test_an_unrecognised_message_type_the_topic_cannot_decode_stays_unknown(
    topic: str, data: dict[str, Any]
) -> None:
    event = decode_event(topic, data)

    assert type(event) is UnknownEvent
    assert event.message_type == "SomethingNew"
    assert event.error is None


def test_a_known_message_type_still_wins_over_the_topic() -> None:
    data = {"messageType": "DeviceStateChangeMessage", "devices": [], "channels": []}

    assert type(decode_event(Topic.CHANNELS, data)) is DeviceStateChangeMessage


# --- end to end: a bot waiting for calls sees them ----------------------------------------


@pytest.mark.subscribed(Topic.CALLS, Topic.DEVICES)
async def test_a_waiter_receives_a_call_without_message_type_and_with_loose_types(
    sim: GwsSimulator, gws: GwsClient
) -> None:
    call = gws.wait_for(CallStateChangeMessage, timeout=5)
    devices = gws.wait_for(DeviceStateChangeMessage, timeout=5)
    call_data = {
        "call": {"id": "c9", "state": "Ringing", "duration": 12, "ani": 5551234, "mute": False},
        "phoneNumber": 1001,
        "notificationType": "StatusChange",
    }

    assert sim.push("agent1", Topic.CALLS, call_data) == 1
    assert sim.push("agent1", Topic.DEVICES, {"devices": [{"id": "d1", "phoneNumber": 1}]}) == 1

    got = await call
    assert got.call is not None
    assert (got.call.id, got.call.state) == ("c9", "Ringing")
    assert (got.call.duration, got.call.ani, got.call.mute) == ("12", "5551234", "false")
    assert got.phone_number == "1001"
    assert got.raw == call_data
    [device] = (await devices).devices
    assert (device.id, device.phone_number) == ("d1", "1")
