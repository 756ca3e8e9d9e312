"""Append a worker's events to the sharded Redis streams, riding out Redis outages.

Each event becomes one stream entry (see :data:`FIELDS`) on the shard of its agent,
appended by a script that first checks the worker still holds the agent's lease, so an
owner that lost an agent cannot write after the new owner (the entry is counted as
``fenced`` instead). One task sends the buffer in order, everything buffered (up to
:data:`BATCH` entries) in one script run per round trip: however busy the event loop,
each round trip carries what the agents queued meanwhile, and a worker uses one Redis
connection for its appends whatever its number of agents.

Entries wait in a bounded buffer while Redis is unreachable and are sent, in order,
when it is back; when the buffer is full new events are dropped and counted, per
agent, in the worker's :attr:`Publisher.dropped` and in the Redis hash
``{prefix}dropped`` once Redis answers again (so are events lost before they reached
the buffer, see :meth:`Publisher.count_lost`).

A batch whose answer is lost (the connection broke after sending) is sent again with
the same batch id; the script remembers the last id it applied per worker (the key
``{prefix}sent:{worker}``, kept :data:`MARKER_TTL` seconds), so a rerun neither appends
nor counts twice.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from .. import _json
from .._timeouts import raise_if_cancel_requested
from ..events import GwsEvent
from ._redis import FENCED_APPEND, Redis, RedisError, shard_of

__all__ = ["DEFAULT_BUFFER", "DEFAULT_MAXLEN", "FIELDS", "Publisher"]

log = logging.getLogger("gws_async.fleet")

DEFAULT_MAXLEN = 100_000
"""Entries kept per shard stream (approximately: Redis trims in whole nodes)."""

DEFAULT_BUFFER = 10_000
"""Events a worker holds while Redis is unreachable before it drops new ones."""

BATCH = 10_000
"""Entries sent in one round trip (one script run) at most. A worker whose event loop is
slow (CPU-starved, or holding many agents) gets few round trips per second, so each must
carry what the agents queued meanwhile; Redis runs a full batch in about 50 ms."""

MARKER_TTL = 86_400.0
"""Seconds Redis remembers a worker's last batch id (to answer a rerun of it)."""

FIELDS = ("agent", "topic", "type", "raw", "at", "token", "origin")
"""The fields of a stream entry: the agent's user name, the Bayeux topic, the event
class name, the payload as JSON, the receive time (epoch seconds), the fencing token of
the lease it was received under, and ``live`` or ``resync`` (read back by
``GwsClient.resync`` when the agent was taken over)."""


@dataclass(frozen=True)
class _Entry:
    agent: str
    lease: str
    stream: str
    values: tuple[str, ...]
    """The values of :data:`FIELDS`, in order."""


