"""The simulator: an aiohttp application with GWS authentication, CSRF and Bayeux."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
from collections import deque
from collections.abc import AsyncIterator, Sequence
from types import TracebackType

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from . import _sections
from ._common import (
    CONTEXT,
    DEFAULT_MAX_ATTACHMENT_SIZE,
    DEFAULT_REVOKE_AFTER,
    SimContext,
    StatusError,
    current_session,
    logger,
    set_session,
)
from ._console import FeedingBayeux, setup_console
from ._control import ControlGate
from ._exposure import warn_if_exposed
from ._hooks import Failure, SimHooks, Stall
from ._state import HttpSession, SimAgent, SimState, SimWorkbin, default_agents, default_workbins
from ._traffic import Traffic, TrafficPlan

__all__ = ["GwsSimulator"]

_COOKIE = "JSESSIONID"
_CSRF_HEADER = "X-CSRF-TOKEN"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


def _normalize_path(path: str) -> str:
    return "/" + path.strip("/") if path.strip("/") else ""


def _parse_basic(header: str) -> tuple[str, str] | None:
    """``(login, password)`` from an RFC 7617 ``Authorization: Basic`` header."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except ValueError:
        return None
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        decoded = raw.decode("latin-1")
    login, colon, password = decoded.partition(":")
    return (login, password) if colon else None


def _same(a: str, b: str) -> bool:
    # Constant-time comparison that also accepts non-ASCII input from headers.
    return hmac.compare_digest(a.encode("utf-8", "surrogateescape"), b.encode("utf-8"))


