"""Measure 7: the fleet (``gws_async.fleet``) against one process holding the same agents.

For each worker count: a fresh redis-server on a free loopback port, the simulator in its
own process (``sim_process``), that many ``gws-async fleet worker`` processes sharing the
agents, and one consumer-group member (``fleet_consumer``) reading the fan-out. The
simulator's paced publisher then pushes the workbin sample to every agent, by default
faster than one worker carries; the consumer measures publish-to-consumer latency and
counts. Each row says what was offered and what was delivered, with every process's CPU
per event. The baseline is the scale measure's client (``scale_client``) holding the same
agents directly in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, BinaryIO

import aiohttp

from ._common import (
    REPO_DIR,
    STARTUP_TIMEOUT,
    Row,
    Section,
    fmt_rate,
    have_module,
    peer,
    proc_cpu_seconds,
    python_argv,
)

READY_TIMEOUT = 120.0  # every agent logged in and subscribed through the workers
STABLE_SECONDS = 2.0  # the subscribed count unchanged this long: rebalancing is over
DRAIN_SECONDS = 60.0  # after the publisher's last event, before the consumer gives up


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def _redis_server(directory: Path) -> AsyncIterator[tuple[str, int]]:
    """A redis-server without persistence on a free port: its URL and pid."""
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        str(shutil.which("redis-server")),
        *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
        *("--dir", str(directory)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start within 10 s") from None
                await asyncio.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


@contextlib.asynccontextmanager
async def _workers(
    count: int, sim_url: str, redis_url: str, directory: Path
) -> AsyncIterator[list[int]]:
    """``count`` worker processes of the CLI; their pids. Logs go to files in ``directory``."""
    processes = []
    logs = _open_logs(directory, count)
    try:
        for index, log in enumerate(logs):
            argv = [
                *python_argv("gws_async", "fleet", "worker", sim_url),
                *("--agents", str(directory / "agents.txt")),
                *("--secrets", str(directory / "secrets.txt")),
                *("--redis", redis_url, "--id", f"w{index}", "--tick", "0.5"),
            ]
            processes.append(
                await asyncio.create_subprocess_exec(
                    *argv,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    cwd=str(REPO_DIR),
                )
            )
        yield [p.pid for p in processes]
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()  # a graceful stop: leases released, agents logged out
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), 15)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
        for log in logs:
            log.close()


def _open_logs(directory: Path, count: int) -> list[BinaryIO]:
    return [open(directory / f"w{i}.log", "wb") for i in range(count)]


def _read_logs(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(errors="replace")[-2000:] for p in directory.glob("*.log")}


async def _status(http: aiohttp.ClientSession, control: str) -> dict[str, Any]:
    async with http.get(f"{control}/status") as response:
        value: dict[str, Any] = await response.json()
        return value


async def _wait_subscribed(http: aiohttp.ClientSession, control: str, agents: int) -> float:
    """Seconds until every agent is subscribed and the count has held still a while."""
    started = time.monotonic()
    stable_since = None
    while time.monotonic() - started < READY_TIMEOUT:
        status = await _status(http, control)
        if status["subscribed"] >= agents and status["sessions"] == agents:
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since >= STABLE_SECONDS:
                return stable_since - started
        else:
            stable_since = None
        await asyncio.sleep(0.2)
    raise RuntimeError(
        f"{agents} agents not all subscribed through the workers within {READY_TIMEOUT:.0f} s "
        f"(last status {status})"
    )


async def _fleet_run(agents: int, workers: int, rate: float, duration: float) -> dict[str, Any]:
    """One run with ``workers`` worker processes; the consumer's figures plus CPU."""
    with tempfile.TemporaryDirectory(prefix="gws-bench-fleet-") as tmp:
        directory = Path(tmp)
        names = [f"agent{i}" for i in range(agents)]
        (directory / "agents.txt").write_text("\n".join(names) + "\n")
        (directory / "secrets.txt").write_text("".join(f"agent{i}:pw{i}\n" for i in range(agents)))
        expected = agents * round(rate * duration)
        sim_argv = python_argv("benchmarks.sim_process", "--agents", str(agents))
        async with (
            _redis_server(directory) as (redis_url, redis_pid),
            peer("simulator", sim_argv) as sim,
            aiohttp.ClientSession() as http,
        ):
            url, control = (await sim.expect("READY", STARTUP_TIMEOUT)).split()
            async with _workers(workers, url, redis_url, directory) as pids:
                ready = await _wait_subscribed(http, control, agents)
                consumer_argv = python_argv(
                    "benchmarks.fleet_consumer",
                    *("--redis", redis_url, "--expected", str(expected)),
                    *("--timeout", str(duration + DRAIN_SECONDS)),
                )
                async with peer("fleet consumer", consumer_argv) as consumer:
                    await consumer.expect("READY", STARTUP_TIMEOUT)
                    cpu0 = {pid: proc_cpu_seconds(pid) for pid in (*pids, redis_pid)}
                    sim0 = (await _status(http, control))["cpu_seconds"]
                    began = time.time() * 1000.0
                    async with http.post(
                        f"{control}/publish",
                        json={"rate": rate, "duration": duration},
                        timeout=aiohttp.ClientTimeout(total=duration + 120),
                    ) as response:
                        published = await response.json()
                    published_ms = time.time() * 1000.0
                    result = await consumer.result(timeout=duration + DRAIN_SECONDS + 60)
                    result["dropped"] = await _counted_drops(redis_url)
                    cpu = {pid: proc_cpu_seconds(pid) - cpu0[pid] for pid in cpu0}
                    sim_cpu = (await _status(http, control))["cpu_seconds"] - sim0
            logs = _read_logs(directory)
    wall = max(1e-9, (result["last_ms"] - began) / 1000.0)
    sent = agents * published["published"] - published["missing"]
    result.update(
        {
            "workers": workers,
            "expected": expected,
            "ready_seconds": ready,
            "publisher": published,
            "publish_seconds": (published_ms - began) / 1000.0,
            "offered_per_second": sent / max(1e-9, (published_ms - began) / 1000.0),
            "wall_seconds": wall,
            "events_per_second": result["events"] / wall,
            "worker_cpu_seconds": sum(cpu[p] for p in pids),
            "worker_cpu_each": [cpu[p] for p in pids],
            "redis_cpu_seconds": cpu[redis_pid],
            "sim_cpu_seconds": sim_cpu,
        }
    )
    if result["events"] < expected:
        result["worker_logs"] = logs
    return result


