"""Delivery against the simulator on loopback: each stream sees every matching event, and
what is lost is lost by the stream that fell behind, counted and logged against it.

The simulator expires a Bayeux session that has not polled for ``max_interval``; the
listener holds its next poll for a full stream only that long, then the stream's policy
applies to that stream alone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from gws_async import (
    ClientStateError,
    GwsClient,
    ListenerEvent,
    Topic,
    WorkbinStateChangeMessage,
)
from gws_async._streams import StreamNotEntered
from gws_async.simulator import GwsSimulator

pytestmark = pytest.mark.simulator(long_poll_timeout=0.5, max_interval=1.0)

TOTAL = 3000


def item(n: int) -> dict[str, Any]:
    return {
        "messageType": "WorkbinStateChangeMessage",
        "action": "ItemAdded",
        "id": "wb1",
        "chatStateResourceV2": {"id": f"i{n}", "userData": {}},
    }


def iid(event: Any) -> str:
    assert isinstance(event, WorkbinStateChangeMessage)
    assert event.interaction is not None
    return event.interaction.id


async def test_a_stream_never_read_costs_only_itself(
    sim: GwsSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "gws_async.events")
    async with (
        GwsClient(sim.url, "agent1", "password1") as gws,
        gws.events(WorkbinStateChangeMessage, maxsize=20) as stalled,
        gws.events(WorkbinStateChangeMessage, maxsize=50) as reader,
    ):
        got: list[str] = []

        async def read_all() -> None:
            while len(got) < TOTAL:
                got.append(iid(await reader.get(10)))

        reading = asyncio.create_task(read_all())
        try:
            # Quickly, for about a second and a half: the stalled stream spends the first
            # answer's budget, and what queued meanwhile arrives in large answers.
            for n in range(TOTAL):
                sim.push("agent1", Topic.WORKBINS, item(n))
                if n % 100 == 99:
                    await asyncio.sleep(0.05)
            await asyncio.wait_for(asyncio.shield(reading), 20)
        finally:
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)
        assert got == [f"i{n}" for n in range(TOTAL)]
        assert reader.dropped == 0
        assert stalled.dropped == gws.stats.dropped_events == TOTAL - 20
        assert [iid(await stalled.get(0)) for _ in range(20)] == [
            f"i{n}" for n in range(TOTAL - 20, TOTAL)
        ]
        assert gws.stats.handshakes == 1  # the session was kept
    logged = [r.getMessage() for r in caplog.records if r.name == "gws_async.events"]
    assert any(repr(stalled) in m and "dropping the oldest" in m for m in logged)
    assert not any(repr(reader) in m for m in logged)


async def test_a_repeated_message_is_delivered_once(sim: GwsSimulator, gws: GwsClient) -> None:
    async with gws.events(WorkbinStateChangeMessage) as stream:
        for n in (1, 2, 1, 3, 2):
            sim.push_raw("agent1", {"channel": Topic.WORKBINS, "data": item(n), "id": f"m{n}"})
        got = [iid(await stream.get(5)) for _ in range(3)]
        sim.push("agent1", Topic.WORKBINS, item(4))
        assert iid(await stream.get(5)) == "i4"  # nothing else came before it
    assert got == ["i1", "i2", "i3"]
    assert gws.stats.duplicate_messages == 2


async def test_data_on_an_unsubscribed_channel_is_dropped(
    sim: GwsSimulator, gws: GwsClient
) -> None:
    async with gws.events(check=lambda e: not isinstance(e, ListenerEvent)) as stream:
        sim.push_raw("agent1", {"channel": "/v2/elsewhere", "data": item(0), "id": "x0"})
        sim.push("agent1", Topic.WORKBINS, item(1))
        assert iid(await stream.get(5)) == "i1"
        assert stream.pending == 0
    assert gws.stats.unsubscribed_messages == 1
    assert gws.stats.events_received == gws.stats.unknown_events + 2  # and ListenerConnected


async def test_a_stream_iterated_without_async_with_says_so(gws: GwsClient) -> None:
    stream = gws.events(WorkbinStateChangeMessage)
    with pytest.raises(StreamNotEntered, match="async with") as caught:
        async for _ in stream:
            pass
    assert isinstance(caught.value, ClientStateError)
    assert gws.stats.streams == 0
