"""Fan-out of decoded events to consumers: streams, one-shot waiters, referenceId lookups.

Every stream sees every event that matches it. Each stream has a bounded buffer; when one
is full, :meth:`EventHub.publish` waits for its consumer, which holds back the listener's
next ``/meta/connect``: backpressure reaches the server. It waits only until the deadline
the listener gives (the server's ``maxInterval`` would otherwise expire the session, and
every other consumer would lose its events too); past it, the stream's
:data:`OverflowPolicy` applies.

A stalled stream costs only itself: one full past the deadline gets :data:`LATE_GRACE` more
(the budget may have gone to another stream), then it is behind and not waited for again,
even by a later answer, until its buffer is at most half full. Other streams keep receiving
everything; each loss is counted and logged against the stream that lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from types import TracebackType
from typing import Any, Final, Generic, Literal, TypeVar

from ._exceptions import ClientStateError, GwsError
from ._timeouts import wait_for
from ._waiters import Waiter, _Matcher, reference_of
from .events import GwsEvent, UnknownEvent

__all__ = [
    "EventHub",
    "EventStream",
    "OverflowPolicy",
    "StreamClosed",
    "StreamNotEntered",
    "StreamOverflowError",
    "Waiter",
]

log = logging.getLogger("gws_async.events")

E = TypeVar("E", bound=GwsEvent)

_END = object()

OverflowPolicy = Literal["drop_oldest", "raise", "block"]
"""What a full stream does once its consumer has held the listener back as long as the
server's ``maxInterval`` allows:

* ``"drop_oldest"`` (default): make room by dropping the oldest buffered event; the loss
  is counted (:attr:`EventStream.dropped`, ``GwsClient.stats``) and logged (once when it
  starts, once when the consumer has caught up, i.e. its buffer is at most half full), and
  the listener keeps its session; until it has caught up, the stream is not waited for
  again;
* ``"raise"``: end the stream: its next read raises :class:`StreamOverflowError` (its
  buffered events are discarded and counted as dropped); other streams carry on;
* ``"block"``: keep waiting for the consumer, whatever the cost: the server may expire
  the session, after which the listener handshakes again and every stream misses what
  was published meanwhile (see ``Reconnected.events_missed`` and ``resync()``).
