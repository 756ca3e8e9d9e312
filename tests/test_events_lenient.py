"""Lenient decoding: a value of the wrong JSON type in a field that does not identify the
event is converted when nothing is lost, and otherwise left out (it stays in ``raw`` and
is named in ``dropped_fields``); only identifying fields make an event unknown."""

from __future__ import annotations

import copy
import logging
import pickle
from typing import Any

import pytest

from gws_async.events import (
    CallStateChangeMessage,
    ChannelStateChange,
    DeviceStateChangeMessage,
    GwsEvent,
    InteractionStateMessage,
    PasswordChangeError,
    UnknownEvent,
    UserPasswordChangeError,
    WorkbinNotificationResource,
    WorkbinStateChangeMessage,
    WorkitemStateChangeMessage,
    _decode,
    decode_event,
)
from gws_async.models import Call, Device

CALLS = "/v2/me/calls"


def _call(**call: Any) -> dict[str, Any]:
    return {
        "messageType": "CallStateChangeMessage",
        "call": {"id": "c1", "state": "Established", **call},
        "phoneNumber": "1",
        "notificationType": "StatusChange",
    }


def _decode_unchanged(topic: str, data: Any) -> GwsEvent:
    """decode_event, checking that the received object is kept as it came."""
    before = copy.deepcopy(data)
    event = decode_event(topic, data)
    assert event.raw is data
    assert data == before
    return event


# --- lossless conversions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        ("duration", 12, "12"),
        ("ani", 5551234, "5551234"),
        ("mute", False, "false"),
        ("mute", True, "true"),
        ("duration", 1.5, "1.5"),
        ("dnis", -3, "-3"),
        ("duration", 0, "0"),
    ],
)
def test_number_or_boolean_where_the_spec_shows_text_is_its_json_text(
    field: str, value: Any, text: str
) -> None:
    event = _decode_unchanged(CALLS, _call(**{field: value}))

    assert isinstance(event, CallStateChangeMessage), getattr(event, "error", None)
    assert event.call is not None
    assert getattr(event.call, field) == text
    assert event.dropped_fields == {}


def test_the_reported_call_decodes_with_every_field() -> None:
    event = _decode_unchanged(CALLS, _call(duration=12, ani=5551234, mute=False))

    assert isinstance(event, CallStateChangeMessage)
    assert event.call is not None
    assert (event.call.duration, event.call.ani, event.call.mute) == ("12", "5551234", "false")
    assert event.call.state == "Established"
    assert event.dropped_fields == {}


def test_numbers_and_booleans_in_lists_of_text() -> None:
    event = _decode_unchanged(CALLS, _call(capabilities=["Hangup", 7, True], participants=[2]))

    assert isinstance(event, CallStateChangeMessage)
    assert event.call is not None
    assert event.call.capabilities == ["Hangup", "7", "true"]
    assert event.call.participants == ["2"]


def test_numbers_and_booleans_at_several_depths() -> None:
    data = {
        "messageType": "DeviceStateChangeMessage",
        "devices": [
            {
                "id": "d1",
                "phoneNumber": 1001,
                "doNotDisturb": False,
                "userState": {"state": "Ready", "reason": 42},
                "country": {"callingCode": 1},
            }
        ],
    }

    event = _decode_unchanged("/v2/me/devices", data)

    assert isinstance(event, DeviceStateChangeMessage)
    [device] = event.devices
    assert (device.phone_number, device.do_not_disturb) == ("1001", "false")
    assert device.user_state is not None
    assert device.user_state.reason == "42"
    assert device.country is not None
    assert device.country.calling_code == "1"


