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
from ._client import GwsClient, Snapshot
from ._exceptions import (
    AuthenticationError,
    BayeuxError,
    ClientStateError,
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
    ResponseTooLargeError,
    UnexpectedRedirectError,
)
from ._listener import ListenerStats
from ._streams import (
    EventStream,
    OverflowPolicy,
    StreamClosed,
    StreamNotEntered,
    StreamOverflowError,
    Waiter,
)
from .events import (
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
    decode_event,
)
from .resources.interactions import OutboundEmail
from .results import (
    AgentStateDefinition,
    AttachmentContent,
    Contact,
    Feature,
    GeneralSettings,
    Interaction,
    OperationResult,
    Recording,
    RoutingTemplate,
    SettingsGroup,
    Skill,
    User,
    WorkbinItem,
    WorkbinType,
)
from .topics import DEFAULT_TOPICS, Topic

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TOPICS",
    "AgentStateDefinition",
    "AttachmentContent",
    "AuthenticationError",
    "Backoff",
    "BayeuxError",
    "CallStateChangeMessage",
    "ChannelStateChange",
    "ClientStateError",
    "ConnectionLost",
    "Contact",
    "CsrfTokenError",
    "DeviceStateChangeMessage",
    "EventStream",
    "Feature",
    "ForbiddenError",
    "GeneralSettings",
    "GwsApiError",
    "GwsClient",
    "GwsConnectionError",
    "GwsError",
    "GwsEvent",
    "GwsTimeoutError",
    "Interaction",
    "InteractionStateMessage",
    "InternalServerError",
    "InvalidResponseError",
    "InvalidStateError",
    "ListenerConnected",
    "ListenerEvent",
    "ListenerStats",
    "ListenerStopped",
    "MissingParameterError",
    "NotFoundError",
    "OperationResult",
    "OutboundEmail",
    "OverflowPolicy",
    "PasswordChangeError",
    "PasswordChangeSuccessful",
    "PermissionDeniedError",
    "Reconnected",
    "Recording",
    "ResponseTooLargeError",
    "RoutingTemplate",
    "SettingsGroup",
    "Skill",
    "Snapshot",
    "StreamClosed",
    "StreamNotEntered",
    "StreamOverflowError",
    "Topic",
    "UnexpectedRedirectError",
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
