"""GwsClient: one shared aiohttp session for REST and the Bayeux listener."""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl as ssl_module
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from types import TracebackType
from typing import Any, TypeVar, overload

import aiohttp
from yarl import URL

from . import _json
from ._backoff import Backoff
from ._exceptions import (
    AuthenticationError,
    CsrfTokenError,
    GwsConnectionError,
    GwsError,
    GwsTimeoutError,
    error_from_response,
)
from ._streams import OVERFLOW_POLICIES, EventHub, EventStream, OverflowPolicy, Waiter
from .bayeux import BayeuxClient, Extension, Message
from .events import (
    ConnectionLost,
    GwsEvent,
    InteractionStateMessage,
    ListenerConnected,
    Reconnected,
    UnknownEvent,
    decode_as,
    decode_event,
)
from .models import Call, Device
from .resources.calls import CallsResource
from .resources.channels import ChannelsResource
from .resources.contacts import ContactsResource
from .resources.devices import DevicesResource
from .resources.features import FeaturesResource
from .resources.interactions import InteractionsResource
from .resources.me import MeResource
from .resources.recordings import RecordingsResource
from .resources.settings import SettingsResource
from .resources.skills import SkillsResource
from .resources.users import UsersResource
from .resources.workbins import WorkbinsResource
from .results import User
from .topics import DEFAULT_TOPICS, Topic

__all__ = ["DEFAULT_TOPICS", "GwsClient", "ListenerStats", "Snapshot", "Topic"]

log = logging.getLogger("gws_async.http")

E = TypeVar("E", bound=GwsEvent)


_MUTATING = frozenset({"POST", "PUT", "DELETE", "PATCH"})


@dataclass(frozen=True)
class Snapshot:
    """The agent's state read over REST by :meth:`GwsClient.resync`."""

    interactions: list[GwsEvent]
    """Current interactions, decoded like notifications (``InteractionStateMessage``)."""
    calls: list[Call]
    devices: list[Device]


@dataclass(frozen=True)
class ListenerStats:
    """A snapshot of the listener's counters (``GwsClient.stats``)."""

    connected: bool
    events_received: int
    """Notifications received (lifecycle events included)."""
    unknown_events: int
    """Of which could not be decoded (:class:`UnknownEvent`)."""
    reconnects: int
    """Recoveries after a lost connection."""
    handshakes: int
    """Bayeux sessions made (more than one: the server forgot a session)."""
    streams: int
    """Open event streams."""
    buffered: int
    """Events waiting in the streams' buffers (the queue depth)."""
    dropped_events: int
    """Events dropped because a stream's consumer fell behind (see ``OverflowPolicy``)."""


# The login generation a Bayeux request was sent under. Outgoing and incoming hooks of one
# exchange run in the same task, so a context variable links them; concurrent exchanges
# run in other tasks and have their own.
_sent_under: ContextVar[int] = ContextVar("gws_async_sent_under")


class _CsrfExtension(Extension):
    """Puts the client's CSRF token on Bayeux requests and learns new ones from answers."""

    def __init__(self, client: GwsClient) -> None:
        self._client = client

    async def outgoing(self, messages: list[Message], headers: dict[str, str]) -> None:
        headers.update(self._client._csrf_headers())
        _sent_under.set(self._client._login_generation)

    async def incoming(self, messages: list[Message], headers: Mapping[str, str]) -> None:
        self._client._learn_csrf(headers, _sent_under.get(-1))


