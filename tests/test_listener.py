"""The listener's hand-off of Bayeux data messages, against a scripted CometD endpoint
(aioresponses): repeated message ids, channels nobody subscribed, and the log of
notifications that could not be decoded."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aioresponses import CallbackResult

from gws_async import GwsClient, ListenerEvent, UnknownEvent, WorkbinStateChangeMessage, _listener
from gws_async._listener import RecentIds, channel_subscribed
from tests.conftest import BASE, Eventually, RestMock

COMETD = f"{BASE}/api/v2/notifications"
WB = "/v2/me/workbins"
IX = "/v2/me/interactions"


def notification(n: int, *, channel: str = WB, mid: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "channel": channel,
        "data": {
            "messageType": "WorkbinStateChangeMessage",
            "action": "ItemAdded",
            "id": "wb1",
            "chatStateResourceV2": {"id": f"i{n}", "userData": {}},
        },
    }
    if mid is not None:
        message["id"] = mid
    return message


def undecodable(n: int, *, channel: str = WB, kind: str = "invalid") -> dict[str, Any]:
    if kind == "invalid":  # a known type whose fields do not validate
        data: Any = {"messageType": "WorkbinStateChangeMessage", "action": n}
    else:  # not an object at all
        data = [n]
    return {"channel": channel, "data": data}


class Cometd:
    """Answers handshakes and subscriptions, and each ``/meta/connect`` with the next
    scripted batch of data messages (or a 402 when the entry is ``"402"``); once the script
    is played, connects are parked until more is scripted."""

    def __init__(self) -> None:
        self.script: list[Any] = []
        self.handshakes = 0
        self.closed = False
        self.more = asyncio.Event()

    def play(self, *steps: Any) -> None:
        """Answer the next connects with these steps."""
        self.script.extend(steps)
        self.more.set()

    def close(self) -> None:
        self.closed = True
        self.more.set()

    async def handle(self, url: Any, **kwargs: Any) -> CallbackResult:
        out: list[dict[str, Any]] = []
        for msg in json.loads(kwargs["data"]):
            channel = msg["channel"]
            reply: dict[str, Any] = {"channel": channel, "id": msg["id"], "successful": True}
            if channel == "/meta/handshake":
                self.handshakes += 1
                reply.update(clientId=f"c{self.handshakes}", version="1.0")
                reply["advice"] = {"reconnect": "retry", "interval": 0, "timeout": 1000}
            elif channel in ("/meta/subscribe", "/meta/unsubscribe"):
                reply["subscription"] = msg["subscription"]
            elif channel == "/meta/connect":
                while not self.script and not self.closed:  # parked like a long poll
                    self.more.clear()
                    await self.more.wait()
                if self.closed:  # the test is over: a slow poll, not a busy loop
                    await asyncio.sleep(0.05)
                step = self.script.pop(0) if self.script else []
                if step == "402":
                    reply.update(successful=False, error="402::Unknown client")
                    reply["advice"] = {"reconnect": "handshake", "interval": 0}
                else:
                    out.extend(step)
            out.append(reply)
        return CallbackResult(body=json.dumps(out), content_type="application/json")


@pytest.fixture
def cometd(mock: RestMock) -> Iterator[Cometd]:
    server = Cometd()
    mock.post(COMETD, callback=server.handle, repeat=True)
    yield server
    server.close()


def not_lifecycle(event: Any) -> bool:
    return not isinstance(event, ListenerEvent)


def item_ids(events: list[Any]) -> list[str]:
    return [e.interaction.id for e in events if isinstance(e, WorkbinStateChangeMessage)]


def warnings_of(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and text in r.getMessage()
    ]


# -- repeated message ids ------------------------------------------------------------------------


async def test_a_repeated_message_id_is_handed_out_once(
    mock_gws: GwsClient, cometd: Cometd, caplog: pytest.LogCaptureFixture
) -> None:
    cometd.play(
        [notification(0, mid="7"), notification(1, mid="8"), notification(0, mid="7")],
        [notification(1, mid="8"), notification(2, mid="9"), notification(3)],
        [notification(4, mid="9", channel=IX)],  # same id, another channel: another message
    )
    async with mock_gws.events(check=not_lifecycle) as stream:
        got = [await stream.get(2) for _ in range(5)]
        await asyncio.sleep(0.05)
        assert stream.pending == 0
    assert item_ids(got) == ["i0", "i1", "i2", "i3", "i4"]
    stats = mock_gws.stats
    assert stats.duplicate_messages == 2
    assert stats.events_received == 5 + 1  # and ListenerConnected
    assert len(warnings_of(caplog, "repeated Bayeux message id")) == 1


async def test_ids_are_forgotten_when_the_session_is_renewed(
    mock_gws: GwsClient, cometd: Cometd
) -> None:
    # A new Bayeux session may number its messages from scratch.
    cometd.play([notification(0, mid="1")], "402", [notification(1, mid="1")])
    async with mock_gws.events(WorkbinStateChangeMessage) as stream:
        got = [await stream.get(2) for _ in range(2)]
    assert item_ids(got) == ["i0", "i1"]
    assert mock_gws.stats.duplicate_messages == 0
    assert mock_gws.stats.handshakes == 2


def test_recent_ids_window_is_bounded() -> None:
    recent = RecentIds(3)
    assert [recent.seen(mid, "/a") for mid in ("1", "2", "3", "1")] == [False] * 3 + [True]
    assert not recent.seen("4", "/a")  # evicts the oldest, "1"
    assert not recent.seen("1", "/a")
    assert recent.seen("4", "/a")
    assert not recent.seen(4, "/a")  # a number is not the same id as its text
    assert not recent.seen(None, "/a")  # no id: never judged a repeat
    assert not recent.seen(None, "/a")
    assert not recent.seen(["unhashable"], "/a")
    with pytest.raises(ValueError, match="at least one"):
        RecentIds(0)


def test_an_id_seen_on_another_channel_keeps_its_place_in_the_window() -> None:
    recent = RecentIds(2)
    assert not recent.seen("1", "/a")
    assert not recent.seen("1", "/b")  # the same id elsewhere is not a repeat...
    assert recent.seen("1", "/b")  # ... and is now remembered there
    assert not recent.seen("1", "/a")
    assert not recent.seen("2", "/a")
    assert not recent.seen("3", "/a")  # evicts "1", the first to come
    assert not recent.seen("1", "/a")
    assert recent.seen("3", "/a")


def test_a_boolean_id_is_never_a_repeat_and_clear_forgets_every_id() -> None:
    recent = RecentIds(3)
    assert not recent.seen(True, "/a")
    assert not recent.seen(True, "/a")
    assert not recent.seen("x", "/a")
    recent.clear()
    assert not recent.seen("x", "/a")
    assert recent.seen("x", "/a")


# -- channels nobody subscribed -------------------------------------------------------------------


async def test_data_on_a_channel_nobody_subscribed_is_dropped_and_counted(
    mock_gws: GwsClient, cometd: Cometd, caplog: pytest.LogCaptureFixture
) -> None:
    cometd.play(
        [
            notification(0, channel="/v2/other"),
            notification(1),
            notification(2, channel="/v2/other"),
            notification(3, channel="/v2/me/workbins/deeper"),
            {"data": {"messageType": "WorkbinStateChangeMessage"}},  # no channel: kept
        ]
    )
    async with mock_gws.events(check=not_lifecycle) as stream:
        first = await stream.get(2)
        second = await stream.get(2)
        await asyncio.sleep(0.05)
        assert stream.pending == 0
    assert item_ids([first]) == ["i1"]
    assert isinstance(second, UnknownEvent)
    assert second.topic == ""
    assert mock_gws.stats.unsubscribed_messages == 3
    assert mock_gws.stats.unknown_events == 1
    logged = warnings_of(caplog, "not subscribed")
    assert len(logged) == 2  # once per channel
    assert any("/v2/other" in m for m in logged)


async def test_wildcard_subscriptions_are_honoured(mock_gws: GwsClient, cometd: Cometd) -> None:
    cometd.play(
        [
            notification(0, channel="/v2/me/workbins"),
            notification(1, channel="/v2/me/a/b"),
            notification(2, channel="/v2/users/x/y"),
        ]
    )
    await mock_gws.subscribe("/v2/me/*", "/v2/users/**")
    async with mock_gws.events(WorkbinStateChangeMessage) as stream:
        got = [await stream.get(2) for _ in range(2)]
    assert item_ids(got) == ["i0", "i2"]
    assert mock_gws.stats.unsubscribed_messages == 1


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("/a/b", True),
        ("/a/c", False),
        ("/x/y", True),
        ("/x/y/z", False),
        ("/x", False),
        ("/d/e/f/g", True),
        ("/d", False),
        ("/service/echo", True),  # answers to a client's own service publish
    ],
)
def test_channel_subscribed(channel: str, expected: bool) -> None:
    assert channel_subscribed(channel, frozenset({"/a/b", "/x/*", "/d/**"})) is expected


# -- notifications that could not be decoded ------------------------------------------------------


async def test_undecoded_notifications_log_the_first_of_each_kind_then_a_count(
    mock_gws: GwsClient,
    cometd: Cometd,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    eventually: Eventually,
) -> None:
    monkeypatch.setattr(_listener, "LOG_SUMMARY_PERIOD", 0.5)
    cometd.play(
        [undecodable(n) for n in range(200)]
        + [undecodable(n, kind="list") for n in range(100)]
        + [undecodable(n, channel=IX) for n in range(50)]
    )
    async with mock_gws.events(maxsize=1000, topics=[WB, IX]) as stream:
        await eventually(lambda: stream.pending == 350, "every notification buffered")
        firsts = warnings_of(caplog, "undecoded notification")
        assert len(firsts) == 3  # one per topic and kind of failure
        assert mock_gws.stats.unknown_events == 350  # the counter stays exact
        await asyncio.sleep(0.6)
        cometd.play([undecodable(1000)])
        await eventually(lambda: stream.pending == 351, "the last one buffered")
    summaries = warnings_of(caplog, "more undecoded notification")
    assert len(summaries) == 1
    assert "348 more" in summaries[0]
    assert mock_gws.stats.unknown_events == 351
