"""The notifications GWS sends, typed; :class:`GwsEvent` is their base."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Final

from pydantic import AliasChoices, Field, model_validator

from gws_async._base import GwsModel, Id
from gws_async.models import (
    ActorInfo,
    Call,
    ChannelState,
    Device,
    Interaction,
    NotificationInteraction,
    NullAsEmptyList,
    ReasonInfo,
    WorkbinInfo,
    WorkbinInteraction,
    Workitem,
)
from gws_async.topics import Topic

__all__ = [
    "CallStateChangeMessage",
    "ChannelStateChange",
    "DeviceStateChangeMessage",
    "GwsEvent",
    "InteractionStateMessage",
    "PasswordChangeError",
    "PasswordChangeSuccessful",
    "UnknownEvent",
    "UserPasswordChangeError",
    "UserPasswordChangeSuccessful",
    "WorkbinNotificationResource",
    "WorkbinStateChangeMessage",
    "WorkbinSubscriptionStateChangeMessage",
    "WorkitemStateChangeMessage",
    "bind",
    "bind_dropped",
]


_STATE_RESOURCE_SUFFIX: Final = "StateResourceV2"
_STATE_RESOURCE_SUFFIX_LEN: Final = len(_STATE_RESOURCE_SUFFIX)
_NOTHING_DROPPED: Final[Mapping[str, str]] = MappingProxyType({})


class GwsEvent(GwsModel):
    """Base of every decoded notification: the wire fields plus ``topic`` and ``raw``.

    Every event also answers :attr:`media` and :attr:`interaction_state`, None unless it
    is about one interaction, so a filter or a printer can ask any event without first
    working out its type.
    """

    TOPIC: ClassVar[str]

    IDENTIFIED_BY: ClassVar[frozenset[str]] = frozenset({"messageType", "messageTypeName"})
    """The wire fields that say what the event is about, as dotted paths without list
    indices (``call.id``, ``devices.id``). Only these may make an event unknown: any other
    field that does not validate is left out (see :attr:`dropped_fields`)."""

    # Some spec pages write the discriminator as ``messageTypeName``.
    message_type: Id | None = Field(
        default=None, validation_alias=AliasChoices("messageType", "messageTypeName")
    )

    # ``topic`` and ``raw`` live in pydantic's private-state dict, set once by ``_bind``.
    # They are not declared as ``PrivateAttr``: that would make pydantic run a Python
    # ``model_post_init`` for every event it validates, only to store the defaults.

    @property
    def topic(self) -> str:
        """The Bayeux channel the notification arrived on, e.g. ``/v2/me/workbins``."""
        private = self.__pydantic_private__
        return private["topic"] if private else ""

    @property
    def raw(self) -> Any:
        """The ``data`` object the event was decoded from, as received."""
        private = self.__pydantic_private__
        return private["raw"] if private else None

    @property
    def dropped_fields(self) -> Mapping[str, str]:
        """The wire fields left out because they did not validate, by path (``call.duration``,
        ``devices[0].capabilities``), with pydantic's reason; empty when the event
        validated as received. Their values are still in :attr:`raw`."""
        private = self.__pydantic_private__
        dropped = private.get("dropped") if private else None
        return MappingProxyType(dropped) if dropped else _NOTHING_DROPPED

    @property
    def media(self) -> str | None:
        """The media of the interaction the event is about, as the spec names it
        (``email``, ``chat``, ``workitem``, ``voice``...); None for events that are not
        about one interaction."""
        return None

    @property
    def interaction_state(self) -> str | None:
        """The state of the interaction the event is about (``Invited``, ``Accepted``,
        ``Revoked``, ``Queued``...); None when the event carries none. A call's state is
        not one: see :class:`CallStateChangeMessage`."""
        return None

    def _bind(self, topic: str, raw: Any) -> None:
        bind(self, topic, raw)

    @classmethod
    def wire_path(cls, data: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
        """Where the value of a validation error at ``loc`` sits in the received ``data``
        (the same length as ``loc``): ``loc`` itself unless a validator moved keys."""
        return loc

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        yield "topic", self.topic
        yield from super().__repr_args__()


def bind(event: GwsEvent, topic: str, raw: Any) -> None:
    """Set a decoded event's ``topic`` and ``raw`` (once, right after validation)."""
    private = event.__pydantic_private__
    if private is None:
        # Bypasses the frozen model's __setattr__; equality, copies and pickling carry
        # this dict along as they do for declared private attributes.
        object.__setattr__(event, "__pydantic_private__", {"topic": topic, "raw": raw})
    else:  # a subclass declared private attributes of its own
        private["topic"] = topic
        private["raw"] = raw


