"""Measures 2 and 3: a burst and a paced stream from the CometD project's Node.js server,
received by gws-async, by the CometD JavaScript client and by aiocometd-ng."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from ._common import (
    COMETD_SERVER,
    NODE_DIR,
    STARTUP_TIMEOUT,
    PeerError,
    Row,
    Section,
    fixture,
    fmt_rate,
    have_module,
    median,
    peer,
    percentile,
    python_argv,
    verdict,
)
from ._profile import Profile, finish, mark, start, unmet

CHANNEL = "/v2/me/workbins"
SERVER_TIMEOUT_MS = 10_000  # how long the server holds a /meta/connect
CHUNK = 100  # the server yields to its event loop every CHUNK publishes of a burst
E2E_TARGET_VS_AIOCOMETD = 3.0
E2E_TARGET_VS_JS = 1.0
LATENCY_TARGET_MS = 5.0
PROFILE_RUNS = 10  # bursts at most, for a profile of the burst
# A burst takes seconds: a client that stalls should cost a minute per round, not five.
BURST_WAIT = 60.0


@dataclass(frozen=True)
class Client:
    key: str
    label: str
    argv: tuple[str, ...]
    cwd_node: bool = False


def clients(uvloop: bool) -> list[Client]:
    found = [
        Client(
            "gws",
            "gws-async (BayeuxClient + decode_event + EventHub stream)",
            tuple(python_argv("benchmarks.peer_python", "--client", "gws")),
        ),
        Client(
            "js",
            "CometD JS client (cometd + cometd-nodejs-client, long-polling)",
            (shutil.which("node") or "node", "client.mjs"),
            cwd_node=True,
        ),
        Client(
            "aiocometd",
            "aiocometd-ng (plain dicts)",
            tuple(python_argv("benchmarks.peer_python", "--client", "aiocometd")),
        ),
    ]
    found.append(
        Client(
            "gws-gc",
            "gws-async, application GC tuning (gc.freeze, gen0 threshold 100k)",
            tuple(python_argv("benchmarks.peer_python", "--client", "gws", "--gc", "tuned")),
        )
    )
    if uvloop and have_module("uvloop"):
        found.append(
            Client(
                "gws-uvloop",
                "gws-async on uvloop",
                tuple(python_argv("benchmarks.peer_python", "--client", "gws", "--loop", "uvloop")),
            )
        )
    return found


class Server:
    def __init__(self, port: int, http: aiohttp.ClientSession, pid: int | None = None) -> None:
        self.port = port
        self.http = http
        self.pid = pid  # the server process, to read its CPU time

    @property
    def url(self) -> str:
        # aiocometd-ng only keeps the server's session cookie for a host name.
        return f"http://localhost:{self.port}/cometd"

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        url = f"http://127.0.0.1:{self.port}/control/{path}"
        async with self.http.request(method, url, json=body) as response:
            payload = await response.json()
            if response.status != 200:
                raise PeerError(f"{method} /control/{path}: {response.status} {payload}")
            return payload

    async def wait_idle(self, timeout: float = 15.0) -> None:
        """Until no Bayeux session is left from a previous run."""
        deadline = time.monotonic() + timeout
        while (await self.control("GET", "sessions"))["sessions"]:
            if time.monotonic() > deadline:
                return  # expired by the server's sweeper later; harmless but noted
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def cometd_server() -> AsyncIterator[Server]:
    node = shutil.which("node")
    if node is None:
        raise PeerError("node is not installed")
    argv = [node, str(COMETD_SERVER), "--timeout", str(SERVER_TIMEOUT_MS)]
    env = {"NODE_PATH": str(NODE_DIR / "node_modules")}
    async with peer("cometd-nodejs-server", argv, cwd=NODE_DIR, env=env) as proc:
        port = int(await proc.expect("LISTENING", STARTUP_TIMEOUT))
        timeout = aiohttp.ClientTimeout(total=700)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            yield Server(port, http, proc.process.pid)


async def _run_one(
    server: Server,
    client: Client,
    mode: str,
    count: int,
    publish: dict[str, Any],
    wait: float,
    profile: Profile | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One client's run; with ``profile``, py-spy samples the client while it receives."""
    await server.wait_idle()
    argv = [
        *client.argv,
        *("--url", server.url, "--channel", CHANNEL, "--count", str(count), "--mode", mode),
    ]
    async with peer(client.label, argv, cwd=NODE_DIR if client.cwd_node else None) as proc:
        await proc.expect("READY", STARTUP_TIMEOUT)
        sampling = await start(proc.process.pid, profile)
        path = "burst" if mode == "burst" else "paced"
        published = await server.control("POST", path, {"channel": CHANNEL, **publish})
        try:
            result = await proc.result(wait)
        except PeerError:
            proc.send("STOP")
            result = await proc.result(10)
        await finish(sampling, profile, result)
    return published, result


