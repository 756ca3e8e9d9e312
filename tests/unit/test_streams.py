"""Fan-out to consumers: streams, backpressure, waiters and referenceId correlation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gws_async import (
    GwsEvent,
    InteractionStateMessage,
    StreamClosed,
    UnknownEvent,
    WorkbinStateChangeMessage,
    decode_event,
)
from gws_async._streams import EventHub

WB = "/v2/me/workbins"
IX = "/v2/me/interactions"


def item_added(iid: str, ref: int | None = None) -> GwsEvent:
    data: dict[str, Any] = {
        "messageType": "WorkbinStateChangeMessage",
        "action": "ItemAdded",
        "id": "wb1",
        "chatStateResourceV2": {"id": iid, "userData": {}},
    }
    if ref is not None:
        data["referenceId"] = ref
    return decode_event(WB, data)


def pulled(iid: str, ref: int | None = None) -> GwsEvent:
    data: dict[str, Any] = {
        "messageType": "InteractionStateMessage",
        "id": iid,
        "state": "Pulled",
        "channel": "chat",
    }
    if ref is not None:
        data["referenceId"] = ref
    return decode_event(IX, data)


async def test_every_consumer_sees_every_event_in_order() -> None:
    hub = EventHub()
    async with hub.stream(()) as first, hub.stream(()) as second:
        for n in range(5):
            await hub.publish(item_added(f"i{n}"))
        got1 = [(await first.get(1)).raw["chatStateResourceV2"]["id"] for _ in range(5)]
        got2 = [(await second.get(1)).raw["chatStateResourceV2"]["id"] for _ in range(5)]
    assert got1 == got2 == [f"i{n}" for n in range(5)]


async def test_type_and_topic_and_check_filters() -> None:
    hub = EventHub()
    weird = decode_event(IX, {"messageType": "Martian"})
    async with (
        hub.stream((WorkbinStateChangeMessage,)) as workbins,
        hub.stream((), topics={IX}) as interactions,
        hub.stream((UnknownEvent,)) as unknown,
        hub.stream((InteractionStateMessage,), check=lambda e: e.id == "keep") as checked,
    ):
        await hub.publish(item_added("a"))
        await hub.publish(pulled("drop"))
        await hub.publish(pulled("keep"))
        await hub.publish(weird)
        assert workbins.pending == 1
        assert isinstance(await workbins.get(1), WorkbinStateChangeMessage)
        assert interactions.pending == 3  # two pulled + the unknown one, all on IX
        assert unknown.pending == 1
        assert (await unknown.get(1)) is weird
        assert checked.pending == 1
        assert (await checked.get(1)).id == "keep"


async def test_full_buffer_applies_backpressure_and_loses_nothing() -> None:
    hub = EventHub()
    async with hub.stream((), maxsize=2) as slow:
        producer = asyncio.create_task(_publish_many(hub, 10))
        await asyncio.sleep(0.05)
        # Two buffered, the third publish is waiting for the consumer.
        assert not producer.done()
        assert slow.pending == 2
        received = [(await slow.get(1)).raw["chatStateResourceV2"]["id"] for _ in range(10)]
        await asyncio.wait_for(producer, 1)
    assert received == [f"i{n}" for n in range(10)]


async def _publish_many(hub: EventHub, count: int) -> None:
    for n in range(count):
        await hub.publish(item_added(f"i{n}"))


async def test_closing_a_stream_releases_a_blocked_publisher() -> None:
    hub = EventHub()
    stream = hub.stream((), maxsize=1)
    await stream.__aenter__()
    producer = asyncio.create_task(_publish_many(hub, 3))
    await asyncio.sleep(0.02)
    assert not producer.done()
    await stream.aclose()
    await asyncio.wait_for(producer, 1)


async def test_waiter_registered_before_the_event_gets_it() -> None:
    hub = EventHub()
    waiter = hub.wait_for((InteractionStateMessage,), check=lambda e: e.id == "x2", timeout=1)
    await hub.publish(pulled("x1"))
    assert not waiter.done()
    await hub.publish(pulled("x2"))
    event = await waiter
    assert event.id == "x2"
    assert hub._waiters == []


async def test_waiter_times_out_and_unregisters() -> None:
    hub = EventHub()
    waiter = hub.wait_for((InteractionStateMessage,), timeout=0.01)
    with pytest.raises(TimeoutError):
        await waiter
    assert hub._waiters == []


async def test_failing_check_reaches_the_waiter_not_the_listener() -> None:
    hub = EventHub()

    def boom(event: InteractionStateMessage) -> bool:
        raise KeyError("nope")

    waiter = hub.wait_for((InteractionStateMessage,), check=boom, timeout=1)
    await hub.publish(pulled("x"))  # does not raise
    with pytest.raises(KeyError):
        await waiter


async def test_reference_found_when_the_notification_came_first() -> None:
    hub = EventHub()
    await hub.publish(item_added("a", ref=16))
    event = await hub.wait_for_reference(16, timeout=0.1)
    assert isinstance(event, WorkbinStateChangeMessage)
    assert event.reference_id == 16


async def test_reference_awaited_when_the_notification_comes_later() -> None:
    hub = EventHub()
    waiting = asyncio.create_task(hub.wait_for_reference("17", timeout=1))
    await asyncio.sleep(0)
    await hub.publish(pulled("a", ref=16))
    await hub.publish(pulled("b", ref=17))
    event = await waiting
    assert isinstance(event, InteractionStateMessage)
    assert event.id == "b"


async def test_reference_of_an_invalid_notification_still_correlates() -> None:
    hub = EventHub()
    bad = decode_event(WB, {"messageType": "WorkbinStateChangeMessage", "referenceId": 5})
    assert isinstance(bad, UnknownEvent)
    await hub.publish(bad)
    assert await hub.wait_for_reference(5, timeout=0.1) is bad


async def test_reference_cache_is_bounded() -> None:
    hub = EventHub(reference_cache=3)
    for ref in range(10):
        await hub.publish(pulled("a", ref=ref))
    assert list(hub._recent) == ["7", "8", "9"]


async def test_close_ends_streams_and_fails_waiters() -> None:
    hub = EventHub()
    async with hub.stream(()) as stream:
        waiter = hub.wait_for((InteractionStateMessage,), timeout=1)
        await hub.publish(item_added("last"))
        hub.close()
        received = [event async for event in stream]
        assert len(received) == 1
        with pytest.raises(StreamClosed):
            await waiter
    with pytest.raises(StreamClosed):
        hub.wait_for((InteractionStateMessage,))


async def test_close_with_a_failure_raises_it_from_iteration() -> None:
    hub = EventHub()
    async with hub.stream(()) as stream:
        hub.close(RuntimeError("advice reconnect none"))
        with pytest.raises(StreamClosed, match="advice reconnect none"):
            async for _ in stream:
                pass