async def _counted_drops(redis_url: str) -> int:
    """What the workers dropped and counted (the ``dropped`` hash, per agent)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        counts = await client.hgetall("gws:dropped")
    finally:
        await client.aclose()
    return sum(int(v) for v in counts.values())


async def _direct_run(agents: int, rate: float, duration: float) -> dict[str, Any]:
    """The same agents and load held by one process: the scale measure's client run."""
    from .scale import _scale_run

    return await _scale_run(agents, rate, duration, None)


def _skipped(section: Section, why: str) -> Section:
    print(f"fleet: skipped: {why}", flush=True)
    section.rows.append(Row("fleet", "skipped", why))
    section.details.append(f"Skipped: {why}.")
    return section


def _method(agents: int, rate: float, duration: float, workers: list[int]) -> str:
    return (
        f"The simulator runs in its own process with {agents:,} agents; its paced publisher "
        f"queues the workbin sample on every agent's Bayeux session, {rate:g} per agent per "
        f"second for {duration:g} s (each carrying `sentAt`, epoch ms): a nominal load of "
        f"{fmt_rate(agents * rate)} events/s. The defaults (500 agents x 20/s) offer more "
        "than one worker process carries even on a core of its own, so that the rows "
        "measure capacity, not the publisher's pace; whether this run's load did is said "
        "below the table. Fleet, once per worker count "
        f"({', '.join(map(str, workers))}): a fresh `redis-server` (no persistence) on a "
        "loopback port, that many `gws-async fleet worker` processes (`--tick 0.5`, other "
        "options at their defaults) sharing the agents through their leases, and, once "
        f"every agent is subscribed and the count has held still {STABLE_SECONDS:g} s, one "
        "member of consumer group `bench` (`fleet_events(redis, WorkbinStateChangeMessage, "
        "group=...)`) holding all 16 shards; it stops once it has every event, "
        f"{DRAIN_SECONDS:g} s after publishing ends, or after 10 s without one. Offered = "
        "events the simulator queued / the time it took (below nominal when the simulator "
        "falls behind its schedule); delivered = events the consumer got / the time from "
        "the start of publishing to its last event. Latency is from `sentAt` to the "
        "consumer's loop body, through the worker's GWS client, its fenced `XADD` and the "
        "consumer's `XREADGROUP`. Events a worker could not carry are dropped and counted "
        "(the fleet's `dropped` hash, read after each run): a row says whether delivered + "
        "counted drops make up every event published; 'in order' means no event of an "
        "agent came after a newer one of the same agent (a counted drop leaves a gap, not "
        "a reordering). Direct: the scale measure's client holding the same "
        "agents in one process, one `GwsClient` each, latency to its consumer task. CPU is "
        "process time: per delivered event (a worker that drops events still spent CPU on "
        "them), and as a share of one core over the delivery time. This "
        "machine has 2 cores, shared by the workers, the consumer, `redis-server` and the "
        "simulator, so no worker count can deliver more than those 2 cores carry for the "
        "whole chain: the delivered rate by worker count shows where the machine, not the "
        "fleet, runs out. What one more core would add is read from the workers' CPU per "
        "event: a worker with a core of its own carries 1,000,000 / (its µs per event) "
        "events/s."
    )


