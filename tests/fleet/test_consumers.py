"""Consumer groups: a consumer killed mid-stream loses nothing (its unacknowledged events
go to another member), each agent's events stay in order; filters; the CLI's JSON lines."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gws_async.events import WorkbinStateChangeMessage
from gws_async.fleet import AgentSpec, BalancerSettings, FleetWorker, fleet_events
from tests.conftest import wait_until

from .conftest import ROOT, RecordedSimulator, RedisServer, make_agents, redis_client

FAST = BalancerSettings(ttl=3.0, margin=1.0, tick=0.3)
AGENTS = 10
PER_AGENT = 30


def entry(seq: int) -> dict[str, str]:
    """A stream entry as a worker appends it."""
    raw = json.dumps({"seq": seq})
    return {"agent": "a", "topic": "/v2/me/workbins", "type": "UnknownEvent", "raw": raw,
            "at": "1.5", "token": "1", "origin": "live"}  # fmt: skip


def by_agent(pairs: list[tuple[str, int]]) -> dict[str, list[int]]:
    result: dict[str, list[int]] = {}
    for agent, seq in pairs:
        result.setdefault(agent, []).append(seq)
    return result


async def test_a_killed_consumer_loses_nothing(redis_server: RedisServer, tmp_path: Path) -> None:
    specs = [AgentSpec(f"agent{i}", f"pw{i}") for i in range(AGENTS)]
    out = tmp_path / "consumer.jsonl"
    async with RecordedSimulator(make_agents(AGENTS)) as sim:  # noqa: SIM117
        async with FleetWorker(sim.url, specs, redis_server.url, settings=FAST, shards=4):
            await wait_until(lambda: len(sim.subscribed()) == AGENTS, timeout=20, step=0.1)
            with out.open("wb") as sink:
                victim = subprocess.Popen(  # noqa: ASYNC220 - starts at once
                    [sys.executable, "-m", "gws_async", "fleet", "consume", "--redis",
                     redis_server.url, "--group", "g", "--shards", "4", "--consumer", "victim",
                     "--type", "WorkbinStateChangeMessage", "--ttl", "3", "--margin", "1",
                     "--tick", "0.3"],
                    stdout=sink, cwd=ROOT,
                )  # fmt: skip
            try:
                for seq in range(PER_AGENT // 3):
                    for i in range(AGENTS):
                        sim.push_seq(f"agent{i}", seq)
                # Kill it once it has printed part of the events (maybe before it
                # acknowledged them), then publish the rest.
                await wait_until(lambda: out.read_bytes().count(b"\n") >= 20, timeout=20, step=0.01)
                victim.kill()
                victim.wait(10)
                for seq in range(PER_AGENT // 3, PER_AGENT):
                    for i in range(AGENTS):
                        sim.push_seq(f"agent{i}", seq)
            finally:
                if victim.poll() is None:
                    victim.kill()
                    victim.wait(10)
            # A line cut short by the kill was not handled.
            lines = out.read_text().splitlines(keepends=True)
            printed = [json.loads(line) for line in lines if line.endswith("\n")]
            first = [(r["agent"], r["data"]["seq"]) for r in printed]
            second: list[tuple[str, int]] = []
            stream = fleet_events(
                redis_server.url, WorkbinStateChangeMessage, group="g", shards=4, settings=FAST
            )
            async with stream:
                async for event in stream:
                    second.append((stream.agent_of(event), event.raw["seq"]))
                    if len(set(first) | set(second)) == AGENTS * PER_AGENT:
                        break
    assert len(first) < AGENTS * PER_AGENT  # killed mid-stream
    everything = set(first) | set(second)
    assert everything == {(f"agent{i}", s) for i in range(AGENTS) for s in range(PER_AGENT)}
    # In order per agent, without a gap: what the second member got continues where the
    # first stopped, repeating at most what the victim handled since its last
    # acknowledgement (sent once per read, so at most one read of events).
    for agent, seqs in by_agent(second).items():
        assert seqs == list(range(seqs[0], PER_AGENT)), agent
        done = by_agent(first).get(agent, [])
        if done:
            assert seqs[0] <= done[-1] + 1, agent


async def test_members_share_the_shards(redis_server: RedisServer) -> None:
    a = fleet_events(redis_server.url, group="g", shards=8, settings=FAST, consumer="a")
    b = fleet_events(redis_server.url, group="g", shards=8, settings=FAST, consumer="b")
    async with a, b:
        await wait_until(lambda: len(a.shards) == 4 and len(b.shards) == 4, timeout=10, step=0.1)
        assert set(a.shards).isdisjoint(b.shards)


async def test_a_malformed_entry_is_counted_not_fatal(redis_server: RedisServer) -> None:
    async with redis_client(redis_server.url) as client:
        await client.xadd("gws:events:0", {"agent": "x", "raw": "{not json"})
        await client.xadd(
            "gws:events:0",
            {"agent": "a", "topic": "/v2/me/workbins", "type": "UnknownEvent", "raw": '{"k": 1}',
             "at": "1.5", "token": "3", "origin": "live"},
        )  # fmt: skip
    stream = fleet_events(redis_server.url, group="g", shards=1, settings=FAST)
    async with stream:
        event = await asyncio.wait_for(stream.__anext__(), 10)
        assert event.raw == {"k": 1}
        assert stream.agent_of(event) == "a"
        assert stream.malformed == 1


def test_the_stream_must_be_entered(redis_server: RedisServer) -> None:
    stream = fleet_events(redis_server.url, group="g")
    with pytest.raises(Exception, match="not open"):
        asyncio.run(stream.__anext__())


async def test_handled_events_are_acknowledged_a_read_at_a_time(redis_server: RedisServer) -> None:
    # One XACK per event made the consumer the slowest part of the fleet: they go
    # together, before the next read, and all of them when the stream is left.

    async with redis_client(redis_server.url) as client:
        async with client.pipeline(transaction=False) as pipe:
            for seq in range(300):
                pipe.xadd(
                    "gws:events:0",
                    {"agent": "a", "topic": "/v2/me/workbins", "type": "UnknownEvent",
                     "raw": json.dumps({"seq": seq}), "at": "1.5", "token": "1",
                     "origin": "live"},
                )  # fmt: skip
            await pipe.execute()
        await client.config_resetstat()
        stream = fleet_events(redis_server.url, group="g", shards=1, settings=FAST)
        seqs = []
        async with stream:
            async for event in stream:
                seqs.append(event.raw["seq"])
                if len(seqs) == 300:
                    break
        assert seqs == list(range(300))
        pending = await client.xpending("gws:events:0", "g")
        assert pending["pending"] == 0
        stats = await client.info("commandstats")
        assert stats["cmdstat_xack"]["calls"] <= 10


async def test_acknowledging_after_redis_lost_its_data_carries_on(
    redis_server: RedisServer,
) -> None:
    # The acknowledgements of a read go out before the next read: if Redis lost the group
    # meanwhile (a restart without its data), there is nothing to acknowledge, and the
    # stream must go on with what comes next instead of failing.

    async with redis_client(redis_server.url) as client:
        await client.xadd("gws:events:0", entry(0))  # type: ignore[arg-type]
        stream = fleet_events(redis_server.url, group="g", shards=1, settings=FAST)
        async with stream:
            first = await asyncio.wait_for(stream.__anext__(), 10)
            assert first.raw == {"seq": 0}
            await client.flushall()
            await client.xadd("gws:events:0", entry(1))  # type: ignore[arg-type]
            second = await asyncio.wait_for(stream.__anext__(), 10)
            assert second.raw == {"seq": 1}


async def test_entries_of_a_read_whose_answer_was_lost_come_all_the_same(
    redis_server: RedisServer,
) -> None:
    # A read that Redis answered but whose answer never arrived (a broken connection,
    # resent by the client) leaves its entries pending to this member: it must find them
    # by itself, not only when another member takes the shard over.

    async with redis_client(redis_server.url) as client:
        stream = fleet_events(redis_server.url, group="g", shards=1, settings=FAST, consumer="c")
        async with stream:
            await wait_until(lambda: stream.shards == [0], timeout=10, step=0.1)
            await client.xadd("gws:events:0", entry(0))  # type: ignore[arg-type]
            first = await asyncio.wait_for(stream.__anext__(), 10)
            assert first.raw == {"seq": 0}  # the shard is taken, its claim made
            reading = asyncio.create_task(stream.__anext__())
            await asyncio.sleep(0.2)
            async with client.pipeline(transaction=True) as pipe:
                # Added and read as "c" at once, so the member's own read never sees it.
                pipe.xadd("gws:events:0", entry(7))  # type: ignore[arg-type]
                pipe.xreadgroup("g", "c", {"gws:events:0": ">"})
                await pipe.execute()
            event = await asyncio.wait_for(reading, 10)
            assert event.raw == {"seq": 7}


async def test_a_consuming_task_ends_whenever_it_is_cancelled(redis_server: RedisServer) -> None:
    # redis-py writes each command through asyncio.wait_for, which before Python 3.12
    # loses a cancellation that comes as the write completes: the loop of a consumer
    # whose task was cancelled then read on for ever (a test hung on it). Cancelled at
    # 200 moments spread over its reads, the task must end every time.
    stream = fleet_events(redis_server.url, group="g", shards=1, settings=FAST, block=0.01)
    lost = 0

    async def consume() -> None:
        async for _ in stream:
            pass

    async with stream:
        await wait_until(lambda: stream.shards == [0], timeout=10, step=0.1)
        for attempt in range(200):
            task = asyncio.create_task(consume())
            await asyncio.sleep((attempt % 40) * 0.001)
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=2)
            if not done:
                lost += 1
                task.cancel()
                await asyncio.wait({task}, timeout=2)
    assert lost == 0, f"{lost} of 200 cancellations were lost"
