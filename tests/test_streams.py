"""Fan-out to consumers: streams, backpressure, waiters and referenceId correlation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gws_async import (
    GwsEvent,
    InteractionStateMessage,
    StreamClosed,
    StreamOverflowError,
    UnknownEvent,
    WorkbinStateChangeMessage,
    decode_event,
)
from gws_async._streams import EventHub, StreamNotEntered

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


# -- overflow: a consumer too slow for the server's maxInterval ------------------------------


def ids(events: list[Any]) -> list[str]:
    return [e.raw["chatStateResourceV2"]["id"] for e in events]


async def test_publish_waits_for_a_slow_consumer_until_the_deadline() -> None:
    hub = EventHub()
    loop = asyncio.get_running_loop()
    async with hub.stream((), maxsize=1) as stream:
        await hub.publish(item_added("i0"))
        publishing = asyncio.ensure_future(
            hub.publish(item_added("i1"), deadline=loop.time() + 5.0)
        )
        await asyncio.sleep(0.05)
        assert not publishing.done()  # waiting for room, not dropping
        assert ids([await stream.get(1)]) == ["i0"]
        await asyncio.wait_for(publishing, 1)
        assert ids([await stream.get(1)]) == ["i1"]
    assert stream.dropped == hub.dropped == 0


async def test_past_the_deadline_the_oldest_events_are_dropped_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = EventHub()
    loop = asyncio.get_running_loop()
    async with hub.stream((), maxsize=3) as stream:
        deadline = loop.time() + 0.05

        # Every publish returns although nobody reads: the listener is never held past
        # the deadline.
        async def publish_all() -> None:
            for n in range(10):
                await hub.publish(item_added(f"i{n}"), deadline=deadline)

        await asyncio.wait_for(publish_all(), 2)
        assert stream.pending == 3
        assert stream.dropped == hub.dropped == 7
        assert ids([await stream.get(1) for _ in range(3)]) == ["i7", "i8", "i9"]
        # Caught up: the next event is buffered without loss, and the episode is logged.
        await hub.publish(item_added("i10"), deadline=loop.time())
        assert ids([await stream.get(1)]) == ["i10"]
    assert stream.dropped == 7
    messages = [r.getMessage() for r in caplog.records if r.name == "gws_async.events"]
    assert any("dropping the oldest events" in m for m in messages)
    assert any("caught up after dropping 7 event(s)" in m for m in messages)


async def test_a_slow_stream_does_not_cost_a_fast_one_its_events() -> None:
    hub = EventHub()
    loop = asyncio.get_running_loop()
    async with hub.stream((), maxsize=2) as slow, hub.stream((), maxsize=100) as fast:
        for n in range(6):
            await hub.publish(item_added(f"i{n}"), deadline=loop.time() + 0.01)
        assert ids([await fast.get(1) for _ in range(6)]) == [f"i{n}" for n in range(6)]
        assert slow.dropped == 4
        assert fast.dropped == 0


async def test_a_stream_with_room_has_the_event_while_a_full_one_is_waited_for() -> None:
    hub = EventHub()
    loop = asyncio.get_running_loop()
    async with hub.stream((), maxsize=1) as full, hub.stream((), maxsize=10) as roomy:
        await hub.publish(item_added("i0"))
        publishing = asyncio.ensure_future(
            hub.publish(item_added("i1"), deadline=loop.time() + 5.0)
        )
        await asyncio.sleep(0.05)
        assert not publishing.done()  # held by the full stream...
        assert ids([await roomy.get(0), await roomy.get(0)]) == ["i0", "i1"]  # ... not roomy
        assert ids([await full.get(1)]) == ["i0"]
        await asyncio.wait_for(publishing, 1)
        assert ids([await full.get(1)]) == ["i1"]
    assert hub.dropped == 0


async def test_raise_policy_ends_only_that_stream_with_the_count() -> None:
    hub = EventHub()
    loop = asyncio.get_running_loop()
    async with (
        hub.stream((), maxsize=2, overflow="raise") as strict,
        hub.stream((), maxsize=100) as other,
    ):
        for n in range(4):
            await hub.publish(item_added(f"i{n}"), deadline=loop.time() + 0.01)
        with pytest.raises(StreamOverflowError) as caught:
            await strict.get(1)
        assert caught.value.dropped == 3  # the two buffered and the one that overflowed
        assert hub.dropped == 3
        with pytest.raises(StreamOverflowError):  # stays failed
            async for _ in strict:
                pass
        assert hub.stream_count == 1
        assert ids([await other.get(1) for _ in range(4)]) == ["i0", "i1", "i2", "i3"]


async def test_block_policy_ignores_the_deadline_and_loses_nothing() -> None:
    hub = EventHub()
    loop = asyncio.get_running_loop()
    async with hub.stream((), maxsize=1, overflow="block") as stream:
        await hub.publish(item_added("i0"), deadline=loop.time())
        publishing = asyncio.ensure_future(hub.publish(item_added("i1"), deadline=loop.time()))
        await asyncio.sleep(0.1)
        assert not publishing.done()
        assert ids([await stream.get(1)]) == ["i0"]
        await asyncio.wait_for(publishing, 1)
        assert ids([await stream.get(1)]) == ["i1"]
    assert hub.dropped == 0


def test_unknown_overflow_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="overflow"):
        EventHub().stream((), overflow="drop_newest")  # type: ignore[arg-type]


# -- a stalled stream costs only itself -------------------------------------------------------


async def _drain_into(stream: Any, into: list[Any]) -> None:
    while True:
        into.append(await stream.get(5))


async def _publish_answer(hub: EventHub, first: int, count: int, budget: float) -> None:
    """What the listener does with one answer: publish each event, in order, by one deadline."""
    deadline = asyncio.get_running_loop().time() + budget
    for n in range(first, first + count):
        await hub.publish(item_added(f"i{n}"), deadline=deadline)


async def test_a_stalled_stream_does_not_make_a_fast_one_lose_events(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = EventHub()
    got: list[Any] = []
    async with hub.stream((), maxsize=5) as stalled, hub.stream((), maxsize=10) as fast:
        reader = asyncio.create_task(_drain_into(fast, got))
        try:
            # The stalled stream spends the whole budget; past it the publisher must still
            # let the fast consumer run, or its small buffer overflows too.
            await asyncio.wait_for(_publish_answer(hub, 0, 300, 0.05), 5)
            await asyncio.sleep(0)
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        assert ids(got) == [f"i{n}" for n in range(300)]
        assert fast.dropped == 0
        assert stalled.dropped == hub.dropped == 295
        assert ids([await stalled.get(0) for _ in range(5)]) == [f"i{n}" for n in range(295, 300)]
    # The loss is logged against the stream that lost, which the log can tell apart.
    assert repr(stalled) != repr(fast)
    messages = [r.getMessage() for r in caplog.records if r.name == "gws_async.events"]
    assert any(repr(stalled) in m and "dropping" in m for m in messages)
    assert not any(repr(fast) in m for m in messages)


async def test_a_stream_already_behind_does_not_hold_the_next_answer() -> None:
    hub = EventHub()
    loop = asyncio.get_running_loop()
    async with hub.stream((), maxsize=2) as stalled:
        await asyncio.wait_for(_publish_answer(hub, 0, 3, 0.05), 2)
        assert stalled.dropped == 1
        # Judged once: a later answer, with a fresh budget, is not held for it again.
        started = loop.time()
        await asyncio.wait_for(_publish_answer(hub, 3, 50, 5.0), 2)
        assert loop.time() - started < 1.0
        assert stalled.dropped == 51
        assert ids([await stalled.get(0) for _ in range(2)]) == ["i51", "i52"]


async def test_a_stream_that_caught_up_is_waited_for_again() -> None:
    hub = EventHub()
    loop = asyncio.get_running_loop()
    async with hub.stream((), maxsize=2) as stream:
        await _publish_answer(hub, 0, 3, 0.01)
        assert stream.dropped == 1
        assert ids([await stream.get(0) for _ in range(2)]) == ["i1", "i2"]
        await hub.publish(item_added("i3"), deadline=loop.time() + 5)
        await hub.publish(item_added("i4"), deadline=loop.time() + 5)
        publishing = asyncio.ensure_future(hub.publish(item_added("i5"), deadline=loop.time() + 5))
        await asyncio.sleep(0.05)
        assert not publishing.done()  # backpressure again, not a drop
        assert ids([await stream.get(1)]) == ["i3"]
        await asyncio.wait_for(publishing, 1)
        assert ids([await stream.get(1) for _ in range(2)]) == ["i4", "i5"]
    assert stream.dropped == 1


async def test_one_overflow_episode_logs_twice_however_the_consumer_trickles(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = EventHub()
    async with hub.stream((), maxsize=4) as slow:
        await _publish_answer(hub, 0, 10, 0.01)  # full and judged behind
        for n in range(10, 60):  # the consumer takes one, two more arrive: still behind
            await slow.get(0)
            await _publish_answer(hub, n * 2, 2, 0.01)
        while slow.pending:
            await slow.get(0)
        await _publish_answer(hub, 1000, 1, 0.01)  # caught up
    messages = [r.getMessage() for r in caplog.records if r.name == "gws_async.events"]
    assert len([m for m in messages if "dropping the oldest" in m]) == 1
    assert len([m for m in messages if "caught up" in m]) == 1
    assert slow.dropped == 6 + 50


# -- a stream must be entered -----------------------------------------------------------------


async def test_iterating_a_stream_never_entered_raises_at_once() -> None:
    hub = EventHub()
    stream = hub.stream(())
    with pytest.raises(StreamNotEntered, match="async with"):
        async for _ in stream:
            pass
    with pytest.raises(StreamNotEntered):
        await stream.get(1)
    assert hub.stream_count == 0


async def test_a_stream_left_ends_its_iteration() -> None:
    hub = EventHub()
    async with hub.stream(()) as stream:
        await hub.publish(item_added("i0"))
    assert [event async for event in stream] == []


async def test_a_read_cancelled_as_its_event_arrives_ends_cancelled_or_with_it() -> None:
    # Before Python 3.12 asyncio.wait_for lost a cancellation that came as what it waited
    # for completed: a consumer told to stop read on. The cancellation lands at each step
    # of the read's wake-up; a read cancelled leaves its event to the next one.
    hub = EventHub()
    async with hub.stream(()) as stream:
        for steps in range(4):
            reader = asyncio.create_task(stream.get(5))
            for _ in range(2):
                await asyncio.sleep(0)
            hub.deliver(item_added(f"i{steps}"))
            for _ in range(steps):
                await asyncio.sleep(0)
            if reader.cancel():
                await asyncio.gather(reader, return_exceptions=True)
                assert reader.cancelled(), f"the cancellation was lost ({steps} steps in)"
                assert (await stream.get(1)).raw["chatStateResourceV2"]["id"] == f"i{steps}"
            else:
                assert reader.result().raw["chatStateResourceV2"]["id"] == f"i{steps}"
