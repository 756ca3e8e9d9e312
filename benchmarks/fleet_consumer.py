"""One member of a fleet consumer group, counting what the workers fanned out: the
consumer side of the fleet measure.

``python -m benchmarks.fleet_consumer --redis URL --expected N --timeout S``

Joins group ``bench``, waits until it holds every shard, prints ``READY``, then reads
``WorkbinStateChangeMessage``s until it has ``N`` or ``S`` seconds have passed (or 10 s
without an event once the first came), and prints one ``RESULT {json}``: events, agents,
order per agent, why it stopped (``all``, ``timeout``, ``idle``), first and last arrival
(epoch ms), p50/p99 latency from the publisher's ``sentAt`` to this loop body, and this
process's CPU seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from gws_async.events import WorkbinStateChangeMessage
from gws_async.fleet import DEFAULT_SHARDS, fleet_events

from ._common import percentile

IDLE_AFTER_FIRST = 10.0  # seconds without an event, once one came, before giving up


async def main(args: argparse.Namespace) -> dict[str, Any]:
    events = fleet_events(args.redis, WorkbinStateChangeMessage, group="bench", consumer="c0")
    latencies: list[float] = []
    expected_seq: dict[str, int] = {}
    reordered = 0  # an event older than one already handled for its agent
    gaps = 0  # events skipped over (dropped and counted by a worker, or lost)
    first = last = 0.0
    async with events:
        deadline = time.monotonic() + 30
        while len(events.shards) < DEFAULT_SHARDS and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # the balancer takes the shards on its own ticks
        print(f"READY {len(events.shards)}", flush=True)
        cpu0 = time.process_time()
        stop_at = time.monotonic() + args.timeout
        iterator = aiter(events)
        ended = "all"
        while len(latencies) < args.expected:
            left = stop_at - time.monotonic()
            wait = min(left, IDLE_AFTER_FIRST) if latencies else left
            if left <= 0:
                ended = "timeout"
                break
            try:
                event = await asyncio.wait_for(anext(iterator), wait)
            except asyncio.TimeoutError:
                ended = "timeout" if wait >= left else "idle"
                break
            at = time.time() * 1000.0
            extra = event.model_extra or {}
            meta = events.current
            agent = meta.agent if meta is not None else "?"
            seq = int(extra.get("seq", -2))
            want = expected_seq.get(agent, 0)
            if seq < want:
                reordered += 1
            else:
                gaps += seq - want
                expected_seq[agent] = seq + 1
            latencies.append(at - float(extra.get("sentAt", at)))
            first = first or at
            last = at
        cpu = time.process_time() - cpu0
    return {
        "events": len(latencies),
        "agents": len(expected_seq),
        "in_order": reordered == 0,
        "reordered": reordered,
        "gaps": gaps,
        "ended": ended,
        "first_ms": first,
        "last_ms": last,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p99_ms": percentile(latencies, 99),
        "latency_max_ms": max(latencies) if latencies else float("nan"),
        "cpu_seconds": cpu,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet_consumer")
    parser.add_argument("--redis", required=True)
    parser.add_argument("--expected", type=int, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    outcome = asyncio.run(main(parser.parse_args()))
    print("RESULT " + json.dumps(outcome), flush=True)
