"""Resource models shared by CometD notifications and REST results.

Only identifiers are required. Every other field is optional, so a notification that
leaves a field out still validates. Identifiers (:data:`~gws_async._base.Id`) must be JSON
strings; other values are converted where nothing is lost (see
:class:`~gws_async._base.GwsModel`), and a field that still has the wrong type fails
validation (the event decoder then leaves that field out, see ``decode_event``). GWS
writes explicit ``null`` for empty values (see the workbin samples), so list and map
fields read ``null`` as empty rather than rejecting it.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import (
    AliasChoices,
    AliasGenerator,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic.alias_generators import to_camel, to_pascal

from gws_async._base import GwsModel, Id

__all__ = [
    "ActorInfo",
    "Call",
    "ChannelState",
    "ChatNotification",
    "Country",
    "Device",
    "EmailAttachment",
    "EmailObject",
    "Interaction",
    "NotificationInteraction",
    "NullAsEmptyDict",
    "NullAsEmptyList",
    "ParticipantInfo",
    "ReasonInfo",
    "StrList",
    "UserData",
    "UserState",
    "WorkbinInfo",
    "WorkbinInteraction",
    "Workitem",
]


def _list_if_null(value: Any) -> Any:
    return [] if value is None else value


def _dict_if_null(value: Any) -> Any:
    return {} if value is None else value


NullAsEmptyList: Final = BeforeValidator(_list_if_null)
"""``Annotated`` marker: a JSON ``null`` validates as an empty list."""

NullAsEmptyDict: Final = BeforeValidator(_dict_if_null)
"""``Annotated`` marker: a JSON ``null`` validates as an empty dict."""

StrList = Annotated[list[str], NullAsEmptyList]
"""A list of strings (capabilities, participants); ``null`` reads as ``[]``."""


def _user_data(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # The common case, a JSON object, is copied as it is: its keys are strings and its
    # values are taken as they are, which is all dict[str, Any] would check. Going through
    # pydantic's dict validator instead costs a microsecond per notification for a typical
    # 30-key userData. Anything else (null, a mapping, a wrong type) is handled as before.
    if type(value) is dict:
        return value.copy()
    if value is None:
        return {}
    return handler(value)


# Keys are not converted: in a mapping from Python, 1 and "1" would become one key.
UserData = Annotated[dict[Annotated[str, Strict()], Any], WrapValidator(_user_data)]
"""Attached data (``userData``): any JSON values by key; ``null`` reads as ``{}``.

A ``dict`` is taken as a shallow copy without checking its keys one by one (the keys of
a JSON object are always strings); the keys of another mapping must be strings."""


class UserState(GwsModel):
    """An agent state on a device or channel (Ready, NotReady, ...)."""

    id: str | None = None
    state: str | None = None
    display_name: str | None = None
    reason: str | None = None
    # The Channels API writes the reason as ``reasonCode`` in one of its samples.
    reason_code: str | None = None
    work_mode: str | None = None


class Country(GwsModel):
    """Country information of a phone number."""

    name: str | None = None
    code: str | None = None
    calling_code: str | None = None


class Device(GwsModel):
    """A voice device and the agent's state on it."""

    id: Id
    device_state: str | None = None
    user_state: UserState | None = None
    do_not_disturb: str | None = None
    forward_to: str | None = None
    phone_number: str | None = None
    phone_number_uri: str | None = None
    # The attribute table spells it ``e164number``; every sample has ``e164Number``.
    e164_number: str | None = Field(
        default=None, validation_alias=AliasChoices("e164Number", "e164number")
    )
    local_number: str | None = None
    capabilities: StrList = Field(default_factory=list)
    telephony_network: str | None = None
    type: str | None = None
    model: str | None = None
    vendor: str | None = None
    country: Country | None = None
    location: str | None = None
    voice_environment_uri: str | None = None
    supervisor_monitoring_state: str | None = None
    supervisor_monitoring_mode: str | None = None
    supervisor_monitoring_scope: str | None = None


class ChannelState(GwsModel):
    """An agent's state on one multimedia channel (``chat``, ``email``, ...)."""

    # Absent from the spec's DND sample, which applies to every channel.
    channel: Id | None = None
    user_state: UserState | None = None
    dnd_state: str | None = None


class ParticipantInfo(GwsModel):
    """Phone number details of one call participant."""

    country: Country | None = None
    location: str | None = None
    local_phone_number: str | None = None
    formatted_phone_number: str | None = None
    is_valid_number: bool | None = None
    e164_digits: str | None = Field(
        default=None, validation_alias=AliasChoices("E164digits", "e164Digits")
    )


class Call(GwsModel):
    """A voice call, as carried by ``CallStateChangeMessage`` and ``/me/calls``."""

    id: Id
    state: str | None = None
    call_uuid: str | None = None
    device_uri: str | None = None
    uri: str | None = None
    participants: StrList = Field(default_factory=list)
    participants_info: Annotated[list[ParticipantInfo], NullAsEmptyList] = Field(
        default_factory=list
    )
    ani: str | None = None
    dnis: str | None = None
    capabilities: StrList = Field(default_factory=list)
    duration: str | None = None
    mute: str | None = None
    user_data: UserData = Field(default_factory=dict)


class EmailAttachment(GwsModel):
    """One attachment of an e-mail interaction."""

    id: Id
    name: str | None = None
    # The spec only shows a placeholder; a byte count may come as a number or a string.
    size: int | str | None = None
    mime_type: str | None = Field(
        default=None, validation_alias=AliasChoices("mimetype", "mimeType", "MimeType")
    )


