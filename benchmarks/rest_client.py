"""REST operations per second through one client (measure 5).

``python -m benchmarks.rest_client --sim URL --seconds S --concurrency C [C ...]``

For each concurrency C, two ways are timed for ``S`` seconds each (two alternating
halves, the better half kept), C operations in flight at a time:

* ``warm``: one ``GwsClient`` (logged in once), its pool kept warm: ``await
  gws.get_me()`` again and again;
* ``cold`` (the baseline): a new session per request: ``async with GwsClient(...)``,
  whose ``open()`` is that same ``GET /me``, then ``close()`` (new TCP connection, new
  GWS HTTP session and CSRF token each time).

Prints ``RESULT {json}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from gws_async import GwsClient

USER, PASSWORD = "agent0", "pw0"


async def _drive(
    operation: Callable[[], Awaitable[Any]], seconds: float, concurrency: int
) -> dict[str, float]:
    count = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal count
        while time.perf_counter() < stop_at:
            await operation()
            count += 1

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu1, wall1 = time.process_time(), time.perf_counter()
    return {
        "ops": count,
        "ops_per_second": count / (wall1 - wall0),
        "cpu_us_per_op": (cpu1 - cpu0) / max(1, count) * 1e6,
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with GwsClient(args.sim, USER, PASSWORD, limit=max(args.concurrency) + 10) as gws:

        async def warm() -> None:
            await gws.get_me()

        async def cold() -> None:
            async with GwsClient(args.sim, USER, PASSWORD):
                pass  # open() is GET /me

        for _ in range(50):  # warm-up: pool, validators, simulator
            await warm()
            await cold()
        for concurrency in args.concurrency:
            # Two alternating halves each, the better one kept: a neighbour's burst of
            # activity on the machine then spoils one half, not the figure.
            runs: dict[str, list[dict[str, float]]] = {"warm": [], "cold": []}
            for _ in range(2):
                runs["warm"].append(await _drive(warm, args.seconds / 2, concurrency))
                runs["cold"].append(await _drive(cold, args.seconds / 2, concurrency))
            results[str(concurrency)] = {
                key: max(found, key=lambda r: r["ops_per_second"]) for key, found in runs.items()
            }
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rest_client")
    parser.add_argument("--sim", required=True)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    outcome = asyncio.run(main(parser.parse_args()))
    print("RESULT " + json.dumps(outcome), flush=True)
