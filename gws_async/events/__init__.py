"""Typed CometD notifications and :func:`decode_event`, which turns a Bayeux data message
into one of them.

Each event class names its Bayeux channel in ``TOPIC``. A decoded event remembers the
channel it arrived on (:attr:`GwsEvent.topic`) and the ``data`` object it was built from
(:attr:`GwsEvent.raw`). Interaction notifications carry a wire field called ``channel``
that means the media (``email``, ``chat``), which is why the Bayeux channel is ``topic``.

:func:`decode_event` never raises: anything it does not recognise, or that does not
validate, comes back as an :class:`UnknownEvent` holding the data and the reason.
"""

from ._decode import EVENT_TYPES, decode_as, decode_event
from ._lifecycle import (
    LIFECYCLE_EVENT_TYPES,
    ConnectionLost,
    ListenerConnected,
    ListenerEvent,
    ListenerStopped,
    Reconnected,
)
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
)

__all__ = [
    "EVENT_TYPES",
    "LIFECYCLE_EVENT_TYPES",
    "CallStateChangeMessage",
    "ChannelStateChange",
    "ConnectionLost",
    "DeviceStateChangeMessage",
    "GwsEvent",
    "InteractionStateMessage",
    "ListenerConnected",
    "ListenerEvent",
    "ListenerStopped",
    "PasswordChangeError",
    "PasswordChangeSuccessful",
    "Reconnected",
    "UnknownEvent",
    "UserPasswordChangeError",
    "UserPasswordChangeSuccessful",
    "WorkbinNotificationResource",
    "WorkbinStateChangeMessage",
    "WorkbinSubscriptionStateChangeMessage",
    "WorkitemStateChangeMessage",
    "decode_as",
    "decode_event",
]
