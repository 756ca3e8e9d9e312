"""Interactions, e-mail, chat and attachments: the real client against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import pytest

from gws_async import (
    GwsClient,
    InteractionStateMessage,
    InvalidStateError,
    MissingParameterError,
    NotFoundError,
    OperationResult,
    OutboundEmail,
    Topic,
    WorkbinStateChangeMessage,
)
from gws_async.simulator import GwsSimulator

pytestmark = pytest.mark.subscribed(Topic.INTERACTIONS, Topic.WORKBINS)


@pytest.fixture
async def gws2(sim: GwsSimulator) -> AsyncIterator[GwsClient]:
    async with GwsClient(sim.url, "agent2", "password2") as client:
        await client.subscribe(Topic.INTERACTIONS)
        yield client


async def answered(
    gws: GwsClient, operation: Awaitable[OperationResult]
) -> tuple[OperationResult, InteractionStateMessage]:
    """The operation's result and the notification carrying its referenceId."""
    result = await operation
    assert result.reference_id is not None
    event = await gws.wait_for_reference(result.reference_id, timeout=5)
    assert isinstance(event, InteractionStateMessage)
    assert event.reference_id == result.reference_id
    return result, event


def next_state(gws: GwsClient, state: str) -> Awaitable[InteractionStateMessage]:
    return gws.wait_for(InteractionStateMessage, check=lambda e: e.state == state, timeout=5)


async def accepted_chat(sim: GwsSimulator, gws: GwsClient) -> str:
    invited = next_state(gws, "Invited")
    iid = sim.offer_chat("agent1", nickname="Bob", message="Hello")
    assert (await invited).id == iid
    await answered(gws, gws.interactions.accept(iid, nickname="Ann"))
    return iid


async def accepted_email(sim: GwsSimulator, gws: GwsClient) -> str:
    invited = next_state(gws, "Invited")
    iid = sim.deliver_email(
        "agent1", subject="Order 42", text="Where is it?\nThanks", from_address="bob@example.com"
    )
    event = await invited
    assert event.id == iid
    assert event.channel == "email"
    assert event.capabilities == ["Accept", "Reject"]
    assert event.email_object is not None
    assert event.email_object.subject == "Order 42"
    await answered(gws, gws.interactions.accept(iid))
    return iid


# -- chat -----------------------------------------------------------------------------------


async def test_chat_accept_brings_the_transcript_and_messages_flow(
    sim: GwsSimulator, gws: GwsClient
) -> None:
    iid = sim.offer_chat("agent1", nickname="Bob", message="Hello")
    _, accepted = await answered(gws, gws.interactions.accept(iid, nickname="Ann"))
    assert accepted.state == "Accepted"
    assert accepted.session_id == iid
    kinds = [(n.message_type, n.nick_name, n.message_text) for n in accepted.chat_notifications]
    assert kinds == [
        ("PARTY_JOINED", "Bob", None),
        ("NEW_MESSAGE", None, "Hello"),
        ("PARTY_JOINED", "Ann", None),
    ]

    said = gws.wait_for(InteractionStateMessage, check=lambda e: bool(e.chat_notifications))
    sim.customer_says(iid, "Are you there?")
    (customer,) = (await said).chat_notifications
    assert (customer.message_type, customer.message_text) == ("NEW_MESSAGE", "Are you there?")

    _, mine = await answered(gws, gws.interactions.chat.send_message(iid, "Yes!"))
    (message,) = mine.chat_notifications
    assert (message.message_type, message.user_type, message.message_text) == (
        "NEW_MESSAGE",
        "Agent",
        "Yes!",
    )
    _, typing = await answered(gws, gws.interactions.chat.send_notification(iid, "TypingStarted"))
    assert typing.chat_notifications[0].message_type == "TYPING_STARTED"

    _, history = await answered(gws, gws.interactions.chat.request_chat_history(iid, event_id=4))
    assert [n.message_text for n in history.chat_notifications] == ["Are you there?", "Yes!"]

    _, stopped = await answered(gws, gws.interactions.stop_processing(iid))
    assert stopped.state == "Revoked"
    assert iid not in sim.state.interactions


async def test_chat_consultation_then_transfer(
    sim: GwsSimulator, gws: GwsClient, gws2: GwsClient
) -> None:
    iid = await accepted_chat(sim, gws)
    invited = next_state(gws2, "InvitedConsultation")
    _, event = await answered(gws, gws.interactions.chat.start_chat_consultation(iid, "agent2"))
    assert event.chat_notifications[0].visibility == "Int"
    assert (await invited).id == iid

    taken = gws2.wait_for(InteractionStateMessage, check=lambda e: e.state == "Accepted", timeout=5)
    _, revoked = await answered(gws, gws.interactions.chat.complete_transfer(iid))
    assert revoked.state == "Revoked"
    assert (await taken).chat_notifications[0].message_type == "PARTY_LEFT"
    assert sim.state.interactions[iid].owner == "agent2"


