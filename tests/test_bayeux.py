"""The Bayeux client against a scripted server (aioresponses): advice, re-handshake,
backoff, extensions. The real-server proof is in tests/integration."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult
from yarl import URL

from gws_async import AuthenticationError, Backoff, BayeuxError
from gws_async._bayeux_wire import MAX_INTERVAL, MAX_MAX_INTERVAL, MAX_TIMEOUT, BayeuxWire
from gws_async.bayeux import Advice, BayeuxClient, Extension, Message
from tests.conftest import Eventually, RestMock

URL_ = "http://127.0.0.1:8090/api/v2/notifications"


class ScriptedServer:
    """Answers each Bayeux request from per-channel scripts; records everything."""

    def __init__(self) -> None:
        self.received: list[Message] = []
        self.headers: list[Mapping[str, str]] = []
        self.client_ids = 0
        # items: list of extra messages, Exception, str (an HTML body), int (an HTTP error)
        self.connect_script: list[Any] = []
        self.subscribe_error: str | None = None
        self.hold = asyncio.Event()

    def handshake_reply(self, msg: Message) -> Message:
        self.client_ids += 1
        return {
            "channel": "/meta/handshake",
            "id": msg["id"],
            "successful": True,
            "clientId": f"c{self.client_ids}",
            "version": "1.0",
            "advice": {"reconnect": "retry", "interval": 0, "timeout": 1000},
        }

    async def handle(self, url: URL, **kwargs: Any) -> CallbackResult:
        messages = json.loads(kwargs["data"])
        self.headers.append(kwargs["headers"])
        out: list[Message] = []
        for msg in messages:
            self.received.append(msg)
            channel = msg["channel"]
            if channel == "/meta/handshake":
                out.append(self.handshake_reply(msg))
            elif channel == "/meta/connect":
                step = self.connect_script.pop(0) if self.connect_script else None
                if isinstance(step, Exception):
                    raise step
                if isinstance(step, str):
                    return CallbackResult(body=step, content_type="text/html")
                if isinstance(step, int):
                    return CallbackResult(
                        status=step, payload={"statusCode": 3, "statusMessage": "refused"}
                    )
                if isinstance(step, dict):  # a whole custom connect reply
                    out.append({"channel": "/meta/connect", "id": msg["id"], **step})
                    continue
                if step is None:
                    await self.hold.wait()  # park like a real long-poll
                out.extend(step or [])
                out.append({"channel": "/meta/connect", "id": msg["id"], "successful": True})
            elif channel in ("/meta/subscribe", "/meta/unsubscribe"):
                reply = {"channel": channel, "id": msg["id"], "subscription": msg["subscription"]}
                if self.subscribe_error:
                    reply.update(successful=False, error=self.subscribe_error)
                else:
                    reply["successful"] = True
                out.append(reply)
            elif channel == "/meta/disconnect":
                out.append({"channel": channel, "id": msg["id"], "successful": True})
        return CallbackResult(body=json.dumps(out), content_type="application/json")

    def of(self, channel: str) -> list[Message]:
        return [m for m in self.received if m["channel"] == channel]


@pytest.fixture
def server(mock: RestMock) -> Iterator[ScriptedServer]:
    fake = ScriptedServer()
    mock.post(URL_, callback=fake.handle, repeat=True)
    yield fake
    fake.hold.set()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def data(channel: str, n: int) -> Message:
    return {"channel": channel, "data": {"seq": n}}


def fast_backoff() -> Backoff:
    return Backoff(base=0.001, maximum=0.004)


async def test_data_messages_arrive_in_order(
    server: ScriptedServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    got: list[Message] = []

    async def on_message(message: Message) -> None:
        got.append(message)

    server.connect_script = [[], [data("/a", 1), data("/a", 2)], [data("/a", 3)]]
    async with BayeuxClient(session, URL_, on_message=on_message) as client:
        await client.subscribe("/a")
        await eventually(lambda: len(got) == 3, timeout=2.0)
        assert client.connected
        assert client.client_id == "c1"
    assert [m["data"]["seq"] for m in got] == [1, 2, 3]
    assert server.of("/meta/disconnect")[0]["clientId"] == "c1"


async def test_unknown_client_rehandshakes_and_resubscribes_everything(
    server: ScriptedServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    lost = {
        "successful": False,
        "error": "402::Unknown client",
        "advice": {"reconnect": "handshake", "interval": 0},
    }
    server.connect_script = [[], [], lost, []]
    client = BayeuxClient(session, URL_, backoff=fast_backoff())
    await client.start()
    await client.subscribe("/v2/me/workbins", "/v2/me/interactions")
    await eventually(
        lambda: client.handshakes == 2 and len(server.of("/meta/subscribe")) == 2, timeout=2.0
    )
    resubscribed = server.of("/meta/subscribe")[1]
    assert resubscribed["clientId"] == "c2"
    assert sorted(resubscribed["subscription"]) == ["/v2/me/interactions", "/v2/me/workbins"]
    assert client.client_id == "c2"
    await client.close()


async def test_advice_handshake_on_a_successful_connect_also_rehandshakes(
    server: ScriptedServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    server.connect_script = [{"successful": True, "advice": {"reconnect": "handshake"}}, []]
    async with BayeuxClient(session, URL_, backoff=fast_backoff()) as client:
        await eventually(lambda: client.handshakes == 2, timeout=2.0)


async def test_reconnect_none_gives_up_and_reports_it(
    server: ScriptedServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    failures: list[BaseException] = []

    async def on_failure(exc: BaseException) -> None:
        failures.append(exc)

    server.connect_script = [
        {"successful": False, "error": "500::overloaded", "advice": {"reconnect": "none"}}
    ]
    client = BayeuxClient(session, URL_, on_failure=on_failure)
    await client.start()
    await eventually(lambda: bool(failures), timeout=2.0)
    assert not client.running
    assert isinstance(client.failure, BayeuxError)
    with pytest.raises(BayeuxError, match="cannot send"):
        await client.subscribe("/a")
    await client.close()


async def test_connection_errors_back_off_then_recover_and_reset(
    server: ScriptedServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    delays: list[float] = []
    backoff = fast_backoff()
    original = backoff.next_delay

    def record() -> float:
        delays.append(original())
        return delays[-1]

    backoff.next_delay = record  # type: ignore[method-assign]
    got: list[Message] = []

    async def on_message(message: Message) -> None:
        got.append(message)

    server.connect_script = [
        aiohttp.ClientConnectionError("reset by peer"),
        "<html><body>502 Bad Gateway</body></html>",
        "[not json",
        [data("/a", 1)],
    ]
    async with BayeuxClient(session, URL_, on_message=on_message, backoff=backoff) as client:
        await eventually(lambda: bool(got), timeout=2.0)
        assert client.connected
        assert len(delays) == 3
        assert backoff.failures == 0  # reset after the success
        assert client.handshakes == 1  # the session survived the transport errors


async def test_connect_timeout_follows_advice_plus_allowance(
    server: ScriptedServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    seen: list[float] = []
    original = session._request

    async def spy(method: str, url: Any, **kwargs: Any) -> Any:
        if b"/meta/connect" in kwargs["data"]:
            seen.append(kwargs["timeout"].total)
        return await original(method, url, **kwargs)

    session._request = spy  # type: ignore[method-assign]
    server.connect_script = [[], []]
    async with BayeuxClient(session, URL_, network_allowance=2.5):
        await eventually(lambda: len(seen) >= 2, timeout=2.0)
    assert seen[0] == pytest.approx(1.0 + 2.5)  # advice.timeout 1000 ms from the handshake


async def test_an_advice_repeated_or_changed_is_followed(
    server: ScriptedServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    seen: list[float] = []
    original = session._request

    async def spy(method: str, url: Any, **kwargs: Any) -> Any:
        if b"/meta/connect" in kwargs["data"]:
            seen.append(round(kwargs["timeout"].total - 2.5, 3))
        return await original(method, url, **kwargs)

    session._request = spy  # type: ignore[method-assign]
    timeouts: list[Any] = [2000, 2000, True, 1, 1, 3000]  # True: refused, though True == 1
    server.connect_script = [{"successful": True, "advice": {"timeout": t}} for t in timeouts]
    async with BayeuxClient(session, URL_, network_allowance=2.5):
        await eventually(lambda: len(seen) >= 7, timeout=5.0)
    assert seen[:7] == [1.0, 2.0, 2.0, 2.0, 0.001, 0.001, 3.0]


async def test_refused_subscription_raises_and_is_not_kept(
    server: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    server.subscribe_error = "403:/secret:denied"
    async with BayeuxClient(session, URL_) as client:
        with pytest.raises(BayeuxError) as info:
            await client.subscribe("/secret")
        assert info.value.code == 403
        assert client.subscriptions == frozenset()


async def test_meta_channels_cannot_be_subscribed(
    server: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    async with BayeuxClient(session, URL_) as client:
        with pytest.raises(ValueError, match="subscribable"):
            await client.subscribe("/meta/connect")


async def test_unsubscribe_is_sent_and_forgotten(
    server: ScriptedServer, session: aiohttp.ClientSession
) -> None:
    async with BayeuxClient(session, URL_) as client:
        await client.subscribe("/a", "/b")
        await client.unsubscribe("/a")
        assert client.subscriptions == {"/b"}
    assert server.of("/meta/unsubscribe")[0]["subscription"] == ["/a"]


async def test_extensions_see_every_batch_and_can_add_headers(
    server: ScriptedServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    class Recorder(Extension):
        def __init__(self) -> None:
            self.out: list[str] = []
            self.inc: list[str] = []

        async def outgoing(self, messages: list[Message], headers: dict[str, str]) -> None:
            headers["X-Test"] = "1"
            for m in messages:
                m["ext"] = {"ack": True}
                self.out.append(m["channel"])

        async def incoming(self, messages: list[Message], headers: Mapping[str, str]) -> None:
            self.inc.extend(m["channel"] for m in messages)

    ext = Recorder()
    server.connect_script = [[data("/a", 1)]]
    async with BayeuxClient(session, URL_, extensions=[ext]) as client:
        await client.subscribe("/a")
        await eventually(lambda: "/a" in ext.inc, timeout=2.0)
    assert ext.out[0] == "/meta/handshake"
    assert "/meta/disconnect" in ext.out
    assert all(m.get("ext") == {"ack": True} for m in server.received)
    assert all(h.get("X-Test") == "1" for h in server.headers)


async def test_close_returns_fast_while_a_poll_is_held(
    server: ScriptedServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    client = BayeuxClient(session, URL_)
    await client.start()
    await eventually(lambda: len(server.of("/meta/connect")) == 1, timeout=2.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.close()
    assert loop.time() - started < 1.0
    assert not client.running


async def test_failing_callback_does_not_stop_the_listener(
    server: ScriptedServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    got: list[int] = []

    async def on_message(message: Message) -> None:
        if message["data"]["seq"] == 1:
            raise RuntimeError("consumer bug")
        got.append(message["data"]["seq"])

    server.connect_script = [[data("/a", 1), data("/a", 2)], [data("/a", 3)]]
    async with BayeuxClient(session, URL_, on_message=on_message):
        await eventually(lambda: got == [2, 3], timeout=2.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"interval": 1e12, "timeout": 1e12, "maxInterval": 1e12},
            (MAX_INTERVAL, MAX_TIMEOUT, MAX_MAX_INTERVAL),
        ),
        ({"interval": 10**400, "timeout": 10**400}, (MAX_INTERVAL, MAX_TIMEOUT, 10.0)),
        ({"interval": float("inf"), "timeout": float("nan")}, (0.0, 30.0, 10.0)),
        ({"interval": -1, "timeout": "5", "maxInterval": True}, (0.0, 30.0, 10.0)),
        ({"interval": 250, "timeout": 45000, "maxInterval": 20000}, (0.25, 45.0, 20.0)),
    ],
    ids=["huge", "huge-int", "non-finite", "nonsense", "sane"],
)
def test_advice_is_bounded_and_refuses_what_is_not_a_finite_number(
    raw: dict[str, Any], expected: tuple[float, float, float]
) -> None:
    advice = Advice().updated(raw)
    assert (advice.interval, advice.timeout, advice.max_interval) == expected
    assert MAX_INTERVAL <= 120  # "a minute or two"
    assert MAX_TIMEOUT <= 300  # "a few minutes"


async def test_refused_credentials_stop_the_client_after_max_auth_failures(
    server: ScriptedServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    relogins = 0
    failures: list[BaseException] = []

    async def relogin() -> None:
        nonlocal relogins
        relogins += 1
        raise AuthenticationError("GET", "/api/v2/me", 401, operation="GetMe")

    async def on_failure(exc: BaseException) -> None:
        failures.append(exc)

    server.connect_script = [[], *[401] * 10]
    client = BayeuxClient(
        session,
        URL_,
        backoff=fast_backoff(),
        on_unauthorized=relogin,
        on_failure=on_failure,
        max_auth_failures=2,
    )
    await client.start()
    await eventually(lambda: bool(failures), timeout=2.0)
    await asyncio.sleep(0.1)
    assert relogins == 2
    assert len(server.of("/meta/connect")) == 3  # one good, two refused, then no more
    assert failures == [client.failure]
    assert isinstance(client.failure, AuthenticationError)
    assert client.failure.operation == "GetMe"
    assert not client.running
    await client.close()


async def test_a_successful_relogin_or_connect_resets_the_count(
    server: ScriptedServer, session: aiohttp.ClientSession, eventually: Eventually
) -> None:
    refuse = [True, True, False, True, True, False]
    relogins = 0

    async def relogin() -> None:
        nonlocal relogins
        relogins += 1
        if refuse.pop(0):
            raise AuthenticationError("GET", "/api/v2/me", 401)

    # 401, 401 (refused twice), then accepted; then a success resets; then twice more.
    server.connect_script = [[], 401, 401, 401, [], [], 401, 401, 401, []]
    client = BayeuxClient(
        session, URL_, backoff=fast_backoff(), on_unauthorized=relogin, max_auth_failures=3
    )
    async with client:
        await eventually(lambda: relogins == 6 and client.connected, timeout=3.0)
        assert client.failure is None
        assert client.running


async def test_the_reachability_probe_connects_and_sends_nothing(
    session: aiohttp.ClientSession,
) -> None:
    received: list[bytes] = []
    handled = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.read())
        writer.close()
        handled.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    wire = BayeuxWire(session, f"http://127.0.0.1:{port}/cometd", headers={}, extensions=[])
    assert await wire.reachable()
    await asyncio.wait_for(handled.wait(), 2)
    server.close()
    await server.wait_closed()
    assert received == [b""]  # no request, so no credential
    assert not await wire.reachable()
    assert not await BayeuxWire(session, "not a url", headers={}, extensions=[]).reachable()