@pytest.mark.parametrize(
    ("topic", "data", "read"),
    [
        (
            "/v2/me",
            {"notificationType": "PasswordChangeError", "errorCode": "2"},
            lambda event: event.error_code == 2,
        ),
        (
            "/v2/me/interactions",
            {"messageType": "InteractionStateMessage", "id": "i", "referenceId": "17"},
            lambda event: event.reference_id == 17,
        ),
        (
            CALLS,
            _call(participantsInfo=[{"isValidNumber": "false"}]),
            lambda event: event.call.participants_info[0].is_valid_number is False,
        ),
        (
            "/v2/me/workbins",
            {"messageType": "workbinNotificationResource", "reasonInfo": {"reason": "1"}},
            lambda event: event.reason_info.reason == 1,
        ),
    ],
)
def test_numeric_text_where_the_spec_shows_a_number(topic: str, data: Any, read: Any) -> None:
    event = _decode_unchanged(topic, data)

    assert not isinstance(event, UnknownEvent), event.error
    assert read(event)
    assert event.dropped_fields == {}


def test_the_same_conversions_hold_for_rest_models() -> None:
    call = Call.model_validate({"id": "c", "duration": 12, "ani": 5551234})
    device = Device.model_validate({"id": "d", "phoneNumber": 1001})

    assert (call.duration, call.ani) == ("12", "5551234")
    assert device.phone_number == "1001"


# --- what cannot be converted is left out -----------------------------------------------


@pytest.mark.parametrize(
    ("topic", "data", "dropped", "read"),
    [
        (
            CALLS,
            _call(duration={"seconds": 12}),
            "call.duration",
            lambda event: event.call.duration is None and event.call.state == "Established",
        ),
        (
            CALLS,
            _call(userData=["a"], ani="5"),
            "call.userData",
            lambda event: event.call.user_data == {} and event.call.ani == "5",
        ),
        (
            CALLS,
            _call(capabilities=["Hangup", {"x": 1}]),
            "call.capabilities",
            lambda event: event.call.capabilities == [],
        ),
        (
            CALLS,
            {**_call(), "phoneNumber": ["1"]},
            "phoneNumber",
            lambda event: event.phone_number is None and event.call.id == "c1",
        ),
        (
            "/v2/me/interactions",
            {"messageType": "InteractionStateMessage", "id": "i", "capabilities": "Accept"},
            "capabilities",
            lambda event: event.id == "i" and event.capabilities == [],
        ),
        (
            "/v2/me/interactions",
            {
                "messageType": "InteractionStateMessage",
                "id": "i",
                "state": "Invited",
                "chat_notifications": [{"EventId": "x", "MessageText": "hi"}],
            },
            "chat_notifications[0].EventId",
            lambda event: (
                event.chat_notifications[0].message_text == "hi" and event.state == "Invited"
            ),
        ),
        (
            "/v2/me/interactions",
            {"messageType": "InteractionStateMessage", "id": "i", "inQueues": ["q"]},
            "inQueues",
            lambda event: event.in_queues is None,
        ),
        (
            "/v2/me/interactions",
            {
                "messageType": "InteractionStateMessage",
                "id": "i",
                "email_object": {"Subject": "s", "attachments": [{"name": "no id"}]},
            },
            "email_object.attachments",
            lambda event: (
                event.email_object.subject == "s" and event.email_object.attachments == []
            ),
        ),
        (
            "/v2/me/devices",
            {
                "messageType": "DeviceStateChangeMessage",
                "devices": [{"id": "d1", "deviceState": "Active", "capabilities": "all"}],
            },
            "devices[0].capabilities",
            lambda event: event.devices[0].device_state == "Active",
        ),
        (
            "/v2/me/workbins",
            {
                "messageType": "WorkbinStateChangeMessage",
                "id": "wb",
                "chatStateResourceV2": {"id": "i1", "state": "Queued", "userData": [1, 2]},
            },
            "chatStateResourceV2.userData",
            lambda event: event.interaction_id == "i1" and event.interaction.user_data == {},
        ),
        (
            "/v2/me",
            {"notificationType": "PasswordChangeError", "errorCode": "one", "errorMessage": "m"},
            "errorCode",
            lambda event: event.error_code is None and event.error_message == "m",
        ),
        (
            "/v2/me/channels",
            {"channels": [{"channel": "chat", "userState": "Ready", "dndState": "On"}]},
            "channels[0].userState",
            lambda event: event.channels[0].dnd_state == "On",
        ),
    ],
)
def test_a_field_that_does_not_validate_is_left_out_and_named(
    topic: str, data: Any, dropped: str, read: Any
) -> None:
    event = _decode_unchanged(topic, data)

    assert not isinstance(event, UnknownEvent), event.error
    assert list(event.dropped_fields) == [dropped]
    assert event.dropped_fields[dropped]  # pydantic's reason, e.g. "Input should be ..."
    assert read(event)


