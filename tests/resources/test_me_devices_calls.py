"""gws.me, gws.channels, gws.devices and gws.calls: the exact requests they send."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gws_async import GwsClient, InvalidStateError, OperationResult
from gws_async.models import Call, ChannelState, Device
from gws_async.results import Skill, User
from tests.conftest import API, RestMock, body_of

ME = {"statusCode": 0, "user": {"id": "u1", "userName": "agent1"}}
OK = {"status": "ok"}
REF = {"statusCode": 0, "referenceId": 7}
CALL = "010a0229f0cbd001"
DEV = "5aceae61-0b5c-4578-9477-cd352d43cb17"
CALL_URI = f"{API}/me/calls/{CALL}"
OTHER_URI = f"{API}/me/calls/020b"

Op = Callable[[GwsClient], Awaitable[Any]]


# (test id, operation, method, url with query, JSON body sent, answer)
POSTS: list[tuple[str, Op, str, dict[str, Any], dict[str, Any]]] = [
    ("me_ready", lambda g: g.me.ready(), "/me", {"operationName": "Ready"}, OK),
    ("me_not_ready", lambda g: g.me.not_ready(), "/me", {"operationName": "NotReady"}, OK),
    (
        "me_custom_state",
        lambda g: g.me.set_state("OutToLunch"),
        "/me",
        {"operationName": "OutToLunch"},
        OK,
    ),
    ("me_dnd_on", lambda g: g.me.dnd_on(), "/me", {"operationName": "DoNotDisturbOn"}, OK),
    ("me_dnd_off", lambda g: g.me.dnd_off(), "/me", {"operationName": "DoNotDisturbOff"}, OK),
    (
        "me_change_password",
        lambda g: g.me.change_password("1", "2"),
        "/me",
        {"operationName": "ChangePassword", "oldPassword": "MQ==", "newPassword": "Mg=="},
        {"statusCode": 0},
    ),
    (
        "me_change_password_first_login",
        lambda g: g.me.change_password("1", "2", first_login=True),
        "/me?firstLogin=true",
        {"operationName": "ChangePassword", "oldPassword": "MQ==", "newPassword": "Mg=="},
        {"statusCode": 0},
    ),
    (
        "me_start_session",
        lambda g: g.me.start_contact_center_session(
            place="Place_1", login_code="L1", queue="8001", channels=["voice", "chat"]
        ),
        "/me",
        {
            "operationName": "StartContactCenterSession",
            "place": "Place_1",
            "loginCode": "L1",
            "queue": "8001",
            "channels": ["voice", "chat"],
        },
        {"statusCode": 0},
    ),
    (
        "me_start_session_bare",
        lambda g: g.me.start_contact_center_session(),
        "/me",
        {"operationName": "StartContactCenterSession"},
        {"statusCode": 0},
    ),
    (
        "me_end_session",
        lambda g: g.me.end_contact_center_session(),
        "/me",
        {"operationName": "EndContactCenterSession"},
        {"statusCode": 0},
    ),
    (
        "channel_ready",
        lambda g: g.channels.ready("chat"),
        "/me/channels/chat",
        {"operationName": "Ready"},
        OK,
    ),
    (
        "channel_not_ready",
        lambda g: g.channels.not_ready("email"),
        "/me/channels/email",
        {"operationName": "NotReady"},
        OK,
    ),
    (
        "channel_custom_state",
        lambda g: g.channels.set_state("chat", "OutToLunch"),
        "/me/channels/chat",
        {"operationName": "OutToLunch"},
        OK,
    ),
    (
        "channel_dnd_on",
        lambda g: g.channels.dnd_on("chat"),
        "/channels/chat",
        {"operationName": "DoNotDisturbOn"},
        OK,
    ),
    (
        "channel_dnd_off",
        lambda g: g.channels.dnd_off("chat"),
        "/channels/chat",
        {"operationName": "DoNotDisturbOff"},
        OK,
    ),
    (
        "device_dnd_on",
        lambda g: g.devices.dnd_on(DEV),
        f"/devices/{DEV}",
        {"operationName": "DoNotDisturbOn"},
        REF,
    ),
    (
        "device_dnd_off",
        lambda g: g.devices.dnd_off(DEV),
        f"/devices/{DEV}",
        {"operationName": "DoNotDisturbOff"},
        REF,
    ),
    (
        "device_forward_on",
        lambda g: g.devices.forward_calls_on(DEV, "5005"),
        f"/devices/{DEV}",
        {"operationName": "ForwardCallsOn", "destination": "5005"},
        REF,
    ),
    (
        "device_forward_off",
        lambda g: g.devices.forward_calls_off(DEV),
        f"/devices/{DEV}",
        {"operationName": "ForwardCallsOff"},
        REF,
    ),
    (
        "device_dial",
        lambda g: g.devices.dial(DEV, "5551234"),
        f"/devices/{DEV}/calls",
        {"operationName": "Dial", "destination": "5551234"},
        REF,
    ),
    *[
        (
            f"call_{name}",
            op,
            f"/me/calls/{CALL}",
            {"operationName": wire},
            REF,
        )
        for name, op, wire in [
            ("answer", lambda g: g.calls.answer(CALL), "Answer"),
            ("hangup", lambda g: g.calls.hangup(CALL), "Hangup"),
            ("hold", lambda g: g.calls.hold(CALL), "Hold"),
            ("retrieve", lambda g: g.calls.retrieve(CALL), "Retrieve"),
            ("mute", lambda g: g.calls.mute(CALL), "MuteCall"),
            ("unmute", lambda g: g.calls.unmute(CALL), "UnmuteCall"),
            ("delete_user_data", lambda g: g.calls.delete_user_data(CALL), "DeleteUserData"),
        ]
    ],
    (
        "call_single_step_transfer",
        lambda g: g.calls.single_step_transfer(CALL, "5002"),
        f"/me/calls/{CALL}",
        {"operationName": "SingleStepTransfer", "destination": "5002"},
        REF,
    ),
    (
        "call_single_step_conference",
        lambda g: g.calls.single_step_conference(CALL, "5002"),
        f"/me/calls/{CALL}",
        {"operationName": "SingleStepConference", "destination": "5002"},
        REF,
    ),
    (
        "call_initiate_conference",
        lambda g: g.calls.initiate_conference(CALL, "5002"),
        f"/me/calls/{CALL}",
        {"operationName": "InitiateConference", "destination": {"phoneNumber": "5002"}},
        REF,
    ),
    (
        "call_complete_conference",
        lambda g: g.calls.complete_conference(CALL, OTHER_URI),
        f"/me/calls/{CALL}",
        {"operationName": "CompleteConference", "consultCallUri": OTHER_URI},
        REF,
    ),
    (
        "call_send_dtmf",
        lambda g: g.calls.send_dtmf(CALL, "0123456789"),
        f"/me/calls/{CALL}",
        {"operationName": "SendDtmf", "digits": "0123456789"},
        REF,
    ),
    (
        "call_remove_participant",
        lambda g: g.calls.remove_participant(CALL, "5002"),
        f"/me/calls/{CALL}",
        {"operationName": "RemoveParticipantFromConference", "participant": "5002"},
        REF,
    ),
    (
        "call_swap",
        lambda g: g.calls.swap_calls(CALL, OTHER_URI),
        f"/me/calls/{CALL}",
        {"operationName": "SwapCalls", "otherCallUri": OTHER_URI},
        REF,
    ),
    (
        "call_merge",
        lambda g: g.calls.merge_with_other_call(CALL, OTHER_URI),
        f"/me/calls/{CALL}",
        {"operationName": "MergeWithOtherCall", "otherCallUri": OTHER_URI},
        REF,
    ),
    (
        "call_attach_user_data",
        lambda g: g.calls.attach_user_data(CALL, {"Order": "42", "Vip": True}),
        f"/me/calls/{CALL}",
        {"operationName": "AttachUserData", "userData": {"Order": "42", "Vip": True}},
        REF,
    ),
    (
        "call_update_user_data",
        lambda g: g.calls.update_user_data(CALL, {"Order": "43"}),
        f"/me/calls/{CALL}",
        {"operationName": "UpdateUserData", "userData": {"Order": "43"}},
        REF,
    ),
    (
        "call_delete_user_data_pair",
        lambda g: g.calls.delete_user_data_pair(CALL, "Order"),
        f"/me/calls/{CALL}",
        {"operationName": "DeleteUserDataPair", "key": "Order"},
        REF,
    ),
]


@pytest.mark.parametrize(
    ("operation", "path", "expected", "answer"),
    [case[1:] for case in POSTS],
    ids=[case[0] for case in POSTS],
)
async def test_operation_sends_the_documented_post(
    mock_gws: GwsClient,
    mock: RestMock,
    operation: Op,
    path: str,
    expected: dict[str, Any],
    answer: dict[str, Any],
) -> None:
    url = f"{API}{path}"
    mock.post(url, payload=answer)
    result = await operation(mock_gws)
    assert isinstance(result, OperationResult)
    assert result.reference_id == answer.get("referenceId")
    call = mock.only_call("POST", url)
    assert body_of(call) == expected
    assert call.kwargs["headers"]["X-CSRF-TOKEN"] == "tok-1"
    assert call.kwargs["headers"]["Content-Type"] == "application/json"


DEVICE = {"id": DEV, "deviceState": "Active", "doNotDisturb": "Off", "e164Number": "1"}
CALL_BODY = {"id": CALL, "state": "Established", "participants": ["2"], "mute": "Off"}
CHANNEL = {"channel": "chat", "userState": {"state": "Ready"}, "dndState": "Off"}
SKILL = {"id": "s1", "name": "English", "level": "5"}

# (test id, operation, url with query, answer, check of the result)
GETS: list[tuple[str, Op, str, dict[str, Any], Callable[[Any], bool]]] = [
    (
        "me_get",
        lambda g: g.me.get(),
        "/me",
        ME,
        lambda r: isinstance(r, User) and r.id == "u1",
    ),
    (
        "me_get_subresources_all",
        lambda g: g.me.get(subresources=True),
        "/me?subresources=*",
        {"statusCode": 0, "user": {"id": "u1", "devices": [DEVICE], "channels": [CHANNEL]}},
        lambda r: r.devices[0]["id"] == DEV and r.channels[0]["channel"] == "chat",
    ),
    (
        "me_get_subresources_some",
        lambda g: g.me.get(subresources=["skills", "devices"]),
        "/me?subresources=skills,devices",
        ME,
        lambda r: r.id == "u1",
    ),
    (
        "get_me_delegates",
        lambda g: g.get_me(subresources=True),
        "/me?subresources=*",
        ME,
        lambda r: r.id == "u1",
    ),
    (
        "me_list_skills",
        lambda g: g.me.list_skills(),
        "/me/skills?fields=*",
        {"statusCode": 0, "skills": [SKILL]},
        lambda r: isinstance(r[0], Skill) and r[0].level == "5",
    ),
    (
        "me_list_skill_uris",
        lambda g: g.me.list_skill_uris(),
        "/me/skills",
        {"statusCode": 0, "uris": [f"{API}/skills/s1"]},
        lambda r: r == [f"{API}/skills/s1"],
    ),
    (
        "me_get_skill",
        lambda g: g.me.get_skill("s1"),
        "/me/skills/s1",
        {"statusCode": 0, "skill": SKILL},
        lambda r: r.name == "English",
    ),
    (
        "channels_list",
        lambda g: g.channels.list(),
        "/me/channels",
        {"statusCode": 0, "channels": [CHANNEL]},
        lambda r: isinstance(r[0], ChannelState) and r[0].user_state.state == "Ready",
    ),
    (
        "channels_get",
        lambda g: g.channels.get("chat"),
        "/me/channels/chat",
        {"statusCode": 0, "channel": CHANNEL},
        lambda r: r.channel == "chat" and r.dnd_state == "Off",
    ),
    (
        "devices_list_mine",
        lambda g: g.devices.list(),
        "/me/devices?fields=*",
        {"statusCode": 0, "devices": [DEVICE]},
        lambda r: isinstance(r[0], Device) and r[0].e164_number == "1",
    ),
    (
        "devices_list_all",
        lambda g: g.devices.list(all_devices=True),
        "/devices?fields=*",
        {"statusCode": 0, "devices": [DEVICE]},
        lambda r: r[0].id == DEV,
    ),
    (
        "devices_list_user",
        lambda g: g.devices.list(user_id="u1"),
        "/users/u1/devices?fields=*",
        {"statusCode": 0, "devices": [DEVICE]},
        lambda r: r[0].id == DEV,
    ),
    (
        "devices_list_uris",
        lambda g: g.devices.list_uris(),
        "/me/devices",
        {"statusCode": 0, "uris": [f"{API}/devices/{DEV}"]},
        lambda r: r == [f"{API}/devices/{DEV}"],
    ),
    (
        "devices_get",
        lambda g: g.devices.get(DEV),
        f"/devices/{DEV}",
        {"statusCode": 0, "device": DEVICE},
        lambda r: r.device_state == "Active",
    ),
    (
        "devices_get_mine",
        lambda g: g.devices.get(DEV, mine=True),
        f"/me/devices/{DEV}",
        {"statusCode": 0, "device": DEVICE},
        lambda r: r.do_not_disturb == "Off",
    ),
    (
        "calls_list",
        lambda g: g.calls.list(),
        "/me/calls?fields=*",
        {"statusCode": 0, "calls": [CALL_BODY]},
        lambda r: isinstance(r[0], Call) and r[0].participants == ["2"],
    ),
    (
        "calls_list_uris",
        lambda g: g.calls.list_uris(),
        "/me/calls",
        {"statusCode": 0, "uris": [CALL_URI]},
        lambda r: r == [CALL_URI],
    ),
    (
        "calls_get",
        lambda g: g.calls.get(CALL),
        f"/me/calls/{CALL}",
        {"statusCode": 0, "call": CALL_BODY},
        lambda r: r.state == "Established",
    ),
]


@pytest.mark.parametrize(
    ("operation", "path", "answer", "check"),
    [case[1:] for case in GETS],
    ids=[case[0] for case in GETS],
)
async def test_read_sends_the_documented_get(
    mock_gws: GwsClient,
    mock: RestMock,
    operation: Op,
    path: str,
    answer: dict[str, Any],
    check: Callable[[Any], bool],
) -> None:
    url = f"{API}{path}"
    mock.get(url, payload=answer)
    result = await operation(mock_gws)
    assert check(result)
    if path != "/me":  # the login already sent one GET /me
        call = mock.only_call("GET", url)
        assert body_of(call) is None


async def test_status_text_error_of_a_state_change_is_raised(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    mock.post(f"{API}/me/channels/chat", payload={"statusCode": 2, "statusMessage": "no"})
    with pytest.raises(InvalidStateError):
        await mock_gws.channels.ready("chat")


async def test_call_uri_is_built_from_the_id(mock_gws: GwsClient) -> None:
    assert mock_gws.calls.uri("a/b") == f"{API}/me/calls/a%2Fb"


BAD: list[tuple[str, Op, str]] = [
    ("set_state_empty", lambda g: g.me.set_state(""), "empty"),
    ("set_state_not_a_name", lambda g: g.me.set_state("Out To Lunch"), "not an operation"),
    ("set_state_reserved", lambda g: g.me.set_state("ChangePassword"), "not an agent state"),
    ("password_old_empty", lambda g: g.me.change_password("", "x"), "old_password"),
    ("password_new_empty", lambda g: g.me.change_password("x", ""), "new_password"),
    ("session_place_empty", lambda g: g.me.start_contact_center_session(place=" "), "place"),
    (
        "session_channels_str",
        lambda g: g.me.start_contact_center_session(channels="voice"),
        "channels",
    ),
    (
        "session_channels_empty",
        lambda g: g.me.start_contact_center_session(channels=[]),
        "channels",
    ),
    ("me_subresources_unknown", lambda g: g.me.get(subresources=["nope"]), "subresources"),
    ("skill_empty", lambda g: g.me.get_skill(""), "skill_id"),
    ("channel_empty", lambda g: g.channels.ready(""), "channel_id"),
    ("channel_state_bad", lambda g: g.channels.set_state("chat", "DoNotDisturbOn"), "agent state"),
    ("channel_dnd_empty", lambda g: g.channels.dnd_on(" "), "channel_id"),
    ("device_empty", lambda g: g.devices.get(""), "device_id"),
    ("device_list_both", lambda g: g.devices.list(user_id="u", all_devices=True), "not both"),
    ("forward_no_destination", lambda g: g.devices.forward_calls_on(DEV, ""), "destination"),
    ("dial_no_destination", lambda g: g.devices.dial(DEV, " "), "destination"),
    ("dial_no_device", lambda g: g.devices.dial("", "5001"), "device_id"),
    ("call_empty", lambda g: g.calls.answer(""), "call_id"),
    ("transfer_no_destination", lambda g: g.calls.single_step_transfer(CALL, ""), "destination"),
    ("conference_no_destination", lambda g: g.calls.initiate_conference(CALL, ""), "destination"),
    ("complete_no_uri", lambda g: g.calls.complete_conference(CALL, ""), "consult_call_uri"),
    ("dtmf_empty", lambda g: g.calls.send_dtmf(CALL, ""), "digits"),
    ("dtmf_letters", lambda g: g.calls.send_dtmf(CALL, "12a"), "only 0 to 9"),
    ("dtmf_star", lambda g: g.calls.send_dtmf(CALL, "*1#"), "only 0 to 9"),
    ("dtmf_unicode_digit", lambda g: g.calls.send_dtmf(CALL, "\u0663"), "only 0 to 9"),
    ("remove_no_participant", lambda g: g.calls.remove_participant(CALL, ""), "participant"),
    ("swap_no_uri", lambda g: g.calls.swap_calls(CALL, ""), "other_call_uri"),
    ("merge_no_uri", lambda g: g.calls.merge_with_other_call(CALL, ""), "other_call_uri"),
    ("attach_empty", lambda g: g.calls.attach_user_data(CALL, {}), "user_data"),
    ("update_bad_key", lambda g: g.calls.update_user_data(CALL, {"": 1}), "user_data"),
    ("delete_pair_no_key", lambda g: g.calls.delete_user_data_pair(CALL, ""), "key"),
]


@pytest.mark.parametrize(
    ("operation", "message"), [case[1:] for case in BAD], ids=[case[0] for case in BAD]
)
async def test_bad_input_is_refused_before_anything_is_sent(
    mock_gws: GwsClient, mock: RestMock, operation: Op, message: str
) -> None:
    before = mock.count()
    with pytest.raises(ValueError, match=message):
        await operation(mock_gws)
    assert mock.count() == before
