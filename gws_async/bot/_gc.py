"""Collector tuning for a process the library runs (:meth:`Bot.run`): never applied behind
a library user's back, only where gws-async owns the event loop's whole life.

A burst of notifications allocates many short-lived objects (parsed JSON, events), and
CPython's default collector then runs a full collection every few thousand of them over
every object of the program. Two changes, both undone on exit:

* ``gc.freeze()`` once set up: what the program imported and built so far is never
  scanned again;
* a generation-0 threshold of :data:`GC_GEN0_THRESHOLD` (CPython's default is 700): young
  collections are rarer, so fewer survivors are promoted to the costly older generations.

Measured on the 20,000-message burst: 1.67x the messages per second of the default
collector, same run (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Final

__all__ = ["GC_GEN0_THRESHOLD", "gc_tuned"]

GC_GEN0_THRESHOLD: Final = 50_000
"""Allocations between two young collections while tuned (default 50,000)."""


@contextlib.contextmanager
def gc_tuned(enabled: bool = True) -> Iterator[None]:
    """Within: the collector tuned as described above (nothing when not ``enabled``);
    the previous thresholds are restored and the frozen objects released on exit."""
    if not enabled:
        yield
        return
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, thresholds[1], thresholds[2])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
