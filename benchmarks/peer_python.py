"""Python receivers for the CometD benchmarks, one process per run.

``python -m benchmarks.peer_python --client gws|aiocometd --url URL --channel CHANNEL
--count N --mode burst|latency [--loop asyncio|uvloop]``

Same line protocol as node/client.mjs: ``READY`` once subscribed, then ``RESULT {json}``
after ``count`` messages reached the consumer (or on ``STOP`` from stdin).

* ``gws``: gws-async's own listener (``gws_async._listener.Listener``: the Bayeux client
  on a shared aiohttp session, decoding, the event hub), as ``GwsClient`` runs it; the
  consumer iterates a stream of :class:`~gws_async.events.WorkbinStateChangeMessage`.
* ``aiocometd``: aiocometd-ng's ``Client`` (long-polling), plain dicts from
  ``async for message in client``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from ._profile import GcTimer


class Tally:
    """What the consumer saw."""

    def __init__(self, count: int, latency: bool) -> None:
        self.count = count
        self.received = 0
        self.expected = 0
        self.in_order = True
        self.first_at = 0.0
        self.last_at = 0.0
        self.cpu_at_first = 0.0
        self.latencies: list[float] | None = [] if latency else None
        self.done = asyncio.Event()

    def see(self, seq: Any, sent_at: Any) -> None:
        at = time.time() * 1000.0
        if self.received == 0:
            self.first_at = at
            self.cpu_at_first = time.process_time()
        if seq != self.expected:
            self.in_order = False
        self.expected = (seq if isinstance(seq, int) else -2) + 1
        if self.latencies is not None:
            self.latencies.append(at - float(sent_at))
        self.received += 1
        self.last_at = at
        if self.received >= self.count:
            self.done.set()

    def result(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "received": self.received,
            "inOrder": self.in_order,
            "firstAt": self.first_at,
            "lastAt": self.last_at,
            "cpuSeconds": time.process_time() - self.cpu_at_first if self.received else 0.0,
        }
        if self.latencies is not None:
            value["latenciesMs"] = self.latencies
        return value


async def _run_gws(args: argparse.Namespace, tally: Tally, ready: Callable[[], None]) -> None:
    import aiohttp
    from yarl import URL

    from gws_async._listener import Listener
    from gws_async._transport import Transport
    from gws_async.events import WorkbinStateChangeMessage

    url = URL(args.url)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        # The client's own listener on a transport pointed at the CometD server: the same
        # code path as GwsClient's, from the socket to the stream.
        transport = Transport(
            str(url.origin()), "bench", "bench", cometd_path=url.path, session=session
        )
        # What GwsClient.open() does before its login request (the listener needs an open
        # transport); no login: this peer measures the listener alone.
        transport.open()
        listener = Listener(transport)
        try:
            async with listener.stream(
                (WorkbinStateChangeMessage,),
                topics=[args.channel],
                check=None,
                maxsize=None,
                overflow=None,
            ) as stream:
                ready()

                async def consume() -> None:
                    async for event in stream:
                        extra = event.model_extra or {}
                        tally.see(extra.get("seq"), extra.get("sentAt"))
                        if tally.done.is_set():
                            return

                consumer = asyncio.create_task(consume())
                await tally.done.wait()  # every message seen, or STOP
                consumer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await consumer
        finally:
            await listener.close()
    unknown = listener.stats.unknown_events
    if unknown:
        print(f"{unknown} notification(s) did not decode", file=sys.stderr)


async def _run_aiocometd(args: argparse.Namespace, tally: Tally, ready: Callable[[], None]) -> None:
    from aiocometd_ng.client import Client
    from aiocometd_ng.constants import ConnectionType

    async with Client(args.url, connection_types=ConnectionType.LONG_POLLING) as client:
        await client.subscribe(args.channel)
        ready()

        async def consume() -> None:
            async for message in client:
                data = message.get("data") or {}
                tally.see(data.get("seq"), data.get("sentAt"))
                if tally.done.is_set():
                    return

        consumer = asyncio.create_task(consume())
        await tally.done.wait()
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer


async def main(args: argparse.Namespace) -> None:
    tally = Tally(args.count, args.mode == "latency")
    if args.gc == "tuned":
        import gc

        # Imported now rather than when the client starts, so that freeze() keeps them.
        if args.client == "gws":
            import gws_async.bayeux
            import gws_async.events  # noqa: F401
        else:
            import aiocometd_ng  # noqa: F401
        gc.collect()
        gc.freeze()
        gc.set_threshold(100_000, 50, 1000)
    loop = asyncio.get_running_loop()
    timer = GcTimer()

    def ready() -> None:
        timer.reset()
        print("READY", flush=True)

    def on_stdin() -> None:
        line = sys.stdin.readline()
        if not line or line.strip() == "STOP":
            tally.done.set()

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    run = _run_gws if args.client == "gws" else _run_aiocometd
    try:
        await run(args, tally, ready)
    finally:
        loop.remove_reader(sys.stdin.fileno())
        print("RESULT " + json.dumps({**tally.result(), "gcShare": timer.share()}), flush=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peer_python")
    parser.add_argument("--client", choices=("gws", "aiocometd"), required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--channel", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--mode", choices=("burst", "latency"), default="burst")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument(
        "--gc",
        choices=("default", "tuned"),
        default="default",
        help="tuned: what an application may do once started: gc.freeze() the start-up "
        "heap and raise the first generation's threshold to 100,000 allocations",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.loop == "uvloop":
        import uvloop

        uvloop.run(main(arguments))
    else:
        asyncio.run(main(arguments))
