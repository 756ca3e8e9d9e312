"""FleetEvents: the fleet's events read back from Redis, typed, in a consumer group.

Consumers that share a ``group`` split the shard streams between them like Kafka
partitions: each shard is read by one member at a time, through a lease in Redis, so
each agent's events (one agent, one shard) are handled in order. An entry is
acknowledged only when the loop body that got it has returned (when the next event is
asked for, or on a clean exit). A member that takes a shard over first claims what the
previous member had read but not acknowledged (``XAUTOCLAIM``), then reads new entries.
Acknowledgements are sent together, one round trip per read (``batch`` entries), before
the next read and when a shard is given up or the stream is left.

Delivery is at least once: an event whose handling outlived its member's lease (a crash,
a stall) is delivered again to the next member.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar, overload

from .. import _json
from .._timeouts import raise_if_cancel_requested
from ..events import EVENT_TYPES, GwsEvent, decode_as, decode_event
from ._balancer import Balancer, BalancerSettings, wait_event
from ._redis import (
    DEFAULT_PREFIX,
    DEFAULT_SHARDS,
    FleetError,
    Redis,
    RedisError,
    connect,
    redis_address,
    text,
    unavailable,
)

__all__ = ["FleetEvents", "FleetMeta", "fleet_events"]

log = logging.getLogger("gws_async.fleet")

E = TypeVar("E", bound=GwsEvent)

_BY_NAME = {cls.__name__: cls for cls in EVENT_TYPES}

DEFAULT_BATCH = 100
"""Entries read from Redis in one call."""


@dataclass(frozen=True)
class FleetMeta:
    """Where the event last yielded by a :class:`FleetEvents` comes from."""

    agent: str
    """The agent's user name."""
    received_at: float
    """When the worker received it (epoch seconds)."""
    token: int
    """The fencing token of the lease the worker held the agent under."""
    resync: bool
    """Read back by ``GwsClient.resync`` when a worker took the agent over, rather than
    notified: GWS keeps no history, so this is the state, not the missed events."""
    entry_id: str
    """The stream entry's id."""
    shard: int


@dataclass(frozen=True)
class _Entry:
    shard: int
    entry_id: bytes
    fields: dict[bytes, bytes]


