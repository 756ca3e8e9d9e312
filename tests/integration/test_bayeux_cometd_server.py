"""Our Bayeux client against a Bayeux server we did not write.

The server is the CometD project's ``cometd-nodejs-server``, run on loopback by the
``cometd_server`` fixture (see conftest.py and tests/cometd_server/server.js).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from gws_async.bayeux import BayeuxClient, Extension
from tests.conftest import Eventually

if TYPE_CHECKING:
    from conftest import CometDNodeServer

pytestmark = pytest.mark.node

HOSTS = ["127.0.0.1", "localhost", "::1"]


class Inbox:
    """Collects what ``on_message`` is given, in order."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    def seqs(self, channel: str) -> list[int]:
        return [m["data"]["seq"] for m in self.messages if m.get("channel") == channel]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # unsafe=True: the server's BAYEUX_BROWSER cookie names the session table it looks
    # clientIds up in, and the default jar drops cookies from IP-address hosts.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def skip_unless_served(server: CometDNodeServer, host: str) -> None:
    if host == "::1" and "::1" not in server.hosts:
        pytest.skip("this machine has no IPv6 loopback")


@pytest.mark.parametrize("host", HOSTS)
async def test_handshake_and_connect(
    cometd_server: CometDNodeServer, http: aiohttp.ClientSession, host: str, eventually: Eventually
) -> None:
    skip_unless_served(cometd_server, host)
    client = BayeuxClient(http, cometd_server.url(host), on_message=Inbox())
    await client.start()
    try:
        assert isinstance(client.client_id, str)
        assert client.client_id
        assert client.handshakes == 1
        await eventually(lambda: client.connected, "the first /meta/connect", timeout=10.0)
        assert (await cometd_server.sessions())["sessions"] == 1
    finally:
        await client.close()


@pytest.mark.parametrize("chunk", [None, 7], ids=["one-burst", "many-responses"])
@pytest.mark.parametrize("host", HOSTS)
async def test_thousand_messages_arrive_once_and_in_order(
    cometd_server: CometDNodeServer,
    http: aiohttp.ClientSession,
    host: str,
    chunk: int | None,
    eventually: Eventually,
) -> None:
    skip_unless_served(cometd_server, host)
    inbox = Inbox()
    async with BayeuxClient(http, cometd_server.url(host), on_message=inbox) as client:
        await client.subscribe("/test/order")
        assert await cometd_server.publish("/test/order", 1000, chunk=chunk) == 1000
        await eventually(lambda: len(inbox.messages) >= 1000, "1000 messages", timeout=30)
        # A duplicate would come after the 1000th message: give it a moment to show up.
        await asyncio.sleep(0.2)
    assert inbox.seqs("/test/order") == list(range(1000))
    assert len(inbox.messages) == 1000


async def test_rehandshakes_and_resubscribes_after_server_lost_the_session(
    cometd_server: CometDNodeServer, http: aiohttp.ClientSession, eventually: Eventually
) -> None:
    inbox = Inbox()
    async with BayeuxClient(http, cometd_server.url(), on_message=inbox) as client:
        await client.subscribe("/test/a", "/test/b")
        await cometd_server.publish("/test/a", 1, start=0)
        await eventually(lambda: inbox.seqs("/test/a") == [0], "the first message", timeout=10.0)
        first_id = client.client_id

        assert await cometd_server.drop_sessions() == 1

        await eventually(lambda: client.handshakes == 2, "a second handshake", timeout=10.0)

        async def resubscribed() -> bool:
            state = await cometd_server.sessions()
            expected = {"/test/a": 1, "/test/b": 1}
            return bool(state["sessions"] == 1 and state["subscriptions"] == expected)

        await eventually(resubscribed, "both channels subscribed again", timeout=10.0)
        assert client.client_id not in (None, first_id)
        assert client.subscriptions == {"/test/a", "/test/b"}
        await eventually(lambda: client.connected, "/meta/connect on the new session", timeout=10.0)

        await cometd_server.publish("/test/a", 3, start=1)
        await cometd_server.publish("/test/b", 2, start=100)
        await eventually(
            lambda: len(inbox.seqs("/test/a")) >= 4 and len(inbox.seqs("/test/b")) >= 2,
            "messages published after the re-handshake",
            timeout=10.0,
        )
        await asyncio.sleep(0.1)
        assert client.handshakes == 2
    assert inbox.seqs("/test/a") == [0, 1, 2, 3]
    assert inbox.seqs("/test/b") == [100, 101]


async def test_unsubscribed_channel_gets_nothing_more(
    cometd_server: CometDNodeServer, http: aiohttp.ClientSession, eventually: Eventually
) -> None:
    inbox = Inbox()
    async with BayeuxClient(http, cometd_server.url(), on_message=inbox) as client:
        await client.subscribe("/test/keep", "/test/drop")
        await cometd_server.publish("/test/drop", 1, start=0)
        await cometd_server.publish("/test/keep", 1, start=0)
        await eventually(
            lambda: inbox.seqs("/test/keep") == [0] and inbox.seqs("/test/drop") == [0],
            "a message on each channel",
            timeout=10.0,
        )

        await client.unsubscribe("/test/drop")
        assert client.subscriptions == {"/test/keep"}
        assert (await cometd_server.sessions())["subscriptions"] == {"/test/keep": 1}

        # Both go into the one queue the server keeps for this session, /test/drop first:
        # once the /test/keep message is in, a /test/drop one would have been too.
        await cometd_server.publish("/test/drop", 5, start=1)
        await cometd_server.publish("/test/keep", 1, start=1)
        await eventually(
            lambda: inbox.seqs("/test/keep") == [0, 1], "the /test/keep message", timeout=10.0
        )
        await asyncio.sleep(0.1)
    assert inbox.seqs("/test/drop") == [0]


