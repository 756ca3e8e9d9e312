"""Faults of the CometD endpoint, against the simulator on a real loopback port."""

from __future__ import annotations

import asyncio

import pytest

from gws_async import (
    Backoff,
    ConnectionLost,
    GwsClient,
    GwsEvent,
    ListenerConnected,
    ListenerStopped,
    Reconnected,
    StreamClosed,
    Topic,
    WorkbinStateChangeMessage,
)
from gws_async.simulator import GwsSimulator

pytestmark = pytest.mark.simulator(long_poll_timeout=0.5)

ITEM = {
    "messageType": "WorkbinStateChangeMessage",
    "action": "ItemAdded",
    "id": "wb1",
    "chatStateResourceV2": {"id": "i1", "userData": {}},
}


async def test_a_poll_that_never_answers_is_given_up_and_replaced(sim: GwsSimulator) -> None:
    async with (
        GwsClient(
            sim.url, "agent1", "password1", network_allowance=0.3, backoff=Backoff(0.01, 2, 0.05)
        ) as gws,
        gws.events() as stream,
    ):
        assert isinstance(await stream.get(5), ListenerConnected)
        sim.stall_next(1, path_prefix="/api/v2/notifications")
        started = asyncio.get_running_loop().time()
        lost = await stream.get(5)
        assert isinstance(lost, ConnectionLost)
        assert "GwsTimeoutError" in lost.cause
        # Given up after advice.timeout (0.5 s) plus the allowance, not hung for ever.
        assert asyncio.get_running_loop().time() - started < 0.5 + 0.3 + 0.5
        back = await stream.get(5)
        assert isinstance(back, Reconnected)
        assert not back.session_renewed  # the same Bayeux session carries on
        sim.push("agent1", Topic.WORKBINS, ITEM)
        assert isinstance(await stream.get(5), WorkbinStateChangeMessage)


async def test_reconnect_none_stops_the_listener_and_says_why(sim: GwsSimulator) -> None:
    async with GwsClient(sim.url, "agent1", "password1") as gws, gws.events() as stream:
        assert isinstance(await stream.get(5), ListenerConnected)
        assert sim.disconnect_bayeux_sessions("agent1") == 1
        seen: list[GwsEvent] = []

        async def drain() -> None:
            async for event in stream:
                seen.append(event)

        with pytest.raises(StreamClosed, match="reconnect: none"):
            await asyncio.wait_for(drain(), 5)
        assert [type(e) for e in seen] == [ConnectionLost, ListenerStopped]
        stopped = seen[-1]
        assert isinstance(stopped, ListenerStopped)
        assert "reconnect: none" in stopped.cause
        assert gws.listener is not None
        assert not gws.listener.running
        assert not gws.stats.connected
        assert gws.stats.handshakes == 1  # it did not come back on its own
        with pytest.raises(StreamClosed):  # and says so to a new waiter
            gws.wait_for(WorkbinStateChangeMessage)
