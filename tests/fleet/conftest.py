"""Fixtures of the fleet tests: a real redis-server on a free loopback port, a simulator
with many agents whose every request is recorded by HTTP session, and worker processes."""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from gws_async.simulator import GwsSimulator, SimAgent

pytest.importorskip("redis", reason="the fleet tests need redis-py (the 'fleet' extra)")

REDIS_SERVER = shutil.which("redis-server")
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "tests/fixtures/spec/workbin_item_added_personal.json").read_text())
TOPIC = "/v2/me/workbins"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A redis-server process of the test's own; ``persistent`` keeps its data (AOF) over
    :meth:`restart`."""

    def __init__(self, directory: Path, *, persistent: bool = False) -> None:
        assert REDIS_SERVER is not None
        self.port = free_port()
        self.directory = directory
        self.persistent = persistent
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.persistent
            else ["--appendonly", "no"]
        )
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--dir", str(self.directory), *persistence],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: a clean shutdown, the AOF written
            self.process.wait(10)
        self.process = None

    def restart(self, downtime: float = 0.0) -> None:
        self.stop()
        time.sleep(downtime)
        self.start()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server without persistence on a free port, stopped at the end."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def persistent_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server with AOF persistence, so a restart keeps streams and groups."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    server = RedisServer(tmp_path, persistent=True)
    server.start()
    yield server
    server.stop()


@dataclass
class Recorder:
    """Every request the simulator got: arrival time, user, HTTP session (``JSESSIONID``)."""

    spans: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        arrived = time.monotonic()
        response = await handler(request)
        user = _basic_user(request.headers.get("Authorization", ""))
        sid = request.cookies.get("JSESSIONID") or (
            response.cookies["JSESSIONID"].value if "JSESSIONID" in response.cookies else None
        )
        if user and sid:
            span = self.spans.setdefault((user, sid), [arrived, arrived])
            span[0], span[1] = min(span[0], arrived), max(span[1], arrived)
        return response

    def overlaps(self) -> list[str]:
        """Users with two HTTP sessions active at the same time (by request arrival)."""
        by_user: dict[str, list[list[float]]] = {}
        for (user, _), span in self.spans.items():
            by_user.setdefault(user, []).append(span)
        found = []
        for user, spans in by_user.items():
            spans.sort()
            for before, after in itertools.pairwise(spans):
                if after[0] <= before[1]:
                    found.append(f"{user}: {before} overlaps {after}")
        return found


def _basic_user(header: str) -> str | None:
    if not header.startswith("Basic "):
        return None
    try:
        return base64.b64decode(header[6:]).decode().partition(":")[0]
    except ValueError:
        return None


def make_agents(count: int) -> list[SimAgent]:
    return [SimAgent(f"agent{i}", f"pw{i}") for i in range(count)]


class RecordedSimulator(GwsSimulator):
    """A simulator whose every request the :class:`Recorder` sees first."""

    def __init__(self, agents: list[SimAgent], **options: Any) -> None:
        super().__init__(agents, long_poll_timeout=2.0, **options)
        self.recorder = Recorder()
        self.make_app().middlewares.insert(0, self.recorder.middleware)

    def subscribed(self) -> set[str]:
        """Agents with a Bayeux session subscribed to the workbins topic."""
        return {s.username for s in self._bayeux.sessions.values() if TOPIC in s.subscriptions}

    def push_seq(self, username: str, seq: int) -> int:
        """Push the spec's ItemAdded sample, numbered, to the agent; sessions reached."""
        data = dict(SAMPLE["data"], seq=seq)
        return self.push(username, TOPIC, data)


@pytest.fixture
async def fleet_sim() -> AsyncIterator[RecordedSimulator]:
    """A recorded simulator with 100 agents (agent0/pw0 ..)."""
    async with RecordedSimulator(make_agents(100)) as sim:
        yield sim


def write_agents(directory: Path, names: list[str], passwords: dict[str, str]) -> tuple[Path, Path]:
    """An agents file and a secrets file."""
    agents = directory / "agents.txt"
    agents.write_text("\n".join(names) + "\n")
    secrets = directory / "secrets.txt"
    secrets.write_text("".join(f"{n}:{p}\n" for n, p in passwords.items()))
    return agents, secrets


@dataclass
class Workers:
    """Worker processes of the CLI, killed at the end."""

    url: str
    redis_url: str
    agents: Path
    secrets: Path
    directory: Path
    options: list[str] = field(
        default_factory=lambda: ["--ttl", "4", "--margin", "1.5", "--tick", "0.5"]
    )
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, worker_id: str, *extra: str) -> subprocess.Popen[bytes]:
        with open(self.directory / f"{worker_id}.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gws_async", "-v", "fleet", "worker", self.url,
                 "--agents", str(self.agents), "--secrets", str(self.secrets),
                 "--redis", self.redis_url, "--id", worker_id, *self.options, *extra],
                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            )  # fmt: skip
        self.processes[worker_id] = process
        return process

    def log(self, worker_id: str) -> str:
        return (self.directory / f"{worker_id}.log").read_text(errors="replace")

    def kill(self, worker_id: str, sig: int = signal.SIGKILL) -> None:
        self.processes[worker_id].send_signal(sig)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait(10)


@pytest.fixture
def workers_factory(tmp_path: Path) -> Iterator[list[Workers]]:
    made: list[Workers] = []
    yield made
    for workers in made:
        workers.stop_all()


def redis_client(url: str) -> Any:
    """A plain redis-py client for a test's own checks, with time limits so a check cannot
    hang the test."""
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


async def owners(redis_url: str, prefix: str = "gws:workers:") -> dict[str, str]:
    """Agent -> worker id, from the lease keys."""
    async with redis_client(redis_url) as client:
        keys = [k async for k in client.scan_iter(match=f"{prefix}lease:*", count=1000)]
        values = await client.mget(keys) if keys else []
    result = {}
    for key, value in zip(keys, values, strict=True):
        if value is not None:
            result[key.decode().rsplit(":", 1)[1]] = value.decode().rsplit(":", 1)[0]
    return result
