"""The control API: every test hook of the simulator as an HTTP route of its own.

``POST /control/hooks/{name}`` with a JSON object of the hook's parameters (the names of
the Python method's arguments) calls the hook and answers a JSON object; ``GET
/control/hooks`` describes them all. Every ``/control`` request needs the simulator's
control token (``Authorization: Bearer TOKEN`` or ``X-Simulator-Token: TOKEN``), and is
answered only to loopback peers unless ``allow_remote`` is set. The console page
(``/console``, see :mod:`._console`) is reached through the same gate.

These routes bypass the GWS middlewares: they are not recorded in ``requests``, and
``fail_next`` / ``stall_next`` never hit them, so a test can always undo what it set up.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from ._common import logger
from ._jsonbody import parse_json
from ._state import SimState

__all__ = [
    "CONSOLE_PREFIX",
    "CONTROL_PREFIX",
    "HOOKS",
    "MIN_TOKEN_LENGTH",
    "TOKEN_HEADER",
    "ControlGate",
    "Hook",
    "Param",
    "hook_handler",
    "json_error",
    "setup_hooks",
]

CONTROL_PREFIX = "/control"
CONSOLE_PREFIX = "/console"
#: The header that may carry the token instead of ``Authorization: Bearer``.
TOKEN_HEADER = "X-Simulator-Token"
#: The shortest token accepted from the user (a generated one is 32 characters).
MIN_TOKEN_LENGTH = 16
_MAX_BODY = 1024 * 1024


def json_error(status: int, message: str, **headers: str) -> web.Response:
    """The control API's failure reply: ``{"error": message}``."""
    return web.json_response({"error": message}, status=status, headers=headers)


class ControlError(Exception):
    """A refused control call: HTTP ``status`` and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# -- the hooks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One parameter of a hook.

    ``kind`` is ``agent`` (a user name the simulator knows), ``workbin`` (a workbin id or
    name), ``interaction`` (an existing interaction id), ``str``, ``text`` (several
    lines), ``int``, ``object`` (a JSON object) or ``json`` (any JSON value).
    """

    name: str
    kind: str
    help: str
    required: bool = True
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None

    def describe(self) -> dict[str, Any]:
        """The parameter as ``GET /control/hooks`` shows it."""
        described: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "help": self.help,
            "required": self.required,
        }
        if not self.required:
            described["default"] = self.default
        if self.minimum is not None:
            described["minimum"] = self.minimum
        if self.maximum is not None:
            described["maximum"] = self.maximum
        return described


@dataclass(frozen=True)
class Hook:
    """A test hook: its route name, the simulator method and what the answer holds."""

    name: str
    method: str
    summary: str
    params: tuple[Param, ...] = ()
    #: The key of the answer holding the method's return value (none when it returns None).
    result: str | None = None

    def describe(self) -> dict[str, Any]:
        """The hook as ``GET /control/hooks`` shows it."""
        return {
            "name": self.name,
            "method": self.method,
            "summary": self.summary,
            "params": [p.describe() for p in self.params],
            "result": self.result,
        }


_AGENT = Param("username", "agent", "the agent (user name)")
_MEDIA = Param("media", "str", "media type", required=False, default="chat")
_USER_DATA = Param("user_data", "object", "attached data", required=False, default=None)
_IID = Param("interaction_id", "str", "the id to give it", required=False, default=None)
_WHO = Param("username", "agent", "only this agent's sessions (all when absent)", required=False)
_PREFIX = Param("path_prefix", "str", "only paths starting with this", required=False)

HOOKS: tuple[Hook, ...] = (
    Hook(
        "put-in-workbin",
        "put_in_workbin",
        "create an interaction sitting in a workbin (ItemAdded goes to its subscribers)",
        (_AGENT, Param("workbin_id", "workbin", "workbin id or name"), _MEDIA, _USER_DATA, _IID),
        "interaction_id",
    ),
    Hook(
        "create-interaction",
        "create_interaction",
        "create an interaction owned by the agent (no notification)",
        (
            _AGENT,
            _MEDIA,
            Param("state", "str", "interaction state", required=False, default="Accepted"),
            _USER_DATA,
            _IID,
        ),
        "interaction_id",
    ),
    Hook(
        "ring-call",
        "ring_call",
        "an inbound call ringing on the agent's device",
        (_AGENT, Param("from_number", "str", "caller number", required=False, default="5551234")),
        "call_id",
    ),
    Hook(
        "offer-chat",
        "offer_chat",
        "a customer chat offered to the agent (state Invited)",
        (
            _AGENT,
            Param("nickname", "str", "customer nickname", required=False, default="Customer"),
            Param("message", "text", "first message", required=False, default="Hello"),
        ),
        "interaction_id",
    ),
    Hook(
        "customer-says",
        "customer_says",
        "the chat's customer writes a message",
        (Param("interaction_id", "interaction", "the chat"), Param("text", "text", "message")),
    ),
    Hook(
        "deliver-email",
        "deliver_email",
        "an inbound e-mail offered to the agent (state Invited)",
        (
            _AGENT,
            Param("subject", "str", "subject"),
            Param("text", "text", "body"),
            Param("from_address", "str", "sender"),
            Param("to_address", "str", "recipient", required=False, default="support@example.com"),
        ),
        "interaction_id",
    ),
    Hook(
        "push",
        "push",
        "deliver any JSON value on a topic to the agent's subscribed sessions",
        (
            _AGENT,
            Param("topic", "str", "topic, e.g. /v2/me/workbins"),
            Param("data", "json", "data"),
        ),
        "delivered",
    ),
    Hook(
        "push-raw",
        "push_raw",
        "deliver one raw Bayeux message as-is to all the agent's sessions",
        (_AGENT, Param("message", "json", "the Bayeux message")),
        "delivered",
    ),
    Hook(
        "expire-bayeux-sessions",
        "expire_bayeux_sessions",
        "forget Bayeux sessions (their next connect gets 402::Unknown client)",
        (_WHO,),
        "sessions",
    ),
    Hook(
        "disconnect-bayeux-sessions",
        "disconnect_bayeux_sessions",
        "disconnect Bayeux sessions server-side (advice reconnect: none)",
        (_WHO,),
        "sessions",
    ),
    Hook(
        "revoke-invitations",
        "revoke_invitations",
        "let the inactivity period pass now: pending e-mail and chat invitations are Revoked",
        (Param("username", "agent", "only this agent's invitations (all when absent)", False),),
        "revoked",
    ),
    Hook(
        "stall-next",
        "stall_next",
        "never answer the next COUNT GWS requests (until the simulator stops)",
        (Param("count", "int", "how many requests", minimum=1, maximum=10_000), _PREFIX),
    ),
    Hook(
        "fail-next",
        "fail_next",
        "answer the next COUNT GWS requests with STATUS and BODY instead",
        (
            Param("count", "int", "how many requests", minimum=1, maximum=10_000),
            Param("status", "int", "HTTP status", False, 500, minimum=100, maximum=599),
            Param("body", "text", "response body", False, "<h1>502 Bad Gateway</h1>"),
            Param("content_type", "str", "its Content-Type", False, "text/html"),
            _PREFIX,
        ),
    ),
)
_BY_NAME = {hook.name: hook for hook in HOOKS}


def _check(param: Param, value: Any, state: SimState) -> Any:
    """``value`` for ``param``, or :class:`ControlError` naming what is wrong."""
    if param.kind in ("json",):
        return value
    if param.kind == "object":
        if not isinstance(value, dict):
            raise ControlError(400, f"{param.name} must be a JSON object")
        return value
    if param.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ControlError(400, f"{param.name} must be a whole number")
        low, high = param.minimum, param.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise ControlError(400, f"{param.name} must be between {low} and {high}")
        return value
    if not isinstance(value, str):
        raise ControlError(400, f"{param.name} must be a string")
    if param.kind == "agent" and value not in state.agents:
        raise ControlError(404, f"unknown agent {value!r}")
    if param.kind == "interaction" and value not in state.interactions:
        raise ControlError(404, f"unknown interaction {value!r}")
    if param.kind == "workbin":
        return _workbin_id(value, state)
    return value


def _workbin_id(value: str, state: SimState) -> str:
    if value in state.workbins:
        return value
    named = [wb.id for wb in state.workbins.values() if wb.name == value]
    if not named:
        raise ControlError(404, f"unknown workbin {value!r}")
    return named[0]


def _arguments(hook: Hook, body: Mapping[str, Any], state: SimState) -> dict[str, Any]:
    known = {p.name for p in hook.params}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ControlError(400, f"{hook.name} takes no parameter {unknown[0]!r}")
    arguments: dict[str, Any] = {}
    for param in hook.params:
        if param.name not in body or (body[param.name] is None and not param.required):
            if param.required:
                raise ControlError(400, f"{hook.name} needs {param.name}")
            continue
        arguments[param.name] = _check(param, body[param.name], state)
    return arguments


