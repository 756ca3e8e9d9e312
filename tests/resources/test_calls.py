"""gws.calls: the exact requests it sends, and the input it refuses."""

from __future__ import annotations

from gws_async import GwsClient
from gws_async.models import Call
from tests.conftest import API
from tests.resources._tables import REF, Bad, Get, Post, bad_test, get_test, post_test

CALL = "010a0229f0cbd001"
CALL_URI = f"{API}/me/calls/{CALL}"
OTHER_URI = f"{API}/me/calls/020b"
CALL_BODY = {"id": CALL, "state": "Established", "participants": ["2"], "mute": "Off"}

POSTS: list[Post] = [
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

GETS: list[Get] = [
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

BAD: list[Bad] = [
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

test_operation_sends_the_documented_post = post_test(POSTS)
test_read_sends_the_documented_get = get_test(GETS)
test_bad_input_is_refused_before_anything_is_sent = bad_test(BAD)


async def test_call_uri_is_built_from_the_id(mock_gws: GwsClient) -> None:
    assert mock_gws.calls.uri("a/b") == f"{API}/me/calls/a%2Fb"
