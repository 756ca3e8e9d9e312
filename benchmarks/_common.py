"""Shared helpers: machine and version facts, subprocess peers, statistics, tables."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
NODE_DIR = BENCH_DIR / "node"
# The integration tests' server, with the benchmarks' burst and paced routes; it finds
# cometd-nodejs-server in NODE_DIR's node_modules through NODE_PATH.
COMETD_SERVER = REPO_DIR / "tests" / "cometd_server" / "server.js"
FIXTURES = REPO_DIR / "tests" / "fixtures" / "spec"
STARTUP_TIMEOUT = 30.0


# -- facts ----------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def machine() -> dict[str, str]:
    """CPU model, cores and memory of this machine."""
    cpu = ""
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = ""
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            kib = int(line.split()[1])
            mem = f"{kib / 1024 / 1024:.1f} GiB"
            break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "cores": f"{usable} usable ({os.cpu_count()} online)",
        "memory": mem or "?",
        "os": f"{platform.system()} {platform.release()}",
    }


def _dist(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _node_package(name: str) -> str:
    try:
        manifest = json.loads((NODE_DIR / "node_modules" / name / "package.json").read_text())
        return str(manifest["version"])
    except (OSError, ValueError, KeyError):
        return "not installed"


def node_version() -> str:
    node = shutil.which("node")
    if node is None:
        return "not installed"
    done = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


def versions() -> dict[str, str]:
    """Versions of everything measured or measuring."""
    return {
        "python": platform.python_version(),
        "gws-async": _dist("gws-async"),
        "aiohttp": _dist("aiohttp"),
        "pydantic": _dist("pydantic"),
        "pydantic-core": _dist("pydantic-core"),
        "orjson": _dist("orjson"),
        "uvloop": _dist("uvloop"),
        "aiocometd-ng": _dist("aiocometd-ng"),
        "node": node_version(),
        "cometd-nodejs-server (npm)": _node_package("cometd-nodejs-server"),
        "cometd (npm)": _node_package("cometd"),
        "cometd-nodejs-client (npm)": _node_package("cometd-nodejs-client"),
    }


def have_module(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def fixture(name: str) -> dict[str, Any]:
    """One spec sample: ``{"channel": ..., "data": {...}}``."""
    value: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return value


# -- statistics -----------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` percentile (0..100) by nearest rank on sorted data."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- results --------------------------------------------------------------------------


@dataclass
class Row:
    measure: str
    subject: str
    value: str
    ratio: str = ""
    target: str = ""
    met: str = ""
    note: str = ""


@dataclass
class Section:
    """The outcome of one measure: table rows, a method paragraph, raw figures."""

    name: str
    title: str
    method: str
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def fmt_rate(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    if value >= 100_000:
        return f"{value / 1000:,.0f}k"
    if value >= 10_000:
        return f"{value / 1000:,.1f}k"
    return f"{value:,.0f}"


def table(rows: Sequence[Row], *, markdown: bool) -> str:
    head = ["measure", "subject", "value", "ratio", "target", "met", "note"]
    data = [[r.measure, r.subject, r.value, r.ratio, r.target, r.met, r.note] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in data
        ]
        return "\n".join(lines)
    widths = [
        max(len(h), *(len(row[i]) for row in data)) if data else len(h) for i, h in enumerate(head)
    ]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in data]
    return "\n".join(lines)


# -- subprocesses ---------------------------------------------------------------------


class PeerError(RuntimeError):
    pass


@dataclass
class Peer:
    """A child process speaking the line protocol of the benchmark peers.

    It prints ``READY ...`` once set up, reads one command line on stdin, and prints one
    ``RESULT {json}`` line when done.
    """

    process: asyncio.subprocess.Process
    name: str
    stderr: Any

    async def expect(self, prefix: str, timeout: float) -> str:
        assert self.process.stdout is not None
        while True:
            try:
                line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
            except asyncio.TimeoutError as exc:
                raise PeerError(
                    f"{self.name}: no {prefix!r} within {timeout:.0f} s{self.tail()}"
                ) from exc
            if not line:
                await self.process.wait()
                raise PeerError(
                    f"{self.name} exited ({self.process.returncode}) before {prefix!r}{self.tail()}"
                )
            text = line.decode(errors="replace").strip()
            if text.startswith(prefix):
                return text[len(prefix) :].strip()

    async def result(self, timeout: float) -> dict[str, Any]:
        text = await self.expect("RESULT", timeout)
        value: dict[str, Any] = json.loads(text)
        return value

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")

    def tail(self) -> str:
        try:
            self.stderr.seek(0)
            text = self.stderr.read().decode(errors="replace")
        except (OSError, ValueError):
            return ""
        return ("; stderr:\n" + text[-3000:]) if text.strip() else ""


@contextlib.asynccontextmanager
async def peer(
    name: str, argv: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> AsyncIterator[Peer]:
    """Runs ``argv``; the child is stopped (terminate, then kill) on exit."""
    with tempfile.TemporaryFile(mode="w+b") as stderr:
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=str(cwd or REPO_DIR),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, **(env or {})},
            # A latency result is one long JSON line.
            limit=64 * 1024 * 1024,
        )
        try:
            yield Peer(process, name, stderr)
        finally:
            if process.stdin is not None:
                with contextlib.suppress(Exception):
                    process.stdin.close()
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 5)
                except asyncio.TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                    await process.wait()
            if process.stdout is not None:
                with contextlib.suppress(Exception):
                    await process.stdout.read()


def python_argv(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def proc_rss_kib(pid: int | None = None) -> int:
    """Resident set size of a process in KiB (Linux)."""
    text = _read(f"/proc/{pid or 'self'}/status")
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux)."""
    fields = _read(f"/proc/{pid}/stat").rsplit(")", 1)[-1].split()
    if len(fields) < 13:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks
