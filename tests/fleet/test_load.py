"""The fleet under load, against a real redis-server: appends keep up with a busy event
loop, leases are released in bulk whatever the pool size, a worker closing right after a
Redis restart still releases its leases, and what a worker loses is counted."""

from __future__ import annotations

import asyncio
import json
import time

from gws_async.events import GwsEvent, decode_event
from gws_async.fleet import AgentSpec, BalancerSettings, FleetWorker
from gws_async.fleet._balancer import Balancer
from gws_async.fleet._publisher import Publisher
from gws_async.fleet._redis import connect
from tests.conftest import wait_until

from .conftest import (
    SAMPLE,
    TOPIC,
    RecordedSimulator,
    RedisServer,
    make_agents,
    owners,
    redis_client,
)

PREFIX = "gws:"


def specs(count: int) -> list[AgentSpec]:
    return [AgentSpec(f"agent{i}", f"pw{i}") for i in range(count)]


def sample(seq: int) -> GwsEvent:
    return decode_event(TOPIC, dict(SAMPLE["data"], seq=seq))


async def seqs_by_agent(url: str, shards: int) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    async with redis_client(url) as client:
        for shard in range(shards):
            for _, fields in await client.xrange(f"{PREFIX}events:{shard}"):
                agent = fields[b"agent"].decode()
                found.setdefault(agent, []).append(json.loads(fields[b"raw"])["seq"])
    return found


async def test_appends_keep_up_with_a_busy_event_loop(redis_server: RedisServer) -> None:
    # A worker holding hundreds of agents spends long loop iterations decoding their
    # events (here 50 ms for 200 events: 4,000 events/s, as 400 agents at 10/s); one
    # round trip takes a few iterations, so each must carry what they queued meanwhile.
    agents = [f"agent{i}" for i in range(50)]
    redis = connect(redis_server.url)
    await redis.mset({f"{PREFIX}workers:lease:{a}": "w:1" for a in agents})
    publisher = Publisher(
        redis,
        prefix=PREFIX,
        shards=4,
        holds=lambda agent, lease: True,
        lease_key=lambda agent: f"{PREFIX}workers:lease:{agent}",
        buffer=3000,
    )
    sender = asyncio.create_task(publisher.run())
    try:
        for seq in range(30):
            for agent in agents:
                for k in range(4):
                    publisher.add(agent, "w:1", 1, sample(seq * 4 + k))
            time.sleep(0.05)  # noqa: ASYNC251 - the busy loop under test
            await asyncio.sleep(0)
        assert await publisher.flush(10)
    finally:
        publisher.closing = True
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        await redis.aclose()
    assert dict(publisher.dropped) == {}
    assert publisher.published == 30 * 4 * 50
    found = await seqs_by_agent(redis_server.url, 4)
    assert all(found[a] == list(range(120)) for a in agents)


async def test_leaving_releases_more_leases_than_the_pool_has_connections(
    redis_server: RedisServer,
) -> None:
    items = [f"agent{i}" for i in range(300)]
    redis = connect(redis_server.url)
    stopped: list[str] = []

    async def stop(item: str) -> None:
        await asyncio.sleep(0.01)
        stopped.append(item)

    balancer = Balancer(
        redis,
        member="w0",
        prefix=f"{PREFIX}workers:",
        items=items,
        start=lambda item, token: None,
        stop=stop,
        settings=BalancerSettings(),
    )
    try:
        await balancer.tick()
        assert len(balancer.held) == 300
        assert len(await owners(redis_server.url)) == 300
        await balancer.leave()
    finally:
        await redis.aclose()
    assert sorted(stopped) == sorted(items)
    assert await owners(redis_server.url) == {}


async def test_a_worker_closing_right_after_a_redis_restart_releases_every_lease(
    persistent_redis: RedisServer,
) -> None:
    # More agents than the worker's Redis connections (16): released in one round trip,
    # on a connection made again after the restart broke the pooled ones.
    settings = BalancerSettings(ttl=10.0, margin=3.0, tick=0.3)
    names = {f"agent{i}" for i in range(24)}
    async with RecordedSimulator(make_agents(24)) as sim:
        worker = FleetWorker(sim.url, specs(24), persistent_redis.url, settings=settings)
        async with worker:
            await wait_until(lambda: sim.subscribed() == names, timeout=30, step=0.1)
            assert set((await owners(persistent_redis.url)).values()) == {worker.worker_id}
            await asyncio.to_thread(persistent_redis.restart)
            assert len(await owners(persistent_redis.url)) == 24  # kept by the AOF
            loop = asyncio.get_running_loop()
            began = loop.time()
            await worker.close()
            took = loop.time() - began
        assert await owners(persistent_redis.url) == {}
        assert not sim.subscribed()
        assert took < settings.ttl - settings.margin


async def test_events_dropped_inside_the_worker_are_counted(redis_server: RedisServer) -> None:
    # The agent's own stream overflows while its task waits on a resync GWS does not
    # answer (maxInterval 2 s leaves 1.5 s per answer); the resync then times out and the
    # agent is given up. Every event is appended or counted as dropped, none lost unseen.
    async with RecordedSimulator(make_agents(1), max_interval=2.0) as sim:
        # The agent's stream holds 1,000 events (the default stream_size).
        worker = FleetWorker(sim.url, specs(1), redis_server.url, shards=1, timeout=4.0)
        async with worker:
            await wait_until(lambda: sim.subscribed() == {"agent0"}, timeout=15, step=0.1)
            sim.stall_next(1, path_prefix="/api/v2/me/interactions")
            sim.expire_bayeux_sessions("agent0")  # renewed: the worker resyncs
            await wait_until(lambda: sim.subscribed() == {"agent0"}, timeout=10, step=0.02)
            for seq in range(1050):
                assert sim.push_seq("agent0", seq) == 1
            async with redis_client(redis_server.url) as client:

                async def accounted() -> bool:
                    found = await seqs_by_agent(redis_server.url, 1)
                    reported = await client.hget(f"{PREFIX}dropped", "agent0")
                    return len(found.get("agent0", [])) + int(reported or 0) == 1050

                await wait_until(accounted, timeout=20, step=0.1)
            appended = (await seqs_by_agent(redis_server.url, 1))["agent0"]
            assert worker.stats.dropped["agent0"] == 1050 - len(appended) > 0
            assert appended == sorted(appended)  # what is kept keeps its order
