"""The listener's own lifecycle events (not sent by GWS)."""

from __future__ import annotations

from typing import Any, ClassVar, Final, TypeVar

from gws_async.topics import LIFECYCLE_TOPIC

from ._notifications import GwsEvent

__all__ = [
    "LIFECYCLE_EVENT_TYPES",
    "ConnectionLost",
    "ListenerConnected",
    "ListenerEvent",
    "ListenerStopped",
    "Reconnected",
]

_L = TypeVar("_L", bound="ListenerEvent")


class ListenerEvent(GwsEvent):
    """Base of the listener's own lifecycle events (not sent by GWS).

    They arrive on the streams like notifications, with ``topic`` ``"/meta/connect"``,
    so a bot sees in order what it received and when its connection came and went.
    """

    TOPIC: ClassVar[str] = LIFECYCLE_TOPIC

    @classmethod
    def create(cls: type[_L], **fields: Any) -> _L:
        """Build the event locally (no wire payload: ``raw`` is None)."""
        event = cls.model_validate(fields)
        event._bind(cls.TOPIC, None)
        return event


class ListenerConnected(ListenerEvent):
    """The listener is connected for the first time (handshake and connect succeeded)."""

    client_id: str | None = None


class ConnectionLost(ListenerEvent):
    """``/meta/connect`` stopped succeeding; the listener keeps retrying on its own."""

    cause: str
    """Why, e.g. ``GwsConnectionError: POST /api/v2/notifications failed: ...``."""


class Reconnected(ListenerEvent):
    """The listener is connected again after a :class:`ConnectionLost`."""

    client_id: str | None = None
    downtime: float
    """Seconds between the loss and the recovery."""
    session_renewed: bool
    """A new Bayeux session was made: GWS does not replay what was published meanwhile,
    so state should be re-read (see ``GwsClient.resync``)."""
    events_missed: bool = False
    """Events are known to be missing: a new session was made, or an answer holding
    events was refused as larger than ``max_response_size``. Re-read state
    (``GwsClient.resync``). False does not prove nothing was lost: an answer cut off by a
    dropped connection cannot be told from an empty one."""


class ListenerStopped(ListenerEvent):
    """The listener gave up and will not reconnect on its own: the server advised
    ``reconnect: none``, refused a handshake, or refused the credentials several times in a
    row (a changed password). The streams end right after it; the application decides
    what to do (log in with new credentials, alert, exit)."""

    cause: str
    """Why, e.g. ``AuthenticationError: GetMe: GET /api/v2/me -> HTTP 401 ...``."""


LIFECYCLE_EVENT_TYPES: Final[tuple[type[ListenerEvent], ...]] = (
    ListenerConnected,
    ConnectionLost,
    Reconnected,
    ListenerStopped,
)
