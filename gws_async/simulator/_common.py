"""Plumbing shared by the API sections: context, status errors and operation tables."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from aiohttp import web

from ._bayeux import BayeuxServer
from ._jsonbody import parse_json
from ._state import HttpSession, SimAgent, SimState

__all__ = [
    "CONTEXT",
    "DEFAULT_MAX_ATTACHMENT_SIZE",
    "DEFAULT_REVOKE_AFTER",
    "TOPIC_INTERACTIONS",
    "TOPIC_WORKBINS",
    "OperationCall",
    "OperationHandler",
    "OperationTable",
    "SimContext",
    "StatusError",
    "api_url",
    "current_agent",
    "current_session",
    "fail",
    "list_answer",
    "logger",
    "read_json_object",
    "requested_fields",
    "select_fields",
]

logger = logging.getLogger("gws_async.simulator")

TOPIC_INTERACTIONS = "/v2/me/interactions"
TOPIC_WORKBINS = "/v2/me/workbins"

#: The largest attachment upload accepted by default, in bytes (16 MiB).
DEFAULT_MAX_ATTACHMENT_SIZE = 16 * 1024 * 1024
#: Seconds an e-mail or chat invitation waits for Accept or Reject before it is Revoked
#: (the spec says "a predetermined period of Agent inactivity" without a value).
DEFAULT_REVOKE_AFTER = 30.0

# aiohttp >= 3.13 wants typed request keys; older releases only have string keys.
_SESSION_KEY: Any = (
    web.RequestKey("gws_async.simulator.session", HttpSession)
    if hasattr(web, "RequestKey")
    else "gws_async.simulator.session"
)


class StatusError(Exception):
    """A GWS failure reply: ``{"statusCode": N, "statusMessage": ...}``.

    GWS reports most failures with HTTP 200 and the code in the body; ``http_status``
    covers the few that also change the HTTP status (malformed body, 404).
    """

    def __init__(self, status_code: int, message: str, *, http_status: int = 200) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.http_status = http_status

    def response(self) -> web.Response:
        """The JSON reply for this error."""
        body = {"statusCode": self.status_code, "statusMessage": self.message}
        return web.json_response(body, status=self.http_status)


def fail(status_code: int, message: str) -> NoReturn:
    """Abort the current operation with a GWS ``statusCode`` reply."""
    raise StatusError(status_code, message)


@dataclass
class OperationCall:
    """Everything an operation handler needs about one ``POST`` carrying ``operationName``."""

    ctx: SimContext
    request: web.Request
    agent: SimAgent
    operation: str
    body: dict[str, Any]

    def path_param(self, name: str) -> str:
        """A path parameter of the matched route."""
        return self.request.match_info[name]


OperationHandler = Callable[[OperationCall], Awaitable[web.Response]]


class OperationTable:
    """``operationName`` -> handler for one resource, so operations slot in one by one."""

    def __init__(self, resource: str) -> None:
        self.resource = resource
        self._handlers: dict[str, OperationHandler] = {}

    def add(self, handler: OperationHandler, *operations: str) -> None:
        """Route each of ``operations`` to ``handler``."""
        for operation in operations:
            if operation in self._handlers:
                raise ValueError(f"{operation} already registered on {self.resource}")
            self._handlers[operation] = handler

    @property
    def operations(self) -> list[str]:
        """The registered operation names."""
        return list(self._handlers)

    async def dispatch(self, request: web.Request) -> web.Response:
        """Read the body, find the operation and run it."""
        body = await read_json_object(request)
        operation = body.get("operationName")
        if not isinstance(operation, str) or not operation:
            fail(1, "operationName is required")
        handler = self._handlers.get(operation)
        if handler is None:
            fail(1, f"Unknown operation {operation} on {self.resource}")
        call = OperationCall(
            ctx=request.app[CONTEXT],
            request=request,
            agent=current_agent(request),
            operation=operation,
            body=body,
        )
        return await handler(call)


@dataclass
class SimContext:
    """What the route handlers share: state, Bayeux server, configuration, operations."""

    state: SimState
    bayeux: BayeuxServer
    api_root: str
    csrf: bool
    #: The largest attachment upload accepted, in bytes.
    max_attachment_size: int = DEFAULT_MAX_ATTACHMENT_SIZE
    #: Seconds before an unanswered e-mail or chat invitation is Revoked; None: never.
    revoke_after: float | None = DEFAULT_REVOKE_AFTER
    #: ``email_object`` keys: ``PascalCase`` (the operation pages) or ``camelCase``.
    email_keys: str = "PascalCase"
    #: ``interactionType`` of e-mails: ``direction`` (Inbound/Outbound) or ``Email``.
    email_interaction_type: str = "direction"
    tables: dict[str, OperationTable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        period = self.revoke_after
        if period is not None and not period > 0:  # NaN too
            raise ValueError(f"revoke_after must be positive seconds or None, not {period!r}")
        if self.email_keys not in ("PascalCase", "camelCase"):
            raise ValueError(f"email_keys must be PascalCase or camelCase: {self.email_keys!r}")
        if self.email_interaction_type not in ("direction", "Email"):
            raise ValueError(
                "email_interaction_type must be direction or Email: "
                f"{self.email_interaction_type!r}"
            )

    def table(self, resource: str) -> OperationTable:
        """The operation table of ``resource`` (e.g. ``"/me/interactions"``), created on demand."""
        if resource not in self.tables:
            self.tables[resource] = OperationTable(resource)
        return self.tables[resource]

    def publish(self, username: str, topic: str, data: Any) -> None:
        """Send a notification to the agent's Bayeux sessions subscribed to ``topic``."""
        self.bayeux.deliver(username, topic, data)


