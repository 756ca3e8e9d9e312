"""Soak: the listener against the CometD project's own server while it is killed,
restarted and made to forget its sessions, with messages published all along.

A publisher task sends one message at a time through the server's control API, which
says whether the channel had a subscriber when the message went out. Those messages,
and only those, must reach the client: exactly once, in order.

Faults are injected at a point where everything published so far has been delivered
(a killed process takes its undelivered queue with it; no client can get that back).
Publishing goes on during every recovery: what is published before the client is
subscribed again reaches nobody, and is not expected.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gws_async import Backoff
from gws_async.bayeux import BayeuxClient, Message
from tests.conftest import Eventually

pytestmark = pytest.mark.node

STARTUP_TIMEOUT = 20.0
CHANNEL = "/soak"
ROUNDS = ("kill", "drop", "kill", "drop", "kill", "drop")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """server.js on a fixed port, that can be killed and started again."""

    def __init__(self, directory: Path, port: int, http: aiohttp.ClientSession) -> None:
        self.directory = directory
        self.port = port
        self.http = http
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cometd"

    async def start(self) -> None:
        node = shutil.which("node")
        assert node is not None
        self.process = await asyncio.create_subprocess_exec(
            node,
            "server.js",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--timeout",
            "2000",
            cwd=self.directory,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        # The old process's port may take a moment to be free again.
        line = await asyncio.wait_for(self.process.stdout.readline(), STARTUP_TIMEOUT)
        assert line.decode().strip() == f"LISTENING {self.port}"

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no goodbye to anyone
        await self.stop()

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await process.wait()
        # Close or drain every pipe, or asyncio reports the transports as unclosed.
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.close()
        with contextlib.suppress(ConnectionError):
            await process.stdin.wait_closed()
        await process.stdout.read()

    async def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"http://127.0.0.1:{self.port}/control/{path}"
        async with self.http.request(method, url, json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()


class Publisher:
    """Publishes 0, 1, 2, ... one at a time; can be paused between two messages."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.next = 0
        self.expected: list[int] = []  # published while someone was subscribed
        self.refused = 0
        self._go = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    async def run(self) -> None:
        while True:
            await self._go.wait()
            self._idle.clear()
            try:
                payload = await self.server.control(
                    "POST", "publish", {"channel": CHANNEL, "count": 1, "start": self.next}
                )
            except aiohttp.ClientConnectionError:
                self.refused += 1  # the server is down: nothing was published
            else:
                if payload["reached"]:
                    self.expected.append(self.next)
                self.next += 1
            finally:
                self._idle.set()
            await asyncio.sleep(0.002)

    def resume(self) -> None:
        self._go.set()

    async def pause(self) -> None:
        self._go.clear()
        await self._idle.wait()


@pytest.fixture
async def server(cometd_node_server_dir: Path) -> AsyncIterator[Server]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        node = Server(cometd_node_server_dir, free_port(), http)
        await node.start()
        try:
            yield node
        finally:
            await node.stop()


async def test_every_message_exactly_once_in_order_across_kills_and_drops(
    server: Server,
    eventually: Eventually,
) -> None:
    received: list[int] = []

    async def on_message(message: Message) -> None:
        received.append(message["data"]["seq"])

    publisher = Publisher(server)
    # The server keys sessions to a browser cookie; the default jar drops cookies of IP
    # hosts.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        client = BayeuxClient(
            session,
            server.url,
            on_message=on_message,
            backoff=Backoff(0.05, 2.0, 0.4),
            request_timeout=5.0,
        )
        await client.start()
        await client.subscribe(CHANNEL)
        publishing = asyncio.create_task(publisher.run())
        publisher.resume()
        try:
            for number, fault in enumerate(ROUNDS, start=1):
                reached_before = len(publisher.expected)
                await eventually(
                    lambda n=reached_before: len(publisher.expected) >= n + 300,
                    f"round {number}: 300 messages to go out",
                    timeout=15.0,
                )
                await publisher.pause()
                await eventually(
                    lambda: received[-1:] == publisher.expected[-1:],
                    f"round {number}: the client to catch up",
                    timeout=15.0,
                )
                handshakes = client.handshakes
                if fault == "kill":
                    await server.kill()
                    publisher.resume()  # into a closed port until the server is back
                    await server.start()
                else:
                    assert (await server.control("POST", "drop-sessions"))["dropped"] == 1
                    publisher.resume()
                # Recovered: a new session, subscribed again, connected.
                await eventually(
                    lambda h=handshakes: client.handshakes > h and client.connected,
                    f"round {number} ({fault}): the client to recover",
                    timeout=15.0,
                )
            reached_before = len(publisher.expected)
            await eventually(
                lambda: len(publisher.expected) >= reached_before + 300, "a last run", timeout=15.0
            )
            await publisher.pause()
            await eventually(
                lambda: received[-1:] == publisher.expected[-1:], "the last messages", timeout=15.0
            )
        finally:
            publishing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publishing
            await client.close()

    assert received == publisher.expected  # exactly once, in order, nothing missing
    assert client.handshakes == 1 + len(ROUNDS)
    assert publisher.refused > 0  # it kept publishing while the server was down