class EmailObject(GwsModel):
    """The ``email_object`` of an e-mail interaction; accepts both key spellings of the spec."""

    to_address: str | None = Field(
        default=None, validation_alias=AliasChoices("ToAddress", "toAddress")
    )
    from_address: str | None = Field(
        default=None, validation_alias=AliasChoices("FromAddress", "fromAddress")
    )
    cc_addresses: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CCAddresses", "ccAddresses", "ccAddress"),
    )
    bcc_address: str | None = Field(
        default=None,
        validation_alias=AliasChoices("bccAddress", "BCCAddress", "bccAddresses", "BCCAddresses"),
    )
    subject: str | None = Field(default=None, validation_alias=AliasChoices("Subject", "subject"))
    text: str | None = Field(default=None, validation_alias=AliasChoices("Text", "text"))
    structured_text: str | None = Field(
        default=None, validation_alias=AliasChoices("StructuredText", "structuredText")
    )
    mime_type: str | None = Field(
        default=None, validation_alias=AliasChoices("MimeType", "mimeType")
    )
    structured_text_mime_type: str | None = Field(
        default=None,
        validation_alias=AliasChoices("StructuredTextMimeType", "structuredTextMimeType"),
    )
    the_comment: str | None = Field(
        default=None, validation_alias=AliasChoices("TheComment", "theComment")
    )
    contact_id: str | None = Field(
        default=None, validation_alias=AliasChoices("ContactID", "contactId", "ContactId")
    )
    interaction_id: str | None = Field(
        default=None, validation_alias=AliasChoices("interactionId", "InteractionId")
    )
    attachments: Annotated[list[EmailAttachment], NullAsEmptyList] = Field(default_factory=list)


class ChatNotification(GwsModel):
    """One chat transcript event (party joined, new message, notice...)."""

    # The wire keys are PascalCase (``EventId``); camelCase is accepted too.
    model_config = ConfigDict(
        alias_generator=AliasGenerator(
            validation_alias=lambda name: AliasChoices(to_pascal(name), to_camel(name)),
            serialization_alias=to_pascal,
        )
    )

    event_id: int | None = None
    message_type: str | None = None
    message_text: str | None = None
    nick_name: str | None = None
    user_id: str | None = None
    user_type: str | None = None
    visibility: str | None = None
    notice_text: str | None = None
    notice_type: str | None = None


class WorkbinInteraction(GwsModel):
    """An interaction held in a workbin (the ``*StateResourceV2`` payload)."""

    id: Id
    state: str | None = None
    capabilities: StrList = Field(default_factory=list)
    chat_type: str | None = None
    # Only ever shown empty in the spec, so the item shape is left open.
    participants: Annotated[list[Any], NullAsEmptyList] = Field(default_factory=list)
    received_date: str | None = None
    user_data: UserData = Field(default_factory=dict)
    interaction_type: str | None = None
    interaction_sub_type: str | None = None


class Workitem(GwsModel):
    """The workitem of a ``WorkitemStateChangeMessage``."""

    id: Id
    state: str | None = None
    capabilities: StrList = Field(default_factory=list)
    user_data: UserData = Field(default_factory=dict)


class WorkbinInfo(GwsModel):
    """Which workbin a ``workbinNotificationResource`` is about."""

    workbin_type_id: str | None = None
    workbin_group_id: str | None = None
    workbin_place_group_id: str | None = None
    workbin_agent_id: str | None = None
    workbin_place_id: str | None = None


class ActorInfo(GwsModel):
    """Who changed a workbin's content."""

    agent_id: str | None = None
    actor_media_server_id: str | None = None
    actor_type: str | None = None
    actor_place_id: str | None = None


class ReasonInfo(GwsModel):
    """Why a workbin's content changed."""

    reason: int | None = None
    reason_description: str | None = None
    reason_name: str | None = None


class NotificationInteraction(GwsModel):
    """The ``interaction`` of a ``workbinNotificationResource``."""

    id: Id
    channel: str | None = None
    state: str | None = None
    interaction_type: str | None = None
    # The spec's sample spells it ``interactionSubtType``.
    interaction_sub_type: str | None = Field(
        default=None,
        validation_alias=AliasChoices("interactionSubType", "interactionSubtType"),
    )
    current_queue: str | None = None
    parent_id: str | None = None
    user_data: UserData = Field(default_factory=dict)


class Interaction(GwsModel):
    """A multimedia interaction (``GET /interactions/{id}``, ``/me/interactions?fields=*``):
    the same shape as an ``InteractionStateMessage``."""

    id: Id
    # The media ("email", "chat"), not a Bayeux channel.
    channel: str | None = None
    state: str | None = None
    interaction_type: str | None = None
    interaction_sub_type: str | None = Field(
        default=None,
        validation_alias=AliasChoices("interactionSubType", "interactionSubtType"),
    )
    capabilities: StrList = Field(default_factory=list)
    user_data: UserData = Field(default_factory=dict)
    current_queue: str | None = None
    in_queues: dict[str, Any] | None = None
    out_queues: dict[str, Any] | None = None
    received_at: str | None = None
    session_id: str | None = None
    parent_id: str | None = Field(
        default=None, validation_alias=AliasChoices("parentId", "parentInteractionId")
    )
    email_object: EmailObject | None = Field(default=None, alias="email_object")
    chat_notifications: Annotated[list[ChatNotification], NullAsEmptyList] = Field(
        default_factory=list, alias="chat_notifications"
    )
