"""From a Bayeux data message to its typed event: :func:`decode_event`, which never raises."""

from __future__ import annotations

from typing import Any, Final

from pydantic import ValidationError

from gws_async.topics import Topic

from ._notifications import (
    CallStateChangeMessage,
    ChannelStateChange,
    DeviceStateChangeMessage,
    GwsEvent,
    InteractionStateMessage,
    PasswordChangeError,
    PasswordChangeSuccessful,
    UnknownEvent,
    UserPasswordChangeError,
    UserPasswordChangeSuccessful,
    WorkbinNotificationResource,
    WorkbinStateChangeMessage,
    WorkbinSubscriptionStateChangeMessage,
    WorkitemStateChangeMessage,
    bind,
)

__all__ = ["EVENT_TYPES", "decode_as", "decode_event"]

# Validation errors are summarised: a huge payload must not produce a huge error text.
_MAX_ERRORS_SHOWN: Final = 5

EVENT_TYPES: Final[tuple[type[GwsEvent], ...]] = (
    InteractionStateMessage,
    WorkitemStateChangeMessage,
    WorkbinStateChangeMessage,
    WorkbinSubscriptionStateChangeMessage,
    WorkbinNotificationResource,
    CallStateChangeMessage,
    DeviceStateChangeMessage,
    ChannelStateChange,
    PasswordChangeSuccessful,
    PasswordChangeError,
    UserPasswordChangeSuccessful,
    UserPasswordChangeError,
)
"""Every typed event class (not :class:`UnknownEvent`)."""

_BY_MESSAGE_TYPE: Final[dict[str, type[GwsEvent]]] = {
    "InteractionStateMessage": InteractionStateMessage,
    "WorkitemStateChangeMessage": WorkitemStateChangeMessage,
    "WorkbinStateChangeMessage": WorkbinStateChangeMessage,
    "WorkbinSubscriptionStateChangeMessage": WorkbinSubscriptionStateChangeMessage,
    "workbinNotificationResource": WorkbinNotificationResource,
    "CallStateChangeMessage": CallStateChangeMessage,
    "DeviceStateChangeMessage": DeviceStateChangeMessage,
}
# Consulted only on a miss, so that e.g. "WorkbinNotificationResource" still decodes.
_BY_FOLDED_MESSAGE_TYPE: Final[dict[str, type[GwsEvent]]] = {
    name.casefold(): cls for name, cls in _BY_MESSAGE_TYPE.items()
}
_BY_NOTIFICATION_TYPE: Final[dict[tuple[str, str], type[GwsEvent]]] = {
    (Topic.ME, "PasswordChangeSuccessful"): PasswordChangeSuccessful,
    (Topic.ME, "PasswordChangeError"): PasswordChangeError,
    (Topic.USERS, "PasswordChangeSuccessful"): UserPasswordChangeSuccessful,
    (Topic.USERS, "PasswordChangeError"): UserPasswordChangeError,
}


def _unknown(topic: str, data: Any, message_type: str | None, error: str | None) -> UnknownEvent:
    # model_construct skips validation, so building the fallback cannot fail.
    event = UnknownEvent.model_construct(message_type=message_type, error=error)
    event._bind(topic, data)
    return event


def _describe(cls: type[GwsEvent], exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    parts = [
        f"{'.'.join(str(part) for part in err['loc']) or '<root>'}: {err['msg']}"
        for err in errors[:_MAX_ERRORS_SHOWN]
    ]
    more = len(errors) - _MAX_ERRORS_SHOWN
    if more > 0:
        parts.append(f"and {more} more")
    return f"invalid {cls.__name__}: " + "; ".join(parts)


def _validate(cls: type[GwsEvent], topic: str, data: dict[Any, Any], tag: str | None) -> GwsEvent:
    try:
        # What model_validate(data) does, without its per-call argument checks.
        event: GwsEvent = cls.__pydantic_validator__.validate_python(data)
    except ValidationError as exc:
        return _unknown(topic, data, tag, _describe(cls, exc))
    bind(event, topic, data)
    return event


def _decode(topic: str, data: Any) -> GwsEvent:
    if not isinstance(data, dict):
        return _unknown(topic, data, None, f"data is not a JSON object: {type(data).__name__}")

    message_type = data.get("messageType")
    if message_type is None:
        message_type = data.get("messageTypeName")
    if message_type is not None:
        if not isinstance(message_type, str):
            return _unknown(
                topic, data, None, f"messageType is not a string: {type(message_type).__name__}"
            )
        cls = _BY_MESSAGE_TYPE.get(message_type) or _BY_FOLDED_MESSAGE_TYPE.get(
            message_type.casefold()
        )
        if cls is None:
            return _unknown(topic, data, message_type, None)
        return _validate(cls, topic, data, message_type)

    # Without a messageType the topic decides what the payload is.
    base = topic.rstrip("/") if isinstance(topic, str) else ""
    if base == Topic.CHANNELS and "channels" in data:
        return _validate(ChannelStateChange, topic, data, None)

    notification_type = data.get("notificationType")
    if notification_type is None:
        return _unknown(topic, data, None, None)
    if not isinstance(notification_type, str):
        return _unknown(
            topic,
            data,
            None,
            f"notificationType is not a string: {type(notification_type).__name__}",
        )
    cls = _BY_NOTIFICATION_TYPE.get((base, notification_type))
    if cls is None:
        return _unknown(topic, data, notification_type, None)
    return _validate(cls, topic, data, notification_type)


def decode_as(cls: type[GwsEvent], topic: str, data: Any) -> GwsEvent:
    """Decode ``data`` as ``cls`` whatever its discriminator says (for REST answers that
    carry notification shapes without ``messageType``); never raises."""
    if not isinstance(data, dict):
        return _unknown(topic, data, None, f"data is not a JSON object: {type(data).__name__}")
    try:
        return _validate(cls, topic, data, None)
    except Exception as exc:
        return _unknown(topic, data, None, f"cannot decode: {type(exc).__name__}")


def decode_event(topic: str, data: Any) -> GwsEvent:
    """Decode the ``data`` of a Bayeux message received on ``topic``; never raises.

    The event type comes from ``messageType`` (or ``messageTypeName``) wherever the
    message arrives; without one, from the topic: ``channels`` on ``/v2/me/channels``,
    ``notificationType`` on ``/v2/me`` and ``/v2/users``. A trailing slash on the topic is
    tolerated. Anything else, and anything that does not validate, gives an
    :class:`UnknownEvent`.
    """
    try:
        return _decode(topic, data)
    except Exception as exc:  # the listener must survive any payload
        return _unknown(topic, data, None, f"cannot decode: {type(exc).__name__}")
