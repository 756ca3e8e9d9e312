"""Fuzzing the listener with malformed Bayeux answers and notifications.

A scripted GWS on a real loopback port answers each ``/meta/connect`` with the next entry
of a hypothesis-generated script: good batches, whole answers that are broken (not JSON,
not an array, invalid UTF-8, absurd nesting, huge, HTML error pages), and valid batches
that carry broken items (no channel, wrong types, non-objects, huge or deep data).

Whatever the script, no exception escapes, the listener keeps running, every data
message sent arrives once and in order (good ones typed, bad ones as ``UnknownEvent`` or
whatever they validate as, always with their raw payload), and each broken answer or
dropped item is logged as a protocol error.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gws_async import Backoff, GwsClient, GwsEvent, ListenerEvent, WorkbinStateChangeMessage

WORKBINS = "/v2/me/workbins"
TOPICS = [WORKBINS, "/v2/me/interactions", "/v2/me/calls", "/v2/me/devices", "/v2/me"]


def good(n: int) -> dict[str, Any]:
    return {
        "messageType": "WorkbinStateChangeMessage",
        "action": "ItemAdded",
        "id": "wb1",
        "chatStateResourceV2": {"id": f"good-{n}", "userData": {"n": n}},
    }


def is_good(data: Any) -> bool:
    return any(data == good(n) for n in range(50))


def unsubscribed(item: dict[str, Any]) -> bool:
    channel = item.get("channel")
    return (
        isinstance(channel, str)
        and channel.startswith("/")
        and not channel.startswith("/service/")
        and channel not in TOPICS
    )


# -- the script ------------------------------------------------------------------------------


@dataclass
class Broken:
    """A whole answer that is not a usable Bayeux batch."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"


@dataclass
class Batch:
    """A valid connect reply followed by these items (as JSON values)."""

    items: list[Any] = field(default_factory=list)

    def data_items(self) -> list[Any]:
        """The ``data`` of every item the client must hand over as an event (not those on
        a channel name nobody subscribed: dropped and counted)."""
        return [i["data"] for i in self.items if isinstance(i, dict) and not unsubscribed(i)]

    def drops(self) -> bool:
        return any(not isinstance(i, dict) for i in self.items)


json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"userData": [value]}
    return value


# Data that looks like a GWS notification but has fields of the wrong types.
wrong_types = st.builds(
    lambda action, resource, user_data: {
        "messageType": "WorkbinStateChangeMessage",
        "action": action,
        "id": "wb1",
        "chatStateResourceV2": resource,
        "userData": user_data,
    },
    json_values,
    json_values,
    json_values,
)
bad_data = st.one_of(
    json_values,
    wrong_types,
    st.builds(lambda m: {"messageType": m}, st.text(max_size=30)),
    st.integers(1, 150).map(nested),  # deep, but parseable
    st.integers(1, 3).map(lambda mb: {"messageType": "X", "blob": "x" * (mb * 1_000_000)}),
)
bad_channel = st.one_of(
    st.sampled_from(TOPICS),
    st.text(max_size=20).filter(lambda c: not c.startswith("/meta/")),
    st.integers(),
    st.none(),
)


@st.composite
def bad_notification(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {"data": draw(bad_data)}
    if draw(st.booleans()):
        item["channel"] = draw(bad_channel)
    return item


non_object = st.one_of(json_scalars, st.lists(json_scalars, max_size=3))

broken_answers = st.one_of(
    st.binary(max_size=64)
    .filter(lambda b: not b.strip().startswith((b"[", b"{")))
    .map(lambda b: Broken(b)),
    st.builds(lambda s: Broken(json.dumps(s).encode()), json_scalars),  # not an array
    st.just(Broken(b'[{"channel": "/v2/me/workbins", "data": "\xff\xfe"}]')),  # bad UTF-8
    st.integers(1_100, 100_000).map(lambda n: Broken(b"[" * n + b"]" * n)),  # deep
    st.integers(1, 4).map(lambda mb: Broken(b'"' + b"x" * (mb * 1_000_000) + b'"')),  # huge
    st.just(Broken(b'[{"channel": "/meta/connect", "successful": tr')),  # cut short
    st.just(Broken(b"<html><body>Proxy error</body></html>", 200, "text/html")),
    st.sampled_from([500, 502, 503, 400]).map(
        lambda status: Broken(b"<html><h1>Server Error</h1></html>", status, "text/html")
    ),
)


@st.composite
def scripts(draw: st.DrawFn) -> list[Broken | Batch]:
    script: list[Broken | Batch] = []
    goods = 0
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["broken", "mixed", "good"]))
        if kind == "broken":
            script.append(draw(broken_answers))
            continue
        items: list[Any] = []
        for _ in range(draw(st.integers(1, 4))):
            if kind == "good" or draw(st.booleans()):
                items.append({"channel": WORKBINS, "data": good(goods)})
                goods += 1
            else:
                items.append(draw(bad_notification() | non_object))
        script.append(Batch(items))
    # A good one at the end: the listener must still be listening after all that.
    script.append(Batch([{"channel": WORKBINS, "data": good(goods)}]))
    return script


