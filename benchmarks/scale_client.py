"""N agents in one process, each its own GwsClient and Bayeux session, over one shared
connection pool: the client side of measure 4.

``python -m benchmarks.scale_client --sim URL --control URL --agents N --rate R
--duration S --idle S [--tracemalloc]``

Prints progress lines and one ``RESULT {json}``. Memory is this process's RSS: measured
after a warm-up client has come and gone (so that imports and lazily built validators
are in the baseline), then with every agent connected and idle. ``--tracemalloc`` adds
the lines that allocated what the idle agents hold (a profile for the memory target); the
result also carries the garbage collector's share of the CPU time under load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import time
import tracemalloc
from typing import Any

import aiohttp

from gws_async import GwsClient
from gws_async._streams import EventStream
from gws_async.events import WorkbinStateChangeMessage

from ._common import percentile, proc_rss_kib
from ._profile import GcTimer

OPEN_CONCURRENCY = 50


class Agent:
    def __init__(self, index: int, session: aiohttp.ClientSession, sim_url: str) -> None:
        self.name = f"agent{index}"
        self.session = session
        self.gws = GwsClient(sim_url, self.name, f"pw{index}", session=session)
        self.stream: EventStream[WorkbinStateChangeMessage] | None = None
        self.task: asyncio.Task[None] | None = None
        self.received = 0
        self.expected = 0
        self.in_order = True
        self.last_at = 0.0
        self.arrivals: list[tuple[float, float]] = []

    async def start(self, latencies: list[float]) -> None:
        await self.gws.open()
        stream = self.gws.events(WorkbinStateChangeMessage)
        await stream.__aenter__()  # subscribes to /v2/me/workbins
        self.stream = stream
        self.task = asyncio.create_task(self._consume(stream, latencies))

    async def _consume(
        self, stream: EventStream[WorkbinStateChangeMessage], latencies: list[float]
    ) -> None:
        async for event in stream:
            at = time.time() * 1000.0
            extra = event.model_extra or {}
            if extra.get("seq") != self.expected:
                self.in_order = False
            self.expected = int(extra.get("seq", -2)) + 1
            self.received += 1
            self.last_at = at
            latency = at - float(extra.get("sentAt", at))
            latencies.append(latency)
            self.arrivals.append((at, latency))

    async def stop(self) -> None:
        if self.stream is not None:
            await self.stream.aclose()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.gws.close()
        await self.session.close()


def _by_second(agents: list[Agent]) -> list[list[float]]:
    arrivals = [sample for a in agents for sample in a.arrivals]
    if not arrivals:
        return []
    start = min(at for at, _ in arrivals)
    buckets: dict[int, list[float]] = {}
    for at, latency in arrivals:
        buckets.setdefault(int((at - start) / 1000), []).append(latency)
    return [[k, len(v), round(percentile(v, 50), 1)] for k, v in sorted(buckets.items())]


def _top_allocations(agents: int, top: int = 12) -> dict[str, Any]:
    """What the agents hold, by the line that allocated it: bytes per agent, blocks."""
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    stats = snapshot.statistics("lineno")
    lines = [
        [f"{s.traceback[0].filename}:{s.traceback[0].lineno}", s.size / agents, s.count]
        for s in stats[:top]
    ]
    return {"bytes_per_agent": sum(s.size for s in stats) / agents, "top": lines}


async def _status(http: aiohttp.ClientSession, control: str) -> dict[str, Any]:
    async with http.get(f"{control}/status") as response:
        value: dict[str, Any] = await response.json()
        return value


def _say(text: str) -> None:
    print(text, flush=True)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    n = args.agents
    # One pool for every agent; each agent holds one long poll, so the limit must exceed N.
    connector = aiohttp.TCPConnector(limit=n + 100)
    control_http = aiohttp.ClientSession()
    latencies: list[float] = []
    agents: list[Agent] = []
    result: dict[str, Any] = {"agents": n}
    try:
        # Warm-up: one agent comes and goes, so that what every client shares (imports,
        # validators, the pool's structures) is in the baseline.
        warm = Agent(
            0,
            aiohttp.ClientSession(
                connector=connector,
                connector_owner=False,
                cookie_jar=aiohttp.CookieJar(unsafe=True),
            ),
            args.sim,
        )
        await warm.start([])
        await asyncio.sleep(0.5)
        await warm.stop()
        await asyncio.sleep(0.5)
        gc.collect()
        rss_base = proc_rss_kib()
        result["rss_base_kib"] = rss_base
        if args.tracemalloc:
            tracemalloc.start()

        started = time.perf_counter()
        semaphore = asyncio.Semaphore(OPEN_CONCURRENCY)

        async def open_one(index: int) -> Agent:
            async with semaphore:
                session = aiohttp.ClientSession(
                    connector=connector,
                    connector_owner=False,
                    cookie_jar=aiohttp.CookieJar(unsafe=True),
                )
                agent = Agent(index, session, args.sim)
                await agent.start(latencies)
                return agent

        agents = list(await asyncio.gather(*(open_one(i) for i in range(n))))
        deadline = time.monotonic() + 120
        while True:
            status = await _status(control_http, args.control)
            if status["held"] >= n or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        result["connect_seconds"] = time.perf_counter() - started
        result["held_after_connect"] = status["held"]
        _say(f"PROGRESS {n} agents connected in {result['connect_seconds']:.1f} s")

        # Idle: every agent holds its long poll.
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(args.idle)
        cpu1, wall1 = time.process_time(), time.perf_counter()
        gc.collect()
        rss_idle = proc_rss_kib()
        result["idle_cpu_percent"] = (cpu1 - cpu0) / (wall1 - wall0) * 100
        result["rss_idle_kib"] = rss_idle
        result["kib_per_idle_agent"] = (rss_idle - rss_base) / n
        result["held_when_idle"] = (await _status(control_http, args.control))["held"]
        if args.tracemalloc:
            result["tracemalloc"] = _top_allocations(n)
        _say(f"PROGRESS idle: {result['kib_per_idle_agent']:.1f} KiB per agent")
        timer = GcTimer()

        # Load: rate events per agent per second for duration seconds.
        per_agent = round(args.rate * args.duration)
        latencies.clear()
        for agent in agents:
            agent.arrivals.clear()
        sim_cpu0 = (await _status(control_http, args.control))["cpu_seconds"]
        cpu0, wall0 = time.process_time(), time.perf_counter()
        async with control_http.post(
            f"{args.control}/publish",
            json={"rate": args.rate, "duration": args.duration},
            timeout=aiohttp.ClientTimeout(total=args.duration + 120),
        ) as response:
            published = await response.json()
        published_at = time.perf_counter()
        drain_deadline = published_at + 60
        while time.perf_counter() < drain_deadline:
            if all(a.received >= per_agent for a in agents):
                break
            await asyncio.sleep(0.05)
        done_at = time.perf_counter()
        cpu1 = time.process_time()
        sim_cpu1 = (await _status(control_http, args.control))["cpu_seconds"]
        rss_load = proc_rss_kib()
        total = sum(a.received for a in agents)
        result.update(
            {
                "rate_per_agent": args.rate,
                "duration": args.duration,
                "expected_per_agent": per_agent,
                "publisher": published,
                "events": total,
                "complete": all(a.received == per_agent for a in agents),
                "in_order": all(a.in_order for a in agents),
                "short_agents": sum(1 for a in agents if a.received < per_agent),
                "load_cpu_percent": (cpu1 - cpu0) / (done_at - wall0) * 100,
                "sim_load_cpu_percent": (sim_cpu1 - sim_cpu0) / (done_at - wall0) * 100,
                "cpu_us_per_event": (cpu1 - cpu0) / max(1, total) * 1e6,
                "events_per_second": total / (done_at - wall0),
                "drain_seconds": done_at - published_at,
                "rss_load_kib": rss_load,
                "latency_p50_ms": percentile(latencies, 50),
                "latency_p99_ms": percentile(latencies, 99),
                "latency_max_ms": max(latencies) if latencies else float("nan"),
                "latency_by_second": _by_second(agents),
                "reconnects": sum(a.gws.stats.reconnects for a in agents),
                "handshakes": sum(a.gws.stats.handshakes for a in agents),
                "dropped": sum(a.gws.stats.dropped_events for a in agents),
                "gcShare": timer.share(),
            }
        )
    finally:
        started = time.perf_counter()
        semaphore = asyncio.Semaphore(OPEN_CONCURRENCY)

        async def stop_one(agent: Agent) -> None:
            async with semaphore:
                with contextlib.suppress(Exception):
                    await agent.stop()

        await asyncio.gather(*(stop_one(a) for a in agents))
        result["close_seconds"] = time.perf_counter() - started
        await control_http.close()
        await connector.close()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_client")
    parser.add_argument("--sim", required=True)
    parser.add_argument("--control", required=True)
    parser.add_argument("--agents", type=int, required=True)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace the agents' allocations (from after the baseline to the idle figure)",
    )
    arguments = parser.parse_args()
    outcome = asyncio.run(main(arguments))
    print("RESULT " + json.dumps(outcome), flush=True)
