"""Decoding CometD notifications: every spec sample, and every way a payload can be wrong."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from gws_async import events
from gws_async.events import (
    EVENT_TYPES,
    CallStateChangeMessage,
    ChannelStateChange,
    ConnectionLost,
    DeviceStateChangeMessage,
    GwsEvent,
    InteractionStateMessage,
    ListenerConnected,
    PasswordChangeError,
    PasswordChangeSuccessful,
    Reconnected,
    UnknownEvent,
    UserPasswordChangeError,
    UserPasswordChangeSuccessful,
    WorkbinNotificationResource,
    WorkbinStateChangeMessage,
    WorkbinSubscriptionStateChangeMessage,
    WorkitemStateChangeMessage,
    decode_event,
)
from gws_async.models import ChatNotification, EmailObject, ParticipantInfo

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "spec"

EXPECTED: dict[str, type[GwsEvent]] = {
    "call_state_change": CallStateChangeMessage,
    "channels_dnd_on": ChannelStateChange,
    "channels_ready": ChannelStateChange,
    "device_state_change": DeviceStateChangeMessage,
    "interaction_chat_accepted": InteractionStateMessage,
    "interaction_chat_invited": InteractionStateMessage,
    "interaction_chat_message": InteractionStateMessage,
    "interaction_chat_revoked": InteractionStateMessage,
    "interaction_conference_invited": InteractionStateMessage,
    "interaction_conference_left": InteractionStateMessage,
    "interaction_email_accepted": InteractionStateMessage,
    "interaction_email_accepted_on_accept": InteractionStateMessage,
    "interaction_email_accepted_template": InteractionStateMessage,
    "interaction_email_invited": InteractionStateMessage,
    "interaction_email_invited_template": InteractionStateMessage,
    "interaction_email_reply_created_on_reply": InteractionStateMessage,
    "interaction_email_reply_created_on_reply_all": InteractionStateMessage,
    "interaction_email_reply_created_template": InteractionStateMessage,
    "interaction_email_revoked": InteractionStateMessage,
    "interaction_email_revoked_template": InteractionStateMessage,
    "password_change_error": PasswordChangeError,
    "password_change_successful": PasswordChangeSuccessful,
    "user_password_change_error": UserPasswordChangeError,
    "user_password_change_successful": UserPasswordChangeSuccessful,
    "workbin_item_added_agent_group": WorkbinStateChangeMessage,
    "workbin_item_added_personal": WorkbinStateChangeMessage,
    "workbin_item_added_place_group": WorkbinStateChangeMessage,
    "workbin_item_removed_agent_group": WorkbinStateChangeMessage,
    "workbin_item_removed_place_group": WorkbinStateChangeMessage,
    "workbin_notification_resource": WorkbinNotificationResource,
    "workbin_subscription_subscribed": WorkbinSubscriptionStateChangeMessage,
    "workitem_pulled": WorkitemStateChangeMessage,
}

DATA_FILES = sorted(
    path.stem for path in FIXTURES.glob("*.json") if not path.stem.endswith("_response")
)
RESPONSE_FILES = sorted(path.stem for path in FIXTURES.glob("*_response.json"))


def load(name: str) -> dict[str, Any]:
    message: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return message


def decode_fixture(name: str) -> GwsEvent:
    message = load(name)
    return decode_event(message["channel"], message["data"])


def decode_as(cls: type[GwsEvent], name: str) -> Any:
    event = decode_fixture(name)
    assert isinstance(event, cls), getattr(event, "error", None)
    return event


# --- every spec sample -------------------------------------------------------------------


def test_every_fixture_has_an_expected_type() -> None:
    assert set(DATA_FILES) == set(EXPECTED)


def test_no_fixture_decodes_to_unknown_event() -> None:
    unknown = {
        name: event.error
        for name in DATA_FILES
        if isinstance(event := decode_fixture(name), UnknownEvent)
    }
    assert unknown == {}


@pytest.mark.parametrize("name", DATA_FILES)
def test_fixture_decodes_to_its_type(name: str) -> None:
    message = load(name)
    event = decode_event(message["channel"], message["data"])

    assert type(event) is EXPECTED[name]
    assert event.topic == message["channel"]
    assert event.raw is message["data"]
    assert message["channel"] == type(event).TOPIC


@pytest.mark.parametrize("name", RESPONSE_FILES)
def test_response_array_holds_the_same_data_message(name: str) -> None:
    response = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    data_messages = [m for m in response if not m["channel"].startswith("/meta/")]
    meta = [m for m in response if m["channel"] == "/meta/connect"]

    assert len(data_messages) == 1
    assert meta[0]["successful"] is True
    assert meta[0]["advice"] == {"interval": 0, "timeout": 30000, "reconnect": "retry"}
    single = load(name.removesuffix("_response"))
    assert data_messages[0] == single
    assert decode_event(single["channel"], data_messages[0]["data"]) == decode_fixture(
        name.removesuffix("_response")
    )


def test_email_invited() -> None:
    event = decode_as(InteractionStateMessage, "interaction_email_invited")

    assert event.id == "0000Ja8V814907JM"
    assert event.message_type == "InteractionStateMessage"
    assert event.channel == "email"
    assert event.state == "Invited"
    assert event.interaction_type == "Inbound"
    assert event.interaction_sub_type == "InboundNew"
    assert event.current_queue == "SimpleEmailInQueue"
    assert event.capabilities == ["Accept", "Reject"]
    assert event.email_object is not None
    assert event.email_object.interaction_id == "0000Ja8V814907JM"
    assert event.user_data["Header_Date"] == "Fri, 28Jun2013 13: 30: 34-0700"
    assert event.user_data["Header_Content-Type"] == 'multipart/mixed;boundary="=====1840393583=="'
    assert event.user_data["RTargetObjectSelected"] == "?:2>1"
    assert event.user_data["RRequestedSkills"] is None
    assert event.user_data["_AutoReplyCount"] == 0
    assert event.chat_notifications == []


def test_email_revoked() -> None:
    event = decode_as(InteractionStateMessage, "interaction_email_revoked")

    assert event.state == "Revoked"
    assert event.capabilities == []


def test_email_accepted_camel_case() -> None:
    event = decode_as(InteractionStateMessage, "interaction_email_accepted")

    assert event.state == "Accepted"
    assert event.in_queues == {"__STOP__": ""}
    assert event.out_queues == {"SimpleEmailOutQueue": ""}
    email = event.email_object
    assert email is not None
    assert email.to_address == "support@ci-vm106"
    assert email.from_address == "Customer1@ci-vm106"
    assert email.subject == "test_reply"
    assert email.text == "This is email body.\r\nTesting, hopefully this will work"
    assert email.interaction_id == "0000Ja8V814907JM"
    assert email.model_extra == {}


@pytest.mark.parametrize(
    "name", ["interaction_email_accepted_template", "interaction_email_accepted_on_accept"]
)
def test_email_accepted_pascal_case(name: str) -> None:
    event = decode_as(InteractionStateMessage, name)

    assert event.id == "alpha-numeric-string"
    assert event.message_type == "InteractionStateMessage"  # from messageTypeName
    assert event.interaction_type == "Email"
    assert event.received_at == "value-of-attr_itx_received_at"
    assert "ReplyAll" in event.capabilities
    email = event.email_object
    assert email is not None
    assert email.to_address == "to-address"
    assert email.from_address == "from-address"
    assert email.cc_addresses == "cc-addresses"
    assert email.subject == "subject-of-the-email-in-string-representation"
    assert email.text == "text-of-email-as-text"
    assert email.structured_text == "text-of-email-formatted"
    assert email.mime_type == "mime-type-of-text"
    assert email.structured_text_mime_type == "mime-type-of-structuredtext"
    assert email.the_comment == "notes-on-interaction"
    assert email.contact_id == "contactid-mapped-to-sender"
    assert email.model_extra == {}
    [attachment] = email.attachments
    assert attachment.id == "attachmentId"
    assert attachment.name == "attachment-name"
    assert attachment.size == "attachment-size"
    assert attachment.mime_type == "attachment-mime-type"


@pytest.mark.parametrize(
    "name",
    [
        "interaction_email_reply_created_template",
        "interaction_email_reply_created_on_reply",
        "interaction_email_reply_created_on_reply_all",
    ],
)
def test_email_reply_created(name: str) -> None:
    event = decode_as(InteractionStateMessage, name)

    assert event.state == "ReplyCreated"
    assert event.interaction_sub_type == "OutboundReply"
    assert event.capabilities == [
        "Cancel",
        "Send",
        "PlaceInWorkbin",
        "UpdateProperties",
        "LinkAttachment",
    ]
    assert event.email_object is not None
    assert event.email_object.to_address == "to-address"
    assert event.email_object.attachments == []


def test_email_templates_invited_and_revoked() -> None:
    invited = decode_as(InteractionStateMessage, "interaction_email_invited_template")
    revoked = decode_as(InteractionStateMessage, "interaction_email_revoked_template")

    assert invited.state == "Invited"
    assert invited.email_object is not None
    assert invited.email_object.subject == "subject-of-the-email-in-string-representation"
    assert invited.email_object.interaction_id == "unique id of email interaction"
    assert revoked.state == "Revoked"
    assert revoked.interaction_type is None


def test_conference_messages() -> None:
    invited = decode_as(InteractionStateMessage, "interaction_conference_invited")
    left = decode_as(InteractionStateMessage, "interaction_conference_left")

    assert (invited.id, invited.state) == ("alpha-numeric-string", "InvitedConference")
    assert left.state == "LeftConference"
    assert left.channel is None
    assert left.capabilities == []
    assert left.user_data == {}


def test_chat_invited_and_revoked() -> None:
    invited = decode_as(InteractionStateMessage, "interaction_chat_invited")
    revoked = decode_as(InteractionStateMessage, "interaction_chat_revoked")

    assert invited.channel == "chat"
    assert invited.state == "Invited"
    assert invited.id == revoked.id == "0000Ja8V814907KS"
    assert invited.user_data["ChatServerPort"] == "7160"
    assert invited.user_data["PegAG?: 2>1"] == 1
    assert revoked.state == "Revoked"
    assert revoked.capabilities == []


def test_chat_accepted() -> None:
    event = decode_as(InteractionStateMessage, "interaction_chat_accepted")

    assert event.state == "Accepted"
    assert event.session_id == "0000Ja8V814907KS"
    assert event.in_queues == {"SimpleChatTranscriptQueue": ""}
    assert len(event.chat_notifications) == 5
    joined, second = event.chat_notifications[:2]
    assert joined.event_id == 1
    assert joined.message_type == "PARTY_JOINED"
    assert joined.nick_name == "CustomerName!L"
    assert joined.user_type == "Client"
    assert joined.message_text is None
    assert second.event_id == 2
    assert second.message_type == "NEW_MESSAGE"
    assert second.message_text == "testmessage1fromclient"
    assert second.user_id == "009B51CDF64818CA"
    assert second.visibility == "All"
    assert second.notice_text is None
    assert second.notice_type is None
    agent = event.chat_notifications[4]
    assert (agent.event_id, agent.user_type, agent.nick_name) == (5, "Agent", "TestName")


def test_chat_message() -> None:
    event = decode_as(InteractionStateMessage, "interaction_chat_message")

    [message] = event.chat_notifications
    assert message.event_id == 3
    assert message.message_text == "testmessagefromclient"
    assert event.user_data["RTargetObjectSelected"] == "?>1"


def test_workitem_pulled() -> None:
    event = decode_as(WorkitemStateChangeMessage, "workitem_pulled")

    assert event.reference_id == 17
    assert event.notification_type == "StatusChange"
    assert event.workitem is not None
    assert event.workitem.id == "02F0ASAK8EAFA00W"
    assert event.workitem.state == "Processing"
    assert event.workitem.capabilities[-1] == "Complete"
    assert event.workitem.user_data["Workbin"] == "testWorkbin"
    assert event.workitem.user_data["IsHeld"] == 0


def test_workbin_item_added_agent_group() -> None:
    message = load("workbin_item_added_agent_group")
    event = decode_event(message["channel"], message["data"])

    assert isinstance(event, WorkbinStateChangeMessage)
    assert event.id == "6c715fa9-de16-4d23-b07c-cbcb1caf3e07"
    assert event.action == "ItemAdded"
    assert event.is_item_added
    assert not event.is_item_removed
    assert event.agent_group == "MyAgentGroup"
    assert event.place_group is None
    assert event.media == "chat"
    assert event.interaction_id == "0001BaBFVPR20035"
    assert event.interaction.id == "0001BaBFVPR20035"
    assert event.interaction.chat_type == "Inbound"
    assert event.interaction.received_date == "2016-04-08 15:05:57.000+0300"
    assert event.interaction.participants == []
    assert event.interaction.user_data["ChatServerPort"] == "7160"
    assert event.interaction.user_data["RTargetAgentGroup"] == "?:2>1"
    # The state resource is exposed as ``interaction``, not duplicated in model_extra...
    assert event.model_extra == {}
    # ...and the received data is left as it was.
    assert "chatStateResourceV2" in event.raw
    assert "interaction" not in event.raw


def test_workbin_item_added_place_group() -> None:
    event = decode_as(WorkbinStateChangeMessage, "workbin_item_added_place_group")

    assert event.place_group == "MyPlaceGroup"
    assert event.agent_group is None
    assert event.interaction_id == "0001BaBFVPR20039"


@pytest.mark.parametrize(
    ("name", "interaction_id"),
    [
        ("workbin_item_removed_agent_group", "0001BaBFVPR20035"),
        ("workbin_item_removed_place_group", "0001BaBFVPR20039"),
    ],
)
def test_workbin_item_removed(name: str, interaction_id: str) -> None:
    event = decode_as(WorkbinStateChangeMessage, name)

    assert event.is_item_removed
    assert not event.is_item_added
    assert event.interaction_id == interaction_id
    assert "ChatAnsweredByAgentAt" in event.interaction.user_data


def test_workbin_item_added_personal() -> None:
    event = decode_as(WorkbinStateChangeMessage, "workbin_item_added_personal")

    assert event.id == "cde220f0-9bd6-4fcb-8564-d539459513ed"
    assert event.workbin_agent_id == "al"
    assert event.workbin_user_id == "802396ae32494a8b8a617a9103d968bb"
    assert event.media == "chat"
    assert event.interaction.id == "0001AaBF30060015"
    assert event.interaction.user_data["CBR-IT-path DBIDs"] == ""


def test_workbin_subscription() -> None:
    event = decode_as(WorkbinSubscriptionStateChangeMessage, "workbin_subscription_subscribed")

    assert event.id == "aee812a5-7396-4dd9-b180-230f1c1fb085"
    assert event.state_resource == "Subscribed"
    assert event.reference_id is None


def test_workbin_notification_resource() -> None:
    event = decode_as(WorkbinNotificationResource, "workbin_notification_resource")

    assert event.message_type == "workbinNotificationResource"
    assert event.operation == "Create"
    assert event.workbin_content_operation == "PlacedIn"
    assert event.interaction is not None
    assert event.interaction.id == "0000Ba8Y08X9001E"
    assert event.interaction.interaction_sub_type == "InboundNew"  # spelled interactionSubtType
    assert event.interaction.state == "Queued"
    assert event.interaction.parent_id == ""
    assert event.interaction.user_data == {"Sublist": {"subkey": "subkeyvalue"}}
    assert event.workbin_info is not None
    assert event.workbin_info.workbin_type_id == "TestWorkbin"
    assert event.workbin_info.workbin_agent_id == "Agen1"
    assert event.workbin_info.workbin_group_id is None
    assert event.actor_info is not None
    assert event.actor_info.actor_type == "MediaServer"
    assert event.actor_info.actor_media_server_id == "test"
    assert event.reason_info is not None
    assert event.reason_info.reason == 1
    assert event.reason_info.reason_description == "abcd"
    assert event.reason_info.reason_name == "ddddd"


def test_call_state_change() -> None:
    event = decode_as(CallStateChangeMessage, "call_state_change")

    assert event.phone_number == "1"
    assert event.notification_type == "StatusChange"
    assert event.error_message is None
    call = event.call
    assert call is not None
    assert call.id == "010a0229f0cbd001"
    assert call.state == "Dialing"
    assert call.call_uuid == "RC5FN2QK1H3IFD3CV136FELT80000001"
    assert call.uri == "http://127.0.0.1:8080/api/v2/me/calls/010a0229f0cbd001"
    assert call.participants == ["2"]
    assert call.ani == "1"
    assert call.duration == "0"
    assert call.mute == "Off"
    assert "SendDtmf" in call.capabilities
    [info] = call.participants_info
    assert info.e164_digits == "2"
    assert info.formatted_phone_number == "2"
    assert info.is_valid_number is False
    assert info.location is None
    assert info.country is not None
    assert info.country.calling_code == ""


def test_device_state_change() -> None:
    event = decode_as(DeviceStateChangeMessage, "device_state_change")

    [device] = event.devices
    assert device.id == "5aceae61-0b5c-4578-9477-cd352d43cb17"
    assert device.device_state == "Active"
    assert device.e164_number == "1"
    assert device.phone_number == "1"
    assert device.type == "PSTNPhone"
    assert device.model == "FakeDeviceModel"
    assert device.user_state is not None
    assert device.user_state.state == "Ready"
    assert device.user_state.display_name == "Ready"
    assert device.user_state.id == "9430250E-0A1B-421F-B372-F29E69366DED"
    assert device.do_not_disturb is None


def test_channels() -> None:
    ready = decode_as(ChannelStateChange, "channels_ready")
    dnd = decode_as(ChannelStateChange, "channels_dnd_on")

    assert ready.message_type is None
    [chat] = ready.channels
    assert chat.channel == "chat"
    assert chat.user_state is not None
    assert chat.user_state.state == "Ready"
    assert chat.dnd_state is None
    [every] = dnd.channels
    assert every.channel is None
    assert every.dnd_state == "On"
    assert every.user_state is not None
    assert every.user_state.display_name == "Not Ready"


def test_password_notifications() -> None:
    ok = decode_as(PasswordChangeSuccessful, "password_change_successful")
    failed = decode_as(PasswordChangeError, "password_change_error")
    user_ok = decode_as(UserPasswordChangeSuccessful, "user_password_change_successful")
    user_failed = decode_as(UserPasswordChangeError, "user_password_change_error")

    assert ok.notification_type == "PasswordChangeSuccessful"
    assert (failed.error_code, failed.error_message) == (
        1,
        "Password does not meet security guidelines",
    )
    assert user_ok.user_id == "5804abe284374b5bb0a18f57f5c9043d"
    assert user_ok.user_uri is not None
    assert user_ok.user_uri.endswith("/users/5804abe284374b5bb0a18f57f5c9043d")
    assert user_failed.error_code == 2
    assert user_failed.user_id == "5804abe284374b5bb0a18f57f5c9043d"


# --- lenient decoding --------------------------------------------------------------------


def test_message_type_name_spelling() -> None:
    data = {"messageTypeName": "WorkbinSubscriptionStateChangeMessage", "id": "w1"}

    event = decode_event("/v2/me/workbins", data)

    assert isinstance(event, WorkbinSubscriptionStateChangeMessage)
    assert event.message_type == "WorkbinSubscriptionStateChangeMessage"


def test_message_type_in_another_case() -> None:
    event = decode_event("/v2/me/workbins", {"messageType": "WorkbinNotificationResource"})

    assert isinstance(event, WorkbinNotificationResource)


@pytest.mark.parametrize(
    ("topic", "data", "cls"),
    [
        ("/v2/me/channels/", {"channels": []}, ChannelStateChange),
        ("/v2/me/", {"notificationType": "PasswordChangeSuccessful"}, PasswordChangeSuccessful),
        (
            "/v2/users/",
            {"notificationType": "PasswordChangeError", "userId": "u1", "errorCode": 3},
            UserPasswordChangeError,
        ),
        ("/v2/me/interactions/", {"messageType": "InteractionStateMessage", "id": "i"}, None),
    ],
)
def test_trailing_slash_on_topic(
    topic: str, data: dict[str, Any], cls: type[GwsEvent] | None
) -> None:
    event = decode_event(topic, data)

    assert type(event) is (cls or InteractionStateMessage)
    assert event.topic == topic  # kept as received


def test_known_message_type_on_another_topic_still_decodes() -> None:
    message = load("call_state_change")

    event = decode_event("/v2/me/devices", message["data"])

    assert isinstance(event, CallStateChangeMessage)
    assert event.topic == "/v2/me/devices"


def test_future_media_state_resource() -> None:
    data = {
        "messageType": "WorkbinStateChangeMessage",
        "action": "ItemAdded",
        "id": "wb",
        "smsStateResourceV2": {"id": "sms-1", "userData": {"k": "v"}},
    }

    event = decode_event("/v2/me/workbins", data)

    assert isinstance(event, WorkbinStateChangeMessage)
    assert event.media == "sms"
    assert event.interaction.id == "sms-1"
    assert event.interaction.user_data == {"k": "v"}


@pytest.mark.parametrize(
    "media",
    ["chat", "email", "facebook", "tweet", "facebooksession", "workitem", "openmedia"],
)
def test_documented_media_state_resources(media: str) -> None:
    data = {
        "messageType": "WorkbinStateChangeMessage",
        "id": "wb",
        f"{media}StateResourceV2": {"id": "x"},
    }

    event = decode_event("/v2/me/workbins", data)

    assert isinstance(event, WorkbinStateChangeMessage)
    assert event.media == media


def test_null_state_resource_counts_as_absent() -> None:
    data = {
        "messageType": "WorkbinStateChangeMessage",
        "id": "wb",
        "chatStateResourceV2": None,
        "emailStateResourceV2": {"id": "e1"},
    }

    event = decode_event("/v2/me/workbins", data)

    assert isinstance(event, WorkbinStateChangeMessage)
    assert event.media == "email"


def test_missing_optional_fields_and_nulls() -> None:
    data = {
        "messageType": "InteractionStateMessage",
        "id": "i1",
        "capabilities": None,
        "userData": None,
        "chat_notifications": None,
        "email_object": None,
    }

    event = decode_event("/v2/me/interactions", data)

    assert isinstance(event, InteractionStateMessage)
    assert event.capabilities == []
    assert event.user_data == {}
    assert event.chat_notifications == []
    assert event.email_object is None
    assert event.state is None


def test_extra_fields_are_kept() -> None:
    message = load("call_state_change")
    data = copy.deepcopy(message["data"])
    data["brandNewField"] = {"x": 1}
    data["call"]["dnis"] = "5000"
    data["call"]["newCallField"] = [1, 2]

    event = decode_event("/v2/me/calls", data)

    assert isinstance(event, CallStateChangeMessage)
    assert event.model_extra == {"brandNewField": {"x": 1}}
    assert event.call is not None
    assert event.call.dnis == "5000"
    assert event.call.model_extra == {"newCallField": [1, 2]}


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("ToAddress", "to_address"),
        ("toAddress", "to_address"),
        ("FromAddress", "from_address"),
        ("fromAddress", "from_address"),
        ("CCAddresses", "cc_addresses"),
        ("ccAddresses", "cc_addresses"),
        ("ccAddress", "cc_addresses"),
        ("bccAddress", "bcc_address"),
        ("Subject", "subject"),
        ("subject", "subject"),
        ("Text", "text"),
        ("text", "text"),
        ("StructuredText", "structured_text"),
        ("MimeType", "mime_type"),
        ("StructuredTextMimeType", "structured_text_mime_type"),
        ("TheComment", "the_comment"),
        ("ContactID", "contact_id"),
        ("interactionId", "interaction_id"),
    ],
)
def test_email_object_key_spellings(key: str, field: str) -> None:
    email = EmailObject.model_validate({key: "value"})

    assert getattr(email, field) == "value"
    assert email.model_extra == {}


def test_chat_notification_accepts_camel_case_too() -> None:
    note = ChatNotification.model_validate({"eventId": 7, "messageType": "NOTICE"})

    assert (note.event_id, note.message_type) == (7, "NOTICE")
    assert ChatNotification.model_validate({"EventId": 7}).model_dump(by_alias=True)["EventId"] == 7


def test_participant_info_e164_key() -> None:
    assert ParticipantInfo.model_validate({"E164digits": "+1555"}).e164_digits == "+1555"


# --- what does not decode ----------------------------------------------------------------


def test_unknown_message_type() -> None:
    data = {"messageType": "SomethingNewMessage", "id": "x"}

    event = decode_event("/v2/me/interactions", data)

    assert type(event) is UnknownEvent
    assert event.message_type == "SomethingNewMessage"
    assert event.error is None
    assert event.raw is data
    assert event.topic == "/v2/me/interactions"


@pytest.mark.parametrize(
    ("topic", "data", "message_type"),
    [
        ("/v2/me", {"notificationType": "SomethingElse"}, "SomethingElse"),
        (
            "/v2/me/calls",
            {"notificationType": "PasswordChangeSuccessful"},
            "PasswordChangeSuccessful",
        ),
        ("/v2/me/devices", {"channels": []}, None),
        ("/v2/me/calls", {"call": {"id": "c"}}, None),
        ("/v2/other", {}, None),
    ],
)
def test_not_recognised(topic: str, data: dict[str, Any], message_type: str | None) -> None:
    event = decode_event(topic, data)

    assert type(event) is UnknownEvent
    assert event.message_type == message_type
    assert event.error is None
    assert event.raw is data


# Only identifying fields make an event unknown; others are left out (test_events_lenient).
@pytest.mark.parametrize(
    ("topic", "data"),
    [
        ("/v2/me/devices", {"messageType": "DeviceStateChangeMessage", "devices": "x"}),
        ("/v2/me/devices", {"messageType": "DeviceStateChangeMessage", "devices": [{"id": 5}]}),
        ("/v2/me/interactions", {"messageType": "InteractionStateMessage"}),
        ("/v2/me/interactions", {"messageType": "InteractionStateMessage", "id": 12}),
        ("/v2/me/calls", {"messageType": "CallStateChangeMessage", "call": "c"}),
        ("/v2/me/channels", {"channels": [{"channel": 1}]}),
        ("/v2/users", {"notificationType": "PasswordChangeSuccessful"}),  # no userId
    ],
)
def test_wrong_field_type_gives_unknown_event_with_error(topic: str, data: dict[str, Any]) -> None:
    event = decode_event(topic, data)

    assert type(event) is UnknownEvent
    assert event.error
    assert event.raw is data
    assert event.topic == topic


def test_error_names_the_field() -> None:
    event = decode_event(
        "/v2/me/devices", {"messageType": "DeviceStateChangeMessage", "devices": "x"}
    )

    assert isinstance(event, UnknownEvent)
    assert event.message_type == "DeviceStateChangeMessage"
    assert event.error is not None
    assert "DeviceStateChangeMessage" in event.error
    assert "devices" in event.error


@pytest.mark.parametrize(
    "data", [[], [{"messageType": "InteractionStateMessage"}], "text", None, 0, 1.5, True, b"x"]
)
def test_data_that_is_not_an_object(data: Any) -> None:
    event = decode_event("/v2/me/interactions", data)

    assert type(event) is UnknownEvent
    assert event.error
    assert event.raw is data
    assert event.message_type is None


@pytest.mark.parametrize("message_type", [5, 1.5, ["InteractionStateMessage"], {"a": 1}, True])
def test_message_type_that_is_not_a_string(message_type: Any) -> None:
    data = {"messageType": message_type, "id": "x"}

    event = decode_event("/v2/me/interactions", data)

    assert type(event) is UnknownEvent
    assert event.error
    assert event.message_type is None


def test_notification_type_that_is_not_a_string() -> None:
    event = decode_event("/v2/me", {"notificationType": ["PasswordChangeError"]})

    assert type(event) is UnknownEvent
    assert event.error


@pytest.mark.parametrize(
    "resources",
    [
        {},
        {"chatStateResourceV2": {"id": "a"}, "emailStateResourceV2": {"id": "b"}},
        {"StateResourceV2": {"id": "a"}},
        {"chatStateResourceV2": "not an object"},
        {"chatStateResourceV2": {"noId": True}},
    ],
)
def test_workbin_state_change_needs_exactly_one_state_resource(resources: dict[str, Any]) -> None:
    data = {"messageType": "WorkbinStateChangeMessage", "id": "wb", **resources}
    before = copy.deepcopy(data)

    event = decode_event("/v2/me/workbins", data)

    assert type(event) is UnknownEvent
    assert event.error
    assert event.message_type == "WorkbinStateChangeMessage"
    assert data == before


def test_huge_input_gives_a_short_error() -> None:
    data = {
        "messageType": "DeviceStateChangeMessage",
        "devices": [{"id": n} for n in range(10_000)],
    }

    event = decode_event("/v2/me/devices", data)

    assert isinstance(event, UnknownEvent)
    assert event.error is not None
    assert len(event.error) < 1000
    assert "9995 more" in event.error


def test_deep_input() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(50_000):
        node["next"] = {}
        node = node["next"]

    valid = decode_event(
        "/v2/me/interactions",
        {"messageType": "InteractionStateMessage", "id": "i", "userData": deep},
    )
    left_out = decode_event(
        "/v2/me/interactions",
        {"messageType": "InteractionStateMessage", "id": "i", "inQueues": [deep]},
    )
    invalid = decode_event(
        "/v2/me/interactions", {"messageType": "InteractionStateMessage", "id": [deep]}
    )

    assert isinstance(valid, InteractionStateMessage)
    assert valid.user_data["next"] is deep["next"]  # no deep copy
    assert isinstance(left_out, InteractionStateMessage)
    assert list(left_out.dropped_fields) == ["inQueues"]
    assert left_out.raw["inQueues"][0] is deep
    assert isinstance(invalid, UnknownEvent)
    assert invalid.error


def test_never_raises_even_for_a_misbehaving_mapping() -> None:
    class Hostile(dict[str, Any]):
        def get(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("boom")

    data = Hostile()

    event = decode_event("/v2/me", data)

    assert isinstance(event, UnknownEvent)
    assert event.error
    assert event.raw is data


# --- media and interaction_state --------------------------------------------------------

# What each spec sample says about the interaction it concerns: (media, interaction state).
# Conference samples carry no ``channel``; a call's state is not an interaction state.
MEDIA_AND_STATE: dict[str, tuple[str | None, str | None]] = {
    "call_state_change": ("voice", None),
    "channels_dnd_on": (None, None),
    "channels_ready": (None, None),
    "device_state_change": (None, None),
    "interaction_chat_accepted": ("chat", "Accepted"),
    "interaction_chat_invited": ("chat", "Invited"),
    "interaction_chat_message": ("chat", "Accepted"),
    "interaction_chat_revoked": ("chat", "Revoked"),
    "interaction_conference_invited": (None, "InvitedConference"),
    "interaction_conference_left": (None, "LeftConference"),
    "interaction_email_accepted": ("email", "Accepted"),
    "interaction_email_accepted_on_accept": ("email", "Accepted"),
    "interaction_email_accepted_template": ("email", "Accepted"),
    "interaction_email_invited": ("email", "Invited"),
    "interaction_email_invited_template": ("email", "Invited"),
    "interaction_email_reply_created_on_reply": ("email", "ReplyCreated"),
    "interaction_email_reply_created_on_reply_all": ("email", "ReplyCreated"),
    "interaction_email_reply_created_template": ("email", "ReplyCreated"),
    "interaction_email_revoked": ("email", "Revoked"),
    "interaction_email_revoked_template": ("email", "Revoked"),
    "password_change_error": (None, None),
    "password_change_successful": (None, None),
    "user_password_change_error": (None, None),
    "user_password_change_successful": (None, None),
    "workbin_item_added_agent_group": ("chat", None),
    "workbin_item_added_personal": ("chat", None),
    "workbin_item_added_place_group": ("chat", None),
    "workbin_item_removed_agent_group": ("chat", None),
    "workbin_item_removed_place_group": ("chat", None),
    "workbin_notification_resource": ("email", "Queued"),
    "workbin_subscription_subscribed": (None, None),
    "workitem_pulled": ("workitem", "Processing"),
}


def test_every_fixture_has_an_expected_media_and_state() -> None:
    assert set(MEDIA_AND_STATE) == set(DATA_FILES)


@pytest.mark.parametrize("name", sorted(MEDIA_AND_STATE))
def test_media_and_interaction_state_of_every_spec_sample(name: str) -> None:
    event = decode_fixture(name)

    assert (event.media, event.interaction_state) == MEDIA_AND_STATE[name]


def test_interaction_message_reads_its_channel_and_state() -> None:
    event = decode_event(
        "/v2/me/interactions",
        {"messageType": "InteractionStateMessage", "id": "i", "channel": "sms"},
    )

    assert isinstance(event, InteractionStateMessage)
    assert (event.media, event.interaction_state) == ("sms", None)
    assert (event.channel, event.state) == ("sms", None)


def test_workbin_item_reads_the_media_of_its_key_and_the_interaction_state() -> None:
    data = {
        "messageType": "WorkbinStateChangeMessage",
        "id": "wb",
        "action": "ItemAdded",
        "openmediaStateResourceV2": {"id": "i", "state": "Queued"},
    }
    event = decode_event("/v2/me/workbins", data)

    assert isinstance(event, WorkbinStateChangeMessage)
    assert (event.media, event.interaction_state) == ("openmedia", "Queued")
    # Nothing else changed: the key's media is not duplicated in model_extra.
    assert event.model_extra == {}


def test_workitem_and_content_notifications_without_their_item() -> None:
    workitem = decode_event(
        "/v2/me/interactions", {"messageType": "WorkitemStateChangeMessage", "workitem": None}
    )
    content = decode_event("/v2/me/workbins", {"messageType": "workbinNotificationResource"})

    assert (workitem.media, workitem.interaction_state) == ("workitem", None)
    assert (content.media, content.interaction_state) == (None, None)


def test_a_failed_call_operation_is_still_voice_and_never_has_an_interaction_state() -> None:
    failed = decode_event(
        "/v2/me/calls",
        {"messageType": "CallStateChangeMessage", "errorMessage": "busy", "callUuid": "u"},
    )
    held = decode_event(
        "/v2/me/calls",
        {"messageType": "CallStateChangeMessage", "call": {"id": "c", "state": "Held"}},
    )

    assert (failed.media, failed.interaction_state) == ("voice", None)
    assert isinstance(held, CallStateChangeMessage)
    assert held.call is not None
    assert held.call.state == "Held"
    assert held.interaction_state is None


@pytest.mark.parametrize(
    "event",
    [
        ListenerConnected.create(client_id="c"),
        ConnectionLost.create(cause="gone"),
        Reconnected.create(downtime=1.0, session_renewed=False),
        decode_event("/v2/me/workbins", {"messageType": "Nope"}),
    ],
    ids=lambda event: type(event).__name__,
)
def test_events_not_about_an_interaction_answer_none(event: GwsEvent) -> None:
    assert event.media is None
    assert event.interaction_state is None


# --- the events themselves ---------------------------------------------------------------


def test_events_are_frozen() -> None:
    event = decode_fixture("interaction_chat_accepted")
    assert isinstance(event, InteractionStateMessage)

    with pytest.raises(ValidationError, match="frozen"):
        event.id = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        event.topic = "/v2/elsewhere"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        event.raw = {}  # type: ignore[misc]
    unknown = decode_event("/x", None)
    assert isinstance(unknown, UnknownEvent)
    with pytest.raises(ValidationError, match="frozen"):
        unknown.error = "changed"  # type: ignore[misc]


def test_private_attributes_are_set_on_a_frozen_model() -> None:
    event = InteractionStateMessage.model_validate({"id": "i"})
    assert event.model_config.get("frozen") is True
    assert event.topic == ""
    assert event.raw is None

    event._bind("/v2/me/interactions", {"id": "i"})

    assert event.topic == "/v2/me/interactions"
    assert event.raw == {"id": "i"}


def test_raw_is_the_received_object_and_is_not_modified() -> None:
    message = load("workbin_item_added_agent_group")
    data = message["data"]
    before = copy.deepcopy(data)

    event = decode_event("/v2/me/workbins", data)

    assert event.raw is data
    assert data == before


def test_topic_is_part_of_the_repr() -> None:
    event = decode_event("/v2/me/workbins", {"messageType": "Nope"})

    assert repr(event).startswith("UnknownEvent(topic='/v2/me/workbins', message_type='Nope'")


def test_event_types_registry() -> None:
    assert UnknownEvent not in EVENT_TYPES
    assert len(set(EVENT_TYPES)) == len(EVENT_TYPES) == 12
    for cls in EVENT_TYPES:
        assert issubclass(cls, GwsEvent)
        assert cls.TOPIC.startswith("/v2/")
        assert cls.__doc__
    assert {cls.TOPIC for cls in EVENT_TYPES} == {
        "/v2/me",
        "/v2/users",
        "/v2/me/interactions",
        "/v2/me/workbins",
        "/v2/me/calls",
        "/v2/me/devices",
        "/v2/me/channels",
    }
    assert set(EVENT_TYPES) == set(EXPECTED.values())


def test_all_names_exist() -> None:
    for name in events.__all__:
        assert hasattr(events, name), name