CONTEXT = web.AppKey("gws_async.simulator.context", SimContext)


def current_session(request: web.Request) -> HttpSession:
    """The HTTP session the auth middleware attached to ``request``."""
    session = request.get(_SESSION_KEY)
    if not isinstance(session, HttpSession):
        raise RuntimeError("request did not pass the authentication middleware")
    return session


def set_session(request: web.Request, session: HttpSession) -> None:
    """Attach the authenticated HTTP session to ``request``."""
    request[_SESSION_KEY] = session


def current_agent(request: web.Request) -> SimAgent:
    """The authenticated agent of ``request``."""
    return request.app[CONTEXT].state.agent(current_session(request).username)


def api_url(request: web.Request) -> str:
    """The API root as the client reached it, for the ``uri`` fields of replies."""
    return f"{request.url.origin()}{request.app[CONTEXT].api_root}"


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object; an empty body counts as ``{}``."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = parse_json(raw)
    except ValueError as exc:
        raise StatusError(1, f"Malformed JSON body: {exc}", http_status=400) from None
    if not isinstance(body, dict):
        raise StatusError(1, "The request body must be a JSON object", http_status=400)
    return body


def requested_fields(request: web.Request) -> set[str] | None:
    """The ``fields`` query parameter: ``None`` (URIs wanted), ``{"*"}`` or a field set."""
    value = request.query.get("fields")
    if not value:
        return None
    return {part.strip() for part in value.split(",") if part.strip()} or None


def select_fields(resource: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """Keep only ``fields`` of ``resource`` (all of it for ``*``)."""
    if "*" in fields:
        return resource
    return {key: value for key, value in resource.items() if key in fields}


def list_answer(
    request: web.Request, plural: str, resources: list[dict[str, Any]], *, uris: bool
) -> web.Response:
    """A list reply: the ``uri`` of each resource (when ``uris`` and no ``fields``), else
    the resources with the requested fields."""
    fields = requested_fields(request)
    if fields is None and uris:
        return web.json_response({"statusCode": 0, "uris": [r["uri"] for r in resources]})
    selected = [select_fields(r, fields or {"*"}) for r in resources]
    return web.json_response({"statusCode": 0, plural: selected})