async def test_chat_consultation_then_conference(
    sim: GwsSimulator, gws: GwsClient, gws2: GwsClient
) -> None:
    iid = await accepted_chat(sim, gws)
    await answered(gws, gws.interactions.chat.start_chat_consultation(iid, "agent2"))
    _, event = await answered(gws, gws.interactions.chat.leave_chat_consultation(iid))
    assert event.state == "Accepted"
    assert sim.state.interactions[iid].conference == ["agent2"]
    heard = gws2.wait_for(InteractionStateMessage, check=lambda e: bool(e.chat_notifications))
    sim.customer_says(iid, "Hi both")
    assert (await heard).chat_notifications[0].message_text == "Hi both"


async def test_chat_errors_are_typed(sim: GwsSimulator, gws: GwsClient) -> None:
    iid = sim.offer_chat("agent1")
    with pytest.raises(InvalidStateError):
        await gws.interactions.chat.send_message(iid, "too early")
    with pytest.raises(NotFoundError):
        await gws.interactions.chat.send_message("0000NOSUCHCHAT00", "hi")
    with pytest.raises(InvalidStateError):
        await gws.interactions.chat.complete_transfer(iid)
    await gws.interactions.accept(iid)
    with pytest.raises(MissingParameterError):
        await gws.request(
            "POST", f"/me/interactions/{iid}", json_body={"operationName": "SendMessage"}
        )
    with pytest.raises(InvalidStateError):
        await gws.interactions.chat.complete_transfer(iid)


# -- operations of every media ---------------------------------------------------------------


async def test_reject_and_place_in_queue_revoke(sim: GwsSimulator, gws: GwsClient) -> None:
    iid = sim.offer_chat("agent1")
    _, event = await answered(gws, gws.interactions.reject(iid))
    assert (event.state, event.capabilities) == ("Revoked", [])
    assert sim.state.interactions[iid].owner is None
    with pytest.raises(InvalidStateError):
        await gws.interactions.accept(iid)

    other = await accepted_email(sim, gws)
    _, event = await answered(gws, gws.interactions.place_in_queue(other, "Escalations"))
    assert event.state == "Revoked"
    assert sim.state.interactions[other].queue == "Escalations"


async def test_update_properties_update_get_and_lists(sim: GwsSimulator, gws: GwsClient) -> None:
    iid = await accepted_email(sim, gws)
    props = {"Priority": 3, "Case": {"Id": "C-1"}}
    _, event = await answered(gws, gws.interactions.update_properties(iid, props))
    assert event.user_data["Case"] == {"Id": "C-1"}
    await gws.interactions.update(iid, {"userData": {"Note": "VIP"}})

    one = await gws.interactions.get(iid)
    assert (one.id, one.channel, one.state) == (iid, "email", "Accepted")
    assert one.user_data["Note"] == "VIP"
    assert one.email_object is not None
    assert one.email_object.text == "Where is it?\nThanks"
    assert [i.id for i in await gws.interactions.list()] == [iid]
    assert (await gws.interactions.list_uris())[0].endswith(f"/api/v2/interactions/{iid}")
    assert iid in [i.id for i in await gws.interactions.list_all()]
    assert (await gws.interactions.list_all_uris())[0].endswith(f"/interactions/{iid}")
    with pytest.raises(NotFoundError):
        await gws.interactions.get("0000NOSUCHTHING0")
    with pytest.raises(MissingParameterError):
        await gws.interactions.update(iid, {"colour": "red"})


async def test_place_in_workbin_and_get_its_content(sim: GwsSimulator, gws: GwsClient) -> None:
    workbins = await gws.workbins.list()
    workbin = next(w.workbin_id for w in workbins if w.workbin_name == "TestWorkbin")
    await gws.workbins.subscribe(workbin)
    iid = await accepted_email(sim, gws)
    added = gws.wait_for(WorkbinStateChangeMessage, check=lambda e: e.is_item_added, timeout=5)
    _, event = await answered(gws, gws.interactions.place_in_workbin(iid, "TestWorkbin"))
    assert event.state == "Revoked"
    assert (await added).interaction.id == iid

    other = await accepted_email(sim, gws)
    _, content = await answered(gws, gws.interactions.get_workbin_content(other, workbin))
    assert content.id == iid
    with pytest.raises(NotFoundError):
        await gws.interactions.place_in_workbin(other, "NoSuchWorkbin")


async def test_transfer_invites_the_target(
    sim: GwsSimulator, gws: GwsClient, gws2: GwsClient
) -> None:
    iid = await accepted_email(sim, gws)
    invited = next_state(gws2, "Invited")
    _, event = await answered(gws, gws.interactions.transfer(iid, "agent2"))
    assert event.state == "Revoked"
    assert (await invited).id == iid
    await answered(gws2, gws2.interactions.accept(iid))
    with pytest.raises(NotFoundError):
        await gws2.interactions.transfer(iid, "nobody")