def bind_dropped(event: GwsEvent, dropped: dict[str, str]) -> None:
    """Record the fields left out of a bound event (see :attr:`GwsEvent.dropped_fields`)."""
    if event.__pydantic_private__ is not None and dropped:
        event.__pydantic_private__["dropped"] = dropped


# The keys of a WorkbinStateChangeMessage besides its state resource (none of them ends
# with the suffix, so leaving them out of the search for it changes nothing).
_USUAL_WORKBIN_KEYS: Final = frozenset(
    {
        "messageType",
        "messageTypeName",
        "id",
        "action",
        "agentGroup",
        "placeGroup",
        "workbinAgentId",
        "workbinUserId",
        "referenceId",
    }
)


def _state_resources(data: dict[Any, Any]) -> list[str]:
    """The keys of ``data`` naming a state resource, in order. A key holding null is read
    as absent: GWS writes explicit nulls elsewhere."""
    return [
        key
        for key in data
        if isinstance(key, str)
        and key.endswith(_STATE_RESOURCE_SUFFIX)
        and len(key) > _STATE_RESOURCE_SUFFIX_LEN
        and data[key] is not None
    ]


class InteractionStateMessage(GwsEvent, Interaction):
    """A multimedia interaction (e-mail, chat...) changed state: invited, accepted, revoked...

    Its fields are those of :class:`~gws_async.models.Interaction`.
    """

    TOPIC: ClassVar[str] = Topic.INTERACTIONS
    IDENTIFIED_BY: ClassVar[frozenset[str]] = GwsEvent.IDENTIFIED_BY | {"id"}

    reference_id: int | None = None

    @property
    def media(self) -> str | None:
        """The wire's ``channel``: the media, ``email`` or ``chat``."""
        return self.channel

    @property
    def interaction_state(self) -> str | None:
        """The interaction's ``state``: ``Invited``, ``Accepted``, ``Revoked``..."""
        return self.state


class WorkitemStateChangeMessage(GwsEvent):
    """A workitem changed state, e.g. after it was pulled from a workbin."""

    TOPIC: ClassVar[str] = Topic.INTERACTIONS
    IDENTIFIED_BY: ClassVar[frozenset[str]] = GwsEvent.IDENTIFIED_BY | {"workitem", "workitem.id"}

    workitem: Workitem | None = None
    notification_type: str | None = None
    reference_id: int | None = None

    @property
    def media(self) -> str:
        """Always ``workitem``: the message carries no media field, its type says it (the
        spec's workbin pages name the same media ``workitemStateResourceV2``)."""
        return "workitem"

    @property
    def interaction_state(self) -> str | None:
        """The workitem's ``state`` (e.g. ``Processing``): a workitem is a multimedia
        interaction, so this is its interaction state."""
        return self.workitem.state if self.workitem is not None else None


