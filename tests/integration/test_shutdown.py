"""Closing the client: /meta/disconnect sent, long-poll cancelled, back within a second,
no task left behind.

The simulator runs on its own event loop in a thread, so every task left on the test's
loop after ``close()`` belongs to the client.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web

from gws_async import GwsClient, Topic
from gws_async.bayeux import BayeuxClient
from gws_async.simulator import GwsSimulator
from tests.conftest import Eventually

T = TypeVar("T")
CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


class ThreadedSimulator:
    """A simulator on its own loop, in a thread."""

    def __init__(self) -> None:
        self.sim = GwsSimulator(long_poll_timeout=30.0)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ThreadedSimulator:
        self._thread.start()
        self.run(self.sim.start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.run(self.sim.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def call(self, function: Callable[[], T]) -> T:
        future: Future[T] = Future()

        def invoke() -> None:
            try:
                future.set_result(function())
            except BaseException as exc:
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(invoke)
        return future.result(10)


@pytest.fixture
def threaded() -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator() as simulator:
        yield simulator


def ours(before: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t not in before and t is not current}


async def drain(stream: Any) -> list[Any]:
    return [event async for event in stream]


async def test_close_during_a_held_poll(
    threaded: ThreadedSimulator, eventually: Eventually
) -> None:
    loop = asyncio.get_running_loop()
    before = asyncio.all_tasks()
    gws = GwsClient(threaded.sim.url, "agent1", "password1")
    await gws.open()
    stream = gws.events()
    await stream.__aenter__()  # subscribes the default topics
    consumer = asyncio.create_task(drain(stream))
    await eventually(lambda: gws.stats.connected)
    subscribed = threaded.call(lambda: threaded.sim.push("agent1", Topic.DEVICES, {}))
    assert subscribed == 1
    await eventually(lambda: gws.stats.events_received == 2)
    await asyncio.sleep(0.2)  # the next /meta/connect is now held by the server (30 s)

    started = loop.time()
    await gws.close()
    assert loop.time() - started < 1.0

    # /meta/disconnect reached the server: it forgot the session at once.
    assert threaded.call(lambda: threaded.sim.push("agent1", Topic.DEVICES, {})) == 0
    # The consumer's iteration ended, and nothing of the client is left running.
    received = await asyncio.wait_for(consumer, 1)
    assert [type(e).__name__ for e in received] == ["ListenerConnected", "UnknownEvent"]
    await asyncio.sleep(0)
    assert not ours(before)


async def test_close_with_the_server_gone(
    threaded: ThreadedSimulator, eventually: Eventually
) -> None:
    loop = asyncio.get_running_loop()
    before = asyncio.all_tasks()
    gws = GwsClient(threaded.sim.url, "agent1", "password1")
    await gws.open()
    await gws.subscribe(Topic.WORKBINS)
    await eventually(lambda: gws.stats.connected)
    threaded.run(threaded.sim.stop())
    await eventually(lambda: not gws.stats.connected)
    started = loop.time()
    await gws.close()
    assert loop.time() - started < 1.0
    await asyncio.sleep(0)
    assert not ours(before)
    threaded.run(threaded.sim.start())  # for the fixture's stop


@pytest.fixture
async def black_hole() -> AsyncIterator[str]:
    """A Bayeux endpoint that handshakes, then never answers anything again."""

    async def handle(request: web.Request) -> web.StreamResponse:
        messages = await request.json()
        if messages[0]["channel"] == "/meta/handshake":
            return web.json_response(
                [
                    {
                        "channel": "/meta/handshake",
                        "id": messages[0]["id"],
                        "successful": True,
                        "clientId": "c1",
                        "version": "1.0",
                        "supportedConnectionTypes": ["long-polling"],
                        "advice": {"timeout": 30000, "interval": 0, "reconnect": "retry"},
                    }
                ]
            )
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_post("/cometd", handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/cometd"
    await runner.cleanup()


async def test_close_returns_in_time_when_the_server_never_answers(black_hole: str) -> None:
    import aiohttp

    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        client = BayeuxClient(session, black_hole)
        await client.start()
        await asyncio.sleep(0.1)  # the connect is hanging
        started = loop.time()
        await client.close()  # the disconnect hangs too
        assert loop.time() - started < 1.0
        assert not client.running


def test_the_suite_fails_a_test_that_leaks_a_task_or_a_session(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST.read_text(encoding="utf-8"))
    (tmp_path / "test_leaky.py").write_text(
        textwrap.dedent(
            """
            import asyncio
            import gc

            import aiohttp


            async def test_leaks_a_pending_task():
                async def stuck():
                    await asyncio.get_running_loop().create_future()

                asyncio.ensure_future(stuck())  # nobody keeps a reference to it
                await asyncio.sleep(0)
                gc.collect()  # so it is destroyed while pending


            async def test_leaks_a_session():
                aiohttp.ClientSession()


            async def test_clean():
                async with aiohttp.ClientSession():
                    pass
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    out = result.stdout
    assert result.returncode == 1, out
    assert "test_leaks_a_pending_task leaked: Task was destroyed but it is pending" in out
    assert "test_leaks_a_session leaked: Unclosed client session" in out
    assert "3 passed, 2 errors" in out  # the errors are the two leaks, at teardown