async def _warm_up(server: Server, data: dict[str, Any]) -> None:
    """One untimed burst, so that the server's JIT is warm for the first measured run."""
    gws = clients(False)[0]
    await _run_one(server, gws, "burst", 5000, {"count": 5000, "data": data, "chunk": CHUNK}, 60)


async def _profile_burst(data: dict[str, Any], count: int, seconds: float) -> str:
    """gws-async under py-spy through bursts of the measured size, one process each, until
    about ``seconds`` are sampled. One longer burst is no substitute: the answers grow with
    the burst, and past ``max_response_size`` the client drops them."""
    # Each run's sampling ends with its peer, once that has every message.
    profile = Profile("gws-async (as in the first row)", limit=seconds + 2)
    runs = 0
    async with cometd_server() as server:
        await _warm_up(server, data)
        publish = {"count": count, "data": data, "chunk": CHUNK}
        while profile.seconds < seconds and runs < PROFILE_RUNS and not profile.error:
            await _run_one(server, clients(False)[0], "burst", count, publish, BURST_WAIT, profile)
            runs += 1
    profile.what += f", through {runs} more burst(s) of {count:,} messages, one process each"
    return profile.markdown()


async def measure_e2e(count: int, reps: int, uvloop: bool, profile_seconds: float = 0.0) -> Section:
    data = fixture("workbin_item_added_personal")["data"]
    section = Section(
        "e2e",
        "2. End to end: a burst of WorkbinStateChangeMessage notifications",
        method=(
            f"cometd-nodejs-server on loopback (one Node.js process, `timeout` "
            f"{SERVER_TIMEOUT_MS} ms, `interval` 0, no other sessions) publishes {count:,} "
            "copies of the spec's workbin ItemAdded sample (1.1 kB, each with a "
            f"sequence number `seq`) as fast as it can, yielding to its event loop every {CHUNK} "
            "publishes, to one subscribed client in its own process. Every client uses "
            "long polling on `http://localhost:<port>/cometd`; how many messages each "
            "/meta/connect answer carries is up to the server and how fast the client comes "
            "back. Rate = messages / (time the consumer got the last one - time the server "
            "began publishing), both read from the machine's clock; every message must "
            f"arrive, once and in order. Clients run in turn, {reps} round(s), after one "
            "untimed warm-up burst; the median is kept. CPU = the client process's CPU time "
            "from its first message to its last."
        ),
    )
    runs: dict[str, list[dict[str, Any]]] = {}
    specs = clients(uvloop)
    async with cometd_server() as server:
        await _warm_up(server, data)
        for _ in range(reps):
            for client in specs:
                published, result = await _run_one(
                    server,
                    client,
                    "burst",
                    count,
                    {"count": count, "data": data, "chunk": CHUNK},
                    wait=BURST_WAIT + count / 1000,
                )
                seconds = (result["lastAt"] - published["startedAt"]) / 1000.0
                complete = result["received"] == count and result["inOrder"]
                runs.setdefault(client.key, []).append(
                    {
                        "rate": count / seconds if complete and seconds > 0 else 0.0,
                        "seconds": seconds,
                        "received": result["received"],
                        "in_order": result["inOrder"],
                        "cpu_us_per_msg": result["cpuSeconds"] / max(1, result["received"]) * 1e6,
                        "publish_seconds": (published["endedAt"] - published["startedAt"]) / 1e3,
                    }
                )
    section.raw = {"runs": runs}
    rate = {key: median([r["rate"] for r in rs]) for key, rs in runs.items()}
    cpu = {key: median([r["cpu_us_per_msg"] for r in rs]) for key, rs in runs.items()}
    publish = median([r["publish_seconds"] for rs in runs.values() for r in rs])
    labels = {c.key: c.label for c in specs}
    for key in runs:
        complete = all(r["received"] == count and r["in_order"] for r in runs[key])
        note = f"CPU {cpu[key]:.1f} µs/msg" + ("" if complete else "; MESSAGES MISSING")
        section.rows.append(
            Row(
                "burst",
                labels[key],
                f"{fmt_rate(rate[key])} msg/s",
                f"{rate[key] / rate['gws']:.2f} of gws" if key != "gws" else "1.00",
                note=note,
            )
        )
    vs_aio = rate["gws"] / rate["aiocometd"] if rate.get("aiocometd") else float("nan")
    vs_js = rate["gws"] / rate["js"] if rate.get("js") else float("nan")
    section.rows += [
        Row(
            "burst",
            "gws-async / aiocometd-ng",
            "",
            f"{vs_aio:.2f}",
            f">= {E2E_TARGET_VS_AIOCOMETD:g}",
            verdict(vs_aio >= E2E_TARGET_VS_AIOCOMETD),
        ),
        Row(
            "burst",
            "gws-async / CometD JS client",
            "",
            f"{vs_js:.2f}",
            f">= {E2E_TARGET_VS_JS:g}",
            verdict(vs_js >= E2E_TARGET_VS_JS),
        ),
    ]
    section.details.append(
        f"The server needs {publish:.2f} s (median) to publish the {count:,} messages "
        "while serving a client, so no client can show more than "
        f"{fmt_rate(count / publish)} msg/s here."
    )
    if profile_seconds and unmet(section.rows):
        section.details.append(await _profile_burst(data, count, profile_seconds))
        mark(unmet(section.rows))
    if "js" in cpu and "aiocometd" in rate:
        section.details.append(
            f"Every client here is bound by its own CPU: gws-async spends {cpu['gws']:.1f} µs "
            f"of CPU per message, the CometD JS client {cpu['js']:.1f} µs, aiocometd-ng "
            f"{cpu['aiocometd']:.1f} µs. Matching the JS client's rate needs about its CPU "
            f"per message; 3x aiocometd-ng's rate ({fmt_rate(3 * rate['aiocometd'])} msg/s) "
            f"needs under {1e6 / (3 * rate['aiocometd']):.1f} µs of wall time per message, "
            "parse, validation and hand-over included."
        )
    return section


