"""gws.channels: the exact requests it sends, and the input it refuses."""

from __future__ import annotations

import pytest

from gws_async import GwsClient, InvalidStateError
from gws_async.models import ChannelState
from tests.conftest import API, RestMock
from tests.resources._tables import CHANNEL, OK, Bad, Get, Post, bad_test, get_test, post_test

POSTS: list[Post] = [
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
]

GETS: list[Get] = [
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
]

BAD: list[Bad] = [
    ("channel_empty", lambda g: g.channels.ready(""), "channel_id"),
    ("channel_state_bad", lambda g: g.channels.set_state("chat", "DoNotDisturbOn"), "agent state"),
    ("channel_dnd_empty", lambda g: g.channels.dnd_on(" "), "channel_id"),
]

test_operation_sends_the_documented_post = post_test(POSTS)
test_read_sends_the_documented_get = get_test(GETS)
test_bad_input_is_refused_before_anything_is_sent = bad_test(BAD)


async def test_status_text_error_of_a_state_change_is_raised(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    mock.post(f"{API}/me/channels/chat", payload={"statusCode": 2, "statusMessage": "no"})
    with pytest.raises(InvalidStateError):
        await mock_gws.channels.ready("chat")
