"""A fleet on one machine: a simulator with 20 agents, a redis-server, two worker
processes and a consumer printing every event with its agent.

    pip install 'gws-async[fleet]'    # and Debian's redis-server
    python examples/fleet.py

The workers split the agents between them (see the "Scaling out" guide); the simulator
then offers each agent a chat, and the consumer prints the events as they come through
Redis. Stop with Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from gws_async.fleet import fleet_events
from gws_async.simulator import GwsSimulator, SimAgent

AGENTS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def main() -> None:
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("redis-server is needed (Debian: apt-get install redis-server)")
    port = free_port()
    redis = await asyncio.create_subprocess_exec(
        server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    redis_url = f"redis://127.0.0.1:{port}/0"
    work = Path(tempfile.mkdtemp())
    names = [f"agent{i}" for i in range(AGENTS)]
    (work / "agents.txt").write_text("\n".join(names) + "\n")
    (work / "secrets.txt").write_text("".join(f"{n}:pw-{n}\n" for n in names))
    sim = GwsSimulator([SimAgent(n, f"pw-{n}") for n in names])
    await sim.start()
    command = [sys.executable, "-m", "gws_async", "fleet", "worker", sim.url,
               "--agents", str(work / "agents.txt"), "--secrets", str(work / "secrets.txt"),
               "--redis", redis_url, "--processes", "2"]  # fmt: skip
    workers = await asyncio.create_subprocess_exec(*command)
    try:
        await asyncio.sleep(5)  # the workers log their agents in
        for name in names:
            sim.offer_chat(name, message="Hello from the fleet example")
        events = fleet_events(redis_url, group="example")
        async with events:
            async for event in events:
                meta = events.current
                assert meta is not None
                origin = " (resync)" if meta.resync else ""
                print(f"{meta.agent:8} {type(event).__name__} {event.media or ''}{origin}")
    finally:
        # SIGTERM: each worker hands its agents over and leaves. (Ctrl-C in a terminal
        # has already reached every process of the group.)
        for process in (workers, redis):
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            await process.wait()
            if process is workers:
                await sim.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
