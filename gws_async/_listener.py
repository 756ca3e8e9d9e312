"""The listener: the Bayeux client on the transport's session, decoding of its data
messages, their hand-off to the event hub, the lifecycle events and the counters.

A notification's path: :class:`~gws_async.bayeux.BayeuxClient` receives an answer and
hands its data messages, with their deadline, to :meth:`Listener._on_batch`, which decodes
each one and publishes it to the :class:`~gws_async._streams.EventHub`, which hands it to
every matching stream and waiter. Each step hands forward; none calls back up.

Before decoding, a data message is dropped (and counted in :class:`ListenerStats`) when its
channel (a name starting with ``/``) matches no subscription, or when its Bayeux ``id`` was
already handed out on that channel within the last :data:`DEDUP_WINDOW` messages. Warnings
that bad input could repeat without end (undecoded notifications, those drops) are logged in
full the first time for each kind, then summed up at most every :data:`LOG_SUMMARY_PERIOD`
seconds.

Higher layers that must act when the server forgot the Bayeux session (the workbins
resource subscribes its workbins again) register with :attr:`Listener.on_session_renewed`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from ._backoff import Backoff
from ._exceptions import ClientStateError, GwsError
from ._streams import OVERFLOW_POLICIES, EventHub, EventStream, OverflowPolicy, Waiter
from ._transport import Transport
from .bayeux import BayeuxClient, Message
from .events import (
    ConnectionLost,
    GwsEvent,
    ListenerConnected,
    ListenerStopped,
    Reconnected,
    UnknownEvent,
    decode_event,
)
from .topics import DEFAULT_TOPICS

__all__ = [
    "DEDUP_WINDOW",
    "LOG_SUMMARY_PERIOD",
    "Listener",
    "ListenerStats",
    "RecentIds",
    "SessionRenewedHook",
    "channel_subscribed",
]

log = logging.getLogger("gws_async.events")

DEDUP_WINDOW: Final = 1000
"""How many recent data message ids the listener remembers to drop a repeated one."""

LOG_SUMMARY_PERIOD: float = 60.0
"""Seconds between two summaries of a repeated warning (each kind is logged once in full)."""

# Kinds of a warning remembered at most; later new kinds are counted together, so a server
# inventing a new channel or type per message cannot grow the listener's memory.
_MAX_KINDS: Final = 256
_OTHER: Final = "other kinds"
_ABSENT: Final = object()

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
    duplicate_messages: int = 0
    """Data messages dropped because their Bayeux ``id`` came already on their channel
    (among the last :data:`DEDUP_WINDOW`)."""
    unsubscribed_messages: int = 0
    """Data messages dropped because their channel matches no subscription."""
    refused_answers: int = 0
    """Bayeux answers refused as larger than ``max_response_size``; the events they held
    are lost (each loss is announced by ``Reconnected.events_missed``)."""


class RecentIds:
    """The ids of the last ``size`` data messages, with their channel, to tell a repeat.

    A message without an ``id`` (or with one that is neither text nor a number) is never
    judged a repeat: dropping it could lose data.
    """

    __slots__ = ("_ids", "_order", "_size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("the window must hold at least one id")
        self._size = size
        # The channel by id, and the ids in the order they first came: a dict and a deque
        # cost less per message than an OrderedDict.
        self._ids: dict[str | int, Any] = {}
        self._order: deque[str | int] = deque()

    def seen(self, mid: Any, channel: Any) -> bool:
        """True when ``mid`` came already on ``channel`` within the window; else remember it."""
        kind = type(mid)
        # The exact types first: the common case decides in two comparisons.
        exact = kind is str or kind is int
        if not exact and (kind is bool or not isinstance(mid, (str, int))):
            return False
        ids = self._ids
        previous = ids.get(mid, _ABSENT)
        if previous is _ABSENT:
            ids[mid] = channel
            order = self._order
            order.append(mid)
            if len(order) > self._size:
                del ids[order.popleft()]
            return False
        if previous == channel:
            return True
        ids[mid] = channel  # the same id on another channel: remembered there, in its place
        return False

    def clear(self) -> None:
        """Forget every id (a new Bayeux session may number its messages from scratch)."""
        self._ids.clear()
        self._order.clear()


class _Reports:
    """One warning that bad input could repeat for ever: the first of each kind is logged
    in full, later ones at DEBUG, and counted in a summary logged at most every
    :data:`LOG_SUMMARY_PERIOD` seconds (when the next one comes, or at :meth:`flush`)."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._kinds: set[str] = set()
        self._counts: dict[str, int] = {}
        self._since: float | None = None

    def report(self, kind: str, message: str, *args: Any) -> None:
        if kind not in self._kinds:
            if len(self._kinds) < _MAX_KINDS:
                self._kinds.add(kind)
                log.warning(message, *args)
                return
            kind = _OTHER
        log.debug(message, *args)
        self._counts[kind] = self._counts.get(kind, 0) + 1
        now = time.monotonic()
        if self._since is None:
            self._since = now
        elif now - self._since >= LOG_SUMMARY_PERIOD:
            self.flush()

    def flush(self) -> None:
        """Log the summary of what was counted since the last one, if anything."""
        if not self._counts:
            return
        counts = sorted(self._counts.items(), key=lambda item: -item[1])
        total = sum(self._counts.values())
        details = ", ".join(f"{count} {kind}" for kind, count in counts[:5])
        if len(counts) > 5:
            details += f" and {len(counts) - 5} more kind(s)"
        elapsed = time.monotonic() - (self._since or 0.0)
        log.warning("%d more %s in the last %.0f s: %s", total, self._what, elapsed, details)
        self._counts.clear()
        self._since = None


