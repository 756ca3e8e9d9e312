"""gws-async holding N sessions in one process, through its public API: the Python side of
the many-sessions measure (benchmarks/sessions.py).

``python -m benchmarks.peer_sessions --url BASE --cometd-path /cometd --prefix CHANNEL
--sessions N --count C --warmup W [--json default|orjson] [--loop asyncio|uvloop]``

An :class:`~gws_async.pool.AgentPool` of N agents (its default set-up: one
``aiohttp.ClientSession`` and cookie jar per agent over one shared ``TCPConnector``; each
agent logs in with ``GET /api/v2/me``), then per agent a
``gws.events(WorkbinStateChangeMessage, topics=[PREFIX/i])`` stream (default buffer and
overflow policy) consumed by a task of its own. Same line protocol and result as
node/sessions.mjs: ``READY`` once every stream is subscribed, then ``RESULT {json}`` once
every agent has its C measured messages (or on ``STOP`` from stdin).

``--json default`` hides orjson from the client, as on an install without the ``fast``
extra: gws_async then parses with the standard library's ``json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from typing import Any

from ._profile import GcTimer

LOGIN_CONCURRENCY = 50  # agents logging in and subscribing at once


class Tally:
    """What the consumers saw, over every agent."""

    def __init__(self, sessions: int, count: int) -> None:
        self.sessions = sessions
        self.count = count
        self.received = 0
        self.warm_received = 0
        self.complete_sessions = 0
        self.first_at = 0.0
        self.last_at = 0.0
        self.cpu_at_first = 0.0
        self.cpu_at_last = 0.0
        self.latencies: list[float] = []
        self.done = asyncio.Event()

    def see(self, agent: Agent, data: dict[str, Any]) -> None:
        at = time.time() * 1000.0
        if data.get("warmup"):
            self.warm_received += 1
            return
        if self.received == 0:
            self.first_at = at
            self.cpu_at_first = time.process_time()
        seq = data.get("seq")
        if seq != agent.expected:
            agent.in_order = False
        agent.expected = (seq if isinstance(seq, int) else -2) + 1
        self.latencies.append(at - float(data.get("sentAt", at)))
        self.received += 1
        self.last_at = at
        agent.received += 1
        if agent.received == self.count:
            self.complete_sessions += 1
            if self.complete_sessions == self.sessions:
                self.cpu_at_last = time.process_time()
                self.done.set()

    def result(self, agents: list[Agent], stats: dict[str, int]) -> dict[str, Any]:
        cpu_end = self.cpu_at_last or time.process_time()
        return {
            "sessions": self.sessions,
            "received": self.received,
            "warmReceived": self.warm_received,
            "complete": self.complete_sessions == self.sessions
            and self.received == self.sessions * self.count,
            "inOrder": all(a.in_order for a in agents),
            "shortSessions": sum(1 for a in agents if a.received < self.count),
            "firstAt": self.first_at,
            "lastAt": self.last_at,
            "cpuSeconds": cpu_end - self.cpu_at_first if self.received else 0.0,
            "latenciesMs": [round(x, 2) for x in self.latencies],
            **stats,
        }


class Agent:
    """One agent's consumer state."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.expected = 0
        self.received = 0
        self.in_order = True


async def run(args: argparse.Namespace) -> None:
    from gws_async.events import WorkbinStateChangeMessage
    from gws_async.pool import AgentPool

    tally = Tally(args.sessions, args.count)
    agents = [Agent(f"{args.prefix}/{i}") for i in range(args.sessions)]
    credentials = [(f"agent{i}", f"pw{i}") for i in range(args.sessions)]
    loop = asyncio.get_running_loop()

    def on_stdin() -> None:
        line = sys.stdin.readline()
        if not line or line.strip() == "STOP":
            tally.done.set()

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    stats = {"droppedEvents": 0, "unknownEvents": 0, "reconnects": 0, "handshakes": 0}
    pool = AgentPool(
        args.url,
        credentials,
        concurrency=LOGIN_CONCURRENCY,
        topics=(),  # each agent subscribes to its own channel through its stream
        cometd_path=args.cometd_path,
    )
    try:
        async with pool, contextlib.AsyncExitStack() as streams:
            gate = asyncio.Semaphore(LOGIN_CONCURRENCY)

            async def open_stream(name: str, agent: Agent) -> Any:
                async with gate:
                    stream = pool[name].events(WorkbinStateChangeMessage, topics=[agent.channel])
                    return await streams.enter_async_context(stream)

            names = [name for name, _ in credentials]
            pairs = list(zip(names, agents, strict=True))
            opened = await asyncio.gather(*(open_stream(name, agent) for name, agent in pairs))

            async def consume(stream: Any, agent: Agent) -> None:
                async for event in stream:
                    tally.see(agent, event.model_extra or {})

            tasks = [
                asyncio.create_task(consume(stream, agent))
                for stream, agent in zip(opened, agents, strict=True)
            ]
            timer = GcTimer()
            print("READY", flush=True)
            await tally.done.wait()  # every message seen, or STOP
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for name in pool:
                figures = pool[name].stats
                stats["droppedEvents"] += figures.dropped_events
                stats["unknownEvents"] += figures.unknown_events
                stats["reconnects"] += figures.reconnects
                stats["handshakes"] += figures.handshakes
            result = {**tally.result(agents, stats), "gcShare": timer.share()}
            print("RESULT " + json.dumps(result), flush=True)
    finally:
        loop.remove_reader(sys.stdin.fileno())


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peer_sessions")
    parser.add_argument("--url", required=True, help="scheme, host and port of the server")
    parser.add_argument("--cometd-path", default="/cometd")
    parser.add_argument("--prefix", required=True, help="agent i subscribes to PREFIX/i")
    parser.add_argument("--sessions", type=int, required=True)
    parser.add_argument("--count", type=int, required=True, help="measured messages per agent")
    parser.add_argument("--warmup", type=int, default=0, help="warm-up messages per agent")
    parser.add_argument(
        "--json",
        choices=("default", "orjson"),
        default="orjson",
        help="default: hide orjson, as without the `fast` extra",
    )
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    return parser.parse_args(argv)


def main() -> None:
    args = parse()
    if args.json == "default":
        # An import of orjson now fails, as where it is not installed.
        sys.modules["orjson"] = None  # type: ignore[assignment]
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(run(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
