"""The fleet's guarantees under failure, each against a real redis-server and the
simulator: the watchdog stops a worker's agents before their leases can lapse, a stale
owner's events are fenced, a full buffer drops and counts, and a Redis restart without
its data is ridden out by workers and consumers."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest

from gws_async.events import WorkbinStateChangeMessage
from gws_async.fleet import AgentSpec, BalancerSettings, FleetWorker, fleet_events
from tests.conftest import wait_until

from .conftest import RecordedSimulator, RedisServer, make_agents, owners, redis_client


def specs(count: int) -> list[AgentSpec]:
    return [AgentSpec(f"agent{i}", f"pw{i}") for i in range(count)]


async def stream_seqs(redis_url: str, agent: str) -> list[int]:
    """The ``seq`` of every entry of ``agent`` in the (single) shard stream."""
    async with redis_client(redis_url) as client:
        entries = await client.xrange("gws:events:0")
    seqs = []
    for _, fields in entries:
        raw = json.loads(fields[b"raw"])
        if fields[b"agent"].decode() == agent and "seq" in raw:
            seqs.append(raw["seq"])
    return seqs


@pytest.mark.parametrize("outage", ["stopped", "frozen"])
async def test_the_watchdog_stops_agents_before_their_leases_lapse(
    redis_server: RedisServer, outage: str
) -> None:
    settings = BalancerSettings(ttl=4.0, margin=1.5, tick=0.3)
    async with RecordedSimulator(make_agents(3)) as sim:
        worker = FleetWorker(sim.url, specs(3), redis_server.url, settings=settings, shards=1)
        async with worker:
            await wait_until(lambda: len(sim.subscribed()) == 3, timeout=15, step=0.1)
            clients = [worker.client(f"agent{i}") for i in range(3)]
            assert all(c is not None for c in clients)
            process = redis_server.process
            assert process is not None
            loop = asyncio.get_running_loop()
            try:
                if outage == "stopped":
                    await asyncio.to_thread(redis_server.stop)
                else:  # Redis hangs: every command runs into its timeout
                    process.send_signal(signal.SIGSTOP)
                # Stopped means logged out and the client's session closed.
                await wait_until(
                    lambda: (
                        not sim.subscribed()
                        and all(c is not None and c.session.closed for c in clients)
                    ),
                    timeout=10,
                    step=0.02,
                )
                gone = loop.time()
                last_ok = worker.balancer._last_ok
                assert last_ok is not None
                # Logged out before the lease (renewed after last_ok) could lapse ...
                assert gone - last_ok < settings.ttl
                # ... but not at the first failure: an outage shorter than ttl - margin
                # is ridden out.
                assert gone - last_ok >= settings.ttl - settings.margin
                assert worker.agents == []
            finally:
                if outage == "frozen":
                    process.send_signal(signal.SIGCONT)


async def test_a_stale_owner_cannot_append(redis_server: RedisServer) -> None:
    # A long tick: the worker learns it lost the lease only when the test wakes it.
    settings = BalancerSettings(ttl=30.0, margin=5.0, tick=10.0)
    async with RecordedSimulator(make_agents(1)) as sim:
        worker = FleetWorker(sim.url, specs(1), redis_server.url, settings=settings, shards=1)
        async with worker:
            worker.balancer.wake()  # the first round only announces: take the agent now
            await wait_until(lambda: sim.subscribed() == {"agent0"}, timeout=15, step=0.1)
            sim.push_seq("agent0", 0)
            await wait_until(
                lambda: worker.stats.published >= 1 and not worker.stats.buffered,
                timeout=5,
                step=0.1,
            )
            # Another worker takes the lease over, with a newer token.
            async with redis_client(redis_server.url) as client:
                lease = worker.balancer.lease_key("agent0")
                await client.set(lease, "usurper:99", px=30_000)
                published = worker.stats.published
                for seq in range(1, 6):
                    sim.push_seq("agent0", seq)
                await wait_until(lambda: worker.stats.fenced == 5, timeout=5, step=0.1)
                assert worker.stats.published == published
                assert await stream_seqs(redis_server.url, "agent0") == [0]
                # At its next renewal the stale owner sees the loss and logs the agent out,
                # leaving the lease to its holder.
                worker.balancer.wake()
                await wait_until(
                    lambda: not sim.subscribed() and worker.agents == [], timeout=5, step=0.1
                )
                assert await client.get(lease) == b"usurper:99"


async def test_a_full_buffer_drops_and_counts_per_agent(redis_server: RedisServer) -> None:
    # ttl - margin well above the outage: the agents stay logged in throughout.
    settings = BalancerSettings(ttl=12.0, margin=2.0, tick=0.3)
    async with RecordedSimulator(make_agents(2)) as sim:
        worker = FleetWorker(
            sim.url, specs(2), redis_server.url, settings=settings, shards=1, buffer=5
        )
        async with worker:
            await wait_until(lambda: len(sim.subscribed()) == 2, timeout=15, step=0.1)
            await wait_until(lambda: not worker.stats.buffered, timeout=5, step=0.1)
            await asyncio.to_thread(redis_server.stop)
            for seq in range(6):
                sim.push_seq("agent0", seq)
            await wait_until(lambda: worker.stats.dropped == {"agent0": 1}, timeout=5, step=0.1)
            for seq in range(4):
                sim.push_seq("agent1", seq)
            await wait_until(
                lambda: worker.stats.dropped == {"agent0": 1, "agent1": 4}, timeout=5, step=0.1
            )
            assert worker.stats.buffered == 5
            await asyncio.to_thread(redis_server.start)  # without the old data
            async with redis_client(redis_server.url) as client:

                async def reported() -> bool:
                    return await client.hgetall("gws:dropped") == {b"agent0": b"1", b"agent1": b"4"}

                await wait_until(reported, timeout=10, step=0.1)
            await wait_until(lambda: not worker.stats.buffered, timeout=5, step=0.1)
            # The five kept are the oldest, in order; the agents never logged out.
            assert await stream_seqs(redis_server.url, "agent0") == [0, 1, 2, 3, 4]
            assert await stream_seqs(redis_server.url, "agent1") == []
            assert sim.subscribed() == {"agent0", "agent1"}


async def collect(stream, into: list[tuple[str, int]]) -> None:  # type: ignore[no-untyped-def]
    async for event in stream:
        if isinstance(event, WorkbinStateChangeMessage) and "seq" in event.raw:
            into.append((stream.agent_of(event), event.raw["seq"]))


async def test_a_redis_restart_without_data_is_ridden_out(redis_server: RedisServer) -> None:
    settings = BalancerSettings(ttl=6.0, margin=2.0, tick=0.3)
    async with RecordedSimulator(make_agents(4)) as sim:
        worker = FleetWorker(sim.url, specs(4), redis_server.url, settings=settings, shards=2)
        async with worker:
            await wait_until(lambda: len(sim.subscribed()) == 4, timeout=15, step=0.1)
            got: list[tuple[str, int]] = []
            stream = fleet_events(redis_server.url, group="g", shards=2, settings=settings)
            async with stream:
                task = asyncio.create_task(collect(stream, got))
                try:
                    for i in range(4):
                        sim.push_seq(f"agent{i}", 0)
                    await wait_until(lambda: len(got) == 4, timeout=10, step=0.1)
                    async with redis_client(redis_server.url) as client:
                        await client.set("marker", "1")
                    await asyncio.to_thread(redis_server.restart)
                    async with redis_client(redis_server.url) as client:
                        assert await client.get("marker") is None  # nothing was kept
                    # The worker holds its agents again and the consumer its shards.
                    expected = {f"agent{i}": worker.worker_id for i in range(4)}

                    async def reclaimed() -> bool:
                        return await owners(redis_server.url) == expected

                    await wait_until(reclaimed, timeout=10, step=0.1)
                    await wait_until(lambda: stream.shards == [0, 1], timeout=10, step=0.1)
                    for i in range(4):
                        sim.push_seq(f"agent{i}", 1)
                    await wait_until(lambda: len(got) == 8, timeout=15, step=0.1)
                finally:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            assert sorted(got) == sorted((f"agent{i}", s) for i in range(4) for s in (0, 1))
            assert sorted(worker.agents) == [f"agent{i}" for i in range(4)]