"""

OVERFLOW_POLICIES: tuple[OverflowPolicy, ...] = ("drop_oldest", "raise", "block")

LATE_GRACE: Final = 0.05
"""Seconds a full stream is still waited for past the deadline (once per overflow episode),
so that a quick consumer that never got to run drains before it is judged behind."""


class StreamClosed(GwsError):
    """The client closed (or the listener gave up) while a consumer was waiting."""


class StreamNotEntered(ClientStateError):
    """A stream was iterated (or read) before ``async with`` entered it (which registers
    it and subscribes its topics): an iteration that yielded nothing would hide it."""


class StreamOverflowError(StreamClosed):
    """A stream with the ``"raise"`` overflow policy fell too far behind and was ended."""

    def __init__(self, message: str, *, dropped: int) -> None:
        super().__init__(message)
        self.dropped = dropped
        """Events this stream lost (the discarded buffer and the event that overflowed)."""


class EventStream(Generic[E]):
    """An async iterator over the events that match it; use it with ``async with``.

    ::

        async with gws.events(WorkbinStateChangeMessage) as stream:
            async for event in stream:
                ...

    Entering registers it and subscribes its topics; leaving releases it. Reading one never
    entered raises :class:`StreamNotEntered` at once (a loop left early could not release
    a stream it entered by itself). The iteration ends when the stream is left or the
    client closes; if the listener gave up, the reason is raised from the iteration.
    """

    def __init__(
        self,
        hub: EventHub,
        types: tuple[type[E], ...],
        *,
        topics: frozenset[str] | None = None,
        check: Callable[[E], bool] | None = None,
        maxsize: int = 1000,
        overflow: OverflowPolicy = "drop_oldest",
        prepare: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        if overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"overflow must be one of {', '.join(OVERFLOW_POLICIES)}")
        self._hub = hub
        self._matcher: _Matcher[E] = _Matcher(types, topics, check)
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self._overflow: OverflowPolicy = overflow
        self._prepare = prepare
        self._open = False
        self._entered = False
        self._failure: StreamOverflowError | None = None
        # Drops in the current overflow episode; non-zero means "behind": not waited for.
        self._dropping = 0
        self._caught_up_at = maxsize // 2
        self._number = hub._next_number()
        self.dropped = 0
        """Events this stream lost because its consumer fell behind (see ``overflow``)."""

    @property
    def pending(self) -> int:
        """Events buffered and not consumed yet."""
        return self._queue.qsize()

    @property
    def overflow(self) -> OverflowPolicy:
        """What this stream does when it is full past the listener's deadline."""
        return self._overflow

    async def __aenter__(self) -> EventStream[E]:
        # Register first, then subscribe: an event arriving right after the subscription
        # is confirmed must already find this stream.
        self._hub._add_stream(self)
        self._open = True
        self._entered = True
        if self._prepare is not None:
            try:
                await self._prepare()
            except BaseException:
                await self.aclose()
                raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop receiving events; a publisher blocked on this stream is released."""
        if not self._open:
            return
        self._open = False
        self._hub._remove_stream(self)
        while not self._queue.empty():
            self._queue.get_nowait()

    def __aiter__(self) -> EventStream[E]:
        return self

    async def __anext__(self) -> E:
        if not self._open and self._queue.empty():
            if not self._entered:
                raise StreamNotEntered(
                    f"{self!r} was not entered: use `async with gws.events(...) as stream:` "
                    "then `async for event in stream`"
                )
            raise StopAsyncIteration
        queue = self._queue
        # get() would not wait either when an event is buffered; get_nowait() spares the
        # coroutine it costs for every event.
        item = queue.get_nowait() if queue.qsize() else await queue.get()
        if item is _END:
            self._queue.put_nowait(_END)  # later calls end too
            if self._failure is not None:
                raise self._failure
            failure = self._hub.failure
            if failure is not None:
                raise StreamClosed(f"the event listener stopped: {failure}") from failure
            raise StopAsyncIteration
        return item  # type: ignore[no-any-return]

    async def get(self, timeout: float | None = None) -> E:
        """The next event, waiting at most ``timeout`` seconds (``TimeoutError``).

        A buffered event is returned at once, even with a ``timeout`` of 0.
        """
        try:
            if self._queue.qsize():
                return await self.__anext__()
            return await wait_for(self.__anext__(), timeout)
        except StopAsyncIteration:
            raise StreamClosed("the client is closed") from None

    def _offer(self, event: GwsEvent) -> bool:
        """Buffer ``event`` if there is room (no coroutine: the common case)."""
        try:
            self._queue.put_nowait(event)  # checks the room itself: no full() before
        except asyncio.QueueFull:
            return False
        if self._dropping and self._queue.qsize() <= self._caught_up_at:
            log.warning(
                "%r caught up after dropping %d event(s) (%d in all)",
                self,
                self._dropping,
                self.dropped,
            )
            self._dropping = 0
        return True

    async def _put(self, event: GwsEvent, deadline: float | None) -> None:
        """Buffer ``event``, waiting for room until ``deadline`` (loop time) at most."""
        if self._offer(event):
            return
        queue = self._queue
        if deadline is None or self._overflow == "block":
            log.debug("%r is full: waiting for its consumer", self)
            await queue.put(event)
            return
        if not self._dropping:  # behind already: judged, the listener is not held again
            # Past the deadline the budget went to another stream, and this consumer may
            # not have run since: a short grace lets it drain before it is judged.
            wait = max(deadline - asyncio.get_running_loop().time(), LATE_GRACE)
            try:
                # Safe against a lost or doubled put: a put cut short by the timeout (or
                # a cancellation) puts nothing.
                await wait_for(queue.put(event), wait)
                return
            except asyncio.TimeoutError:
                pass
            if not self._open:  # closed while we waited
                return
        if self._overflow == "raise":
            self._fail_overflow()
            return
        queue.get_nowait()
        queue.put_nowait(event)
        self._count_drop(1)
        if self._dropping == 1:
            log.warning(
                "%r is full (%d) and its consumer is too slow for the server's maxInterval: "
                "dropping the oldest events",
                self,
                queue.maxsize,
            )

    def _count_drop(self, count: int) -> None:
        self.dropped += count
        self._dropping += count
        self._hub.dropped += count

    def _fail_overflow(self) -> None:
        lost = self._queue.qsize() + 1
        self._count_drop(lost)
        self._failure = StreamOverflowError(
            f"the consumer fell behind by more than {self._queue.maxsize} events for longer "
            f"than the server's maxInterval allows; {lost} event(s) dropped",
            dropped=lost,
        )
        log.error("%r overflowed: %s", self, self._failure)
        self._open = False
        self._hub._remove_stream(self)
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(_END)

    def __repr__(self) -> str:
        # The number tells apart, in the log, streams over the same types.
        names = ", ".join(t.__name__ for t in self._matcher.types) or "all events"
        return f"<EventStream #{self._number} of {names}>"

    def _end(self) -> None:
        try:
            self._queue.put_nowait(_END)
        except asyncio.QueueFull:
            # Make room: the consumer is told the stream ended rather than left hanging.
            self._queue.get_nowait()
            self._queue.put_nowait(_END)


class EventHub:
    """Delivers each decoded event to waiters, then to every matching stream."""

    def __init__(self, *, reference_cache: int = 1024) -> None:
        self._streams: list[EventStream[Any]] = []
        self._snapshot: tuple[EventStream[Any], ...] = ()
        self._waiters: list[Waiter[Any]] = []
        # Notifications can overtake the REST answer that carries their referenceId, so the
        # recent ones are kept for a late lookup.
        self._recent: OrderedDict[str, GwsEvent] = OrderedDict()
        self._recent_max = reference_cache
        self.failure: BaseException | None = None
        self.closed = False
        self.received = 0
        self.unknown = 0
        self.dropped = 0
        self._streams_made = 0

    def stream(
        self,
        types: tuple[type[E], ...],
        *,
        topics: Collection[str] | None = None,
        check: Callable[[E], bool] | None = None,
        maxsize: int = 1000,
        overflow: OverflowPolicy = "drop_oldest",
        prepare: Callable[[], Awaitable[None]] | None = None,
    ) -> EventStream[E]:
        """A new stream over the events of these types (all events when empty)."""
        return EventStream(
            self,
            types,
            topics=frozenset(topics) if topics is not None else None,
            check=check,
            maxsize=maxsize,
            overflow=overflow,
            prepare=prepare,
        )

    def wait_for(
        self,
        types: tuple[type[E], ...],
        *,
        topics: Collection[str] | None = None,
        check: Callable[[E], bool] | None = None,
        timeout: float | None = None,
    ) -> Waiter[E]:
        """Register a one-shot waiter now; await it later."""
        if self.closed:
            raise StreamClosed("the client is closed")
        return Waiter(
            self,
            types,
            topics=frozenset(topics) if topics is not None else None,
            check=check,
            timeout=timeout,
        )

    async def wait_for_reference(
        self, reference_id: int | str, *, timeout: float | None = None
    ) -> GwsEvent:
        """The notification that carries this ``referenceId``, even if it came already."""
        key = str(reference_id)
        seen = self._recent.get(key)
        if seen is not None:
            return seen
        waiter: Waiter[GwsEvent] = self.wait_for(
            (), check=lambda e: reference_of(e) == key, timeout=timeout
        )
        return await waiter

    async def publish(self, event: GwsEvent, *, deadline: float | None = None) -> None:
        """Hand one event to every waiter and stream that wants it, in that order.

        A full stream is waited for until ``deadline`` (event-loop time; for ever when
        ``None``), then its overflow policy applies.
        """
        full = self.deliver(event)
        if full:
            await self.wait_for_room(event, full, deadline)

    def deliver(self, event: GwsEvent) -> tuple[EventStream[Any], ...]:
        """The part of :meth:`publish` that never waits: ``event`` is counted, cached by its
        ``referenceId``, offered to every waiter and buffered by every matching stream with
        room. Returns the matching streams that were full (usually none), for
        :meth:`wait_for_room`."""
        self.received += 1
        if isinstance(event, UnknownEvent):
            self.unknown += 1
        ref = reference_of(event)
        if ref is not None:
            self._recent[ref] = event
            self._recent.move_to_end(ref)
            if len(self._recent) > self._recent_max:
                self._recent.popitem(last=False)
        if self._waiters:
            for waiter in list(self._waiters):
                if waiter._offer(event):
                    self._discard_waiter(waiter)
        # A tuple rebuilt only when a stream comes or goes: nothing allocated per event.
        full: tuple[EventStream[Any], ...] = ()
        for stream in self._snapshot:
            try:
                matched = stream._matcher.matches(event)
            except Exception:
                log.exception("a stream filter failed on %s; event not delivered to it", event)
                continue
            if matched and not stream._offer(event):
                full += (stream,)
        return full

    async def wait_for_room(
        self, event: GwsEvent, full: tuple[EventStream[Any], ...], deadline: float | None
    ) -> None:
        """Buffer ``event`` in the ``full`` streams :meth:`deliver` returned, one after the
        other, each waited for until ``deadline`` and then its overflow policy."""
        for stream in full:
            await stream._put(event, deadline)

    def close(self, failure: BaseException | None = None) -> None:
        """End every stream and fail every waiter."""
        if self.closed:
            return
        self.closed = True
        self.failure = failure
        for stream in list(self._streams):
            stream._end()
        error = StreamClosed(f"the event listener stopped: {failure}" if failure else "closed")
        for waiter in list(self._waiters):
            waiter._fail(error)
        self._waiters.clear()

    @property
    def stream_count(self) -> int:
        """Open streams."""
        return len(self._streams)

    @property
    def buffered(self) -> int:
        """Events waiting in all streams' buffers."""
        return sum(stream.pending for stream in self._streams)

    def _next_number(self) -> int:
        self._streams_made += 1
        return self._streams_made

    def _add_stream(self, stream: EventStream[Any]) -> None:
        if self.closed:
            raise StreamClosed("the client is closed")
        self._streams.append(stream)
        self._snapshot = tuple(self._streams)

    def _remove_stream(self, stream: EventStream[Any]) -> None:
        if stream in self._streams:
            self._streams.remove(stream)
            self._snapshot = tuple(self._streams)

    def _discard_waiter(self, waiter: Waiter[Any]) -> None:
        if waiter in self._waiters:
            self._waiters.remove(waiter)
