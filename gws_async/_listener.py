"""The listener: the Bayeux client on the transport's session, decoding of its data
messages, their hand-off to the event hub, the lifecycle events and the counters.

A notification's path: :class:`~gws_async.bayeux.BayeuxClient` receives an answer and
hands its data messages, with their deadline, to :meth:`Listener._on_batch`, which decodes
each one and publishes it to the :class:`~gws_async._streams.EventHub`, which hands it to
every matching stream and waiter. Each step hands forward; none calls back up.

Higher layers that must act when the server forgot the Bayeux session (the workbins
resource subscribes its workbins again) register with :attr:`Listener.on_session_renewed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from ._backoff import Backoff
from ._exceptions import ClientStateError, GwsError
from ._streams import OVERFLOW_POLICIES, EventHub, EventStream, OverflowPolicy, Waiter
from ._transport import Transport
from .bayeux import BayeuxClient, Message
from .events import (
    ConnectionLost,
    GwsEvent,
    ListenerConnected,
    Reconnected,
    UnknownEvent,
    decode_event,
)
from .topics import DEFAULT_TOPICS

__all__ = ["Listener", "ListenerStats", "SessionRenewedHook"]

log = logging.getLogger("gws_async.events")

E = TypeVar("E", bound=GwsEvent)

#: Awaited after the server forgot the Bayeux session and a new one was made, before
#: :class:`Reconnected` is published.
SessionRenewedHook = Callable[[], Awaitable[None]]


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


class Listener:
    """The Bayeux side of a client: started by the first subscription or stream.

    Args:
        transport: the HTTP transport whose session, credentials and CSRF token the Bayeux
            requests share.
        event_buffer: each stream's default buffer size.
        overflow: each stream's default overflow policy.
        backoff: the Bayeux client's retry delays.
        network_allowance: added to the advised long-poll timeout.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        event_buffer: int = 1000,
        overflow: OverflowPolicy = "drop_oldest",
        backoff: Backoff | None = None,
        network_allowance: float = 10.0,
    ) -> None:
        if overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"overflow must be one of {', '.join(OVERFLOW_POLICIES)}")
        self._transport = transport
        self._event_buffer = event_buffer
        self._overflow: OverflowPolicy = overflow
        self._backoff = backoff
        self._network_allowance = network_allowance
        self.hub = EventHub()
        """Where decoded events go (streams, waiters, referenceId lookups)."""
        self.on_session_renewed: list[SessionRenewedHook] = []
        """Hooks awaited when a new Bayeux session replaced a lost one."""
        self._bayeux: BayeuxClient | None = None
        self._start_lock = asyncio.Lock()
        self._closed = False
        self._reconnects = 0
        self._lost_at: float | None = None
        self._handshakes_at_loss = 0
        self._ever_connected = False

    @property
    def bayeux(self) -> BayeuxClient | None:
        """The Bayeux client, once started."""
        return self._bayeux

    async def start(self) -> BayeuxClient:
        """Handshake and start the connect loop, unless already done."""
        async with self._start_lock:
            if self._closed:
                raise ClientStateError("the client is closed: make a new one")
            if self._bayeux is None:
                transport = self._transport
                bayeux = BayeuxClient(
                    transport.session,
                    str(transport.cometd_url),
                    on_batch=self._on_batch,
                    extensions=[transport.bayeux_extension()],
                    headers=transport.auth_headers,
                    on_failure=self._on_failure,
                    on_connection_change=self._on_connection_change,
                    on_unauthorized=transport.relogin,
                    backoff=self._backoff,
                    network_allowance=self._network_allowance,
                    ssl=transport.ssl,
                    max_response_size=transport.max_response_size,
                )
                await bayeux.start()
                self._bayeux = bayeux
            return self._bayeux

    async def subscribe(self, *topics: str) -> None:
        """Start if needed and subscribe to ``topics`` (:data:`DEFAULT_TOPICS` if none)."""
        bayeux = await self.start()
        await bayeux.subscribe(*(topics or DEFAULT_TOPICS))

    async def unsubscribe(self, *topics: str) -> None:
        """Stop receiving ``topics``."""
        if self._bayeux is not None:
            await self._bayeux.unsubscribe(*topics)

    async def close(self) -> None:
        """Disconnect and end every stream."""
        self._closed = True
        if self._bayeux is not None:
            await self._bayeux.close()
        self.hub.close()

    # -- consumers ------------------------------------------------------------------------

    def stream(
        self,
        types: tuple[type[Any], ...],
        *,
        topics: Collection[str] | None,
        check: Callable[[Any], bool] | None,
        maxsize: int | None,
        overflow: OverflowPolicy | None,
    ) -> EventStream[Any]:
        """A stream that subscribes, when entered, to what it asks for (see
        :meth:`gws_async.GwsClient.events`)."""
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
                await self.start()

        return self.hub.stream(
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
        """Register, now, a wait for the next matching event."""
        return self.hub.wait_for((event_type,), topics=topics, check=check, timeout=timeout)

    @property
    def stats(self) -> ListenerStats:
        """The counters, now."""
        bayeux = self._bayeux
        return ListenerStats(
            connected=bayeux.connected if bayeux is not None else False,
            events_received=self.hub.received,
            unknown_events=self.hub.unknown,
            reconnects=self._reconnects,
            handshakes=bayeux.handshakes if bayeux is not None else 0,
            streams=self.hub.stream_count,
            buffered=self.hub.buffered,
            dropped_events=self.hub.dropped,
        )

    # -- from the Bayeux client -----------------------------------------------------------

    async def _on_batch(self, messages: list[Message], deadline: float) -> None:
        publish = self.hub.publish
        for message in messages:
            channel = message.get("channel")
            topic = channel if isinstance(channel, str) else ""
            event = decode_event(topic, message.get("data"))
            if isinstance(event, UnknownEvent):
                log.warning(
                    "undecoded notification on %r: %s", topic, event.error or "unknown type"
                )
            await publish(event, deadline=deadline)

    async def _on_failure(self, exc: BaseException) -> None:
        self.hub.close(exc)

    async def _on_connection_change(self, connected: bool, cause: BaseException | None) -> None:
        bayeux = self._bayeux
        client_id = bayeux.client_id if bayeux is not None else None
        handshakes = bayeux.handshakes if bayeux is not None else 0
        loop = asyncio.get_running_loop()
        event: GwsEvent
        if not connected:
            self._lost_at = loop.time()
            self._handshakes_at_loss = handshakes
            reason = f"{type(cause).__name__}: {cause}" if cause else "unknown"
            event = ConnectionLost.create(cause=reason)
        elif not self._ever_connected:
            self._ever_connected = True
            event = ListenerConnected.create(client_id=client_id)
        else:
            self._reconnects += 1
            downtime = loop.time() - self._lost_at if self._lost_at is not None else 0.0
            renewed = handshakes > self._handshakes_at_loss
            if renewed:
                await self._run_session_renewed_hooks()
            event = Reconnected.create(
                client_id=client_id, downtime=round(downtime, 3), session_renewed=renewed
            )
        # Published from the connect loop: a stalled consumer must not hold it for ever.
        deadline = loop.time() + bayeux.dispatch_budget if bayeux is not None else None
        await self.hub.publish(event, deadline=deadline)

    async def _run_session_renewed_hooks(self) -> None:
        for hook in self.on_session_renewed:
            try:
                await hook()
            except GwsError as exc:
                log.warning("after the Bayeux session was renewed: %s", exc)
            except Exception:
                # Reconnected must still be published, whatever a hook does.
                log.exception("a session-renewed hook failed")


def _topics_of(types: tuple[type[Any], ...]) -> tuple[str, ...]:
    if not types:
        return DEFAULT_TOPICS
    topics = [getattr(t, "TOPIC", None) for t in types]
    if any(not t for t in topics):  # a base class such as GwsEvent: take everything
        return DEFAULT_TOPICS
    # Lifecycle events come from the listener itself, on no subscribable topic.
    return tuple(dict.fromkeys(t for t in topics if t and not t.startswith("/meta/")))
