"""Append a worker's events to the sharded Redis streams, riding out Redis outages.

Each event becomes one stream entry (see :data:`FIELDS`) on the shard of its agent,
appended by a script that first checks the worker still holds the agent's lease, so an
owner that lost an agent cannot write after the new owner (the entry is counted as
``fenced`` instead). Entries wait in a bounded buffer while Redis is unreachable and are
sent, in order, when it is back; when the buffer is full new events are dropped and
counted, per agent, in the worker's :attr:`Publisher.dropped` and in the Redis hash
``{prefix}dropped`` once Redis answers again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from .. import _json
from ..events import GwsEvent
from ._redis import FENCED_XADD, Redis, RedisError, shard_of

__all__ = ["DEFAULT_BUFFER", "DEFAULT_MAXLEN", "FIELDS", "Publisher"]

log = logging.getLogger("gws_async.fleet")

DEFAULT_MAXLEN = 100_000
"""Entries kept per shard stream (approximately: Redis trims in whole nodes)."""

DEFAULT_BUFFER = 10_000
"""Events a worker holds while Redis is unreachable before it drops new ones."""

BATCH = 500
"""Entries sent in one round trip."""

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
    fields: tuple[str | bytes, ...]


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
        self._maxlen = str(maxlen)
        self._limit = buffer
        self._queue: deque[_Entry] = deque()
        self._ready = asyncio.Event()
        self._script = redis.register_script(FENCED_XADD)
        self.published = 0
        """Entries appended."""
        self.fenced = 0
        """Entries not appended because the agent's lease was no longer this worker's."""
        self.dropped: Counter[str] = Counter()
        """Events dropped per agent because the buffer was full."""
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
            self.dropped[agent] += 1
            self._unreported[agent] += 1
            return
        fields: tuple[str | bytes, ...] = (
            "agent", agent, "topic", event.topic, "type", type(event).__name__,
            "raw", _json.dumps(event.raw), "at", repr(time.time()), "token", str(token),
            "origin", origin,
        )  # fmt: skip
        self._queue.append(_Entry(agent, lease, self.stream_key(agent), fields))
        self._ready.set()

    async def run(self) -> None:
        """Send buffered entries until cancelled, retrying while Redis is unreachable."""
        failures = 0
        while not self.closing:
            if not self._queue:
                self._ready.clear()
                await self._ready.wait()
            try:
                progressed = await self._send_batch()
                await self._report_drops()
                failures = 0
            except RedisError as exc:
                if not failures:
                    log.error("cannot append events (%d buffered): %s", len(self._queue), exc)
                failures += 1
                progressed = False
            if not progressed:
                await asyncio.sleep(min(2.0, 0.1 * 2 ** min(failures, 5)))

    async def _send_batch(self) -> bool:
        batch = [self._queue[i] for i in range(min(BATCH, len(self._queue)))]
        async with self._redis.pipeline(transaction=True) as pipe:
            for entry in batch:
                keys = [self._lease_key(entry.agent), entry.stream]
                await self._script(
                    keys=keys, args=[entry.lease, self._maxlen, *entry.fields], client=pipe
                )
            results = await pipe.execute()
        kept: list[_Entry] = []
        for entry, result in zip(batch, results, strict=True):
            if isinstance(result, bytes):
                self.published += 1
            elif result == -1 and self._holds(entry.agent, entry.lease):
                kept.append(entry)  # the lease key is gone for now: wait for the renewal
            else:
                self.fenced += 1
        for _ in batch:
            self._queue.popleft()
        self._queue.extendleft(reversed(kept))
        return len(kept) < len(batch)

    async def _report_drops(self) -> None:
        if not self._unreported:
            return
        counts, self._unreported = self._unreported, Counter()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for agent, count in counts.items():
                    pipe.hincrby(f"{self._prefix}dropped", agent, count)
                await pipe.execute()
        except RedisError:
            self._unreported.update(counts)
            raise

    async def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the buffer to empty; True if it did."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._queue and loop.time() < deadline:  # noqa: ASYNC110 - bounded, rare
            await asyncio.sleep(0.02)
        return not self._queue