class WorkbinStateChangeMessage(GwsEvent):
    """An interaction was added to or removed from a workbin.

    The wire message carries the interaction under one ``<media>StateResourceV2`` key
    (``chatStateResourceV2``, ``emailStateResourceV2``...); it is exposed as
    :attr:`interaction`, and ``<media>`` as :attr:`media` (stored in the field
    ``media_type``).
    """

    TOPIC: ClassVar[str] = Topic.WORKBINS
    # The state resource is validated as ``interaction`` (see ``wire_path``).
    IDENTIFIED_BY: ClassVar[frozenset[str]] = GwsEvent.IDENTIFIED_BY | {
        "id",
        "interaction",
        "interaction.id",
    }

    id: Id
    action: str | None = None
    # Not a field called ``media``: pydantic lets no field override the GwsEvent.media
    # property (it warns, and the property would still answer None).
    media_type: str
    interaction: WorkbinInteraction
    agent_group: str | None = None
    place_group: str | None = None
    workbin_agent_id: str | None = None
    workbin_user_id: str | None = None
    reference_id: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _pick_state_resource(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        # The usual keys set aside in one C-level set difference, what is left is usually
        # the state resource alone; otherwise every key is looked at.
        rest = data.keys() - _USUAL_WORKBIN_KEYS
        key = rest.pop() if len(rest) == 1 else None
        if not (
            type(key) is str
            and key.endswith(_STATE_RESOURCE_SUFFIX)
            and len(key) > _STATE_RESOURCE_SUFFIX_LEN
            and data[key] is not None
        ):
            keys = _state_resources(data)
            if len(keys) != 1:
                found = ", ".join(keys) if keys else "none"
                raise ValueError(
                    f"expected exactly one *{_STATE_RESOURCE_SUFFIX} key, found {found}"
                )
            key = keys[0]
        # A shallow copy: the caller's dict is kept intact as ``raw``.
        fields = dict(data)
        fields["interaction"] = fields.pop(key)
        fields["media_type"] = key[:-_STATE_RESOURCE_SUFFIX_LEN]
        return fields

    @classmethod
    def wire_path(cls, data: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
        """``interaction`` is read from the message's ``<media>StateResourceV2`` key."""
        if not loc or loc[0] != "interaction":
            return loc
        try:
            # The validator's own reading (pydantic's proxy hides that it is callable).
            media = cls._pick_state_resource(data)["media_type"]  # type: ignore[operator]
        except (ValueError, TypeError, KeyError):  # no single state resource: no such path
            return loc
        return (media + _STATE_RESOURCE_SUFFIX, *loc[1:])

    @property
    def media(self) -> str:
        """The ``<media>`` of the ``<media>StateResourceV2`` key: ``chat``, ``email``,
        ``facebook``, ``tweet``, ``facebooksession``, ``workitem``, ``openmedia``."""
        return self.media_type

    @property
    def interaction_state(self) -> str | None:
        """The interaction's ``state``, when the state resource carries one."""
        return self.interaction.state

    @property
    def interaction_id(self) -> str:
        """The id of the interaction that was added or removed."""
        return self.interaction.id

    @property
    def is_item_added(self) -> bool:
        """Whether the interaction was added to the workbin (``ItemAdded``)."""
        return self.action == "ItemAdded"

    @property
    def is_item_removed(self) -> bool:
        """Whether the interaction was removed from the workbin (``ItemRemoved``)."""
        return self.action == "ItemRemoved"


class WorkbinSubscriptionStateChangeMessage(GwsEvent):
    """A workbin subscription changed: Subscribed, Unsubscribed or RequestFailed."""

    TOPIC: ClassVar[str] = Topic.WORKBINS
    IDENTIFIED_BY: ClassVar[frozenset[str]] = GwsEvent.IDENTIFIED_BY | {"id"}

    id: Id
    state_resource: str | None = None
    workbin_user_id: str | None = None
    reference_id: int | None = None


class WorkbinNotificationResource(GwsEvent):
    """A workbin's content changed (``messageType`` is ``workbinNotificationResource``)."""

    TOPIC: ClassVar[str] = Topic.WORKBINS
    IDENTIFIED_BY: ClassVar[frozenset[str]] = GwsEvent.IDENTIFIED_BY | {
        "interaction",
        "interaction.id",
    }

    operation: str | None = None
    workbin_content_operation: str | None = None
    interaction: NotificationInteraction | None = None
    workbin_info: WorkbinInfo | None = None
    actor_info: ActorInfo | None = None
    reason_info: ReasonInfo | None = None

    @property
    def media(self) -> str | None:
        """The ``channel`` of the interaction: its media, e.g. ``email``."""
        return self.interaction.channel if self.interaction is not None else None

    @property
    def interaction_state(self) -> str | None:
        """The ``state`` of the interaction, e.g. ``Queued``."""
        return self.interaction.state if self.interaction is not None else None


class CallStateChangeMessage(GwsEvent):
    """A call changed (status, participants, attached data, DTMF) or a call operation failed.

    :attr:`media` is ``voice`` (the spec describes calls as "voice" channel
    interactions). :attr:`interaction_state` stays None: a call's state (``Dialing``,
    ``Established``, ``Held``...) is ``call.state``, a vocabulary of its own that a test
    for ``Invited`` or ``Accepted`` should not have to rule out.
    """

    TOPIC: ClassVar[str] = Topic.CALLS
    IDENTIFIED_BY: ClassVar[frozenset[str]] = GwsEvent.IDENTIFIED_BY | {"call", "call.id"}

    call: Call | None = None
    phone_number: str | None = None
    notification_type: str | None = None
    device_uri: str | None = None
    error_message: str | None = None
    connection_id: str | None = None
    call_uuid: str | None = None
    reference_id: int | None = None

    @property
    def media(self) -> str:
        """Always ``voice``, also for a failed call operation without ``call``."""
        return "voice"


class DeviceStateChangeMessage(GwsEvent):
    """One or more of the agent's devices changed state."""

    TOPIC: ClassVar[str] = Topic.DEVICES
    IDENTIFIED_BY: ClassVar[frozenset[str]] = GwsEvent.IDENTIFIED_BY | {"devices", "devices.id"}

    devices: Annotated[list[Device], NullAsEmptyList] = Field(default_factory=list)
    reference_id: int | None = None


class ChannelStateChange(GwsEvent):
    """The agent's state on one or more multimedia channels changed (no ``messageType``)."""

    TOPIC: ClassVar[str] = Topic.CHANNELS
    IDENTIFIED_BY: ClassVar[frozenset[str]] = GwsEvent.IDENTIFIED_BY | {
        "channels",
        "channels.channel",
    }

    channels: Annotated[list[ChannelState], NullAsEmptyList] = Field(default_factory=list)


class PasswordChangeSuccessful(GwsEvent):
    """The current user's password was changed."""

    TOPIC: ClassVar[str] = Topic.ME
    IDENTIFIED_BY: ClassVar[frozenset[str]] = GwsEvent.IDENTIFIED_BY | {"notificationType"}

    notification_type: str | None = None


class PasswordChangeError(GwsEvent):
    """Changing the current user's password failed.

    ``error_code``: 1 the password does not meet the security guidelines, 2 the old
    password is wrong, 3 internal server error.
    """

    TOPIC: ClassVar[str] = Topic.ME
    IDENTIFIED_BY: ClassVar[frozenset[str]] = GwsEvent.IDENTIFIED_BY | {"notificationType"}

    notification_type: str | None = None
    error_code: int | None = None
    error_message: str | None = None


class UserPasswordChangeSuccessful(GwsEvent):
    """Another user's password was changed (supervisors and administrators)."""

    TOPIC: ClassVar[str] = Topic.USERS
    IDENTIFIED_BY: ClassVar[frozenset[str]] = GwsEvent.IDENTIFIED_BY | {
        "notificationType",
        "userId",
    }

    notification_type: str | None = None
    user_id: Id
    user_uri: str | None = None


class UserPasswordChangeError(GwsEvent):
    """Changing another user's password failed (``error_code`` as for ``/v2/me``)."""

    TOPIC: ClassVar[str] = Topic.USERS
    IDENTIFIED_BY: ClassVar[frozenset[str]] = GwsEvent.IDENTIFIED_BY | {
        "notificationType",
        "userId",
    }

    notification_type: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    user_id: Id
    user_uri: str | None = None


class UnknownEvent(GwsEvent):
    """A notification that was not recognised (``error`` is None) or did not validate."""

    # Not bound to a topic: anything can end up here.
    TOPIC: ClassVar[str] = ""

    error: str | None = None
