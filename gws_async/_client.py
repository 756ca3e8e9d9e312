"""GwsClient: the facade users know. It composes one HTTP transport, one listener and the
REST resources; the work is done in ``_transport`` (HTTP), ``_listener`` (Bayeux and
events) and ``resources/`` (the operations of the spec)."""

from __future__ import annotations

import asyncio
import ssl as ssl_module
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import cached_property
from types import TracebackType
from typing import Any, TypeVar, overload

import aiohttp
from yarl import URL

from ._backoff import Backoff
from ._limits import DEFAULT_MAX_RESPONSE_SIZE
from ._listener import Listener, ListenerStats
from ._streams import EventStream, OverflowPolicy, Waiter
from ._transport import Transport
from .bayeux import BayeuxClient
from .events import GwsEvent, InteractionStateMessage, decode_as
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
from .topics import Topic

__all__ = ["GwsClient", "Snapshot"]

E = TypeVar("E", bound=GwsEvent)


@dataclass(frozen=True)
class Snapshot:
    """The agent's state read over REST by :meth:`GwsClient.resync`."""

    interactions: list[GwsEvent]
    """Current interactions, decoded like notifications (``InteractionStateMessage``)."""
    calls: list[Call]
    devices: list[Device]


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
        base_url: scheme, host, port and optional context path of the GWS node, e.g.
            ``https://10.0.0.5:8443`` or ``https://gws/gws`` (the API root and CometD path
            are then under ``/gws``). Plain ``http://`` to a non-loopback host is logged
            once per process and origin as a warning (the password crosses in clear text).
        username: the agent's user name (a ``str`` without ``:``).
        password: the agent's password, a ``str`` (HTTP Basic auth; never logged or shown).
        api_root: path of the API root, under the context path.
        cometd_path: path of the CometD endpoint under the context path
            (``/genesys/cometd`` on some deployments); defaults to
            ``{api_root}/notifications``.
        session: an existing session to use; it is left open on close. Its cookie jar
            should be ``aiohttp.CookieJar(unsafe=True)`` if GWS is reached by IP address.
        timeout: seconds allowed for one REST request.
        ssl: TLS verification of every request, REST and Bayeux, also on an injected
            ``session``: ``True`` (default: the session's own setting, verified for an
            owned one), an ``SSLContext``, or ``False`` to disable verification (logged).
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
        max_response_size: the largest decoded answer body accepted, REST or Bayeux, in
            bytes (default 32 MiB): a larger one raises :class:`ResponseTooLargeError`
            (on the listener: a failed answer, retried with backoff).
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
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        self._transport = Transport(
            base_url,
            username,
            password,
            api_root=api_root,
            cometd_path=cometd_path,
            session=session,
            timeout=timeout,
            ssl=ssl,
            limit=limit,
            max_response_size=max_response_size,
        )
        self._listener = Listener(
            self._transport,
            event_buffer=event_buffer,
            overflow=overflow,
            backoff=backoff,
            network_allowance=network_allowance,
        )
        self._closed = False

    def __repr__(self) -> str:
        return f"GwsClient({str(self._transport.base)!r}, username={self.username!r})"

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
        CSRF token. Cleans up and re-raises if that fails. A client is opened once: opening
        it again, or using it after :meth:`close`, raises :class:`ClientStateError`."""
        self._transport.open()
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
        await self._listener.close()
        await self._transport.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared HTTP session."""
        return self._transport.session

    @property
    def username(self) -> str:
        """The user name this client logs in with."""
        return self._transport.username

    @property
    def user(self) -> User | None:
        """The logged-in user, known after :meth:`open`."""
        return self.me.user

    @property
    def api_url(self) -> URL:
        """The API root URL, e.g. ``http://gws:8090/api/v2``."""
        return self._transport.api_url

    @property
    def cometd_url(self) -> URL:
        """The CometD endpoint URL."""
        return self._transport.cometd_url

    # -- resources ------------------------------------------------------------------------

    @cached_property
    def workbins(self) -> WorkbinsResource:
        """Workbins: list, content, add, pull, subscribe (``/me/workbins``, ``/workbins``)."""
        return WorkbinsResource(self._transport, self._listener)

    @cached_property
    def users(self) -> UsersResource:
        """Users: list, get, create, update, delete, passwords, skills (``/users``)."""
        return UsersResource(self._transport)

    @cached_property
    def skills(self) -> SkillsResource:
        """Contact center skills (``/skills``)."""
        return SkillsResource(self._transport)

    @cached_property
    def contacts(self) -> ContactsResource:
        """Contacts: users, queues and custom contacts (``/contacts``)."""
        return ContactsResource(self._transport)

    @cached_property
    def features(self) -> FeaturesResource:
        """Features of the contact center and of the system (``/features``)."""
        return FeaturesResource(self._transport)

    @cached_property
    def settings(self) -> SettingsResource:
        """Settings groups, agent states, routing templates (``/settings``)."""
        return SettingsResource(self._transport)

    @cached_property
    def recordings(self) -> RecordingsResource:
        """Call recordings (``/recordings``)."""
        return RecordingsResource(self._transport)

    @cached_property
    def interactions(self) -> InteractionsResource:
        """Interactions of every media, with ``.email``, ``.chat`` and ``.attachments``
        (``/interactions``, ``/me/interactions``)."""
        return InteractionsResource(self._transport)

    @cached_property
    def me(self) -> MeResource:
        """The agent: state, Do Not Disturb, password, contact-center session (``/me``)."""
        return MeResource(self._transport)

    @cached_property
    def channels(self) -> ChannelsResource:
        """The agent's multimedia channels: state and DND per channel."""
        return ChannelsResource(self._transport)

    @cached_property
    def devices(self) -> DevicesResource:
        """Voice devices: list, DND, call forwarding, Dial (``/devices``)."""
        return DevicesResource(self._transport)

    @cached_property
    def calls(self) -> CallsResource:
        """Voice calls and call control (``/me/calls``)."""
        return CallsResource(self._transport)

    async def get_me(self, *, subresources: bool = False) -> User:
        """``GET /me``: the logged-in user (with devices, channels and skills if
        ``subresources``); same as ``gws.me.get``."""
        return await self.me.get(subresources=subresources)

    # -- REST ------------------------------------------------------------------------------

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
        """Send one request (``path`` under the API root, already escaped) and return its
        decoded JSON object. A failed answer (a 3xx too: redirects are not followed) raises
        a :class:`GwsApiError` subclass, no answer :class:`GwsConnectionError`; retried
        once after a stale CSRF token (writes) or a 401 (after logging in again)."""
        return await self._transport.request(
            method, path, params=params, json_body=json_body, data=data, operation=operation
        )

    def request_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        operation: str | None = None,
    ) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        """Like :meth:`request` for an answer that is not JSON (an attachment's bytes):
        yields the response with its body unread, to stream (``resp.content.iter_chunked``)
        or read. Also logs in again once after a 401; no CSRF retry (meant for reads)."""
        return self._transport.request_raw(method, path, params=params, operation=operation)

    # -- notifications --------------------------------------------------------------------

    @property
    def listener(self) -> BayeuxClient | None:
        """The Bayeux client, once :meth:`subscribe` started it."""
        return self._listener.bayeux

    async def subscribe(self, *topics: str) -> None:
        """Start the listener if needed and subscribe to ``topics``.

        With no topics, subscribes to :data:`DEFAULT_TOPICS` (the agent's interactions,
        workbins, calls, devices, channels and ``/v2/me``). Returns once the server
        confirmed every subscription, so events published afterwards are not missed.
        """
        await self._listener.subscribe(*topics)

    async def unsubscribe(self, *topics: str) -> None:
        """Stop receiving ``topics``."""
        await self._listener.unsubscribe(*topics)

    async def resync(self) -> Snapshot:
        """Re-read the agent's current interactions, calls and devices over REST.

        GWS 8.5 does not replay notifications published while a Bayeux session was gone:
        after a :class:`Reconnected` with ``events_missed``, call this and reconcile.
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
        return self._listener.stats

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
        return self._listener.stream(
            types, topics=topics, check=check, maxsize=maxsize, overflow=overflow
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
        return self._listener.wait_for(event_type, check=check, topics=topics, timeout=timeout)

    async def wait_for_reference(
        self, reference_id: int | str, *, timeout: float | None = None
    ) -> GwsEvent:
        """The notification carrying ``referenceId``, from an operation's result.

        Works even when the notification arrived before the operation's HTTP answer.
        """
        return await self._listener.hub.wait_for_reference(reference_id, timeout=timeout)

    @property
    def events_received(self) -> int:
        """Notifications received so far."""
        return self._listener.hub.received
