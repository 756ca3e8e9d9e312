"""Exponential backoff with jitter, reset after a success."""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["Backoff"]


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
