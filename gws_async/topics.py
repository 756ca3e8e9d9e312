"""The CometD topics GWS publishes on: the one home of their names."""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_TOPICS", "LIFECYCLE_TOPIC", "Topic"]


class Topic:
    """The CometD topics GWS publishes on."""

    ME: Final = "/v2/me"
    CHANNELS: Final = "/v2/me/channels"
    DEVICES: Final = "/v2/me/devices"
    CALLS: Final = "/v2/me/calls"
    INTERACTIONS: Final = "/v2/me/interactions"
    WORKBINS: Final = "/v2/me/workbins"
    USERS: Final = "/v2/users"


#: What an agent bot listens to unless told otherwise.
DEFAULT_TOPICS: tuple[str, ...] = (
    Topic.INTERACTIONS,
    Topic.WORKBINS,
    Topic.CALLS,
    Topic.DEVICES,
    Topic.CHANNELS,
    Topic.ME,
)

#: The pseudo-topic of the listener's own lifecycle events (nothing to subscribe to).
LIFECYCLE_TOPIC: Final = "/meta/connect"