def test_several_fields_left_out_at_once() -> None:
    data = _call(duration={}, mute=[], userData="x")
    data["errorMessage"] = {"text": "no"}

    event = _decode_unchanged(CALLS, data)

    assert isinstance(event, CallStateChangeMessage)
    assert sorted(event.dropped_fields) == [
        "call.duration",
        "call.mute",
        "call.userData",
        "errorMessage",
    ]


def test_dropped_fields_is_read_only_and_survives_pickling() -> None:
    event = decode_event(CALLS, _call(duration={}))

    with pytest.raises(TypeError):
        event.dropped_fields["x"] = "y"  # type: ignore[index]
    copied = pickle.loads(pickle.dumps(event))
    assert copied.dropped_fields == {"call.duration": event.dropped_fields["call.duration"]}
    assert copied == event


def test_an_event_that_validates_as_received_drops_nothing() -> None:
    event = decode_event(CALLS, _call())

    assert event.dropped_fields == {}
    assert UnknownEvent.model_construct().dropped_fields == {}


# --- identifying fields ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "data", "cls"),
    [
        ("/v2/me/interactions", {"messageType": "InteractionStateMessage", "id": 12}, None),
        ("/v2/me/interactions", {"messageType": "InteractionStateMessage", "id": True}, None),
        ("/v2/me/interactions", {"messageType": "InteractionStateMessage", "state": "x"}, None),
        (CALLS, {**_call(), "call": "c1"}, CallStateChangeMessage),
        (CALLS, {**_call(), "call": {"state": "Held"}}, CallStateChangeMessage),
        (CALLS, {**_call(), "call": {"id": 5, "state": "Held"}}, CallStateChangeMessage),
        ("/v2/me/devices", {"messageType": "DeviceStateChangeMessage", "devices": "x"}, None),
        (
            "/v2/me/devices",
            {"messageType": "DeviceStateChangeMessage", "devices": [{"id": 5}]},
            DeviceStateChangeMessage,
        ),
        ("/v2/me/devices", {"messageType": "DeviceStateChangeMessage", "devices": ["d1"]}, None),
        ("/v2/me/channels", {"channels": [{"channel": 1}]}, ChannelStateChange),
        ("/v2/me/channels", {"channels": {"chat": "Ready"}}, ChannelStateChange),
        (
            "/v2/me/workbins",
            {"messageType": "WorkbinStateChangeMessage", "chatStateResourceV2": {"id": "i"}},
            WorkbinStateChangeMessage,
        ),
        (
            "/v2/me/workbins",
            {"messageType": "WorkbinStateChangeMessage", "id": "w", "chatStateResourceV2": {}},
            WorkbinStateChangeMessage,
        ),
        (
            "/v2/me/workbins",
            {"messageType": "workbinNotificationResource", "interaction": {"channel": "email"}},
            WorkbinNotificationResource,
        ),
        (
            "/v2/me/interactions",
            {"messageType": "WorkitemStateChangeMessage", "workitem": "w"},
            WorkitemStateChangeMessage,
        ),
        (
            "/v2/users",
            {"notificationType": "PasswordChangeError", "userId": ["u"], "errorCode": 1},
            UserPasswordChangeError,
        ),
    ],
)
def test_an_invalid_identifying_field_gives_an_unknown_event(
    topic: str, data: Any, cls: type[GwsEvent] | None
) -> None:
    event = _decode_unchanged(topic, data)

    assert type(event) is UnknownEvent
    assert event.error
    if cls is not None:
        assert cls.__name__ in event.error