async def _profile_paced(
    server: Server, client: Client, rate: float, seconds: float, data: dict[str, Any]
) -> str:
    """gws-async under py-spy through a separate paced run of ``seconds``."""
    profile = Profile(
        f"{client.label}, through a separate paced run, {rate:g} messages/s for {seconds:g} s",
        limit=seconds + 2,
    )
    publish = {"rate": rate, "duration": seconds, "data": data}
    await _run_one(server, client, "latency", round(rate * seconds), publish, seconds + 60, profile)
    return profile.markdown()


async def measure_latency(
    rate: float, duration: float, uvloop: bool, peers: str, profile_seconds: float = 0.0
) -> Section:
    data = fixture("workbin_item_added_personal")["data"]
    count = round(rate * duration)
    section = Section(
        "latency",
        "3. Latency: publish to consumer",
        method=(
            f"The same server publishes the workbin sample at {rate:g} messages/s for "
            f"{duration:g} s ({count:,} messages), each stamped with the server's clock "
            "(`sentAt`, epoch ms) right before `publish`; the consumer subtracts it from the "
            "machine's clock when it gets the message (for gws-async: the typed event out "
            "of its stream). Percentiles by nearest rank over every message."
        ),
    )
    wanted = {"gws", "js", "aiocometd"} if peers == "all" else {"gws"}
    specs = [c for c in clients(uvloop) if c.key in wanted]
    async with cometd_server() as server:
        await _warm_up(server, data)
        for client in specs:
            published, result = await _run_one(
                server,
                client,
                "latency",
                count,
                {"rate": rate, "duration": duration, "data": data},
                wait=duration + 60,
            )
            latencies = result.get("latenciesMs") or []
            p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
            worst = max(latencies) if latencies else float("nan")
            complete = result["received"] == count and result["inOrder"]
            section.raw[client.key] = {
                "received": result["received"],
                "in_order": result["inOrder"],
                "p50_ms": p50,
                "p90_ms": percentile(latencies, 90),
                "p99_ms": p99,
                "p999_ms": percentile(latencies, 99.9),
                "max_ms": worst,
                "server_late_ticks": published.get("lateTicks"),
                "cpu_seconds": result["cpuSeconds"],
            }
            target = client.key.startswith("gws")
            section.rows.append(
                Row(
                    "latency",
                    client.label,
                    f"p50 {p50:.2f} ms, p99 {p99:.2f} ms",
                    "",
                    f"p99 <= {LATENCY_TARGET_MS:g} ms" if target else "",
                    verdict(p99 <= LATENCY_TARGET_MS and complete) if target else "",
                    f"max {worst:.1f} ms; CPU {result['cpuSeconds'] / duration * 100:.0f}% of a "
                    "core" + ("" if complete else "; MESSAGES MISSING"),
                )
            )
        if profile_seconds and unmet(section.rows):
            section.details.append(
                await _profile_paced(server, specs[0], rate, profile_seconds, data)
            )
            mark(unmet(section.rows))
    return section