class GwsClient:
    """Asynchronous client for Genesys Web Services (``/api/v2``).

    One :class:`aiohttp.ClientSession` carries the REST calls and the Bayeux listener, so
    they share authentication, cookies (``JSESSIONID``, load-balancer stickiness), the CSRF
    token and the connection pool::

        async with GwsClient("http://gws:8090", "agent1", "secret") as gws:
            await gws.subscribe()                       # the agent's /v2/me/* topics
            async with gws.events(WorkbinStateChangeMessage) as stream:
                async for event in stream:
                    ...

    Args:
        base_url: scheme, host and port of the GWS node, e.g. ``http://10.0.0.5:8090``.
        username: the agent's user name.
        password: the agent's password (HTTP Basic auth; never logged or shown).
        api_root: path of the API root.
        cometd_path: path of the CometD endpoint (``/genesys/cometd`` on some deployments);
            defaults to ``{api_root}/notifications``.
        session: an existing session to use; it is left open on close. Its cookie jar
            should be ``aiohttp.CookieJar(unsafe=True)`` if GWS is reached by IP address.
        timeout: seconds allowed for one REST request.
        ssl: TLS verification: ``True`` (default), an ``SSLContext``, or ``False`` to
            disable verification (logged as a warning).
        event_buffer: how many undelivered events each stream buffers before the listener
            waits for its consumer.
        overflow: what a stream does when it stays full longer than the server's
            ``maxInterval`` allows the listener to wait (see :data:`OverflowPolicy`):
            ``"drop_oldest"`` (default, counted and logged), ``"raise"`` or ``"block"``.
        backoff: the listener's retry delays after failures (default: 0.5 s doubling up
            to 30 s, with jitter).
        network_allowance: seconds added to the server's advised long-poll ``timeout`` for
            the client-side timeout of a ``/meta/connect``: a poll that a load balancer
            lost is given up after that long.
        limit: size of the connection pool of an owned session.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        api_root: str = "/api/v2",
        cometd_path: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 30.0,
        ssl: ssl_module.SSLContext | bool = True,
        event_buffer: int = 1000,
        overflow: OverflowPolicy = "drop_oldest",
        backoff: Backoff | None = None,
        network_allowance: float = 10.0,
        limit: int = 100,
    ) -> None:
        url = URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("base_url must be an absolute http:// or https:// URL")
        if url.user or url.password:
            raise ValueError("pass the credentials as username and password, not in the URL")
        if not username:
            raise ValueError("username is empty")
        self._base = url.with_path("").with_query(None).with_fragment(None)
        self._api_root = "/" + api_root.strip("/")
        self._cometd_path = "/" + (cometd_path or f"{self._api_root}/notifications").strip("/")
        self._username = username
        # Built once; kept out of every repr, log line and error message.
        self._auth_header = {"Authorization": _basic_auth(username, password)}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        if ssl is False:
            log.warning("TLS certificate verification is disabled for %s", self._base)
        self._ssl = ssl
        self._event_buffer = event_buffer
        if overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"overflow must be one of {', '.join(OVERFLOW_POLICIES)}")
        self._overflow: OverflowPolicy = overflow
        self._backoff = backoff
        self._network_allowance = network_allowance
        self._limit = limit
        self._session = session
        self._owns_session = session is None
        self._csrf_header: str | None = None
        self._csrf_token: str | None = None
        self._login_generation = 0
        self._hub = EventHub()
        self._bayeux: BayeuxClient | None = None
        self._bayeux_lock = asyncio.Lock()
        self._user: User | None = None
        self._closed = False
        self._reconnects = 0
        self._lost_at: float | None = None
        self._handshakes_at_loss = 0
        self._ever_connected = False

    def __repr__(self) -> str:
        return f"GwsClient({str(self._base)!r}, username={self._username!r})"

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> GwsClient:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> User:
        """Log in: check the credentials with ``GET /me`` and take the session cookie and
        CSRF token. Cleans up and re-raises if that fails."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                cookie_jar=aiohttp.CookieJar(unsafe=True),
                connector=aiohttp.TCPConnector(limit=self._limit, ssl=self._ssl),
            )
            self._owns_session = True
        try:
            return await self.get_me()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Disconnect the listener, end every stream, close the session if owned."""
        if self._closed:
            return
        self._closed = True
        if self._bayeux is not None:
            await self._bayeux.close()
        self._hub.close()
        if self._owns_session and self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared HTTP session."""
        if self._session is None:
            raise RuntimeError("the client is not open: use 'async with GwsClient(...)'")
        return self._session

    @property
    def username(self) -> str:
        """The user name this client logs in with."""
        return self._username

    @property
    def user(self) -> User | None:
        """The logged-in user, known after :meth:`open`."""
        return self._user

    @property
    def api_url(self) -> URL:
        """The API root URL, e.g. ``http://gws:8090/api/v2``."""
        return self._base.with_path(self._api_root)

    @property
    def cometd_url(self) -> URL:
        """The CometD endpoint URL."""
        return self._base.with_path(self._cometd_path)

    # -- resources ------------------------------------------------------------------------

    @cached_property
    def workbins(self) -> WorkbinsResource:
        """Workbins: list, content, add, pull, subscribe (``/me/workbins``, ``/workbins``)."""
        return WorkbinsResource(self)

    @cached_property
    def users(self) -> UsersResource:
        """Users: list, get, create, update, delete, passwords, skills (``/users``)."""
        return UsersResource(self)

    @cached_property
    def skills(self) -> SkillsResource:
        """Contact center skills (``/skills``)."""
        return SkillsResource(self)

    @cached_property
    def contacts(self) -> ContactsResource:
        """Contacts: users, queues and custom contacts (``/contacts``)."""
        return ContactsResource(self)

    @cached_property
    def features(self) -> FeaturesResource:
        """Features of the contact center and of the system (``/features``)."""
        return FeaturesResource(self)

    @cached_property
    def settings(self) -> SettingsResource:
        """Settings groups, agent states, routing templates (``/settings``)."""
        return SettingsResource(self)

    @cached_property
    def recordings(self) -> RecordingsResource:
        """Call recordings (``/recordings``)."""
        return RecordingsResource(self)

    @cached_property
    def interactions(self) -> InteractionsResource:
        """Interactions of every media, with ``.email``, ``.chat`` and ``.attachments``
        (``/interactions``, ``/me/interactions``)."""
        return InteractionsResource(self)

    @cached_property
    def me(self) -> MeResource:
        """The agent: state, Do Not Disturb, password, contact-center session (``/me``)."""
        return MeResource(self)

    @cached_property
    def channels(self) -> ChannelsResource:
        """The agent's multimedia channels: state and DND per channel."""
        return ChannelsResource(self)

    @cached_property
    def devices(self) -> DevicesResource:
        """Voice devices: list, DND, call forwarding, Dial (``/devices``)."""
        return DevicesResource(self)

    @cached_property
    def calls(self) -> CallsResource:
        """Voice calls and call control (``/me/calls``)."""
        return CallsResource(self)

    async def get_me(self, *, subresources: bool = False) -> User:
        """``GET /me``: the logged-in user (with devices, channels and skills if
        ``subresources``); same as ``gws.me.get``."""
        return await self.me.get(subresources=subresources)

    # -- REST core ------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        data: Any = None,
        operation: str | None = None,
    ) -> dict[str, Any]:
        """Send one request to the API and return its decoded JSON object.

        ``path`` is relative to the API root and must already be escaped (see
        :func:`gws_async.resources.segment`). Raises a :class:`GwsApiError` subclass for
        every failure style of the spec, :class:`GwsConnectionError` when unreachable.
        A 403 for a stale CSRF token is retried once with a fresh token.
        """
        try:
            return await self._send(method, path, params, json_body, data, operation)
        except CsrfTokenError:
            if method.upper() not in _MUTATING:
                raise
            log.info("CSRF token refused; fetching a new one and retrying once")
            self._csrf_token = None
            await self._send("GET", "/me", None, None, None, "GetMe")
            return await self._send(method, path, params, json_body, data, operation)
        except AuthenticationError:
            if operation == "GetMe":
                raise  # the login itself was refused: the credentials are wrong
            log.info("HTTP 401: the session expired; logging in again and retrying once")
            await self._relogin()
            return await self._send(method, path, params, json_body, data, operation)

    async def _relogin(self) -> None:
        """Start a new HTTP session: forget the cookies and CSRF token, log in again."""
        self._login_generation += 1
        self.session.cookie_jar.clear_domain(self._base.host or "")
        self._csrf_token = None
        await self._send("GET", "/me", None, None, None, "GetMe")

    @asynccontextmanager
    async def request_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        operation: str | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send one request whose answer is not JSON (an attachment's bytes) and yield the
        response with its body unread, to read at once or stream in chunks::

            async with gws.request_raw("GET", path) as resp:
                async for chunk in resp.content.iter_chunked(65536): ...

        A failure (HTTP >= 400, or a JSON GWS failure reply) raises like :meth:`request`.
        Meant for reads: no CSRF retry.
        """
        method = method.upper()
        url = URL(f"{self.api_url}{path}", encoded=True)
        if params:
            url = url.update_query(params)
        shown = f"{self._api_root}{path}" + (f"?{url.query_string}" if url.query_string else "")
        headers: dict[str, str] = {**self._auth_header}
        if method in _MUTATING:
            headers.update(self._csrf_headers())
        generation = self._login_generation
        try:
            async with self.session.request(
                method, url, headers=headers, timeout=self._timeout, ssl=self._ssl
            ) as resp:
                self._learn_csrf(resp.headers, generation)
                small = (resp.content_length or 0) <= 65536
                if resp.status >= 400 or (resp.content_type == "application/json" and small):
                    raw = await resp.read()
                    body: Any
                    try:
                        body = _json.loads(raw) if raw else {}
                    except (ValueError, RecursionError):
                        body = None
                    text = "" if body is not None else raw[:2000].decode("utf-8", "replace")
                    # A 200 JSON answer may be the attachment itself: only a failure counts.
                    if resp.status >= 400 or isinstance(body, dict):
                        error = error_from_response(
                            method, shown, resp.status, body, text, operation=operation
                        )
                        if error is not None:
                            raise error
                yield resp
        except asyncio.TimeoutError as exc:
            total = self._timeout.total
            raise GwsTimeoutError(method, shown, f"no answer within {total} s") from exc
        except aiohttp.ClientError as exc:
            reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
            raise GwsConnectionError(method, shown, reason) from exc

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json_body: Any,
        data: Any,
        operation: str | None,
    ) -> dict[str, Any]:
        method = method.upper()
        url = URL(f"{self.api_url}{path}", encoded=True)
        if params:
            url = url.update_query(params)
        shown = f"{self._api_root}{path}" + (f"?{url.query_string}" if url.query_string else "")
        headers: dict[str, str] = {"Accept": "application/json", **self._auth_header}
        if method in _MUTATING:
            headers.update(self._csrf_headers())
        payload: Any = data
        if json_body is not None:
            payload = _json.dumps(json_body)
            headers["Content-Type"] = "application/json"
        generation = self._login_generation
        try:
            async with self.session.request(
                method,
                url,
                data=payload,
                headers=headers,
                timeout=self._timeout,
                ssl=self._ssl,
            ) as resp:
                self._learn_csrf(resp.headers, generation)
                status = resp.status
                raw = await resp.read()
        except asyncio.TimeoutError as exc:
            total = self._timeout.total
            raise GwsTimeoutError(method, shown, f"no answer within {total} s") from exc
        except aiohttp.ClientError as exc:
            reason = type(exc).__name__ + (f": {exc}" if str(exc) else "")
            raise GwsConnectionError(method, shown, reason) from exc
        body: Any = None
        text = ""
        if raw:
            try:
                body = _json.loads(raw)
            except (ValueError, RecursionError):
                text = raw[:2000].decode("utf-8", "replace")
        elif status < 300:
            body = {}  # an empty 200 is how GWS answers some operations
        log.debug("%s %s -> %d", method, shown, status)
        error = error_from_response(method, shown, status, body, text, operation=operation)
        if error is not None:
            raise error
        return body  # type: ignore[no-any-return]

    def _csrf_headers(self) -> dict[str, str]:
        if self._csrf_header and self._csrf_token:
            return {self._csrf_header: self._csrf_token}
        return {}

    def _learn_csrf(self, headers: Mapping[str, str], generation: int) -> None:
        if generation != self._login_generation:
            # The answer to a request of the previous login (e.g. a long-poll held across
            # a re-login) carries that session's token: taking it would pair the new
            # session's cookie with a dead token, and every write would be refused.
            return
        token = headers.get("X-CSRF-TOKEN")
        if token:
            self._csrf_header = headers.get("X-CSRF-HEADER") or "X-CSRF-TOKEN"
            self._csrf_token = token

    # -- notifications --------------------------------------------------------------------

    @property
    def listener(self) -> BayeuxClient | None:
        """The Bayeux client, once :meth:`subscribe` started it."""
        return self._bayeux

    async def subscribe(self, *topics: str) -> None:
        """Start the listener if needed and subscribe to ``topics``.

        With no topics, subscribes to :data:`DEFAULT_TOPICS` (the agent's interactions,
        workbins, calls, devices, channels and ``/v2/me``). Returns once the server
        confirmed every subscription, so events published afterwards are not missed.
        """
        bayeux = await self._ensure_listener()
        await bayeux.subscribe(*(topics or DEFAULT_TOPICS))

    async def unsubscribe(self, *topics: str) -> None:
        """Stop receiving ``topics``."""
        if self._bayeux is not None:
            await self._bayeux.unsubscribe(*topics)

    async def _ensure_listener(self) -> BayeuxClient:
        async with self._bayeux_lock:
            if self._closed:
                raise RuntimeError("the client is closed")
            if self._bayeux is None:
                bayeux = BayeuxClient(
                    self.session,
                    str(self.cometd_url),
                    on_message=self._on_message,
                    extensions=[_CsrfExtension(self)],
                    headers=self._auth_header,
                    on_failure=self._on_listener_failure,
                    on_connection_change=self._on_connection_change,
                    on_unauthorized=self._relogin,
                    backoff=self._backoff,
                    network_allowance=self._network_allowance,
                )
                await bayeux.start()
                self._bayeux = bayeux
            return self._bayeux

    async def _on_message(self, message: Message) -> None:
        channel = message.get("channel")
        topic = channel if isinstance(channel, str) else ""
        event = decode_event(topic, message.get("data"))
        if isinstance(event, UnknownEvent):
            log.warning("undecoded notification on %r: %s", topic, event.error or "unknown type")
        bayeux = self._bayeux
        deadline = bayeux.dispatch_deadline if bayeux is not None else None
        await self._hub.publish(event, deadline=deadline)

    async def _on_listener_failure(self, exc: BaseException) -> None:
        self._hub.close(exc)

    async def _on_connection_change(self, connected: bool, cause: BaseException | None) -> None:
        bayeux = self._bayeux
        client_id = bayeux.client_id if bayeux is not None else None
        loop = asyncio.get_running_loop()
        event: GwsEvent
        if not connected:
            self._lost_at = loop.time()
            self._handshakes_at_loss = bayeux.handshakes if bayeux is not None else 0
            reason = f"{type(cause).__name__}: {cause}" if cause else "unknown"
            event = ConnectionLost.create(cause=reason)
        elif not self._ever_connected:
            self._ever_connected = True
            event = ListenerConnected.create(client_id=client_id)
        else:
            self._reconnects += 1
            downtime = loop.time() - self._lost_at if self._lost_at is not None else 0.0
            renewed = bayeux is not None and bayeux.handshakes > self._handshakes_at_loss
            if renewed and self.workbins.subscribed:
                try:
                    await self.workbins.renew_subscriptions()
                except GwsError as exc:
                    log.warning("could not renew the workbin subscriptions: %s", exc)
            event = Reconnected.create(
                client_id=client_id, downtime=round(downtime, 3), session_renewed=renewed
            )
        # Published from the connect loop: a stalled consumer must not hold it for ever.
        deadline = loop.time() + bayeux.dispatch_budget if bayeux is not None else None
        await self._hub.publish(event, deadline=deadline)

    async def resync(self) -> Snapshot:
        """Re-read the agent's current interactions, calls and devices over REST.

        GWS 8.5 does not replay notifications published while a Bayeux session was gone:
        after a :class:`Reconnected` with ``session_renewed``, call this and reconcile.
        The three reads run concurrently on the shared connection pool.
        """
        body, calls, devices = await asyncio.gather(
            self.request(
                "GET", "/me/interactions", params={"fields": "*"}, operation="GetInteractions"
            ),
            self.calls.list(),
            self.devices.list(),
        )
        # GWS sends interactions in the same shape as their notifications.
        interactions = [
            decode_as(InteractionStateMessage, Topic.INTERACTIONS, item)
            for item in body.get("interactions") or []
        ]
        return Snapshot(interactions=interactions, calls=calls, devices=devices)

    @property
    def stats(self) -> ListenerStats:
        """Counters of the listener: events, connections, buffered events."""
        bayeux = self._bayeux
        return ListenerStats(
            connected=bayeux.connected if bayeux is not None else False,
            events_received=self._hub.received,
            unknown_events=self._hub.unknown,
            reconnects=self._reconnects,
            handshakes=bayeux.handshakes if bayeux is not None else 0,
            streams=self._hub.stream_count,
            buffered=self._hub.buffered,
            dropped_events=self._hub.dropped,
        )

    @overload
    def events(
        self,
        *,
        topics: Collection[str] | None = None,
        check: Callable[[GwsEvent], bool] | None = None,
        maxsize: int | None = None,
        overflow: OverflowPolicy | None = None,
    ) -> EventStream[GwsEvent]: ...

    @overload
    def events(
        self,
        *types: type[E],
        topics: Collection[str] | None = None,
        check: Callable[[E], bool] | None = None,
        maxsize: int | None = None,
        overflow: OverflowPolicy | None = None,
    ) -> EventStream[E]: ...

    def events(
        self,
        *types: type[Any],
        topics: Collection[str] | None = None,
        check: Callable[[Any], bool] | None = None,
        maxsize: int | None = None,
        overflow: OverflowPolicy | None = None,
    ) -> EventStream[Any]:
        """A stream of events, to use with ``async with`` and ``async for``.

        Args:
            types: only events of these classes (all events, unknown ones included, when
                none is given).
            topics: only events from these topics (``"/meta/connect"`` for the lifecycle
                events). Entering the stream subscribes to them (to the types' own topics,
                or to :data:`DEFAULT_TOPICS`, when not given).
            check: only events for which this returns true.
            maxsize: events buffered before the listener waits for this consumer.
            overflow: this stream's overflow policy (the client's by default).
        """
        # Lifecycle events come from the listener itself ("/meta/connect"): a stream may ask
        # for that topic, but there is nothing to subscribe to.
        wanted = (
            tuple(t for t in topics if not t.startswith("/meta/"))
            if topics is not None
            else _topics_of(types)
        )

        async def prepare() -> None:
            if wanted:
                await self.subscribe(*wanted)
            else:  # lifecycle events only: nothing to subscribe to, but listen
                await self._ensure_listener()

        return self._hub.stream(
            types,
            topics=topics,
            check=check,
            maxsize=maxsize or self._event_buffer,
            overflow=overflow or self._overflow,
            prepare=prepare,
        )

    def wait_for(
        self,
        event_type: type[E],
        *,
        check: Callable[[E], bool] | None = None,
        topics: Collection[str] | None = None,
        timeout: float | None = None,
    ) -> Waiter[E]:
        """Register, now, a wait for the next matching event; await the result later.

        Registering before sending the request that triggers the event means it cannot
        slip past. The topic must be subscribed (see :meth:`subscribe`). ``timeout``
        counts from the ``await`` and raises ``TimeoutError``.
        """
        return self._hub.wait_for((event_type,), topics=topics, check=check, timeout=timeout)

    async def wait_for_reference(
        self, reference_id: int | str, *, timeout: float | None = None
    ) -> GwsEvent:
        """The notification carrying ``referenceId``, from an operation's result.

        Works even when the notification arrived before the operation's HTTP answer.
        """
        return await self._hub.wait_for_reference(reference_id, timeout=timeout)

    @property
    def events_received(self) -> int:
        """Notifications received so far."""
        return self._hub.received


def _basic_auth(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _topics_of(types: tuple[type[Any], ...]) -> tuple[str, ...]:
    if not types:
        return DEFAULT_TOPICS
    topics = [getattr(t, "TOPIC", None) for t in types]
    if any(not t for t in topics):  # a base class such as GwsEvent: take everything
        return DEFAULT_TOPICS
    # Lifecycle events come from the listener itself, on no subscribable topic.
    return tuple(dict.fromkeys(t for t in topics if t and not t.startswith("/meta/")))