@pytest.mark.parametrize("cometd_server", [{"timeout": 10_000}], indirect=True)
async def test_close_disconnects_without_waiting_for_the_long_poll(
    cometd_server: CometDNodeServer, http: aiohttp.ClientSession, eventually: Eventually
) -> None:
    client = BayeuxClient(http, cometd_server.url(), on_message=Inbox())
    await client.start()
    try:
        await client.subscribe("/test/close")

        async def held() -> bool:
            return bool((await cometd_server.sessions())["held"] == 1)

        await eventually(held, "the server to hold a /meta/connect", timeout=10.0)
    finally:
        started = time.monotonic()
        await client.close()
        elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"close() took {elapsed:.2f} s"
    assert not client.connected

    # Left to expire, the session would live on for the 10 s timeout plus maxInterval:
    # gone within a second means the server got /meta/disconnect.
    async def gone() -> bool:
        state = await cometd_server.sessions()
        return bool(state["sessions"] == 0 and state["subscriptions"] == {})

    await eventually(gone, "the server to drop the session", timeout=1.0)


class Recorder(Extension):
    """Sees every batch both ways and tags every outgoing message for the server to echo."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.batches_out = 0

    async def outgoing(self, messages: list[dict[str, Any]], headers: dict[str, str]) -> None:
        self.batches_out += 1
        headers["X-Bayeux-Echo"] = f"batch-{self.batches_out}"
        for message in messages:
            message.setdefault("ext", {})["echo"] = {"n": len(self.sent)}
            self.sent.append(message)

    async def incoming(self, messages: list[dict[str, Any]], headers: Mapping[str, str]) -> None:
        self.received.extend(messages)

    def sent_on(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m.get("channel") == channel]


async def test_extensions_see_every_message_both_ways(
    cometd_server: CometDNodeServer, http: aiohttp.ClientSession, eventually: Eventually
) -> None:
    recorder = Recorder()
    inbox = Inbox()
    client = BayeuxClient(http, cometd_server.url(), on_message=inbox, extensions=[recorder])
    await client.start()
    try:
        await client.subscribe("/test/ext")
        await cometd_server.publish("/test/ext", 3)
        await client.publish("/test/ext", {"seq": 3})
        await eventually(lambda: len(inbox.messages) >= 4, "four data messages", timeout=10.0)
        # With nothing left to deliver, two more /meta/connect mean that at least one poll
        # ran out the server's 2 s hold and the client renewed it.
        connects = len(recorder.sent_on("/meta/connect"))
        await eventually(
            lambda: len(recorder.sent_on("/meta/connect")) >= connects + 2,
            "a long poll to run out and be renewed",
            timeout=8.0,
        )
    finally:
        await client.close()

    assert inbox.seqs("/test/ext") == [0, 1, 2, 3]
    for channel in ("/meta/handshake", "/meta/subscribe", "/meta/disconnect", "/test/ext"):
        assert recorder.sent_on(channel), f"the extension saw nothing sent on {channel}"

    # The incoming hook saw each data message that on_message got, as it was on the wire.
    data_in = [m for m in recorder.received if "data" in m]
    assert [m["data"] for m in data_in] == [m["data"] for m in inbox.messages]

    # Every reply carries back the tag its message went out with, so the server received
    # the extension's changes, and the incoming hook saw every reply.
    replies = {m["id"]: m for m in recorder.received if "id" in m and "successful" in m}
    sent_with_id = {m["id"]: m for m in recorder.sent}
    unanswered = set(sent_with_id) - set(replies)
    # Only the poll that close() cut short, and maybe the disconnect, go unanswered.
    assert {sent_with_id[i]["channel"] for i in unanswered} <= {"/meta/connect", "/meta/disconnect"}
    assert len(unanswered) <= 2
    for reply_id, reply in replies.items():
        sent = sent_with_id[reply_id]
        assert reply["channel"] == sent["channel"]
        assert reply["ext"]["echo"] == sent["ext"]["echo"], reply
        assert reply["ext"]["header"].startswith("batch-"), reply


async def test_order_holds_when_other_requests_carry_messages(
    cometd_server: CometDNodeServer, http: aiohttp.ClientSession, eventually: Eventually
) -> None:
    inbox = Inbox()
    carriers = CarrierCounter()
    client = BayeuxClient(http, cometd_server.url(), on_message=inbox, extensions=[carriers])
    async with client:
        await client.subscribe("/test/order")
        # This server hands queued messages to whichever request of the session it answers
        # first, so the replies to these publishes carry some of the /test/order messages.
        publishing = asyncio.create_task(cometd_server.publish("/test/order", 1000, chunk=1))
        while not publishing.done():
            await client.publish("/test/elsewhere", {"x": 1})
        assert await publishing == 1000
        await eventually(lambda: len(inbox.messages) >= 1000, "1000 messages", timeout=30)
        await asyncio.sleep(0.2)
    assert inbox.seqs("/test/order") == list(range(1000))
    assert len(inbox.messages) == 1000
    assert carriers.outside_connect > 0, "no message came with a publish reply: nothing tested"


class CarrierCounter(Extension):
    """Counts data messages that came in a response to something other than /meta/connect."""

    def __init__(self) -> None:
        self.outside_connect = 0
        self.in_connect = 0

    async def incoming(self, messages: list[dict[str, Any]], headers: Mapping[str, str]) -> None:
        data = sum(1 for m in messages if "data" in m)
        if any(m.get("channel") == "/meta/connect" for m in messages):
            self.in_connect += data
        else:
            self.outside_connect += data
