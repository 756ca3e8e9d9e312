"""From a Bayeux data message to its typed event: :func:`decode_event`, which never raises."""

from __future__ import annotations

import logging
import re
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from gws_async._base import IDENTIFIER_ERROR
from gws_async.topics import Topic

from ._fast import Validate, fast_validator
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
    bind_dropped,
)

__all__ = ["EVENT_TYPES", "MAX_REPAIRS", "MAX_REPORTED_KINDS", "decode_as", "decode_event"]

log = logging.getLogger("gws_async.events")

# Validation errors are summarised: a huge payload must not produce a huge error text.
_MAX_ERRORS_SHOWN: Final = 5

MAX_REPAIRS: Final = 3
"""Validations retried per event after leaving fields out (default 3): leaving one out
can reveal another that pydantic did not reach. An event still invalid after that is an
:class:`UnknownEvent`."""

MAX_REPORTED_KINDS: Final = 1024
"""How many kinds of left-out field (event class and field path) are remembered so that
each is logged once as a WARNING (default 1024); repeats, and kinds beyond that number,
are logged at DEBUG."""

# The kinds of left-out field already logged as a warning: (event class, path).
_reported: set[tuple[str, str]] = set()

# What replaces a value that is left out.
_DROP: Final = object()
# List indices in a dotted path: a kind of field is the same in every item.
_INDEX: Final = re.compile(r"\[\d+\]")

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
# The spec's attribute tables give these topics no messageType: the keys a message must
# have say what it is.
_BY_TOPIC_SHAPE: Final[dict[str, tuple[type[GwsEvent], tuple[str, ...]]]] = {
    Topic.CALLS: (CallStateChangeMessage, ("call", "notificationType")),
    Topic.DEVICES: (DeviceStateChangeMessage, ("devices",)),
    Topic.CHANNELS: (ChannelStateChange, ("channels",)),
}
_BY_NOTIFICATION_TYPE: Final[dict[tuple[str, str], type[GwsEvent]]] = {
    (Topic.ME, "PasswordChangeSuccessful"): PasswordChangeSuccessful,
    (Topic.ME, "PasswordChangeError"): PasswordChangeError,
    (Topic.USERS, "PasswordChangeSuccessful"): UserPasswordChangeSuccessful,
    (Topic.USERS, "PasswordChangeError"): UserPasswordChangeError,
}


# The classes with a fast validator (see ``_fast``), which their own validator backs up;
# the others have nothing it would leave out.
_FAST: Final[dict[type[GwsEvent], Validate]] = {
    cls: fast
    for cls in EVENT_TYPES
    if (fast := fast_validator(cls)) != cls.__pydantic_validator__.validate_python
}
# The common case, a messageType spelled as in the spec, in one lookup: the class and its
# first validator. These classes declare no private attributes, so a validated event has
# no private dict yet.
_FAST_BY_MESSAGE_TYPE: Final[dict[str, tuple[type[GwsEvent], Validate]]] = {
    name: (cls, _FAST.get(cls) or cls.__pydantic_validator__.validate_python)
    for name, cls in _BY_MESSAGE_TYPE.items()
    if not cls.__private_attributes__
}
# What ``bind`` does for such an event, without the call and the check.
_set_attribute: Final = object.__setattr__


def _unknown(topic: str, data: Any, message_type: str | None, error: str | None) -> UnknownEvent:
    # model_construct skips validation, so building the fallback cannot fail.
    event = UnknownEvent.model_construct(message_type=message_type, error=error)
    event._bind(topic, data)
    return event


def _describe(cls: type[GwsEvent], errors: list[ErrorDetails]) -> str:
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
        event: GwsEvent = (_FAST.get(cls) or cls.__pydantic_validator__.validate_python)(data)
    except ValidationError as exc:
        return _after_first_try(cls, topic, data, tag, exc)
    bind(event, topic, data)
    return event


def _after_first_try(
    cls: type[GwsEvent], topic: str, data: dict[Any, Any], tag: str | None, exc: ValidationError
) -> GwsEvent:
    """What follows a failed first validation: the class's own validator, with every
    conversion, when the first was a fast one; then the lenient path."""
    if cls in _FAST:
        try:
            event: GwsEvent = cls.__pydantic_validator__.validate_python(data)
        except ValidationError as again:
            exc = again
        else:
            bind(event, topic, data)
            return event
    return _validate_leniently(cls, topic, data, tag, exc)