# -- a GWS whose CometD endpoint plays the script ------------------------------------------


class ScriptedGws:
    def __init__(self, script: list[Broken | Batch]) -> None:
        self.script = list(script)
        # Set once the script is played and the answer after its last entry was asked
        # for: by then the client has handled every entry.
        self.finished = asyncio.Event()
        self.connects_after = 0

    async def me(self, request: web.Request) -> web.Response:
        return web.json_response({"statusCode": 0, "user": {"id": "u1", "userName": "agent1"}})

    async def cometd(self, request: web.Request) -> web.Response:
        replies: list[Any] = []
        extra: list[Any] = []
        for message in await request.json():
            channel = message["channel"]
            reply = {"channel": channel, "id": message["id"], "successful": True}
            if channel == "/meta/handshake":
                reply.update(
                    clientId="c1", version="1.0", supportedConnectionTypes=["long-polling"]
                )
                reply["advice"] = {"reconnect": "retry", "interval": 0, "timeout": 2000}
            elif channel == "/meta/subscribe":
                reply["subscription"] = message["subscription"]
            elif channel == "/meta/connect" and message.get("advice", {}).get("timeout") != 0:
                if not self.script:
                    self.connects_after += 1
                    if self.connects_after == 2:
                        self.finished.set()
                    await asyncio.sleep(0.05)
                else:
                    entry = self.script.pop(0)
                    if isinstance(entry, Broken):
                        return web.Response(
                            body=entry.body, status=entry.status, content_type=entry.content_type
                        )
                    extra = entry.items
            replies.append(reply)
        return web.Response(
            body=json.dumps(replies + extra).encode(), content_type="application/json"
        )


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def play(script: list[Broken | Batch]) -> tuple[list[GwsEvent], list[str], bool]:
    server = ScriptedGws(script)
    app = web.Application(client_max_size=2**20)
    app.router.add_get("/api/v2/me", server.me)
    app.router.add_post("/api/v2/notifications", server.cometd)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    warnings = _Warnings()
    bayeux_log = logging.getLogger("gws_async.bayeux")
    bayeux_log.addHandler(warnings)
    received: list[GwsEvent] = []
    try:
        async with (
            GwsClient(
                f"http://127.0.0.1:{port}", "agent1", "pw", backoff=Backoff(0.001, 2, 0.004)
            ) as gws,
            gws.events(maxsize=10_000) as stream,
        ):
            await asyncio.wait_for(server.finished.wait(), 30)
            while stream.pending:
                received.append(await stream.get(0))
            running = gws.listener is not None and gws.listener.running
    finally:
        bayeux_log.removeHandler(warnings)
        await runner.cleanup()
    return received, [r.getMessage() for r in warnings.records], running


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scripts())
def test_listener_survives_malformed_answers_and_notifications(
    script: list[Broken | Batch],
) -> None:
    received, warnings, running = asyncio.run(play(script))

    assert running, "the listener stopped"
    data = [e for e in received if not isinstance(e, ListenerEvent)]
    expected = [d for entry in script if isinstance(entry, Batch) for d in entry.data_items()]
    # Every data message, good or bad, once and in order, with its payload intact.
    assert [e.raw for e in data] == expected
    good_ones = [e for e in data if is_good(e.raw)]
    assert len(good_ones) == sum(1 for d in expected if is_good(d))
    for event in good_ones:
        assert isinstance(event, WorkbinStateChangeMessage)
        assert event.interaction is not None
        assert event.interaction.id == event.raw["chatStateResourceV2"]["id"]
    # Each broken answer and each batch with dropped items was logged.
    problems = sum(isinstance(e, Broken) for e in script)
    problems += sum(isinstance(e, Batch) and e.drops() for e in script)
    protocol_errors = [
        w for w in warnings if "retrying" in w or "not objects" in w or "request failed" in w
    ]
    assert len(protocol_errors) >= problems