async def _read_object(request: web.Request) -> dict[str, Any]:
    raw = b""
    while chunk := await request.content.read(64 * 1024):
        raw += chunk
        if len(raw) > _MAX_BODY:
            raise ControlError(413, f"the request body is larger than {_MAX_BODY} bytes")
    if not raw.strip():
        return {}
    try:
        body = parse_json(raw)
    except ValueError as exc:
        raise ControlError(400, f"malformed JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the request body must be a JSON object")
    return body


def hook_handler(simulator: Any, state: SimState) -> Handler:
    """The ``POST /control/hooks/{name}`` handler calling ``simulator``'s methods."""

    async def handle(request: web.Request) -> web.StreamResponse:
        hook = _BY_NAME.get(request.match_info["name"])
        if hook is None:
            return json_error(404, f"no hook {request.match_info['name']!r}")
        try:
            arguments = _arguments(hook, await _read_object(request), state)
            result = getattr(simulator, hook.method)(**arguments)
        except ControlError as exc:
            return json_error(exc.status, str(exc))
        except KeyError as exc:
            return json_error(404, str(exc.args[0]) if exc.args else "not found")
        except (ValueError, TypeError) as exc:
            return json_error(400, str(exc))
        answer = {} if hook.result is None else {hook.result: result}
        return web.json_response(answer)

    return handle


async def _list_hooks(request: web.Request) -> web.Response:
    return web.json_response({"hooks": [hook.describe() for hook in HOOKS]})


# -- the gate -------------------------------------------------------------------------------


def _is_loopback_peer(request: web.Request) -> bool:
    remote = request.remote or ""
    try:
        return ipaddress.ip_address(remote.split("%")[0]).is_loopback
    except ValueError:
        # A Unix socket has no address: the peer is on this machine.
        return remote == "" and request.transport is not None


class ControlGate:
    """Checks the token (and the peer's address) of every control and console request.

    ``token`` (a random one when ``None``) is compared in constant time. The console's
    static files (its HTML, CSS and JS, which hold no data) are served without the
    token, because the page asks for it; everything they fetch needs it.
    """

    def __init__(self, token: str | None, *, allow_remote: bool) -> None:
        token = secrets.token_urlsafe(24) if token is None else token
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"the control token needs at least {MIN_TOKEN_LENGTH} characters")
        self.token = token
        self.allow_remote = allow_remote

    def authorized(self, request: web.Request) -> bool:
        """Whether ``request`` carries the token."""
        header = request.headers.get(hdrs.AUTHORIZATION, "")
        scheme, _, value = header.strip().partition(" ")
        given = value.strip() if scheme.lower() == "bearer" else request.headers.get(TOKEN_HEADER)
        if not given:
            return False
        return hmac.compare_digest(
            given.encode("utf-8", "surrogateescape"), self.token.encode("utf-8")
        )

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Let GWS requests through; answer control and console requests here."""
        path = request.path
        ours = (CONTROL_PREFIX, CONSOLE_PREFIX)
        if not any(path == p or path.startswith(p + "/") for p in ours):
            return await handler(request)
        if not self.allow_remote and not _is_loopback_peer(request):
            return json_error(403, "the control API answers only on loopback")
        if path.startswith(CONTROL_PREFIX) and not self.authorized(request):
            return json_error(
                401,
                "missing or wrong control token",
                **{hdrs.WWW_AUTHENTICATE: 'Bearer realm="gws-simulator"'},
            )
        try:
            # The route's own handler, past the GWS middlewares (recording, injected
            # failures, Basic authentication, GWS-style errors): see the module docstring.
            return await request.match_info.handler(request)
        except web.HTTPException as exc:
            return json_error(exc.status, exc.reason)
        except Exception:
            logger.exception("control error on %s %s", request.method, path)
            return json_error(500, "internal error: see the simulator's log")


def setup_hooks(app: web.Application, simulator: Any, state: SimState) -> None:
    """Add ``GET /control/hooks`` and ``POST /control/hooks/{name}``."""
    app.router.add_get(f"{CONTROL_PREFIX}/hooks", _list_hooks)
    app.router.add_post(f"{CONTROL_PREFIX}/hooks/{{name}}", hook_handler(simulator, state))