def _fleet_row(agents: int, rate: float, run: dict[str, Any], base: float, one: float) -> Row:
    events = max(1, run["events"])
    wall = run["wall_seconds"]
    cpu = {
        "workers": run["worker_cpu_seconds"],
        "consumer": run["cpu_seconds"],
        "redis": run["redis_cpu_seconds"],
        "simulator": run["sim_cpu_seconds"],
    }
    per_event = ", ".join(f"{k} {v / events * 1e6:.0f}" for k, v in cpu.items())
    share = ", ".join(f"{k} {v / wall * 100:.0f}%" for k, v in cpu.items())
    worker_us = run["worker_cpu_seconds"] / events * 1e6
    ended = {"timeout": ", consumer timed out", "idle": ", consumer idle 10 s"}
    dropped = run.get("dropped", 0)
    accounted = run["events"] + dropped == run["expected"]
    loss = (
        f", {dropped:,} dropped and counted by the workers"
        f" ({'all accounted for' if accounted else 'NOT all accounted for'})"
        if dropped or run["events"] < run["expected"]
        else ""
    )
    return Row(
        "fleet",
        f"{agents:,} agents x {rate:g}/s, {run['workers']} worker(s) -> Redis -> 1 consumer",
        f"{fmt_rate(run['events_per_second'])} events/s",
        f"{run['events_per_second'] / base:.2f}",
        note=f"offered {fmt_rate(run['offered_per_second'])}/s; delivered "
        f"{run['events']:,}/{run['expected']:,}{loss}"
        f"{', in order' if run['in_order'] else ', OUT OF ORDER'}"
        f"{ended.get(run.get('ended', ''), '')}; x{run['events_per_second'] / one:.2f} of 1 "
        f"worker; CPU µs/event: {per_event}; CPU % of a core (2 cores = 200%): {share}; one "
        f"worker per core would carry {fmt_rate(1e6 / max(1e-9, worker_us))} events/s each; "
        f"p50 {run['latency_p50_ms']:.0f} ms, p99 {run['latency_p99_ms']:.0f} ms",
    )


