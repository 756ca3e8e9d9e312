"""Measures 4 and 5, against the embedded simulator run in a process of its own."""

from __future__ import annotations

import asyncio
from typing import Any

from ._common import (
    STARTUP_TIMEOUT,
    Row,
    Section,
    fmt_rate,
    peer,
    proc_cpu_seconds,
    python_argv,
    verdict,
)
from ._profile import Profile, attach, code_cell, mark, short_path

KIB_PER_AGENT_TARGET = 100 * 1000 / 1024  # 100 kB
AGENTS_TARGET = 1000
P99_TARGET_MS = 100.0  # publish to consumer, 1,000 agents x 10 events/s


async def _scale_run(
    agents: int, rate: float, duration: float, profile: Profile | None, *extra: str
) -> dict[str, Any]:
    """One more scale client run; with ``profile``, py-spy samples it under load."""
    sim_argv = python_argv("benchmarks.sim_process", "--agents", str(agents))
    async with peer("simulator", sim_argv) as sim:
        url, control = (await sim.expect("READY", STARTUP_TIMEOUT)).split()
        argv = python_argv(
            "benchmarks.scale_client",
            *("--sim", url, "--control", control, "--agents", str(agents)),
            *("--rate", str(rate), "--duration", str(duration), "--idle", "1", *extra),
        )
        async with peer("scale client", argv) as client:
            if profile is None:
                return await client.result(timeout=600 + duration)
            await client.expect("PROGRESS idle", 600)  # the load begins right after
            sampling = asyncio.create_task(attach(client.process.pid, profile.limit, profile.what))
            result: dict[str, Any] = await client.result(timeout=600 + duration)
            profile.take(await sampling, result)
            return result


def _memory_profile(agents: int, figures: dict[str, Any]) -> str:
    traced = figures.get("tracemalloc") or {}
    rows = ["| KiB per agent | blocks | where | line |", "|---:|---:|---|---|"]
    rows += [
        f"| {size / 1024:.2f} | {count:,} | {short_path(where)} | {code_cell(where)} |"
        for where, size, count in traced["top"]
    ]
    return (
        f"**Memory profile: {agents:,} idle agents, a separate run under `tracemalloc`.** "
        f"Python allocations still held once every agent is idle: "
        f"{traced['bytes_per_agent'] / 1024:.1f} KiB per agent in all (RSS also holds what "
        "the allocator keeps and C libraries' own memory); the lines that allocated most:"
        "\n\n" + "\n".join(rows)
    )


async def _profiles(section: Section, agents: int, rate: float, seconds: float) -> None:
    """Under the scale section: what stands in the way of each missed target."""
    memory = next(r for r in section.rows if r.target.startswith("<= 100 kB"))
    delivery = next(r for r in section.rows if r.target == "every event, in order")
    latency = next(r for r in section.rows if r.target.startswith("p99 <="))
    if memory.met == "NO":
        # No load: one publishing period of length 0.
        figures = await _scale_run(agents, 1.0, 0.0, None, "--tracemalloc")
        section.details.append(_memory_profile(agents, figures))
        mark([memory])
    if "NO" in (delivery.met, latency.met):
        profile = Profile(
            f"the client under load, a separate run of {seconds:g} s at {rate:g} events/agent/s",
            limit=seconds + 2,
        )
        await _scale_run(agents, rate, seconds, profile)
        section.details.append(profile.markdown())
        mark([r for r in (delivery, latency) if r.met == "NO"])


