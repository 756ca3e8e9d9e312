"""gws.interactions, with its e-mail and chat operations: the exact requests sent
(aioresponses)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gws_async import (
    GwsApiError,
    GwsClient,
    InvalidStateError,
    MissingParameterError,
    NotFoundError,
    OutboundEmail,
)
from tests.conftest import API, RestMock, body_of

IID = "0000Ja8V814907JM"
OP_URL = f"{API}/me/interactions/{IID}"


Call = Callable[[GwsClient], Awaitable[Any]]


EMAIL = OutboundEmail(
    to_address="c@example.com",
    from_address="a@example.com",
    subject="Re: hi",
    text="Hello",
    cc_address="d@example.com",
)


OPERATIONS: list[tuple[str, Call, dict[str, Any]]] = [
    ("accept", lambda g: g.interactions.accept(IID), {"operationName": "Accept"}),
    (
        "accept_chat_nickname",
        lambda g: g.interactions.accept(IID, nickname="Ann"),
        {"operationName": "Accept", "nickname": "Ann"},
    ),
    ("reject", lambda g: g.interactions.reject(IID), {"operationName": "Reject"}),
    (
        "stop_processing",
        lambda g: g.interactions.stop_processing(IID),
        {"operationName": "StopProcessing"},
    ),
    (
        "place_in_queue",
        lambda g: g.interactions.place_in_queue(IID, "Q1"),
        {"operationName": "PlaceInQueue", "queue": "Q1"},
    ),
    (
        "update_properties",
        lambda g: g.interactions.update_properties(IID, {"a": 1, "b": {"c": "d"}}),
        {"operationName": "UpdateProperties", "properties": {"a": 1, "b": {"c": "d"}}},
    ),
    (
        "place_in_workbin",
        lambda g: g.interactions.place_in_workbin(IID, "TestWorkbin"),
        {"operationName": "PlaceInWorkbin", "workbin": "TestWorkbin"},
    ),
    (
        "get_workbin_content",
        lambda g: g.interactions.get_workbin_content(IID, "TestWorkbin"),
        {"operationName": "GetWorkbinContent", "workbin": "TestWorkbin"},
    ),
    (
        "transfer",
        lambda g: g.interactions.transfer(IID, "agent2"),
        {"operationName": "Transfer", "targetId": "agent2"},
    ),
    (
        "start_conference",
        lambda g: g.interactions.start_conference(IID, "agent2"),
        {"operationName": "StartConference", "agentId": "agent2"},
    ),
    (
        "leave_conference",
        lambda g: g.interactions.leave_conference(IID, "agent2"),
        {"operationName": "LeaveConference", "agentId": "agent2"},
    ),
    (
        "reply",
        lambda g: g.interactions.email.reply(
            IID,
            queue_name="Drafts",
            subject_prefix="Re: ",
            reply_to_start_line="You wrote:",
            indent_character=">",
            quote_original=True,
        ),
        {
            "operationName": "Reply",
            "subjectPrefix": "Re: ",
            "replyToStartLine": "You wrote:",
            "indentCharacter": ">",
            "quoteOriginal": True,
            "queueName": "Drafts",
        },
    ),
    (
        "reply_all",
        lambda g: g.interactions.email.reply_all(IID, queue_name="Drafts"),
        {"operationName": "ReplyAll", "queueName": "Drafts"},
    ),
    ("forward", lambda g: g.interactions.email.forward(IID), {"operationName": "Forward"}),
    (
        "send",
        lambda g: g.interactions.email.send(IID, queue_name="Out", email=EMAIL),
        {
            "operationName": "Send",
            "queueName": "Out",
            "email_object": {
                "toAddress": "c@example.com",
                "fromAddress": "a@example.com",
                "subject": "Re: hi",
                "text": "Hello",
                "ccAddress": "d@example.com",
            },
        },
    ),
    (
        "cancel_reply_email",
        lambda g: g.interactions.email.cancel_reply_email(IID),
        {"operationName": "CancelReplyEmail"},
    ),
    (
        "send_message",
        lambda g: g.interactions.chat.send_message(IID, "Hi there"),
        {"operationName": "SendMessage", "text": "Hi there"},
    ),
    (
        "send_notification",
        lambda g: g.interactions.chat.send_notification(IID, "TypingStarted"),
        {"operationName": "SendNotification", "notification": "TypingStarted"},
    ),
    (
        "request_chat_history",
        lambda g: g.interactions.chat.request_chat_history(IID),
        {"operationName": "RequestChatHistory"},
    ),
    (
        "request_chat_history_from",
        lambda g: g.interactions.chat.request_chat_history(IID, event_id=3),
        {"operationName": "RequestChatHistory", "eventId": 3},
    ),
    (
        "start_chat_consultation",
        lambda g: g.interactions.chat.start_chat_consultation(IID, "agent2"),
        {"operationName": "StartChatConsultation", "agentId": "agent2"},
    ),
    (
        "complete_transfer",
        lambda g: g.interactions.chat.complete_transfer(IID),
        {"operationName": "CompleteTransfer"},
    ),
    (
        "leave_chat_consultation",
        lambda g: g.interactions.chat.leave_chat_consultation(IID),
        {"operationName": "LeaveChatConsultation"},
    ),
]


@pytest.mark.parametrize(("name", "call", "expected"), OPERATIONS, ids=[o[0] for o in OPERATIONS])
async def test_operation_sends_the_documented_request(
    mock_gws: GwsClient, mock: RestMock, name: str, call: Call, expected: dict[str, Any]
) -> None:
    mock.post(OP_URL, payload={"status": "ok", "referenceId": 7})
    result = await call(mock_gws)
    assert result.reference_id == 7
    (request,) = mock.sent("POST", OP_URL)
    assert body_of(request) == expected
    assert request.kwargs["headers"]["Content-Type"] == "application/json"
    assert request.kwargs["headers"]["X-CSRF-TOKEN"] == "tok-1"


async def test_reply_returns_the_reply_interaction_id(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.post(OP_URL, payload={"status": "ok", "replyInteractionId": "0000R"})
    result = await mock_gws.interactions.email.reply(IID, queue_name="Drafts")
    assert result.reply_interaction_id == "0000R"


async def test_create_email_posts_on_me_interactions(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/me/interactions"
    mock.post(url, payload={"status": "ok"})
    await mock_gws.interactions.email.create_email(queue_name="Outbound")
    (request,) = mock.sent("POST", url)
    assert body_of(request) == {
        "operationName": "CreateEmail",
        "queueName": "Outbound",
        "interactionType": "Outbound",
        "interactionSubType": "OutboundNew",
    }


async def test_statuses_of_every_style_become_typed_errors(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    mock.post(OP_URL, payload={"status": "error", "errorDescription": "bad state"})
    mock.post(OP_URL, payload={"statusCode": 6, "statusMessage": "no such chat"})
    mock.post(OP_URL, payload={"status": 2, "description": "no consultation"})
    with pytest.raises(GwsApiError, match="bad state") as first:
        await mock_gws.interactions.accept(IID)
    assert "Accept" in str(first.value)
    with pytest.raises(NotFoundError):
        await mock_gws.interactions.chat.send_message(IID, "x")
    with pytest.raises(InvalidStateError):
        await mock_gws.interactions.chat.complete_transfer(IID)


async def test_status_text_error_with_status_code_is_typed(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    mock.post(
        OP_URL, payload={"status": "error", "errorDescription": "queue missing", "statusCode": 1}
    )
    with pytest.raises(MissingParameterError, match="queue missing"):
        await mock_gws.interactions.place_in_queue(IID, "Q")


async def test_list_get_and_update(mock_gws: GwsClient, mock: RestMock) -> None:
    resource = {
        "id": IID,
        "channel": "email",
        "state": "Accepted",
        "email_object": {"Subject": "hi", "FromAddress": "c@example.com"},
        "userData": {"k": "v"},
    }
    mock.get(
        f"{API}/me/interactions?fields=*", payload={"statusCode": 0, "interactions": [resource]}
    )
    mock.get(f"{API}/me/interactions", payload={"statusCode": 0, "uris": [f"{API}/x/{IID}"]})
    mock.get(f"{API}/interactions?fields=*", payload={"statusCode": 0, "interactions": [resource]})
    mock.get(f"{API}/interactions", payload={"statusCode": 0, "uris": [f"{API}/x/{IID}"]})
    mock.get(f"{API}/interactions/{IID}", payload={"statusCode": 0, "interaction": resource})
    mock.put(f"{API}/interactions/{IID}", payload={"statusCode": 0})

    (mine,) = await mock_gws.interactions.list()
    assert mine.email_object is not None
    assert mine.email_object.subject == "hi"
    assert await mock_gws.interactions.list_uris() == [f"{API}/x/{IID}"]
    (every,) = await mock_gws.interactions.list_all()
    assert every.user_data == {"k": "v"}
    assert await mock_gws.interactions.list_all_uris() == [f"{API}/x/{IID}"]
    one = await mock_gws.interactions.get(IID)
    assert (one.id, one.channel, one.state) == (IID, "email", "Accepted")
    await mock_gws.interactions.update(IID, {"userData": {"k": "w"}})
    (put,) = mock.sent("PUT", f"{API}/interactions/{IID}")
    assert body_of(put) == {"userData": {"k": "w"}}
    (listed,) = mock.sent("GET", f"{API}/me/interactions?fields=*")
    assert listed.kwargs["data"] is None


@pytest.mark.parametrize(
    "call",
    [
        lambda g: g.interactions.accept(""),
        lambda g: g.interactions.accept(IID, nickname=" "),
        lambda g: g.interactions.place_in_queue(IID, ""),
        lambda g: g.interactions.update_properties(IID, {}),
        lambda g: g.interactions.place_in_workbin(IID, ""),
        lambda g: g.interactions.get_workbin_content(IID, " "),
        lambda g: g.interactions.transfer(IID, ""),
        lambda g: g.interactions.start_conference(IID, ""),
        lambda g: g.interactions.leave_conference(IID, ""),
        lambda g: g.interactions.update(IID, {}),
        lambda g: g.interactions.get(""),
        lambda g: g.interactions.email.reply(IID, queue_name=""),
        lambda g: g.interactions.email.reply_all(IID, queue_name="Q", quote_original="yes"),
        lambda g: g.interactions.email.send(IID, queue_name="", email=EMAIL),
        lambda g: g.interactions.email.send(IID, queue_name="Q", email={"toAddress": "x"}),
        lambda g: g.interactions.email.send(
            IID, queue_name="Q", email=EMAIL.model_copy(update={"to_address": " "})
        ),
        lambda g: g.interactions.email.create_email(queue_name=""),
        lambda g: g.interactions.chat.send_message(IID, ""),
        lambda g: g.interactions.chat.send_notification(IID, "Typing"),
        lambda g: g.interactions.chat.request_chat_history(IID, event_id=-1),
        lambda g: g.interactions.chat.start_chat_consultation(IID, ""),
        lambda g: g.interactions.attachments.upload(IID, b"x"),
        lambda g: g.interactions.attachments.upload(IID, "/no/such/file.txt"),
        lambda g: g.interactions.attachments.download(IID, ""),
        lambda g: g.interactions.attachments.delete("", "d1"),
    ],
)
async def test_bad_input_is_refused_before_anything_is_sent(
    mock_gws: GwsClient, mock: RestMock, call: Call
) -> None:
    before = mock.count()
    with pytest.raises(ValueError):  # noqa: PT011 - every one is a plain ValueError
        await call(mock_gws)
    assert mock.count() == before


def test_outbound_email_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="extra"):
        OutboundEmail(**{**EMAIL.model_dump(), "reply_to": "c@d"})
