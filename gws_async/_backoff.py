"""Exponential backoff with jitter, reset after a success, and a backoff wait that ends
early once a server that was down is reachable again."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Final

from ._timeouts import wait_for

__all__ = ["PROBE_EVERY", "Backoff", "sleep_until_back"]

#: Seconds between two reachability probes while a refusing server is waited for: a
#: restarted server is noticed within this long (plus one probe's time).
PROBE_EVERY: Final = 0.25


class Backoff:
    """Delays for retrying after connection errors.

    The n-th consecutive failure waits a random time in ``[d/2, d]`` where
    ``d = min(maximum, base * factor**n)``: "equal jitter", which spreads a fleet of bots
    reconnecting to a restarted GWS node while keeping a floor so none spins.
    """

    def __init__(
        self,
        base: float = 0.5,
        factor: float = 2.0,
        maximum: float = 30.0,
        *,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if base <= 0 or factor < 1 or maximum < base:
            raise ValueError("need base > 0, factor >= 1 and maximum >= base")
        self.base = base
        self.factor = factor
        self.maximum = maximum
        self._rand = rand
        self.failures = 0

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before the next try."""
        ceiling = min(self.maximum, self.base * self.factor ** min(self.failures, 64))
        self.failures += 1
        return ceiling / 2 + self._rand() * ceiling / 2

    def reset(self) -> None:
        """Forget past failures, after a success."""
        self.failures = 0


async def sleep_until_back(
    delay: float, probe: Callable[[], Awaitable[bool]], *, every: float = PROBE_EVERY
) -> None:
    """Sleep ``delay`` seconds, or less: return as soon as ``probe()`` says the server is
    reachable after having said it was not.

    ``probe`` is awaited at once and then every ``every`` seconds; it should be cheap (a
    TCP connect, not a request). Only a change from unreachable to reachable ends the
    wait early, so a server that accepts connections but answers badly (or hangs) still
    gets the whole backoff.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + delay
    seen_down = False
    while (remaining := deadline - loop.time()) > 0:
        next_probe = loop.time() + every
        try:
            reachable = await wait_for(probe(), min(every, remaining))
        except asyncio.TimeoutError:
            reachable = False
        if reachable and seen_down:
            return
        seen_down = seen_down or not reachable
        await asyncio.sleep(max(0.0, min(next_probe, deadline) - loop.time()))
