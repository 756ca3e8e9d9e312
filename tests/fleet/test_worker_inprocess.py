"""A worker and a consumer in the test's own process, against a real redis-server and the
simulator: events end to end, resync on take-over, a Redis restart, and bad input."""

from __future__ import annotations

import asyncio

import pytest

from gws_async.events import InteractionStateMessage, WorkbinStateChangeMessage
from gws_async.fleet import (
    AgentSpec,
    BalancerSettings,
    FleetWorker,
    RedisUnavailableError,
    fleet_events,
)
from tests.conftest import wait_until

from .conftest import RecordedSimulator, RedisServer, free_port, make_agents

FAST = BalancerSettings(ttl=3.0, margin=1.0, tick=0.3, cooldown=60.0)


def specs(count: int) -> list[AgentSpec]:
    return [AgentSpec(f"agent{i}", f"pw{i}") for i in range(count)]


async def collect(stream, into: list[tuple[str, int]]) -> None:  # type: ignore[no-untyped-def]
    async for event in stream:
        if isinstance(event, WorkbinStateChangeMessage) and "seq" in event.raw:
            into.append((stream.agent_of(event), event.raw["seq"]))


async def test_events_reach_a_consumer_typed_in_order(redis_server: RedisServer) -> None:
    async with RecordedSimulator(make_agents(5)) as sim:
        sim.create_interaction("agent1", media="chat")  # read back by resync
        worker = FleetWorker(sim.url, specs(5), redis_server.url, settings=FAST, shards=4)
        async with worker:
            await wait_until(
                lambda: sim.subscribed() == {f"agent{i}" for i in range(5)}, timeout=15, step=0.1
            )
            got: list[tuple[str, int]] = []
            stream = fleet_events(redis_server.url, group="g", shards=4, settings=FAST)
            async with stream:
                task = asyncio.create_task(collect(stream, got))
                for seq in range(20):
                    for i in range(5):
                        assert sim.push_seq(f"agent{i}", seq) == 1
                await wait_until(lambda: len(got) == 100, timeout=15, step=0.1)
                task.cancel()
        for i in range(5):
            assert [s for a, s in got if a == f"agent{i}"] == list(range(20))
        assert worker.stats.published >= 100


async def test_a_taken_over_agent_is_resynced(redis_server: RedisServer) -> None:
    async with RecordedSimulator(make_agents(1)) as sim:
        sim.create_interaction("agent0", media="chat")
        async with FleetWorker(sim.url, specs(1), redis_server.url, settings=FAST, shards=1):
            stream = fleet_events(
                redis_server.url, InteractionStateMessage, group="g", shards=1, settings=FAST
            )
            async with stream:
                event = await asyncio.wait_for(stream.__anext__(), 15)
                assert stream.current is not None
                assert stream.current.resync
                assert stream.agent_of(event) == "agent0"
                assert event.media == "chat"


async def test_unreachable_redis_is_named() -> None:
    port = free_port()
    worker = FleetWorker("http://127.0.0.1:1", specs(1), f"redis://:hunter2@127.0.0.1:{port}/0")
    with pytest.raises(RedisUnavailableError) as caught:
        await worker.start()
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "hunter2" not in repr(caught.value)
    assert caught.value.__cause__ is None
    assert "hunter2" not in repr(caught.value.__context__)


async def test_a_wrong_password_is_named_and_the_others_work(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    agents = [*specs(3), AgentSpec("agent3", "wrong"), AgentSpec("nobody", "x")]
    async with (
        RecordedSimulator(make_agents(4)) as sim,
        FleetWorker(sim.url, agents, redis_server.url, settings=FAST, shards=2) as worker,
    ):
        await wait_until(
            lambda: sim.subscribed() == {"agent0", "agent1", "agent2"}, timeout=15, step=0.1
        )
        await wait_until(
            lambda: set(worker.agents) == {"agent0", "agent1", "agent2"}, timeout=5, step=0.1
        )
    text = caplog.text
    assert "agent3: AuthenticationError" in text
    assert "nobody: AuthenticationError" in text
    assert "wrong" not in text.replace("'wrong", "")


async def test_redis_restart_is_ridden_out(persistent_redis: RedisServer) -> None:
    async with RecordedSimulator(make_agents(4)) as sim:
        worker = FleetWorker(sim.url, specs(4), persistent_redis.url, settings=FAST, shards=2)
        async with worker:
            await wait_until(lambda: len(sim.subscribed()) == 4, timeout=15, step=0.1)
            sessions_before = set(sim.recorder.spans)
            got: list[tuple[str, int]] = []
            stream = fleet_events(persistent_redis.url, group="g", shards=2, settings=FAST)
            async with stream:
                task = asyncio.create_task(collect(stream, got))
                for seq in range(10):
                    for i in range(4):
                        sim.push_seq(f"agent{i}", seq)
                await wait_until(lambda: len(got) == 40, timeout=10, step=0.1)
                await asyncio.to_thread(persistent_redis.stop)
                for seq in range(10, 20):  # Redis is down: the worker buffers these
                    for i in range(4):
                        sim.push_seq(f"agent{i}", seq)
                await asyncio.sleep(0.5)
                await asyncio.to_thread(persistent_redis.start)
                for seq in range(20, 30):
                    for i in range(4):
                        sim.push_seq(f"agent{i}", seq)
                await wait_until(lambda: len(set(got)) == 120, timeout=20, step=0.1)
                task.cancel()
            assert worker.stats.dropped == {}
            # The agents stayed logged in: no new HTTP session was needed.
            assert set(sim.recorder.spans) == sessions_before
        for i in range(4):
            seqs = [s for a, s in got if a == f"agent{i}"]
            assert sorted(set(seqs)) == list(range(30))
            assert seqs == sorted(seqs)