async def test_conference_start_and_leave(
    sim: GwsSimulator, gws: GwsClient, gws2: GwsClient
) -> None:
    iid = await accepted_email(sim, gws)
    invited = next_state(gws2, "InvitedConference")
    _, event = await answered(gws, gws.interactions.start_conference(iid, "agent2"))
    assert event.state == "InvitedConference"
    assert (await invited).id == iid
    with pytest.raises(InvalidStateError):
        await gws.interactions.start_conference(iid, "agent2")
    left = next_state(gws2, "LeftConference")
    _, event = await answered(gws, gws.interactions.leave_conference(iid, "agent1"))
    assert event.state == "LeftConference"
    assert (await left).id == iid
    assert sim.state.interactions[iid].owner == "agent2"


# -- e-mail ---------------------------------------------------------------------------------


async def test_email_accept_reply_and_send(sim: GwsSimulator, gws: GwsClient) -> None:
    invited = next_state(gws, "Invited")
    iid = sim.deliver_email("agent1", subject="Hi", text="a\nb", from_address="bob@example.com")
    await invited
    _, accepted = await answered(gws, gws.interactions.accept(iid))
    assert accepted.email_object is not None
    assert accepted.email_object.from_address == "bob@example.com"
    assert "ReplyAll" in accepted.capabilities

    result, created = await answered(
        gws,
        gws.interactions.email.reply(
            iid,
            queue_name="Drafts",
            subject_prefix="Re: ",
            indent_character="> ",
            reply_to_start_line="Bob wrote:",
            quote_original=True,
        ),
    )
    assert created.id == result.reply_interaction_id
    assert (created.state, created.interaction_sub_type, created.parent_id) == (
        "ReplyCreated",
        "OutboundReply",
        iid,
    )
    assert "Send" in created.capabilities
    assert created.email_object is not None
    assert created.email_object.to_address == "bob@example.com"
    assert created.email_object.subject == "Re: Hi"
    assert created.email_object.text == "Bob wrote:\n> a\n> b"

    assert created.email_object.from_address is not None  # the draft's, chosen by the server
    email = OutboundEmail(
        to_address="bob@example.com",
        from_address=created.email_object.from_address,
        subject="Re: Hi",
        text="Soon.",
    )
    _, sent = await answered(
        gws, gws.interactions.email.send(created.id, queue_name="Out", email=email)
    )
    assert sent.state == "Sent"
    assert sent.email_object is not None
    assert sent.email_object.text == "Soon."
    with pytest.raises(InvalidStateError):
        await gws.interactions.email.send(created.id, queue_name="Out", email=email)


async def test_reply_all_cancel_forward_and_create(sim: GwsSimulator, gws: GwsClient) -> None:
    iid = await accepted_email(sim, gws)
    result, created = await answered(gws, gws.interactions.email.reply_all(iid, queue_name="D"))
    assert created.email_object is not None
    assert created.email_object.text == "Where is it?\nThanks"  # ReplyAll quotes by default
    _, cancelled = await answered(
        gws, gws.interactions.email.cancel_reply_email(str(result.reply_interaction_id))
    )
    assert cancelled.state == "Revoked"
    assert result.reply_interaction_id not in sim.state.interactions

    forwarded, copy = await answered(gws, gws.interactions.email.forward(iid))
    assert copy.id == forwarded.reply_interaction_id
    assert copy.email_object is not None
    assert copy.email_object.subject == "Fwd: Order 42"

    _, new = await answered(gws, gws.interactions.email.create_email(queue_name="Outbound"))
    assert (new.state, new.interaction_type, new.interaction_sub_type) == (
        "ReplyCreated",
        "Outbound",
        "OutboundNew",
    )
    with pytest.raises(InvalidStateError):
        await gws.interactions.email.cancel_reply_email(iid)
    with pytest.raises(MissingParameterError):
        await gws.request("POST", f"/me/interactions/{iid}", json_body={"operationName": "Reply"})


# -- attachments ----------------------------------------------------------------------------


async def test_attachments_upload_download_delete(
    sim: GwsSimulator, gws: GwsClient, tmp_path: Path
) -> None:
    iid = await accepted_email(sim, gws)
    doc = await gws.interactions.attachments.upload(iid, b"%PDF-1.4 x", filename="r.pdf")
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 8192)  # 2 MiB, streamed both ways
    big_doc = await gws.interactions.attachments.upload(iid, big)

    content = await gws.interactions.attachments.download(iid, doc)
    assert (content.data, content.mime_type, content.file_name) == (
        b"%PDF-1.4 x",
        "application/pdf",
        "r.pdf",
    )
    out = tmp_path / "copy.bin"
    meta = await gws.interactions.attachments.download_to(iid, big_doc, out)
    assert out.read_bytes() == big.read_bytes()
    assert meta.file_name == "big.bin"
    one = await gws.interactions.get(iid)
    assert one.email_object is not None
    assert sorted(a.id for a in one.email_object.attachments) == sorted([doc, big_doc])

    await gws.interactions.attachments.delete(iid, doc)
    with pytest.raises(NotFoundError):
        await gws.interactions.attachments.download(iid, doc)
    with pytest.raises(NotFoundError):
        await gws.interactions.attachments.upload("0000NOSUCHTHING0", b"x", filename="a")
