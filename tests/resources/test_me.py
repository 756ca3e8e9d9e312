"""gws.me: the exact requests it sends, and the input it refuses."""

from __future__ import annotations

from gws_async.results import Skill, User
from tests.conftest import API
from tests.resources._tables import (
    CHANNEL,
    DEV,
    DEVICE,
    OK,
    Bad,
    Get,
    Post,
    bad_test,
    get_test,
    post_test,
)

ME = {"statusCode": 0, "user": {"id": "u1", "userName": "agent1"}}
SKILL = {"id": "s1", "name": "English", "level": "5"}

POSTS: list[Post] = [
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
        lambda g: g.me.start_contact_center_session(channels=["voice"]),
        "/me",
        {"operationName": "StartContactCenterSession", "channels": ["voice"]},
        {"statusCode": 0},
    ),
    (
        "me_end_session",
        lambda g: g.me.end_contact_center_session(),
        "/me",
        {"operationName": "EndContactCenterSession"},
        {"statusCode": 0},
    ),
]

GETS: list[Get] = [
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
]

BAD: list[Bad] = [
    ("set_state_empty", lambda g: g.me.set_state(""), "empty"),
    ("set_state_not_a_name", lambda g: g.me.set_state("Out To Lunch"), "not an operation"),
    ("set_state_reserved", lambda g: g.me.set_state("ChangePassword"), "not an agent state"),
    ("password_old_empty", lambda g: g.me.change_password("", "x"), "old_password"),
    ("password_new_empty", lambda g: g.me.change_password("x", ""), "new_password"),
    (
        "session_place_empty",
        lambda g: g.me.start_contact_center_session(channels=["voice"], place=" "),
        "place",
    ),
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
]

test_operation_sends_the_documented_post = post_test(POSTS)
test_read_sends_the_documented_get = get_test(GETS)
test_bad_input_is_refused_before_anything_is_sent = bad_test(BAD)