# -- lenient validation: the rare path --------------------------------------------------------


def _validate_leniently(
    cls: type[GwsEvent], topic: str, data: dict[Any, Any], tag: str | None, exc: ValidationError
) -> GwsEvent:
    """Validate again without the fields that failed, unless one identifies the event.

    ``data`` itself is never changed: the fields are edited in copies of the containers
    on the way to them, and the event's ``raw`` is ``data`` as received.
    """
    fields: Any = data
    dropped: dict[str, str] = {}
    for _ in range(MAX_REPAIRS):
        repaired = _repair(cls, fields, exc.errors(include_url=False), dropped)
        if isinstance(repaired, str):
            return _unknown(topic, data, tag, repaired)
        fields = repaired
        try:
            event: GwsEvent = cls.__pydantic_validator__.validate_python(fields)
        except ValidationError as again:
            exc = again
            continue
        bind(event, topic, data)
        bind_dropped(event, dropped)
        _report(cls, dropped)
        return event
    return _unknown(topic, data, tag, _describe(cls, exc.errors(include_url=False)))


def _identifies(cls: type[GwsEvent], loc: tuple[str | int, ...]) -> bool:
    # The root (a model validator's own error) always identifies the event.
    path = ".".join(part for part in loc if isinstance(part, str))
    return not loc or path in cls.IDENTIFIED_BY


def _repair(
    cls: type[GwsEvent], fields: Any, errors: list[ErrorDetails], dropped: dict[str, str]
) -> Any:
    """``fields`` with each failed value converted or left out; a ``str`` (the reason the
    event is unknown) when a failed field identifies the event."""
    fatal: list[ErrorDetails] = []
    # Decided on ``fields`` as they came in this round, by wire path: two errors about one
    # value (a union reports one per member) leave it out once.
    changes: dict[tuple[str | int, ...], tuple[Any, str]] = {}
    for err in errors:
        loc = err["loc"]
        if _identifies(cls, loc):
            fatal.append(err)
            continue
        path = cls.wire_path(fields, loc)
        value = err["input"]
        # A boolean in a text field is its JSON text, as a number is (coerce_numbers_to_str):
        # only this error type, so that an Id (identifier_type) is never converted.
        if err["type"] == "string_type" and type(value) is bool and _at(fields, path) is value:
            changes.setdefault(path, ("true" if value else "false", ""))
            continue
        # An identifier is required by its object: leaving it out alone would only fail
        # again, as missing, so its object is what goes.
        point = _drop_point(fields, path[:-1] if err["type"] == IDENTIFIER_ERROR else path)
        if point is None or _identifies(cls, loc[: len(point)]):
            fatal.append(err)
        else:
            changes[point] = (_DROP, err["msg"])
    if fatal:
        return _describe(cls, fatal)
    owned: dict[int, Any] = {}
    for path, (value, reason) in changes.items():
        if _at(fields, path) is _DROP:  # inside something already left out
            continue
        fields = _edit(fields, path, value, owned)
        if value is _DROP:
            dropped.setdefault(_dotted(path), reason)
    return fields


def _step(node: Any, part: str | int) -> Any:
    """The value under ``part`` (an object's key, a list's index) in ``node``, or ``_DROP``."""
    if isinstance(node, dict):
        return node[part] if isinstance(part, str) and part in node else _DROP
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _DROP


def _at(fields: Any, path: tuple[str | int, ...]) -> Any:
    """The value at ``path``, or ``_DROP`` when ``path`` does not lead to one."""
    node = fields
    for part in path:
        node = _step(node, part)
        if node is _DROP:
            break
    return node


