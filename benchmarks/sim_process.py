"""The embedded GWS simulator in a process of its own, for measures 4 and 5.

``python -m benchmarks.sim_process --agents N [--long-poll S]``

Prints ``READY <simulator url> <control url>``. Agents are ``agent0`` .. ``agent{N-1}``
with passwords ``pw0`` ..; a small control API on another port:

* ``GET /status``: Bayeux sessions, held long polls, sessions subscribed to the workbins
  topic;
* ``POST /publish {"rate": per agent per second, "duration": s}``: pushes the spec's workbin
  ItemAdded sample to every agent at that rate (spread evenly over each period), each
  with ``seq`` (per agent, from 0) and ``sentAt`` (epoch ms); answers when done with
  ``{"published": per agent, "late": s}``.

Messages are queued straight onto each agent's Bayeux session through an index by user
name: ``GwsSimulator.push`` looks for the agent's sessions among all of them, which costs
O(agents) per message and would make the simulator, not the client, the subject.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from gws_async.simulator import GwsSimulator, SimAgent

TOPIC = "/v2/me/workbins"
SAMPLE = (
    Path(__file__).resolve().parent.parent / "tests/fixtures/spec/workbin_item_added_personal.json"
)


class Publisher:
    def __init__(self, sim: GwsSimulator, usernames: list[str]) -> None:
        self.sim = sim
        self.usernames = usernames
        self.data = json.loads(SAMPLE.read_text(encoding="utf-8"))["data"]
        self.ids = itertools.count(1)

    def _index(self) -> dict[str, Any]:
        bayeux = self.sim._bayeux
        return {s.username: s for s in bayeux.sessions.values() if TOPIC in s.subscriptions}

    async def run(self, rate: float, duration: float) -> dict[str, Any]:
        bayeux = self.sim._bayeux
        index = self._index()
        loop = asyncio.get_running_loop()
        period = 1.0 / rate
        periods = round(rate * duration)
        slices = 10  # each period's agents are served in 10 slices, 1/10 period apart
        names = self.usernames
        per_slice = -(-len(names) // slices)
        start = loop.time()
        late = 0.0
        missing = 0
        for seq in range(periods):
            for part in range(slices):
                due = start + seq * period + part * period / slices
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    late = max(late, -delay)
                sent_at = time.time() * 1000.0
                for name in names[part * per_slice : (part + 1) * per_slice]:
                    session = index.get(name)
                    if session is None or session.client_id not in bayeux.sessions:
                        index = self._index()  # a client handshook again
                        session = index.get(name)
                        if session is None:
                            missing += 1
                            continue
                    data = dict(self.data)
                    data["seq"] = seq
                    data["sentAt"] = sent_at
                    message = {"channel": TOPIC, "data": data, "id": str(next(self.ids))}
                    bayeux._enqueue(session, message)
        return {"published": periods, "late": late, "missing": missing}


async def main(args: argparse.Namespace) -> None:
    agents = [SimAgent(f"agent{i}", f"pw{i}") for i in range(args.agents)]
    sim = GwsSimulator(agents, long_poll_timeout=args.long_poll, max_interval=args.max_interval)
    publisher = Publisher(sim, [a.username for a in agents])

    async def status(request: web.Request) -> web.Response:
        sessions = list(sim._bayeux.sessions.values())
        return web.json_response(
            {
                "sessions": len(sessions),
                "held": sum(1 for s in sessions if s.held is not None),
                "subscribed": sum(1 for s in sessions if TOPIC in s.subscriptions),
                "cpu_seconds": time.process_time(),
            }
        )

    async def publish(request: web.Request) -> web.Response:
        body = await request.json()
        result = await publisher.run(float(body["rate"]), float(body["duration"]))
        return web.json_response(result)

    control = web.Application()
    control.router.add_get("/status", status)
    control.router.add_post("/publish", publish)
    runner = web.AppRunner(control)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    control_port = runner.addresses[0][1]
    async with sim:
        print(f"READY {sim.url} http://127.0.0.1:{control_port}", flush=True)
        # Runs until its parent closes stdin.
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while await reader.readline():
            pass
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sim_process")
    parser.add_argument("--agents", type=int, default=2)
    parser.add_argument("--long-poll", type=float, default=30.0)
    parser.add_argument("--max-interval", type=float, default=30.0)
    asyncio.run(main(parser.parse_args()))
