"""The two output formats of ``listen``: JSON lines and one readable line per event.

The readable fields of each event class come from a :func:`functools.singledispatch`
function, one small implementation per class, so a new event type is one more
registration instead of one more branch. On a terminal the readable line is coloured
where it helps: states in cyan, the connection coming and going in green and red, errors
in red, events that did not decode in yellow.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import singledispatch

from ..events import (
    CallStateChangeMessage,
    ChannelStateChange,
    ConnectionLost,
    DeviceStateChangeMessage,
    GwsEvent,
    InteractionStateMessage,
    ListenerConnected,
    ListenerEvent,
    ListenerStopped,
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
)

__all__ = ["describe_event", "event_to_json", "pretty"]


def event_to_json(event: GwsEvent) -> str:
    """One JSON line for an event: its topic, type and the payload as received.

    Lifecycle events (:class:`~gws_async.events.ListenerEvent`) have no payload on the
    wire; their ``data`` holds their fields, e.g. ``{"cause": ...}`` for a
    :class:`~gws_async.events.ConnectionLost`.
    """
    record: dict[str, object] = {"topic": event.topic, "type": type(event).__name__}
    if isinstance(event, UnknownEvent) and event.error:
        record["error"] = event.error
    if isinstance(event, ListenerEvent) and event.raw is None:
        record["data"] = event.model_dump(mode="json", by_alias=True, exclude={"message_type"})
    else:
        record["data"] = event.raw
    return json.dumps(record, separators=(",", ":"), default=str)


def describe_event(event: GwsEvent) -> str:
    """One readable line for an event: its type and its key fields as ``key=value``.

    For example ``WorkbinStateChangeMessage action=ItemAdded media=chat interaction=i1
    workbin=wb``. Values with spaces are quoted; message texts and attached data are
    left out.
    """
    return " ".join([type(event).__name__, *_fields(event)])


def pretty(event: GwsEvent, *, colour: bool = False) -> str:
    """:func:`describe_event` after the local time of day, to the millisecond; with
    ``colour``, ANSI colours for the states, the errors and the lifecycle events."""
    stamp = datetime.now().strftime("%H:%M:%S.%f")[:-3]
    if not colour:
        return f"{stamp} {describe_event(event)}"
    name = type(event).__name__
    colour_of_name = _NAME_COLOURS.get(name)
    parts = [_paint(name, colour_of_name) if colour_of_name else name]
    for part in _fields(event):
        key, _, value = part.partition("=")
        paint = _KEY_COLOURS.get(key)
        parts.append(f"{key}={_paint(value, paint)}" if paint else part)
    return f"{stamp} {' '.join(parts)}"


_RED, _GREEN, _YELLOW, _CYAN = "31", "32", "33", "36"

_NAME_COLOURS: dict[str, str] = {
    ListenerConnected.__name__: _GREEN,
    Reconnected.__name__: _GREEN,
    ConnectionLost.__name__: _RED,
    ListenerStopped.__name__: _RED,
    UnknownEvent.__name__: _YELLOW,
    PasswordChangeError.__name__: _RED,
    UserPasswordChangeError.__name__: _RED,
}
_KEY_COLOURS: dict[str, str] = {
    "state": _CYAN,
    "action": _CYAN,
    "user_state": _CYAN,
    "operation": _CYAN,
    "notification": _CYAN,
    "error": _RED,
    "cause": _RED,
}


def _paint(text: str, code: str) -> str:
    # The text is already free of control characters (see _value).
    return f"\x1b[{code}m{text}\x1b[0m"


def _value(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    if text and all(c.isprintable() and c not in " \"'=" for c in text):
        return text
    # Quoted, and nothing a terminal would act on (escape sequences from a payload).
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in quoted)


def _pairs(*pairs: tuple[str, object]) -> list[str]:
    """``key=value`` for every pair whose value is not None or empty."""
    return [f"{key}={_value(value)}" for key, value in pairs if value not in (None, "", [])]


@singledispatch
def _fields(event: GwsEvent) -> list[str]:
    # Any event class without a registration of its own.
    return _pairs(("topic", event.topic))


@_fields.register
def _(event: WorkbinStateChangeMessage) -> list[str]:
    return _pairs(
        ("action", event.action),
        ("media", event.media),
        ("interaction", event.interaction.id),
        ("workbin", event.id),
        ("agent_group", event.agent_group),
        ("place_group", event.place_group),
        ("ref", event.reference_id),
    )


@_fields.register
def _(event: WorkbinSubscriptionStateChangeMessage) -> list[str]:
    return _pairs(
        ("state", event.state_resource), ("workbin", event.id), ("ref", event.reference_id)
    )


@_fields.register
def _(event: WorkbinNotificationResource) -> list[str]:
    interaction = event.interaction
    info = event.workbin_info
    return _pairs(
        ("operation", event.operation),
        ("content_operation", event.workbin_content_operation),
        ("media", event.media),
        ("interaction", interaction.id if interaction else None),
        ("workbin", info.workbin_type_id if info else None),
    )


@_fields.register
def _(event: InteractionStateMessage) -> list[str]:
    chat = event.chat_notifications
    return _pairs(
        ("state", event.interaction_state),
        ("media", event.media),
        ("interaction", event.id),
        ("type", event.interaction_type),
        ("chat", ",".join(n.message_type or "?" for n in chat) if chat else None),
        ("ref", event.reference_id),
    )


@_fields.register
def _(event: WorkitemStateChangeMessage) -> list[str]:
    item = event.workitem
    return _pairs(
        ("notification", event.notification_type),
        ("state", event.interaction_state),
        ("workitem", item.id if item else None),
        ("ref", event.reference_id),
    )


@_fields.register
def _(event: CallStateChangeMessage) -> list[str]:
    call = event.call
    # A call's state is not an interaction state (see CallStateChangeMessage).
    return _pairs(
        ("notification", event.notification_type),
        ("state", call.state if call else None),
        ("call", call.id if call else None),
        ("participants", ",".join(call.participants) if call else None),
        ("error", event.error_message),
        ("ref", event.reference_id),
    )


@_fields.register
def _(event: DeviceStateChangeMessage) -> list[str]:
    parts: list[str] = []
    for device in event.devices:
        parts += _pairs(
            ("device", device.id),
            ("state", device.device_state),
            ("user_state", device.user_state.state if device.user_state else None),
            ("dnd", device.do_not_disturb),
        )
    return parts + _pairs(("ref", event.reference_id))


@_fields.register
def _(event: ChannelStateChange) -> list[str]:
    parts: list[str] = []
    for channel in event.channels:
        parts += _pairs(
            ("channel", channel.channel),
            ("state", channel.user_state.state if channel.user_state else None),
            ("dnd", channel.dnd_state),
        )
    return parts


@_fields.register
def _(event: UserPasswordChangeSuccessful) -> list[str]:
    return _pairs(("user", event.user_id))


@_fields.register
def _(event: UserPasswordChangeError) -> list[str]:
    return _pairs(
        ("user", event.user_id),
        ("error_code", event.error_code),
        ("error", event.error_message),
    )


@_fields.register
def _(event: PasswordChangeError) -> list[str]:
    return _pairs(("error_code", event.error_code), ("error", event.error_message))


@_fields.register
def _(event: PasswordChangeSuccessful) -> list[str]:
    return []


@_fields.register
def _(event: ListenerConnected) -> list[str]:
    return _pairs(("client", event.client_id))


@_fields.register
def _(event: ConnectionLost) -> list[str]:
    return _pairs(("cause", event.cause))


@_fields.register
def _(event: ListenerStopped) -> list[str]:
    return _pairs(("cause", event.cause))


@_fields.register
def _(event: Reconnected) -> list[str]:
    return _pairs(
        ("downtime", f"{event.downtime:.3f}s"),
        ("session", "renewed" if event.session_renewed else "kept"),
        ("events", "missed" if event.events_missed else None),
        ("client", event.client_id),
    )


@_fields.register
def _(event: UnknownEvent) -> list[str]:
    return _pairs(
        ("topic", event.topic), ("message_type", event.message_type), ("error", event.error)
    )
