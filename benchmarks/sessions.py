"""Measure 6: many sessions in one process, gws-async beside the CometD JS client.

For each N, one fresh cometd-nodejs-server; against it, in turn, the CometD JavaScript
client holding N sessions in one Node.js process (node/sessions.mjs) and gws-async
holding N agents in one Python process through its public API (peer_sessions.py), each
session on its own channel, fed by the same paced publisher in the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from dataclasses import dataclass
from typing import Any

from ._common import (
    NODE_DIR,
    STARTUP_TIMEOUT,
    PeerError,
    Row,
    Section,
    fixture,
    have_module,
    peer,
    percentile,
    proc_cpu_seconds,
    python_argv,
    verdict,
)
from ._profile import Profile, finish, mark, start, unmet
from .cometd import SERVER_TIMEOUT_MS, Server, cometd_server

PREFIX = "/v2/me/workbins"
CONFIGS = ("default", "fast", "uvloop")
CPU_TARGET_VS_JS = 1.0  # CPU per message <= 1x the JS client's, where both get 1 message per poll
P99_TARGET_VS_JS = 1.0  # p99 publish-to-consumer <= 1x the JS client's
ONE_PER_POLL = 1.1  # "about one message per poll": at most this many per answer with data
SETTLE_SECONDS = 1.0  # after the warm-up, before the counters are read


@dataclass(frozen=True)
class Client:
    key: str
    label: str
    argv: tuple[str, ...]
    cwd_node: bool = False


def clients(port: int, configs: list[str]) -> list[Client]:
    """The JS client, then gws-async in each configuration asked for (uvloop only when
    installed)."""
    found = [
        Client(
            "js",
            "CometD JS client (one CometD and cookie store per session)",
            (
                shutil.which("node") or "node",
                "sessions.mjs",
                "--url",
                f"http://127.0.0.1:{port}/cometd",
            ),
            cwd_node=True,
        )
    ]
    base = ("--url", f"http://127.0.0.1:{port}", "--cometd-path", "/cometd")
    python = {
        "default": ("gws-async, default install (json, asyncio)", ("--json", "default")),
        "fast": ("gws-async, `fast` extra's orjson (asyncio)", ("--json", "orjson")),
        "uvloop": (
            "gws-async, `fast` extra: orjson + uvloop",
            ("--json", "orjson", "--loop", "uvloop"),
        ),
    }
    for name in configs:
        if name == "uvloop" and not have_module("uvloop"):
            continue
        label, extra = python[name]
        argv = python_argv("benchmarks.peer_sessions", *base, *extra)
        found.append(Client(f"gws-{name}", label, tuple(argv)))
    return found


async def _publish(server: Server, n: int, rate: float, seconds: float, data: Any) -> Any:
    body = {"prefix": PREFIX, "sessions": n, "rate": rate, "duration": seconds, "data": data}
    return await server.control("POST", "paced-sessions", body)


async def _run_one(
    server: Server,
    client: Client,
    n: int,
    rate: float,
    duration: float,
    warmup: float,
    profile: Profile | None = None,
) -> dict[str, Any]:
    """One client's run: connect N sessions, warm up, measure; the figures of that run.
    With ``profile``, py-spy samples the client through the measured phase."""
    await server.wait_idle(timeout=30)
    data = fixture("workbin_item_added_personal")["data"]
    count, warm = round(rate * duration), round(rate * warmup)
    argv = [
        *client.argv,
        *("--prefix", PREFIX, "--sessions", str(n), "--count", str(count)),
        *("--warmup", str(warm)),
    ]
    async with peer(client.label, argv, cwd=NODE_DIR if client.cwd_node else None) as proc:
        # Logging N sessions in takes longer with N.
        await proc.expect("READY", STARTUP_TIMEOUT + n * 0.1)
        if warm:
            await _publish(server, n, rate, warmup, {**data, "warmup": True})
            await asyncio.sleep(SETTLE_SECONDS)
        sampling = await start(proc.process.pid, profile)
        before = await server.control("GET", "counters")
        server_cpu = proc_cpu_seconds(server.pid) if server.pid else 0.0
        published = await _publish(server, n, rate, duration, data)
        try:
            result = await proc.result(60 + n * 0.05)
        except PeerError:  # short of messages: take what it has
            proc.send("STOP")
            result = await proc.result(30)
        await finish(sampling, profile, result)
        after = await server.control("GET", "counters")
        server_cpu = (proc_cpu_seconds(server.pid) if server.pid else 0.0) - server_cpu
        # Let it disconnect its sessions, so that the next client starts on an idle server.
        if proc.process.stdin is not None:
            proc.process.stdin.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(proc.process.wait(), 30)
    latencies = result.pop("latenciesMs", [])
    received = result["received"]
    connects = after["connects"] - before["connects"]
    answers = after["drainsWithData"] - before["drainsWithData"]
    wall = (result["lastAt"] - result["firstAt"]) / 1000.0
    publishing = max(1e-9, (published["endedAt"] - published["startedAt"]) / 1000.0)
    return {
        **result,
        "expected": n * count,
        "complete": result["complete"] and result["inOrder"],
        "cpu_us_per_msg": result["cpuSeconds"] / max(1, received) * 1e6,
        "cpu_percent": result["cpuSeconds"] / wall * 100 if wall > 0 else float("nan"),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies) if latencies else float("nan"),
        "connects": connects,
        "msgs_per_connect": received / connects if connects else float("nan"),
        "msgs_per_answer": (after["drained"] - before["drained"]) / answers
        if answers
        else float("nan"),
        "server_cpu_percent": server_cpu / publishing * 100,
        "publisher": published,
    }


def _rows(n: int, runs: dict[str, dict[str, Any]], labels: dict[str, str]) -> list[Row]:
    js = runs.get("js")
    rows: list[Row] = []
    for key, r in runs.items():
        ratio = f"{r['cpu_us_per_msg'] / js['cpu_us_per_msg']:.2f} of JS" if js else ""
        rows.append(
            Row(
                "sessions",
                f"{n:,} sessions: {labels[key]}",
                f"CPU {r['cpu_us_per_msg']:.0f} µs/msg",
                ratio if key != "js" else "1.00 (baseline)",
                note=f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
                f"max {r['max_ms']:.0f} ms; "
                f"{r['msgs_per_answer']:.2f} msg per answer with data, "
                f"{r['msgs_per_connect']:.2f} per /meta/connect; CPU {r['cpu_percent']:.0f}% of a "
                f"core; server {r['server_cpu_percent']:.0f}%"
                + ("" if r["complete"] else f"; INCOMPLETE {r['received']:,}/{r['expected']:,}"),
            )
        )
    if js is None:
        return rows
    for key, r in runs.items():
        if key == "js":
            continue
        one_per_poll = max(r["msgs_per_answer"], js["msgs_per_answer"]) <= ONE_PER_POLL
        cpu_ratio = r["cpu_us_per_msg"] / js["cpu_us_per_msg"]
        p99_ratio = r["p99_ms"] / js["p99_ms"]
        complete = r["complete"] and js["complete"]
        rows += [
            Row(
                "sessions",
                f"{n:,} sessions: CPU per message, {key} / JS",
                "",
                f"{cpu_ratio:.2f}",
                f"<= {CPU_TARGET_VS_JS:g}x at 1 msg/poll",
                verdict(cpu_ratio <= CPU_TARGET_VS_JS and complete) if one_per_poll else "n/a",
                "" if one_per_poll else "batches differ: compare where both get 1 msg/poll",
            ),
            Row(
                "sessions",
                f"{n:,} sessions: p99 publish-to-consumer, {key} / JS",
                "",
                f"{p99_ratio:.2f}",
                f"<= {P99_TARGET_VS_JS:g}x",
                verdict(p99_ratio <= P99_TARGET_VS_JS and complete),
                f"p50 ratio {r['p50_ms'] / js['p50_ms']:.2f}; messages per poll ratio "
                f"{r['msgs_per_answer'] / js['msgs_per_answer']:.2f}",
            ),
        ]
    return rows


async def _profile(
    server: Server, specs: list[Client], rows: list[Row], n: int, rate: float, seconds: float
) -> str:
    """The first gws-async configuration with a missed target at this N, under py-spy
    through a separate run of ``seconds`` (no warm-up)."""
    missed = {row.subject.rsplit(", ", 1)[-1].split(" / ")[0] for row in unmet(rows)}
    client = next(c for c in specs if c.key in missed)
    profile = Profile(
        f"{n:,} sessions, {client.label}, through a separate run of {seconds:g} s at "
        f"{rate:g} messages/s per session",
        limit=seconds + 2,
    )
    await _run_one(server, client, n, rate, seconds, 0.0, profile)
    mark(unmet(rows))
    return profile.markdown()


async def measure_sessions(
    sizes: list[int],
    rate: float,
    duration: float,
    warmup: float,
    configs: list[str],
    profile_seconds: float = 0.0,
) -> Section:
    section = Section(
        "sessions",
        f"6. Many sessions in one process: {', '.join(f'{n:,}' for n in sizes)} sessions",
        method=(
            "For each N, one fresh cometd-nodejs-server (one Node.js process, `timeout` "
            f"{SERVER_TIMEOUT_MS} ms, `interval` 0) serves, in turn: the CometD JS client "
            "holding N sessions in one Node.js process (one `CometD` instance and one cookie "
            "store per session: cometd-nodejs-client shares one store per process by "
            "default, which would put every session behind one `BAYEUX_BROWSER` cookie "
            "and the server's one-long-poll-per-browser rule), then gws-async holding N "
            "agents in one Python process through its public API: an `AgentPool` (one "
            "`aiohttp.ClientSession` and cookie jar per agent over one shared "
            "`TCPConnector`; each agent logs in with `GET /api/v2/me`, which the test "
            "server answers for any Basic credentials, and uses `/cometd` as its "
            "`cometd_path`), each agent consuming "
            "`gws.events(WorkbinStateChangeMessage, topics=[...])` with the default buffer. "
            f"Session i subscribes to `{PREFIX}/i`; long polling everywhere, over "
            "`127.0.0.1`. The server publishes the spec's workbin ItemAdded sample to "
            f"every channel at {rate:g} messages/s, spread evenly (message k of channel i at "
            f"(k + i/N)/{rate:g} s), first {warmup:g} s of warm-up (not counted), then "
            f"{duration:g} s measured; each message carries `seq` and `sentAt` (the "
            "server's clock right before `publish`). Every measured message must arrive, "
            "once and in order per session. CPU per message = the client process's CPU "
            "time (all threads) from its first measured message to its last / messages. "
            "Latency = receipt time - `sentAt`, percentiles by nearest rank over every "
            "message. Messages per poll, counted by the server over the measured phase: "
            "messages / answers that carried data (the `queueDrain` events with a "
            "non-empty queue), and messages / `/meta/connect` requests. A client that "
            "lags gets bigger batches and so less CPU per message: CPU per message is "
            f"compared only where both get about one message per poll (<= {ONE_PER_POLL:g}). "
            "Configurations of gws-async: `default` = the default install (orjson hidden "
            "from the client, so the standard library's `json`; asyncio loop), `fast` = "
            "with the `fast` extra's orjson on asyncio, `uvloop` = orjson on uvloop (the "
            "whole `fast` extra, run when uvloop is installed). Node.js runs with its "
            "defaults."
        ),
    )
    node = shutil.which("node")
    if node is None:
        raise PeerError("node is not installed")
    for n in sizes:
        runs: dict[str, dict[str, Any]] = {}
        async with cometd_server() as server:
            specs = clients(server.port, configs)
            for client in specs:
                runs[client.key] = await _run_one(server, client, n, rate, duration, warmup)
            rows = _rows(n, runs, {c.key: c.label for c in specs})
            if profile_seconds and unmet(rows):
                section.details.append(
                    await _profile(server, specs, rows, n, rate, profile_seconds)
                )
        section.raw[str(n)] = runs
        section.rows += rows
    return section