def _direct_row(agents: int, rate: float, direct: dict[str, Any], expected: int) -> Row:
    loading = direct["events"] / max(1e-9, direct["events_per_second"])
    publishing = max(1e-9, loading - direct["drain_seconds"])
    sent = agents * direct["publisher"]["published"] - direct["publisher"]["missing"]
    return Row(
        "fleet",
        f"{agents:,} agents x {rate:g}/s, one process, direct (baseline)",
        f"{fmt_rate(direct['events_per_second'])} events/s",
        "1.00",
        note=f"offered {fmt_rate(sent / publishing)}/s; delivered "
        f"{direct['events']:,}/{expected:,}{'' if direct['in_order'] else ', OUT OF ORDER'}; "
        f"CPU µs/event: client {direct['cpu_us_per_event']:.0f}; CPU % of a core: client "
        f"{direct['load_cpu_percent']:.0f}%, simulator {direct['sim_load_cpu_percent']:.0f}%; "
        f"p50 {direct['latency_p50_ms']:.0f} ms, p99 {direct['latency_p99_ms']:.0f} ms",
    )


def _capacity(runs: list[dict[str, Any]]) -> str:
    """Which worker count delivered most, and how busy the machine's cores were."""
    best = max(runs, key=lambda r: r["events_per_second"])
    keys = ("worker_cpu_seconds", "cpu_seconds", "redis_cpu_seconds", "sim_cpu_seconds")
    busy = ", ".join(
        f"{r['workers']} worker(s) {sum(r[k] for k in keys) / r['wall_seconds'] / 2 * 100:.0f}%"
        for r in runs
    )
    return (
        f"Capacity on this machine: {fmt_rate(best['events_per_second'])} events/s delivered "
        f"at most, with {best['workers']} worker(s). Both cores' share spent in the "
        f"measured processes over the delivery time: {busy}."
    )


def _saturated(runs: list[dict[str, Any]]) -> str:
    """Whether the offered load exceeded what the smallest fleet's workers carry."""
    run = min(runs, key=lambda r: r["workers"])
    worker_us = run["worker_cpu_seconds"] / max(1, run["events"]) * 1e6
    carry = 1e6 / max(1e-9, worker_us) * run["workers"]
    verdict = (
        "above it: that row measures capacity"
        if run["offered_per_second"] > carry
        else "NOT above it: that row measures the publisher's pace, not capacity "
        "(raise --fleet-rate or --fleet-agents)"
    )
    return (
        f"Offered to {run['workers']} worker(s): {fmt_rate(run['offered_per_second'])} "
        f"events/s, against the {fmt_rate(carry)} events/s their CPU per event "
        f"({worker_us:.0f} µs) would allow with a core each: {verdict}."
    )


async def measure_fleet(agents: int, rate: float, duration: float, workers: list[int]) -> Section:
    """Events/s and p50/p99 publish to consumer through Redis, by worker count, against
    the same agents consumed directly by one process."""
    section = Section(
        "fleet",
        f"7. Fleet: {agents:,} agents through Redis",
        method=_method(agents, rate, duration, workers),
    )
    if shutil.which("redis-server") is None:
        return _skipped(section, "redis-server is not installed (Debian: redis-server)")
    if not have_module("redis"):
        return _skipped(section, "redis-py is not installed (the 'fleet' extra)")
    direct = await _direct_run(agents, rate, duration)
    runs = [await _fleet_run(agents, count, rate, duration) for count in workers]
    section.raw = {"direct": direct, "fleet": runs}
    expected = agents * round(rate * duration)
    section.rows.append(_direct_row(agents, rate, direct, expected))
    base = max(1e-9, direct["events_per_second"])
    one = next(
        (r["events_per_second"] for r in runs if r["workers"] == 1), runs[0]["events_per_second"]
    )
    for run in runs:
        section.rows.append(_fleet_row(agents, rate, run, base, max(1e-9, one)))
        if run.get("worker_logs"):
            section.details.append(
                f"{run['workers']} worker(s): {run['events']:,} of {expected:,} events arrived; "
                "the end of the workers' logs is in the raw figures."
            )
    section.details.append(_capacity(runs))
    section.details.append(_saturated(runs))
    section.details.append(
        "Ready (every agent logged in and subscribed through the workers): "
        + ", ".join(f"{r['workers']} worker(s) {r['ready_seconds']:.1f} s" for r in runs)
        + "."
    )
    return section
