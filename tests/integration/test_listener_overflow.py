"""A consumer too slow for the server's maxInterval, against the simulator on loopback.

The simulator expires a Bayeux session that has not polled for ``max_interval``; the
listener must keep polling while a consumer stalls, and apply the stream's policy.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gws_async import (
    ConnectionLost,
    GwsClient,
    StreamOverflowError,
    Topic,
    WorkbinStateChangeMessage,
)
from gws_async.simulator import GwsSimulator

MAX_INTERVAL = 1.0

pytestmark = pytest.mark.simulator(long_poll_timeout=0.5, max_interval=MAX_INTERVAL)


def item(n: int) -> dict[str, Any]:
    return {
        "messageType": "WorkbinStateChangeMessage",
        "action": "ItemAdded",
        "id": "wb1",
        "chatStateResourceV2": {"id": f"i{n}", "userData": {}},
    }


def ids(events: list[WorkbinStateChangeMessage]) -> list[str]:
    return [e.interaction.id for e in events if e.interaction is not None]


async def stall_past_max_interval() -> None:
    await asyncio.sleep(MAX_INTERVAL * 2.5)


async def test_stalled_consumer_keeps_the_session_and_loses_only_the_oldest(
    sim: GwsSimulator,
) -> None:
    async with GwsClient(sim.url, "agent1", "password1", event_buffer=5) as gws:
        async with (
            gws.events(WorkbinStateChangeMessage) as slow,
            gws.events(ConnectionLost) as losses,
        ):
            for n in range(20):
                sim.push("agent1", Topic.WORKBINS, item(n))
            await stall_past_max_interval()
            # The listener kept polling: same session, never lost.
            assert gws.stats.handshakes == 1
            assert losses.pending == 0
            assert gws.stats.dropped_events == slow.dropped == 15
            assert gws.stats.buffered == 5
            assert ids([await slow.get(1) for _ in range(5)]) == [f"i{n}" for n in range(15, 20)]
            sim.push("agent1", Topic.WORKBINS, item(20))
            assert ids([await slow.get(5)]) == ["i20"]
        assert gws.stats.handshakes == 1


async def test_raise_policy_fails_the_slow_stream_and_spares_the_others(
    sim: GwsSimulator,
) -> None:
    async with (
        GwsClient(sim.url, "agent1", "password1") as gws,
        gws.events(WorkbinStateChangeMessage, maxsize=3, overflow="raise") as strict,
        gws.events(WorkbinStateChangeMessage) as relaxed,
    ):
        for n in range(10):
            sim.push("agent1", Topic.WORKBINS, item(n))
        got = [await relaxed.get(5) for _ in range(10)]
        assert ids(got) == [f"i{n}" for n in range(10)]
        await stall_past_max_interval()
        with pytest.raises(StreamOverflowError) as caught:
            await strict.get(1)
        assert caught.value.dropped == 4
        assert gws.stats.handshakes == 1


async def test_block_policy_loses_nothing_buffered_but_costs_the_session(
    sim: GwsSimulator,
) -> None:
    async with (
        GwsClient(sim.url, "agent1", "password1", overflow="block") as gws,
        gws.events(WorkbinStateChangeMessage, maxsize=3) as stream,
    ):
        for n in range(10):
            sim.push("agent1", Topic.WORKBINS, item(n))
        await stall_past_max_interval()
        got = [await stream.get(5) for _ in range(10)]
        assert ids(got) == [f"i{n}" for n in range(10)]
        # The server gave up on the session while the listener was held.
        deadline = asyncio.get_running_loop().time() + 5
        while gws.stats.handshakes < 2:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.02)
        assert gws.stats.dropped_events == 0
