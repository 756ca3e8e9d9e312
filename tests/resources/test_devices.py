"""gws.devices: the exact requests it sends, and the input it refuses."""

from __future__ import annotations

from gws_async.models import Device
from tests.conftest import API
from tests.resources._tables import DEV, DEVICE, REF, Bad, Get, Post, bad_test, get_test, post_test

POSTS: list[Post] = [
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
]

GETS: list[Get] = [
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
]

BAD: list[Bad] = [
    ("device_empty", lambda g: g.devices.get(""), "device_id"),
    ("device_list_both", lambda g: g.devices.list(user_id="u", all_devices=True), "not both"),
    ("forward_no_destination", lambda g: g.devices.forward_calls_on(DEV, ""), "destination"),
    ("dial_no_destination", lambda g: g.devices.dial(DEV, " "), "destination"),
    ("dial_no_device", lambda g: g.devices.dial("", "5001"), "device_id"),
]

test_operation_sends_the_documented_post = post_test(POSTS)
test_read_sends_the_documented_get = get_test(GETS)
test_bad_input_is_refused_before_anything_is_sent = bad_test(BAD)