async def measure_scale(
    agents: int, rate: float, duration: float, idle: float, profile_seconds: float = 0.0
) -> Section:
    section = Section(
        "scale",
        f"4. Scale: {agents:,} agents in one process",
        method=(
            f"The simulator runs in its own process with {agents:,} agents (long-poll "
            "timeout 30 s). The client process opens them all, 50 at a time: per agent a "
            "`GwsClient` on its own `aiohttp.ClientSession(connector=shared, "
            "connector_owner=False, cookie_jar=aiohttp.CookieJar(unsafe=True))`, one shared "
            f"`TCPConnector(limit={agents}+100)` (each agent holds a long poll, so the "
            "limit must exceed N), logged in (`GET /me`), with an open "
            "`events(WorkbinStateChangeMessage)` stream (so one Bayeux session each, "
            "subscribed to `/v2/me/workbins`) and a task consuming it. Memory is the client "
            "process's RSS after `gc.collect()`: the baseline is taken after one warm-up "
            f"agent came and went, the idle figure once every long poll is held and "
            f"{idle:g} s have passed; per agent = (idle - baseline) / N. Then the simulator "
            f"queues the workbin sample on every agent's session, {rate:g} per agent per "
            f"second for {duration:g} s (spread over each 1/{rate:g} s in 10 slices), and "
            "the client counts what each consumer gets: all of it, in order, within 60 s "
            "of the last publish. CPU is process time over wall time (100% = one core)."
        ),
    )
    sim_argv = python_argv("benchmarks.sim_process", "--agents", str(agents))
    async with peer("simulator", sim_argv) as sim:
        url, control = (await sim.expect("READY", STARTUP_TIMEOUT)).split()
        client_argv = python_argv(
            "benchmarks.scale_client",
            *("--sim", url, "--control", control, "--agents", str(agents)),
            *("--rate", str(rate), "--duration", str(duration), "--idle", str(idle)),
        )
        sim_cpu0 = proc_cpu_seconds(sim.process.pid) if sim.process.pid else 0.0
        async with peer("scale client", client_argv) as client:
            result = await client.result(timeout=600 + duration)
        section.details.append(
            f"Simulator CPU, whole run: {proc_cpu_seconds(sim.process.pid) - sim_cpu0:.1f} s."
        )
    section.raw = result
    per_agent = result["kib_per_idle_agent"]
    n = result["agents"]
    per_agent_ok = per_agent <= KIB_PER_AGENT_TARGET and result["held_when_idle"] >= n
    section.rows += [
        Row(
            "scale",
            f"{n:,} agents idle: RSS per agent",
            f"{per_agent:.1f} KiB",
            "",
            f"<= 100 kB at {AGENTS_TARGET:,} agents",
            verdict(per_agent_ok and n >= AGENTS_TARGET),
            f"baseline {result['rss_base_kib'] / 1024:.0f} MiB, idle "
            f"{result['rss_idle_kib'] / 1024:.0f} MiB; {result['held_when_idle']:,} long polls "
            f"held; connected in {result['connect_seconds']:.1f} s",
        ),
        Row(
            "scale",
            f"{n:,} agents idle: CPU",
            f"{result['idle_cpu_percent']:.2f}% of a core",
        ),
        Row(
            "scale",
            f"{n:,} agents x {rate:g} events/s for {duration:g} s: delivered",
            f"{result['events']:,} / {n * result['expected_per_agent']:,}",
            "",
            "every event, in order",
            verdict(result["complete"] and result["in_order"]),
            f"{result['short_agents']} agent(s) short; {result['reconnects']} reconnects, "
            f"{result['dropped']} dropped; drained {result['drain_seconds']:.1f} s after the "
            "last publish",
        ),
        Row(
            "scale",
            f"{n:,} agents under load: client CPU",
            f"{result['load_cpu_percent']:.0f}% of a core",
            "",
            note=f"{result['cpu_us_per_event']:.0f} µs per event; "
            f"{fmt_rate(result['events_per_second'])} events/s received; simulator "
            f"{result['sim_load_cpu_percent']:.0f}%; RSS {result['rss_load_kib'] / 1024:.0f} MiB",
        ),
        Row(
            "scale",
            f"{n:,} agents under load: publish to consumer",
            f"p50 {result['latency_p50_ms']:.0f} ms, p99 {result['latency_p99_ms']:.0f} ms",
            "",
            f"p99 <= {P99_TARGET_MS:g} ms",
            verdict(result["latency_p99_ms"] <= P99_TARGET_MS),
            "the simulator and the client share the machine's 2 cores",
        ),
    ]
    if result["load_cpu_percent"] >= 90:
        section.details.append(
            f"Under load the client process is saturated ({result['load_cpu_percent']:.0f}% "
            f"of a core, {result['cpu_us_per_event']:.0f} µs per event): each agent's events "
            "arrive in their own long-poll answers, and one HTTP round trip with its Bayeux "
            "bookkeeping costs more than decoding the event it carries (about what the "
            "CometD JS client spends per message: see the many-sessions measure). "
            "Events then wait on the simulator until the agent's next /meta/connect, answers "
            "grow until the client keeps up, and the delay settles where the per-second "
            "figures below show it; nothing is lost."
        )
    if profile_seconds:
        await _profiles(section, n, rate, profile_seconds)
    by_second = result.get("latency_by_second") or []
    if by_second:
        section.details.append(
            "Events received and median latency per second of the load phase: "
            + ", ".join(f"{int(s)}s: {int(c):,} ev, p50 {p50:g} ms" for s, c, p50 in by_second)
            + "."
        )
    return section


async def measure_rest(seconds: float, concurrency: list[int]) -> Section:
    section = Section(
        "rest",
        "5. REST: operations per second through one client",
        method=(
            "The simulator runs in its own process. The operation is `gws.get_me()` "
            "(`GET /api/v2/me`, decoded into `User`). Warm: one `GwsClient`, logged in once, "
            "its connection pool kept. Baseline, a new session per request: "
            "`async with GwsClient(...)` (whose `open()` is that same `GET /me`) and close, "
            "so a new TCP connection and a new GWS HTTP session every time. Each is timed "
            f"for {seconds:g} s per concurrency level (two alternating halves, the better "
            "one kept), after 50 untimed rounds of each; ratio = warm / new-session "
            "operations per second."
        ),
    )
    sim_argv = python_argv("benchmarks.sim_process", "--agents", "2")
    async with peer("simulator", sim_argv) as sim:
        url, _control = (await sim.expect("READY", STARTUP_TIMEOUT)).split()
        argv = python_argv(
            "benchmarks.rest_client",
            *("--sim", url, "--seconds", str(seconds)),
            "--concurrency",
            *(str(c) for c in concurrency),
        )
        async with peer("rest client", argv) as client:
            result: dict[str, Any] = await client.result(
                timeout=120 + 4 * seconds * len(concurrency)
            )
    section.raw = result
    for level, figures in result.items():
        warm, cold = figures["warm"], figures["cold"]
        ratio = warm["ops_per_second"] / cold["ops_per_second"]
        label = "1 at a time" if level == "1" else f"{level} in flight"
        section.rows += [
            Row(
                "rest",
                f"GET /me, new session per request, {label} (baseline)",
                f"{fmt_rate(cold['ops_per_second'])} ops/s",
                "1.00",
                note=f"client CPU {cold['cpu_us_per_op']:.0f} µs/op",
            ),
            Row(
                "rest",
                f"GET /me, one client on a warm pool, {label}",
                f"{fmt_rate(warm['ops_per_second'])} ops/s",
                f"{ratio:.2f}",
                note=f"client CPU {warm['cpu_us_per_op']:.0f} µs/op",
            ),
        ]
    return section