def test_an_unknown_event_names_only_what_made_it_unknown() -> None:
    event = decode_event(CALLS, {**_call(duration={}), "call": {"id": 5, "duration": {}}})

    assert isinstance(event, UnknownEvent)
    assert event.error is not None
    assert "call.id" in event.error
    assert "duration" not in event.error


# --- it is said once, quietly ------------------------------------------------------------


@pytest.fixture
def fresh_log_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget which kinds of dropped field were already reported by earlier tests."""
    monkeypatch.setattr(_decode, "_reported", set())


@pytest.mark.usefixtures("fresh_log_memory")
def test_a_dropped_field_is_logged_once_per_kind_as_a_warning_then_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="gws_async.events")
    secret = "customer-secret-value"
    bad = _call(dnis={"v": secret})
    bad["errorMessage"] = [secret]

    for _ in range(3):
        event = decode_event(CALLS, bad)
        assert isinstance(event, CallStateChangeMessage)
    other = decode_event(
        "/v2/me", {"notificationType": "PasswordChangeError", "errorMessage": {"a": secret}}
    )
    assert isinstance(other, PasswordChangeError)

    records = [r for r in caplog.records if r.name == "gws_async.events"]
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    debugs = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
    assert len(warnings) == 3
    assert any("CallStateChangeMessage" in m and "call.dnis" in m for m in warnings)
    assert any("CallStateChangeMessage" in m and "errorMessage" in m for m in warnings)
    assert any("PasswordChangeError" in m and "errorMessage" in m for m in warnings)
    assert len(debugs) == 4  # the two fields of the second and third call
    # The value itself is never logged: it may be a customer's data.
    assert all(secret not in r.getMessage() for r in records)


def test_a_failed_call_operation_with_a_numeric_error_still_arrives() -> None:
    data = {
        "messageType": "CallStateChangeMessage",
        "deviceUri": "http://h/api/v2/devices/d1",
        "errorMessage": 404,
        "connectionId": 7,
        "callUuid": "u",
    }

    event = _decode_unchanged(CALLS, data)

    assert isinstance(event, CallStateChangeMessage)
    assert (event.error_message, event.connection_id) == ("404", "7")


def test_an_interaction_keeps_its_identity_fields_exact() -> None:
    event = decode_event(
        "/v2/me/interactions",
        {"messageType": "InteractionStateMessage", "id": "i", "channel": 5, "state": False},
    )

    assert isinstance(event, InteractionStateMessage)
    assert (event.id, event.channel, event.state) == ("i", "5", "false")


def test_user_password_error_keeps_the_user() -> None:
    event = decode_event(
        "/v2/users",
        {"notificationType": "PasswordChangeError", "userId": "u1", "errorCode": {"c": 1}},
    )

    assert isinstance(event, UserPasswordChangeError)
    assert event.user_id == "u1"
    assert list(event.dropped_fields) == ["errorCode"]


def test_a_value_two_errors_are_about_is_left_out_once_and_nothing_around_it() -> None:
    # ``size`` is a number or a text: an object fails both, which pydantic reports apart.
    data = {
        "messageType": "InteractionStateMessage",
        "id": "i",
        "email_object": {
            "attachments": [{"id": "a1", "size": {"bytes": 3}}, {"id": "a2", "size": 5}]
        },
    }

    event = _decode_unchanged("/v2/me/interactions", data)

    assert isinstance(event, InteractionStateMessage)
    assert list(event.dropped_fields) == ["email_object.attachments[0].size"]
    assert event.email_object is not None
    first, second = event.email_object.attachments
    assert (first.id, first.size, second.size) == ("a1", None, 5)


def test_a_boolean_identifier_is_never_converted() -> None:
    data = {
        "messageType": "InteractionStateMessage",
        "id": "i",
        "email_object": {"attachments": [{"id": True}]},
    }

    event = _decode_unchanged("/v2/me/interactions", data)

    assert isinstance(event, InteractionStateMessage)
    assert event.email_object is not None
    assert event.email_object.attachments == []
    assert list(event.dropped_fields) == ["email_object.attachments"]