class Listener:
    """The Bayeux side of a client: started by the first subscription or stream.

    Args:
        transport: the HTTP transport whose session, credentials and CSRF token the Bayeux
            requests share.
        event_buffer: each stream's default buffer size.
        overflow: each stream's default overflow policy.
        backoff: the Bayeux client's retry delays.
        network_allowance: added to the advised long-poll timeout.
        dedup_window: how many recent data message ids are remembered to drop a repeated
            one (:data:`DEDUP_WINDOW`, 1000, by default).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        event_buffer: int = 1000,
        overflow: OverflowPolicy = "drop_oldest",
        backoff: Backoff | None = None,
        network_allowance: float = 10.0,
        dedup_window: int = DEDUP_WINDOW,
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
        self._refused_reported = 0
        self._ever_connected = False
        self._recent_ids = RecentIds(dedup_window)
        self._ids_session: str | None = None  # the clientId the remembered ids came from
        self._duplicates = 0
        self._unsubscribed = 0
        self._undecoded_log = _Reports("undecoded notification(s)")
        self._duplicate_log = _Reports("repeated data message(s) dropped")
        self._unsubscribed_log = _Reports("data message(s) on unsubscribed channels dropped")

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
        for reports in (self._undecoded_log, self._duplicate_log, self._unsubscribed_log):
            reports.flush()

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
            duplicate_messages=self._duplicates,
            unsubscribed_messages=self._unsubscribed,
            refused_answers=bayeux.refused_answers if bayeux is not None else 0,
        )

    # -- from the Bayeux client -----------------------------------------------------------

    async def _on_batch(self, messages: list[Message], deadline: float) -> None:
        bayeux = self._bayeux
        subscriptions = bayeux.subscriptions if bayeux is not None else frozenset()
        if bayeux is not None and bayeux.client_id != self._ids_session:
            self._recent_ids.clear()  # a new session may number its messages from scratch
            self._ids_session = bayeux.client_id
        recent = self._recent_ids
        hub = self.hub
        deliver = hub.deliver
        for message in messages:
            channel = message.get("channel")
            if isinstance(channel, str):
                # Only a channel name can be unsubscribed; anything else is malformed and
                # kept, as an UnknownEvent, like a message with no channel.
                if (
                    channel not in subscriptions
                    and channel.startswith("/")
                    and not channel_subscribed(channel, subscriptions)
                ):
                    self._drop_unsubscribed(channel)
                    continue
                topic = channel
            else:
                topic = ""
            if recent.seen(message.get("id"), channel):
                self._drop_repeated(message)
                continue
            event = decode_event(topic, message.get("data"))
            if isinstance(event, UnknownEvent):
                self._report_undecoded(topic, event)
            # Handed over without a coroutine per event; only full streams are waited for.
            full = deliver(event)
            if full:
                await hub.wait_for_room(event, full, deadline)

    def _drop_unsubscribed(self, channel: str) -> None:
        self._unsubscribed += 1
        self._unsubscribed_log.report(
            channel, "data message on %r dropped: the channel is not subscribed", channel
        )

    def _drop_repeated(self, message: Message) -> None:
        self._duplicates += 1
        self._duplicate_log.report(
            "repeated",
            "repeated Bayeux message id %r on %r dropped (the last %d ids are remembered)",
            message.get("id"),
            message.get("channel"),
            self._recent_ids._size,
        )

    def _report_undecoded(self, topic: str, event: UnknownEvent) -> None:
        error = event.error
        # The kind leaves out the details (field paths, sizes) that vary from one to the next.
        kind = error.split(":", 1)[0] if error else f"unknown type {event.message_type!r}"
        self._undecoded_log.report(
            f"on {topic!r}: {kind}",
            "undecoded notification on %r: %s",
            topic,
            error or f"unknown type {event.message_type!r}",
        )

    async def _on_failure(self, exc: BaseException) -> None:
        # Said on the streams before they end, so a consumer learns why it stopped.
        bayeux = self._bayeux
        loop = asyncio.get_running_loop()
        deadline = loop.time() + bayeux.dispatch_budget if bayeux is not None else None
        stopped = ListenerStopped.create(cause=f"{type(exc).__name__}: {exc}")
        await self.hub.publish(stopped, deadline=deadline)
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
            refused = bayeux.refused_answers if bayeux is not None else 0
            missed = renewed or refused > self._refused_reported
            self._refused_reported = refused
            if renewed:
                await self._run_session_renewed_hooks()
            event = Reconnected.create(
                client_id=client_id,
                downtime=round(downtime, 3),
                session_renewed=renewed,
                events_missed=missed,
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


def channel_subscribed(channel: str, subscriptions: Collection[str]) -> bool:
    """Whether a subscription matches ``channel``: the same name, ``/a/*`` (one more
    segment) or ``/a/**`` (any number more). A ``/service/`` channel counts as subscribed:
    it cannot be, and carries the answers to the client's own publishes."""
    if channel in subscriptions or channel.startswith("/service/"):
        return True
    for pattern in subscriptions:
        if pattern.endswith("/**"):
            prefix = pattern[:-2]
            if channel.startswith(prefix) and len(channel) > len(prefix):
                return True
        elif pattern.endswith("/*"):
            prefix = pattern[:-1]
            rest = channel[len(prefix) :]
            if channel.startswith(prefix) and rest and "/" not in rest:
                return True
    return False


def _topics_of(types: tuple[type[Any], ...]) -> tuple[str, ...]:
    if not types:
        return DEFAULT_TOPICS
    topics = [getattr(t, "TOPIC", None) for t in types]
    if any(not t for t in topics):  # a base class such as GwsEvent: take everything
        return DEFAULT_TOPICS
    # Lifecycle events come from the listener itself, on no subscribable topic.
    return tuple(dict.fromkeys(t for t in topics if t and not t.startswith("/meta/")))