class Publisher:
    """The worker's buffer and sender of stream entries."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        shards: int,
        holds: Callable[[str, str], bool],
        lease_key: Callable[[str], str],
        member: str = "",
        maxlen: int = DEFAULT_MAXLEN,
        buffer: int = DEFAULT_BUFFER,
    ) -> None:
        if shards < 1 or maxlen < 1 or buffer < 1:
            raise ValueError("shards, maxlen and buffer must be at least 1")
        self._redis = redis
        self._prefix = prefix
        self._shards = shards
        self._holds = holds
        self._lease_key = lease_key
        self._marker = f"{prefix}sent:{member or uuid.uuid4().hex}"
        self._run_id = uuid.uuid4().hex[:12]  # a restarted worker of the same name differs
        self._batches = itertools.count(1)
        self._maxlen = str(maxlen)
        self._limit = buffer
        self._queue: deque[_Entry] = deque()
        self._ready = asyncio.Event()
        self._script = redis.register_script(FENCED_APPEND)
        # The batch being sent: its id, entry count and drop counts, until Redis answers.
        self._inflight: tuple[str, int, Counter[str]] | None = None
        self.published = 0
        """Entries appended."""
        self.fenced = 0
        """Entries not appended because the agent's lease was no longer this worker's."""
        self.dropped: Counter[str] = Counter()
        """Events lost per agent: the buffer was full, or :meth:`count_lost`."""
        self._unreported: Counter[str] = Counter()
        self.closing = False
        """Set before :meth:`run` is cancelled (see ``Balancer.closing``)."""

    @property
    def buffered(self) -> int:
        """Entries waiting to be sent."""
        return len(self._queue)

    def stream_key(self, agent: str) -> str:
        """The shard stream of ``agent``'s events."""
        return f"{self._prefix}events:{shard_of(agent, self._shards)}"

    def add(
        self, agent: str, lease: str, token: int, event: GwsEvent, origin: str = "live"
    ) -> None:
        """Queue ``event`` of ``agent``, received under the lease ``lease``/``token``."""
        if len(self._queue) >= self._limit:
            if not self.dropped[agent] % 1000:
                log.error("event buffer full (%d): dropping events of %s", self._limit, agent)
            self.count_lost(agent, 1)
            return
        values = (
            agent, event.topic, type(event).__name__, _json.dumps(event.raw).decode(),
            repr(time.time()), str(token), origin,
        )  # fmt: skip
        self._queue.append(_Entry(agent, lease, self.stream_key(agent), values))
        self._ready.set()

    def count_lost(self, agent: str, count: int) -> None:
        """Count ``count`` events of ``agent`` lost before they reached the buffer (the
        caller logs why); reported to Redis with the next batch."""
        if count > 0:
            self.dropped[agent] += count
            self._unreported[agent] += count
            self._ready.set()

    async def run(self) -> None:
        """Send buffered entries until cancelled, retrying while Redis is unreachable."""
        failures = 0
        while not self.closing:
            raise_if_cancel_requested()  # redis-py may have lost it (see _timeouts)
            if not self._queue and not self._unreported and self._inflight is None:
                self._ready.clear()
                await self._ready.wait()
            try:
                progressed = await self._send_batch()
                failures = 0
            except RedisError as exc:
                if not failures:
                    log.error("cannot append events (%d buffered): %s", len(self._queue), exc)
                failures += 1
                progressed = False
            if not progressed:
                await asyncio.sleep(min(2.0, 0.1 * 2 ** min(failures, 5)))

    async def _send_batch(self) -> bool:
        if self._inflight is None:
            drops, self._unreported = self._unreported, Counter()
            batch_id = f"{self._run_id}:{next(self._batches)}"
            self._inflight = (batch_id, min(BATCH, len(self._queue)), drops)
        batch_id, size, drops = self._inflight
        batch = list(itertools.islice(self._queue, size))
        keys, args = self._script_input(batch_id, batch, drops)
        codes = await self._script(keys=keys, args=args)
        self._inflight = None
        kept: list[_Entry] = []
        for entry, code in zip(batch, codes.decode(), strict=True):
            if code == "A":
                self.published += 1
            elif code == "M" and self._holds(entry.agent, entry.lease):
                kept.append(entry)  # the lease key is gone for now: wait for the renewal
            else:
                self.fenced += 1
        for _ in batch:
            self._queue.popleft()
        self._queue.extendleft(reversed(kept))
        return not batch or len(kept) < len(batch)

    def _script_input(
        self, batch_id: str, batch: list[_Entry], drops: Counter[str]
    ) -> tuple[list[str], list[str | bytes]]:
        keys = [self._marker, f"{self._prefix}dropped"]
        index: dict[str, int] = {}

        def key(name: str) -> int:
            found = index.get(name)
            if found is None:
                keys.append(name)
                found = index[name] = len(keys)  # Lua counts from 1
            return found

        entries = [
            [key(self._lease_key(e.agent)), key(e.stream), e.lease, *e.values] for e in batch
        ]
        args: list[str | bytes] = [
            batch_id, self._maxlen, str(round(MARKER_TTL * 1000)),
            _json.dumps([[agent, str(count)] for agent, count in drops.items()]),
            _json.dumps(entries),
        ]  # fmt: skip
        return keys, args

    async def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the buffer to empty; True if it did."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (self._queue or self._inflight) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        return not self._queue and self._inflight is None
