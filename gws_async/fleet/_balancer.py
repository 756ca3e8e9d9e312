"""Share a fixed set of items (agents, or event shards) among the live members of a group,
each item held by at most one member at a time through a lease in Redis.

A member heartbeats into a sorted set, renews the leases it holds, and evens out: with
``n`` live members its share is ``ceil(items / n)``; above it the member gives items
back, below it the member takes free ones (in an order of its own, so members starting
together do not all reach for the same items).

The safety rule: a member that has not renewed successfully for ``ttl - margin`` seconds
(it lost Redis, or it was stalled) stops every item first, before any lease can lapse
and another member take it over. ``margin`` must therefore exceed the time ``stop``
takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from .._timeouts import raise_if_cancel_requested, wait_for
from ._redis import ACQUIRE, RELEASE, TICK, Redis, RedisError, text

__all__ = ["Balancer", "BalancerSettings"]

log = logging.getLogger("gws_async.fleet")


@dataclass(frozen=True)
class BalancerSettings:
    """Timings of a lease group (seconds).

    Attributes:
        ttl: lease and heartbeat lifetime (default 10 s): a member that dies loses its
            items after at most this long.
        margin: a member that has not renewed for ``ttl - margin`` stops its items
            (default 3 s; more than stopping one takes).
        tick: time between two renewals and rebalancing rounds (default 1 s).
        cooldown: seconds an item that failed to start is left alone by this member
            (default 30 s), so a wrong password does not loop.
    """

    ttl: float = 10.0
    margin: float = 3.0
    tick: float = 1.0
    cooldown: float = 30.0

    def __post_init__(self) -> None:
        if self.tick <= 0 or self.margin <= 0 or self.cooldown < 0:
            raise ValueError("tick and margin must be positive, cooldown not negative")
        if self.ttl - self.margin < 2 * self.tick:
            raise ValueError("ttl - margin must leave room for two ticks")


@dataclass
class _Held:
    value: str
    token: int
    acquired: float


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """Wait for ``event`` at most ``timeout`` seconds; whether it is set."""
    try:
        await wait_for(event.wait(), timeout)
    except asyncio.TimeoutError:
        return event.is_set()
    return True


Starter = Callable[[str, int], None]
Stopper = Callable[[str], Awaitable[None]]


class Balancer:
    """One member's side of a lease group over ``items``.

    ``start(item, token)`` is called (synchronously: it should start a task) for each
    item taken; ``stop(item)`` is awaited before an item is given back, or when its
    lease is lost or about to lapse.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        member: str,
        prefix: str,
        items: Sequence[str],
        start: Starter,
        stop: Stopper,
        settings: BalancerSettings,
    ) -> None:
        self._redis = redis
        self.member = member
        self._prefix = prefix
        self.items = list(dict.fromkeys(items))
        self._start = start
        self._stop = stop
        self.settings = settings
        self.held: dict[str, _Held] = {}
        self.live_members = 0
        self._cooldown: dict[str, float] = {}
        self._last_ok: float | None = None
        self._quiet_until = 0.0
        self._wake = asyncio.Event()
        self._healthy = True
        # Set before the loops are cancelled: redis-py can lose a cancellation that hits
        # a command (see _timeouts), and on Python 3.10 the loops cannot tell.
        self.closing = False
        self._acquire = redis.register_script(ACQUIRE)
        self._tick = redis.register_script(TICK)
        self._release = redis.register_script(RELEASE)
        # Each member walks the items in an order of its own.
        self._order = sorted(self.items, key=lambda i: zlib.crc32(f"{member}|{i}".encode()))

    @property
    def members_key(self) -> str:
        """The sorted set of live members."""
        return f"{self._prefix}members"

    @property
    def wake_channel(self) -> str:
        """The pub/sub channel that makes members rebalance now."""
        return f"{self._prefix}wake"

    def lease_key(self, item: str) -> str:
        """The lease key of ``item``."""
        return f"{self._prefix}lease:{item}"

    def fence_key(self, item: str) -> str:
        """The fencing counter of ``item``."""
        return f"{self._prefix}fence:{item}"

    def value_of(self, item: str) -> str | None:
        """The lease value this member holds for ``item``, if it holds it."""
        held = self.held.get(item)
        return held.value if held else None

    def wake(self) -> None:
        """Rebalance now rather than at the next tick."""
        self._wake.set()

    def cool_down(self, item: str, seconds: float | None = None) -> None:
        """Leave ``item`` alone for ``seconds`` (the settings' cooldown by default)."""
        delay = self.settings.cooldown if seconds is None else seconds
        self._cooldown[item] = asyncio.get_running_loop().time() + delay

    # -- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Heartbeat, renew and rebalance every tick until cancelled; a watchdog stops
        every item when renewals stop succeeding."""
        watchdog = asyncio.create_task(self._watchdog(), name=f"gws-fleet-watchdog:{self.member}")
        try:
            first = True
            while not self.closing:
                raise_if_cancel_requested()  # redis-py may have lost it (see _timeouts)
                try:
                    await self.tick(acquire=not first)
                    first = False
                    if not self._healthy:
                        log.warning("%s: Redis is reachable again", self.member)
                        self._healthy = True
                except RedisError as exc:
                    if self._healthy:
                        log.error("%s: Redis failed: %s: %s", self.member, type(exc).__name__, exc)
                        self._healthy = False
                self._wake.clear()
                await wait_event(self._wake, self.settings.tick)
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog

    async def tick(self, *, acquire: bool = True) -> None:
        """One round: heartbeat, renew, then give back a surplus or take a deficit. The
        first round of a member only announces it, so members started together see each
        other before taking items."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        ttl_ms = str(round(self.settings.ttl * 1000))
        items = list(self.held.items())
        live, added, results = await self._tick(
            keys=[self.members_key, *(self.lease_key(item) for item, _ in items)],
            args=[self.member, ttl_ms, *(held.value for _, held in items)],
        )
        self.live_members = int(live)
        if (self._last_ok is not None and int(added)) or 2 in results:
            # Redis lost its data (a restart without persistence): every lease key is
            # gone, and each holder takes its own back at its next renewal. Taking free
            # items before then would log agents out under their holders.
            if loop.time() >= self._quiet_until:
                log.warning(
                    "%s: Redis lost its data: leases are kept by their holders; this member "
                    "takes no free item for %.0f s", self.member, self.settings.ttl,
                )  # fmt: skip
            self._quiet_until = loop.time() + self.settings.ttl
        self._last_ok = began
        for (item, held), result in zip(items, results, strict=True):
            if int(result) == 0 and self.held.get(item) is held:
                log.error("%s: lost the lease of %s to another member", self.member, item)
                del self.held[item]
                await self._stop(item)
        if acquire:
            await self._balance()

    async def _balance(self) -> None:
        if asyncio.get_running_loop().time() < self._quiet_until:
            return
        share = math.ceil(len(self.items) / max(1, self.live_members))
        surplus = len(self.held) - share
        if surplus > 0:
            ranked = sorted(self.held, key=self._order.index)
            await self.release_many(ranked[-surplus:])
        elif surplus < 0:
            await self._take(-surplus)

    async def _take(self, wanted: int) -> None:
        now = asyncio.get_running_loop().time()
        self._cooldown = {i: t for i, t in self._cooldown.items() if t > now}
        candidates = [i for i in self._order if i not in self.held and i not in self._cooldown]
        if not candidates:
            return
        ttl_ms = str(round(self.settings.ttl * 1000))
        keys = [key for item in candidates for key in (self.lease_key(item), self.fence_key(item))]
        tokens = await self._acquire(keys=keys, args=[self.member, ttl_ms, str(wanted)])
        for item, token in zip(candidates, tokens, strict=True):
            if token is None:
                continue  # another member was quicker
            self.held[item] = _Held(f"{self.member}:{int(token)}", int(token), now)
            self._start(item, int(token))

    async def release(self, item: str) -> None:
        """Stop ``item``, then give its lease back (if Redis can be reached)."""
        await self.release_many([item])

    async def release_many(self, items: Sequence[str]) -> None:
        """Stop ``items`` (concurrently), then give their leases back in one round trip:
        one connection whatever their number. A lease that cannot be given back (Redis
        unreachable) lapses by itself after ``ttl``."""
        released = [(item, held) for item in items if (held := self.held.pop(item, None))]
        if not released:
            return
        await asyncio.gather(*(self._stop(item) for item, _ in released))
        try:
            await self._release(
                keys=[self.lease_key(item) for item, _ in released],
                args=[held.value for _, held in released],
            )
        except RedisError as exc:
            names = ", ".join(item for item, _ in released[:5])
            more = f" and {len(released) - 5} more" if len(released) > 5 else ""
            log.warning(
                "%s: could not release %s%s (they lapse by themselves within %.0f s): %s",
                self.member, names, more, self.settings.ttl, exc,
            )  # fmt: skip

    def halt(self) -> None:
        """Make :meth:`run` and :meth:`listen_for_wakes` return (cancel them too)."""
        self.closing = True
        self._wake.set()

    async def leave(self) -> None:
        """Give everything back and leave the group at once, waking the other members."""
        await self.release_many(list(self.held))
        with contextlib.suppress(RedisError):
            await self._redis.zrem(self.members_key, self.member)
            await self._redis.publish(self.wake_channel, self.member)

    async def _watchdog(self) -> None:
        loop = asyncio.get_running_loop()
        limit = self.settings.ttl - self.settings.margin
        while True:
            await asyncio.sleep(min(0.2, self.settings.tick / 2))
            if self.held and self._last_ok is not None and loop.time() - self._last_ok > limit:
                items = list(self.held)
                log.error(
                    "%s: no renewal for %.1f s: stopping %d item(s) before their leases lapse",
                    self.member,
                    loop.time() - self._last_ok,
                    len(items),
                )
                self.held.clear()
                await asyncio.gather(*(self._stop(item) for item in items))

    async def listen_for_wakes(self) -> None:
        """Rebalance when another member joins or leaves (pub/sub); reconnects on loss."""
        while not self.closing:
            raise_if_cancel_requested()
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.wake_channel)
                async for message in pubsub.listen():
                    if message.get("type") == "message" and text(message["data"]) != self.member:
                        self._wake.set()
            except RedisError:
                await asyncio.sleep(self.settings.tick)
            finally:
                with contextlib.suppress(RedisError, RuntimeError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def announce(self) -> None:
        """Tell the other members to rebalance now (after joining)."""
        await self._redis.publish(self.wake_channel, self.member)