def _drop_point(fields: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The deepest key on ``path`` that is present in an object of ``fields``: what to leave
    out (a list item is never removed alone, which would renumber the others)."""
    node = fields
    point = None
    for depth, part in enumerate(path, 1):
        node = _step(node, part)
        if node is _DROP:
            break
        if isinstance(part, str):
            point = path[:depth]
    return point


def _edit(root: Any, path: tuple[str | int, ...], value: Any, owned: dict[int, Any]) -> Any:
    """``root`` with ``value`` (or nothing, for ``_DROP``) at ``path``, which must exist.

    Every container on the way is copied once (``owned`` holds the copies by id), so the
    received objects stay as they were.
    """
    root = _own(root, owned)
    node = root
    for part in path[:-1]:
        child = _own(node[part], owned)
        node[part] = child
        node = child
    if value is _DROP:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return root


def _own(container: Any, owned: dict[int, Any]) -> Any:
    if id(container) in owned:
        return container
    copied = dict(container) if isinstance(container, dict) else list(container)
    owned[id(copied)] = copied
    return copied


def _dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def _report(cls: type[GwsEvent], dropped: dict[str, str]) -> None:
    # Once per kind as a warning: a server that sends the same odd field in every
    # notification must not flood the log. The value is never logged (customer data).
    for path, reason in dropped.items():
        kind = (cls.__name__, _INDEX.sub("", path))
        first = kind not in _reported and len(_reported) < MAX_REPORTED_KINDS
        if first:
            _reported.add(kind)
        log.log(
            logging.WARNING if first else logging.DEBUG,
            "%s: left out %s, which did not validate (%s); its value stays in the event's raw",
            cls.__name__,
            path,
            reason,
        )


# -- dispatch ---------------------------------------------------------------------------------


def _decode(topic: str, data: Any) -> GwsEvent:
    if not isinstance(data, dict):
        return _unknown(topic, data, None, f"data is not a JSON object: {type(data).__name__}")

    message_type = data.get("messageType")
    if message_type is None:
        message_type = data.get("messageTypeName")
    if message_type is None:
        return _by_topic(topic, data, None)
    if not isinstance(message_type, str):
        return _unknown(
            topic, data, None, f"messageType is not a string: {type(message_type).__name__}"
        )
    cls = _BY_MESSAGE_TYPE.get(message_type) or _BY_FOLDED_MESSAGE_TYPE.get(message_type.casefold())
    if cls is None:
        # A messageType of no known class: the topic may still say what the message is.
        return _by_topic(topic, data, message_type)
    return _validate(cls, topic, data, message_type)


def _by_topic(topic: str, data: dict[Any, Any], message_type: str | None) -> GwsEvent:
    """What the topic and the message's keys say it is: a shape, else a notificationType."""
    base = topic.rstrip("/") if isinstance(topic, str) else ""
    shape = _BY_TOPIC_SHAPE.get(base)
    if shape is not None and all(key in data for key in shape[1]):
        return _validate(shape[0], topic, data, message_type)

    notification_type = data.get("notificationType")
    if notification_type is None:
        return _unknown(topic, data, message_type, None)
    if not isinstance(notification_type, str):
        return _unknown(
            topic,
            data,
            message_type,
            f"notificationType is not a string: {type(notification_type).__name__}",
        )
    cls = _BY_NOTIFICATION_TYPE.get((base, notification_type))
    if cls is None:
        return _unknown(topic, data, message_type or notification_type, None)
    return _validate(cls, topic, data, message_type or notification_type)


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
    message arrives. Without one, or with one that names no event class, the topic
    decides: on ``/v2/me/calls`` a message with ``call`` and ``notificationType`` is a
    :class:`CallStateChangeMessage`, on ``/v2/me/devices`` one with ``devices`` a
    :class:`DeviceStateChangeMessage`, on ``/v2/me/channels`` one with ``channels`` a
    :class:`ChannelStateChange`; on ``/v2/me`` and ``/v2/users`` the
    ``notificationType`` says which. A trailing slash on the topic is tolerated.

    Values are converted where nothing is lost (see :class:`~gws_async._base.GwsModel`).
    A field that still does not validate is left out, named in
    :attr:`~GwsEvent.dropped_fields` and logged (a WARNING once per event class and
    field, then DEBUG); its value stays in :attr:`~GwsEvent.raw`. Only a field in the
    class's :attr:`~GwsEvent.IDENTIFIED_BY` (its id, the call, device or interaction it
    carries) makes the event an :class:`UnknownEvent` holding the reason; so does a
    message nothing recognises (its ``error`` is then None).
    """
    try:
        # The common case inline: a messageType of the spec and a fast validation.
        if type(data) is dict:
            message_type = data.get("messageType")
            if type(message_type) is str:
                known = _FAST_BY_MESSAGE_TYPE.get(message_type)
                if known is not None:
                    cls, fast = known
                    try:
                        event: GwsEvent = fast(data)
                    except ValidationError as exc:
                        return _after_first_try(cls, topic, data, message_type, exc)
                    _set_attribute(event, "__pydantic_private__", {"topic": topic, "raw": data})
                    return event
        return _decode(topic, data)
    except Exception as exc:  # the listener must survive any payload
        return _unknown(topic, data, None, f"cannot decode: {type(exc).__name__}")
