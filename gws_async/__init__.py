"""gws-async: an asyncio client for Genesys Web Services with a CometD/Bayeux listener.

::

    from gws_async import GwsClient, WorkbinStateChangeMessage

    async with GwsClient("http://gws:8090", "agent1", "secret") as gws:
        await gws.subscribe()
        async with gws.events(WorkbinStateChangeMessage) as stream:
            async for event in stream:
                print(event.action, event.media, event.interaction.id)
"""

from ._backoff import Backoff
from ._client import DEFAULT_TOPICS, GwsClient, Topic
from ._exceptions import (
    AuthenticationError,
    BayeuxError,
    CsrfTokenError,
    ForbiddenError,
    GwsApiError,
    GwsConnectionError,
    GwsError,
    GwsTimeoutError,
    InternalServerError,
    InvalidResponseError,
    InvalidStateError,
    MissingParameterError,
    NotFoundError,
    PermissionDeniedError,
)
from ._streams import EventStream, StreamClosed, Waiter
from .events import (
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
    decode_event,
)
from .results import OperationResult, User, WorkbinItem, WorkbinType

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TOPICS",
    "AuthenticationError",
    "Backoff",
    "BayeuxError",
    "CallStateChangeMessage",
    "ChannelStateChange",
    "CsrfTokenError",
    "DeviceStateChangeMessage",
    "EventStream",
    "ForbiddenError",
    "GwsApiError",
    "GwsClient",
    "GwsConnectionError",
    "GwsError",
    "GwsEvent",
    "GwsTimeoutError",
    "InteractionStateMessage",
    "InternalServerError",
    "InvalidResponseError",
    "InvalidStateError",
    "MissingParameterError",
    "NotFoundError",
    "OperationResult",
    "PasswordChangeError",
    "PasswordChangeSuccessful",
    "PermissionDeniedError",
    "StreamClosed",
    "Topic",
    "UnknownEvent",
    "User",
    "UserPasswordChangeError",
    "UserPasswordChangeSuccessful",
    "Waiter",
    "WorkbinItem",
    "WorkbinNotificationResource",
    "WorkbinStateChangeMessage",
    "WorkbinSubscriptionStateChangeMessage",
    "WorkbinType",
    "WorkitemStateChangeMessage",
    "__version__",
    "decode_event",
]