class GwsSimulator(SimHooks):
    """An in-process Genesys Web Services 8.5 server for tests and local development.

    It serves the REST API under ``api_root`` and a Bayeux long-polling endpoint at
    ``cometd_path`` on a real loopback port, with HTTP Basic authentication, a
    ``JSESSIONID`` session cookie and GWS-style CSRF tokens. State lives in memory
    (:attr:`state`); the synchronous hooks create interactions, push notifications and
    inject failures::

        async with GwsSimulator() as sim:
            iid = sim.put_in_workbin("agent1", workbin_id)
            ...  # point a client at sim.url with agent1 / password1

    A stopped simulator can be started again on the same port with its state kept, which
    looks to clients like a server restart: their Bayeux sessions are gone.

    ``agents`` defaults to agent1/password1 and agent2/password2 (well-known
    passwords: keep the default ``host`` on loopback with them). ``workbins``
    replaces the default set (the spec's personal workbins plus one AgentGroup and
    one PlaceGroup workbin); use ``SimWorkbin.personal(name)`` for personal ones.

    Limits: an attachment upload larger than ``max_attachment_size`` bytes (16 MiB
    by default) is refused with HTTP 413 and ``statusCode 2``; other request bodies
    are capped at 1 MiB (HTTP 413), and JSON nested deeper than 64 levels is answered
    400 like a malformed body. An agent reads only the interactions it works on or
    sees in its workbins; a ``ROLE_ADMIN`` agent reads them all.
    For ``control_token`` and ``allow_remote_control``, see :attr:`control_token`.
    With ``traffic``, calls, chats and e-mails arrive for its agent groups while the
    simulator runs (see :attr:`traffic`). An e-mail or chat invitation unanswered for
    ``revoke_after`` seconds (30 by default; None: never) is Revoked. Where the spec
    contradicts itself, ``email_keys="camelCase"`` and ``email_interaction_type="Email"``
    pick its other reading (see docs/testing.md, "Fidelity to the spec").
    """

    def __init__(
        self,
        agents: Sequence[SimAgent] | None = None,
        *,
        workbins: Sequence[SimWorkbin] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_root: str = "/api/v2",
        cometd_path: str = "/api/v2/notifications",
        long_poll_timeout: float = 30.0,
        max_interval: float = 10.0,
        csrf: bool = True,
        max_attachment_size: int = DEFAULT_MAX_ATTACHMENT_SIZE,
        control_token: str | None = None,
        allow_remote_control: bool = False,
        traffic: TrafficPlan | None = None,
        revoke_after: float | None = DEFAULT_REVOKE_AFTER,
        email_keys: str = "PascalCase",
        email_interaction_type: str = "direction",
    ) -> None:
        """Configure the simulator (see the class); nothing listens until :meth:`start`."""
        if long_poll_timeout <= 0 or max_interval <= 0:
            raise ValueError("long_poll_timeout and max_interval must be positive")
        if max_attachment_size <= 0:
            raise ValueError("max_attachment_size must be positive")
        self.state = SimState(
            default_agents() if agents is None else agents,
            default_workbins() if workbins is None else workbins,
        )
        #: ``(method, path_qs)`` of every HTTP request received, oldest first (bounded).
        self.requests: deque[tuple[str, str]] = deque(maxlen=10_000)
        self._host = host
        self._port = port
        self._api_root = _normalize_path(api_root)
        self._cometd_path = _normalize_path(cometd_path)
        if not self._cometd_path:
            raise ValueError("cometd_path must not be the server root")
        self.csrf = csrf
        self._bayeux = FeedingBayeux(long_poll_timeout, max_interval)
        self._gate = ControlGate(control_token, allow_remote=allow_remote_control)
        self._ctx = SimContext(
            state=self.state,
            bayeux=self._bayeux,
            api_root=self._api_root,
            csrf=csrf,
            max_attachment_size=max_attachment_size,
            revoke_after=revoke_after,
            email_keys=email_keys,
            email_interaction_type=email_interaction_type,
        )
        #: The traffic generator when a plan was given: its ``counts`` tell what arrived.
        self.traffic = Traffic(traffic, self.state, self) if traffic is not None else None
        self._failures: list[Failure] = []
        self._stalls: list[Stall] = []
        self._stopping = asyncio.Event()
        self._app: web.Application | None = None
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """The aiohttp application (built once per run; usable with any aiohttp runner)."""
        if self._app is None:
            app = web.Application(
                middlewares=[self._gate.middleware, self._front, self._auth, self._errors]
            )
            app[CONTEXT] = self._ctx
            self._ctx.tables.clear()
            _sections.setup(app, self._ctx)
            setup_console(app, self, self.state, self._bayeux)
            app.router.add_post(self._cometd_path, self._bayeux_handler)
            app.router.add_post(self._cometd_path + "/{suffix:.*}", self._bayeux_handler)
            app.on_shutdown.append(self._on_shutdown)
            app.cleanup_ctx.append(self._sweeper)
            self._app = app
        return self._app

    @property
    def app(self) -> web.Application:
        """The aiohttp application, see :meth:`make_app`."""
        return self.make_app()

    async def start(self) -> None:
        """Listen on ``host:port`` (a free port when 0; the same one again on restart)."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        # Held long-polls are answered on shutdown, so a short grace period suffices.
        self._stopping = asyncio.Event()
        runner = web.AppRunner(self.make_app(), shutdown_timeout=2.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            self._app = None
            raise
        self._port = int(runner.addresses[0][1])
        self._runner = runner
        if self.traffic is not None:
            self.traffic.start()
        logger.debug("GWS simulator started on %s", self.url)
        warn_if_exposed(self._host, self.state.agents.values())

    async def stop(self) -> None:
        """Answer held long-polls, close connections and forget Bayeux sessions."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        if self.traffic is not None:
            await self.traffic.stop()
        self._bayeux.close()
        self._stopping.set()
        try:
            await runner.cleanup()
        finally:
            self._bayeux.expire()
            self._app = None
        logger.debug("GWS simulator stopped")

    async def __aenter__(self) -> GwsSimulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _on_shutdown(self, app: web.Application) -> None:
        self._bayeux.close()

    async def _sweeper(self, app: web.Application) -> AsyncIterator[None]:
        self._bayeux.open()
        task = asyncio.create_task(self._bayeux.sweep_forever())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- addresses ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The listening port (once started)."""
        if self._runner is None:
            raise RuntimeError("the simulator is not running")
        return self._port

    @property
    def url(self) -> str:
        """``http://host:port`` of the running simulator."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The REST API root, e.g. ``http://127.0.0.1:8090/api/v2``."""
        return self.url + self._api_root

    @property
    def cometd_url(self) -> str:
        """The Bayeux endpoint."""
        return self.url + self._cometd_path

    @property
    def control_token(self) -> str:
        """The token of the control API (``/control``) and the console (``/console``): the
        ``control_token`` given (16 characters or more), else a random one. They answer only
        loopback peers unless ``allow_remote_control=True``; see docs/testing.md."""
        return self._gate.token

    # -- middlewares ----------------------------------------------------------------------

    @web.middleware
    async def _front(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record the request, then apply an injected failure if one matches."""
        self.requests.append((request.method, request.path_qs))
        for stall in self._stalls:
            if stall.path_prefix is None or request.path.startswith(stall.path_prefix):
                stall.remaining -= 1
                if stall.remaining <= 0:
                    self._stalls.remove(stall)
                await self._stopping.wait()
                return web.Response(status=503)
        for failure in self._failures:
            if failure.path_prefix is None or request.path.startswith(failure.path_prefix):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                return web.Response(
                    status=failure.status,
                    body=failure.body,
                    headers={hdrs.CONTENT_TYPE: failure.content_type},
                )
        return await handler(request)

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Basic or session authentication, then the CSRF check, like GWS."""
        authenticated = self._authenticate(request)
        if authenticated is None:
            return web.json_response(
                {"statusCode": 3, "statusMessage": "Authentication failed"},
                status=401,
                headers={hdrs.WWW_AUTHENTICATE: 'Basic realm="GWS"'},
            )
        session, is_new = authenticated
        set_session(request, session)
        if (
            self.csrf
            and request.method in _UNSAFE_METHODS
            and not _same(request.headers.get(_CSRF_HEADER, ""), session.csrf_token)
        ):
            response: web.StreamResponse = web.json_response(
                {"statusCode": 3, "statusMessage": "Missing or invalid Csrf token"}, status=403
            )
        else:
            response = await handler(request)
        if self.csrf:
            response.headers["X-CSRF-HEADER"] = _CSRF_HEADER
            response.headers[_CSRF_HEADER] = session.csrf_token
        if is_new:
            response.set_cookie(_COOKIE, session.id, path="/", httponly=True)
        return response

    def _authenticate(self, request: web.Request) -> tuple[HttpSession, bool] | None:
        cookie = request.cookies.get(_COOKIE)
        existing = self.state.http_sessions.get(cookie) if cookie else None
        header = request.headers.get(hdrs.AUTHORIZATION)
        if header is None:
            return (existing, False) if existing is not None else None
        username = self._check_basic(header)
        if username is None:
            return None
        if existing is not None and existing.username == username:
            return existing, False
        return self.state.open_http_session(username), True

    def _check_basic(self, header: str) -> str | None:
        credentials = _parse_basic(header)
        if credentials is None:
            return None
        login, password = credentials
        agent = self.state.agents.get(login)
        if agent is None or not _same(password, agent.password):
            logger.debug("authentication failed for %r", login)
            return None
        return agent.username

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Turn every failure into a GWS-style JSON reply."""
        try:
            return await handler(request)
        except StatusError as exc:
            return exc.response()
        except web.HTTPException as exc:
            if exc.status == 404:
                return StatusError(6, "Not found", http_status=404).response()
            if exc.status == 405:
                return StatusError(3, "Method not allowed", http_status=405).response()
            code = 4 if exc.status >= 500 else 1
            return StatusError(code, exc.reason, http_status=exc.status).response()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("simulator error on %s %s", request.method, request.path)
            return StatusError(4, "Internal error", http_status=500).response()

    # -- Bayeux ---------------------------------------------------------------------------

    async def _bayeux_handler(self, request: web.Request) -> web.Response:
        return await self._bayeux.handle(request, current_session(request).username)