class FleetEvents(Generic[E]):
    """An ``async with`` / ``async for`` stream of the fleet's events for one member of a
    consumer group; build it with :func:`fleet_events`."""

    def __init__(
        self,
        redis_url: str,
        types: tuple[type[E], ...],
        *,
        group: str,
        consumer: str | None = None,
        check: Callable[[E], bool] | None = None,
        prefix: str = DEFAULT_PREFIX,
        shards: int = DEFAULT_SHARDS,
        settings: BalancerSettings | None = None,
        batch: int = DEFAULT_BATCH,
        block: float = 1.0,
    ) -> None:
        if not group or ":" in group:
            raise ValueError("group must be a non-empty name without ':'")
        if shards < 1 or batch < 1 or block <= 0:
            raise ValueError("shards and batch must be at least 1, block positive")
        self.address = redis_address(redis_url)
        self._redis: Redis = connect(redis_url, timeout=max(2.0, block + 1.0))
        self._types = types
        self._check = check
        self.group = group
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._prefix = prefix
        self._shards = shards
        self._batch = batch
        self._block_ms = round(block * 1000)
        self.balancer = Balancer(
            self._redis,
            member=self.consumer,
            prefix=f"{prefix}group:{group}:",
            items=[str(i) for i in range(shards)],
            start=self._take_shard,
            stop=self._leave_shard,
            settings=settings or BalancerSettings(),
        )
        self._buffer: deque[_Entry] = deque()
        self._to_claim: set[int] = set()
        self._next_sweep = 0.0
        self._groups_made: set[int] = set()
        self._current: _Entry | None = None
        self._current_event: GwsEvent | None = None
        self._acked = asyncio.Event()
        self._to_ack: dict[int, list[bytes]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.malformed = 0
        """Entries that could not be read (bad fields or JSON): logged, acknowledged."""

    def _stream(self, shard: int) -> str:
        return f"{self._prefix}events:{shard}"

    @property
    def shards(self) -> list[int]:
        """The shards this member reads now."""
        return sorted(int(s) for s in self.balancer.held)

    @property
    def current(self) -> FleetMeta | None:
        """Where the event last yielded comes from (None before the first)."""
        entry = self._current
        if entry is None:
            return None
        f = entry.fields
        return FleetMeta(
            agent=text(f[b"agent"]),
            received_at=float(f[b"at"]),
            token=int(f[b"token"]),
            resync=f.get(b"origin") == b"resync",
            entry_id=text(entry.entry_id),
            shard=entry.shard,
        )

    def agent_of(self, event: GwsEvent) -> str:
        """The agent of ``event``, the one last yielded."""
        meta = self.current
        if meta is None or event is not self._current_event:
            raise ValueError("agent_of() answers for the event last yielded only")
        return meta.agent

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> FleetEvents[E]:
        try:
            await self._redis.ping()
        except RedisError as exc:
            await self._redis.aclose()
            raise unavailable(self.address, "PING", exc) from None
        self._tasks = [
            asyncio.create_task(self.balancer.run(), name="gws-fleet-consumer-balancer"),
            asyncio.create_task(self.balancer.listen_for_wakes(), name="gws-fleet-consumer-wakes"),
        ]
        with contextlib.suppress(RedisError):
            await self.balancer.announce()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # An event whose loop body raised stays unacknowledged: it is delivered again.
        if exc_type is None:
            self._ack_current()
        with contextlib.suppress(RedisError):
            await self._send_acks(retry=False)
        self._current = None
        await self.aclose()

    async def aclose(self) -> None:
        """Leave the group at once (the shards go to the other members)."""
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        self.balancer.halt()
        tasks[0].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await tasks[0]
        await self.balancer.leave()
        for task in tasks[1:]:
            task.cancel()
        await asyncio.gather(*tasks[1:], return_exceptions=True)
        await self._redis.aclose()

    # -- shards -----------------------------------------------------------------------------

    def _take_shard(self, item: str, token: int) -> None:
        self._to_claim.add(int(item))

    async def _leave_shard(self, item: str) -> None:
        shard = int(item)
        self._to_claim.discard(shard)
        self._buffer = deque(e for e in self._buffer if e.shard != shard)
        if self._current is not None and self._current.shard == shard:
            # Let the event being handled finish, so the next member does not overtake it.
            self._acked.clear()
            await wait_event(self._acked, self.balancer.settings.margin / 2)
        with contextlib.suppress(RedisError):  # else the next member gets them again
            await self._send_acks(retry=False, shards=(shard,))

    # -- iteration --------------------------------------------------------------------------

    def __aiter__(self) -> FleetEvents[E]:
        return self

    async def __anext__(self) -> E:
        if not self._tasks:
            raise FleetError("the stream is not open: use 'async with fleet_events(...)'")
        self._ack_current()
        while True:
            # redis-py can lose a cancellation (see _timeouts): without this check a
            # consumer whose task was cancelled would read on for ever.
            raise_if_cancel_requested()
            while self._buffer:
                entry = self._buffer.popleft()
                event = self._decode(entry)
                if event is not None:
                    self._current, self._current_event = entry, event
                    return event
                self._ack(entry)
            await self._send_acks(retry=True)
            await self._fill()

    def _decode(self, entry: _Entry) -> E | None:
        try:
            raw = _json.loads(entry.fields[b"raw"])
            topic, name = text(entry.fields[b"topic"]), text(entry.fields[b"type"])
            # Decoded as the worker typed it: a resync's interactions carry no messageType.
            cls = _BY_NAME.get(name)
            event = decode_as(cls, topic, raw) if cls else decode_event(topic, raw)
            text(entry.fields[b"agent"]), float(entry.fields[b"at"]), int(entry.fields[b"token"])
        except (KeyError, ValueError, TypeError) as exc:
            self.malformed += 1
            log.error("stream entry %s is malformed (%s): skipped", text(entry.entry_id), exc)
            return None
        if self._types and not isinstance(event, self._types):
            return None
        if self._check is not None and not self._check(event):  # type: ignore[arg-type]
            return None
        return event  # type: ignore[return-value]

    def _ack_current(self) -> None:
        entry, self._current, self._current_event = self._current, None, None
        if entry is not None:
            self._ack(entry)
        self._acked.set()

    def _ack(self, entry: _Entry) -> None:
        self._to_ack.setdefault(entry.shard, []).append(entry.entry_id)

    async def _send_acks(self, *, retry: bool, shards: tuple[int, ...] | None = None) -> None:
        """Acknowledge what was handled, one round trip for every shard."""
        # Taken out first: the balancer's task may send (a shard given up) meanwhile.
        chosen = {s: self._to_ack.pop(s) for s in list(self._to_ack) if not shards or s in shards}
        if not chosen:
            return

        async def send() -> None:
            async with self._redis.pipeline(transaction=False) as pipe:
                for shard, ids in chosen.items():
                    pipe.xack(self._stream(shard), self.group, *ids)
                await pipe.execute()

        try:
            await (self._with_retry(send) if retry else send())
        except BaseException:
            for shard, ids in chosen.items():  # kept for the next try
                self._to_ack[shard] = ids + self._to_ack.get(shard, [])
            raise

    async def _with_retry(self, call: Callable[[], Any]) -> Any:
        # Redis may be restarting: keep trying, the events are not lost meanwhile.
        delay = 0.1
        while True:
            try:
                return await call()
            except RedisError as exc:
                if "NOGROUP" in str(exc):
                    raise
                raise_if_cancel_requested()
                log.warning("Redis at %s: %s: retrying", self.address, exc)
                await asyncio.sleep(delay)
                delay = min(2.0, delay * 2)

    async def _fill(self) -> None:
        shards = self.shards
        if not shards:
            await asyncio.sleep(min(0.2, self.balancer.settings.tick))
            return
        now = asyncio.get_running_loop().time()
        if now >= self._next_sweep:
            # Nothing is in hand here, so whatever is pending to this member came in a
            # read whose answer was lost (a broken connection, the read resent): take it.
            self._next_sweep = now + self.balancer.settings.tick
            self._to_claim.update(shards)
        try:
            await self._ensure_groups(shards)
            for shard in sorted(self._to_claim & set(shards)):
                await self._claim(shard)
            if self._buffer:
                return
            streams: dict[Any, Any] = {self._stream(s): ">" for s in shards}
            reply: Any = await self._redis.xreadgroup(
                self.group, self.consumer, streams, count=self._batch, block=self._block_ms
            )
        except RedisError as exc:
            if "NOGROUP" in str(exc):
                self._groups_made.clear()  # Redis lost them (a restart without data)
            else:
                log.warning("Redis at %s: %s: retrying", self.address, exc)
                await asyncio.sleep(0.5)
            return
        held = set(self.shards)
        for stream, entries in reply or []:
            shard = int(text(stream).rsplit(":", 1)[1])
            if shard in held:
                self._buffer.extend(_Entry(shard, eid, fields) for eid, fields in entries)

    async def _ensure_groups(self, shards: list[int]) -> None:
        for shard in shards:
            if shard in self._groups_made:
                continue
            try:
                await self._redis.xgroup_create(
                    self._stream(shard), self.group, id="0", mkstream=True
                )
            except RedisError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            self._groups_made.add(shard)

    async def _claim(self, shard: int) -> None:
        cursor: bytes | str = "0-0"
        claimed: list[_Entry] = []
        while True:
            reply = await self._redis.xautoclaim(
                self._stream(shard),
                self.group,
                self.consumer,
                0,
                start_id=cursor,
                count=self._batch,
            )
            cursor, entries = reply[0], reply[1]
            claimed.extend(_Entry(shard, eid, fields) for eid, fields in entries if fields)
            if text(cursor) == "0-0":
                break
        self._to_claim.discard(shard)
        if claimed:
            log.info(
                "%s: claimed %d pending event(s) of shard %d", self.consumer, len(claimed), shard
            )
        self._buffer.extend(claimed)


@overload
def fleet_events(
    redis_url: str, *, group: str, check: Callable[[GwsEvent], bool] | None = None, **options: Any
) -> FleetEvents[GwsEvent]: ...


@overload
def fleet_events(
    redis_url: str,
    *types: type[E],
    group: str,
    check: Callable[[E], bool] | None = None,
    **options: Any,
) -> FleetEvents[E]: ...


def fleet_events(
    redis_url: str,
    *types: type[Any],
    group: str,
    check: Callable[[Any], bool] | None = None,
    **options: Any,
) -> FleetEvents[Any]:
    """The fleet's events for one member of consumer ``group``, like ``gws.events()``::

        events = fleet_events("redis://redis:6379", InteractionStateMessage, group="crm")
        async with events:
            async for event in events:          # typed, in order per agent
                agent = events.agent_of(event)
                ...                             # acknowledged when the body returns

    Args:
        redis_url: the Redis the workers write to.
        types: only events of these classes (the others are acknowledged and skipped).
        group: the consumer group: its members share the events, each event handled by one.
        check: only events for which this returns true (the others are skipped).
        options: ``consumer`` (this member's name; host, pid and a random suffix by
            default), ``prefix`` (``gws:``), ``shards`` (16, as the workers),
            ``settings`` (lease timings: a crashed member's shards move after ``ttl``,
            10 s), ``batch`` (entries per read, 100), ``block`` (seconds a read waits, 1).
    """
    return FleetEvents(redis_url, types, group=group, check=check, **options)
