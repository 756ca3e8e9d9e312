"""The fleet as it runs: worker processes of the CLI sharing 100 simulated agents through a
real redis-server. Killed, stopped and joining workers; never two owners of one agent,
checked from the simulator's side."""

from __future__ import annotations

import asyncio
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gws_async.events import WorkbinStateChangeMessage
from gws_async.fleet import BalancerSettings, FleetEvents, fleet_events
from tests.conftest import wait_until

from .conftest import (
    REDIS_SERVER,
    ROOT,
    RecordedSimulator,
    RedisServer,
    Workers,
    free_port,
    make_agents,
    owners,
    redis_client,
    write_agents,
)

TTL = 4.0


def start_workers(
    made: list[Workers], sim: RecordedSimulator, redis_url: str, names: list[str], directory: Path
) -> Workers:
    """Worker processes w0, w1 and w2 of the CLI sharing ``names`` (agentN, password pwN)."""
    agents, secrets = write_agents(directory, names, {n: f"pw{n[5:]}" for n in names})
    workers = Workers(sim.url, redis_url, agents, secrets, directory)
    made.append(workers)
    for name in ("w0", "w1", "w2"):
        workers.start(name)
    return workers


async def all_up(sim: RecordedSimulator, redis_url: str, names: list[str]) -> bool:
    """Every agent of ``names`` owned by a worker and subscribed on the simulator."""
    owned = await owners(redis_url)
    return len(owned) == len(names) and sim.subscribed() == set(names)


def counts(owned: dict[str, str]) -> dict[str, int]:
    result: dict[str, int] = {}
    for worker in owned.values():
        result[worker] = result.get(worker, 0) + 1
    return result


async def test_kill_stop_and_join(
    fleet_sim: RecordedSimulator, redis_server: RedisServer, tmp_path: Path,
    workers_factory: list[Workers],
) -> None:  # fmt: skip
    names = [f"agent{i}" for i in range(100)]
    workers = start_workers(workers_factory, fleet_sim, redis_server.url, names, tmp_path)
    await wait_until(lambda: all_up(fleet_sim, redis_server.url, names), timeout=60, step=0.25)
    await asyncio.sleep(2 * 0.5 + 0.2)  # stable: a few ticks
    owned = await owners(redis_server.url)
    assert set(counts(owned)) == {"w0", "w1", "w2"}
    assert max(counts(owned).values()) <= math.ceil(100 / 3) + 1

    # kill -9: the dead worker's agents are owned and logged in again within ttl + 2 s.
    victims = {a for a, w in owned.items() if w == "w0"}
    workers.kill("w0")
    killed = time.monotonic()

    async def taken_over() -> bool:
        now = await owners(redis_server.url)
        return (
            all(now.get(a) in ("w1", "w2") for a in victims) and victims <= fleet_sim.subscribed()
        )

    took = await wait_until(taken_over, timeout=TTL + 10, step=0.1)
    assert time.monotonic() - killed <= TTL + 2, f"take-over took {took:.1f} s"
    print(f"take-over after kill -9: {time.monotonic() - killed:.2f} s for {len(victims)} agents")
    # ...and they receive new events.
    reached = [fleet_sim.push_seq(a, 0) for a in sorted(victims)]
    assert all(r >= 1 for r in reached)

    # A graceful stop hands over at once (well before a lease could lapse).
    owned = await owners(redis_server.url)
    leaving = {a for a, w in owned.items() if w == "w1"}
    workers.kill("w1", signal.SIGTERM)
    stopped = time.monotonic()

    async def handed_over() -> bool:
        now = await owners(redis_server.url)
        return all(now.get(a) == "w2" for a in leaving) and leaving <= fleet_sim.subscribed()

    await wait_until(handed_over, timeout=TTL + 10, step=0.05)
    handover = time.monotonic() - stopped
    print(f"hand-over after SIGTERM: {handover:.2f} s for {len(leaving)} agents")
    assert handover < TTL, "a graceful stop must not wait for the leases to lapse"
    assert workers.processes["w1"].wait(10) in (0, 143)

    # A new worker takes a fair share.
    workers.start("w3")

    async def balanced() -> bool:
        c = counts(await owners(redis_server.url))
        return set(c) == {"w2", "w3"} and max(c.values()) <= 51 and sum(c.values()) == 100

    await wait_until(balanced, timeout=30, step=0.25)
    await wait_until(lambda: fleet_sim.subscribed() == set(names), timeout=30, step=0.25)

    # Never two workers logged in as one agent, seen from the simulator's side.
    assert fleet_sim.recorder.overlaps() == []


async def test_bad_input_is_named_and_the_rest_works(
    redis_server: RedisServer, tmp_path: Path, workers_factory: list[Workers]
) -> None:
    from .conftest import make_agents

    async with RecordedSimulator(make_agents(3)) as sim:
        agents = tmp_path / "agents.txt"
        agents.write_text("agent0\nagent1\nagent2\nbad name here\nghost\n# comment\n")
        secrets = tmp_path / "secrets.txt"
        secrets.write_text("agent0:pw0\nagent1:pw1\nagent2:WRONG\nghost:boo\n")
        workers = Workers(sim.url, redis_server.url, agents, secrets, tmp_path)
        workers_factory.append(workers)
        workers.start("w0")
        await wait_until(lambda: sim.subscribed() == {"agent0", "agent1"}, timeout=30, step=0.2)
        await wait_until(
            lambda: "agent2: AuthenticationError" in workers.log("w0"), timeout=10, step=0.2
        )
        await wait_until(
            lambda: "ghost: AuthenticationError" in workers.log("w0"), timeout=10, step=0.2
        )
        log = workers.log("w0")
        assert "agents file line 4 (agent 'bad')" in log
        assert "WRONG" not in log
        assert "boo" not in log
        assert workers.processes["w0"].poll() is None  # still running


def test_unreachable_redis_exits_naming_the_address(tmp_path: Path) -> None:
    agents = tmp_path / "agents.txt"
    agents.write_text("agent0\n")
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "gws_async", "fleet", "worker", "http://127.0.0.1:1",
         "--agents", str(agents)],
        env={"GWS_PASSWORD": "pw", "GWS_REDIS_URL": f"redis://:sekrit@127.0.0.1:{port}/0",
             "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"Redis at redis://127.0.0.1:{port}/0: PING failed" in result.stderr
    assert "sekrit" not in result.stderr


@pytest.mark.parametrize("persistence", ["aof", "none"])
async def test_worker_processes_and_a_consumer_ride_out_a_redis_restart(
    tmp_path: Path, workers_factory: list[Workers], persistence: str
) -> None:
    """Three worker processes hold 60 agents; Redis restarts (with its data, or without
    it); events pushed before, during and after the restart all reach a consumer, unless
    counted as dropped; every agent is owned again, by one worker."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    server = RedisServer(tmp_path, persistent=persistence == "aof")
    server.start()
    names = [f"agent{i}" for i in range(60)]
    settings = BalancerSettings(ttl=TTL, margin=1.5, tick=0.5)
    got: set[tuple[str, int]] = set()

    async def consume(stream: FleetEvents[WorkbinStateChangeMessage]) -> None:
        async for event in stream:
            if "seq" in event.raw:
                got.add((stream.agent_of(event), event.raw["seq"]))

    try:
        async with RecordedSimulator(make_agents(60)) as sim:
            workers = start_workers(workers_factory, sim, server.url, names, tmp_path)

            async def balanced() -> bool:
                c = counts(await owners(server.url))
                return sum(c.values()) == 60 and len(c) == 3 and max(c.values()) <= 20

            await wait_until(balanced, timeout=60, step=0.25)
            await wait_until(lambda: all_up(sim, server.url, names), timeout=30, step=0.25)
            await asyncio.sleep(2 * 0.5 + 0.2)  # a few ticks: rebalancing is over
            assert await all_up(sim, server.url, names)
            stream = fleet_events(
                server.url, WorkbinStateChangeMessage, group="g", settings=settings
            )
            async with stream:
                task = asyncio.create_task(consume(stream))
                try:
                    for name in names:
                        sim.push_seq(name, 0)
                    await wait_until(lambda: len(got) == 60, timeout=15, step=0.1)
                    await asyncio.to_thread(server.stop)
                    for name in names:  # buffered by the workers while Redis is away
                        assert sim.push_seq(name, 1) == 1
                    await asyncio.sleep(0.5)
                    await asyncio.to_thread(server.start)
                    await wait_until(lambda: all_up(sim, server.url, names), timeout=15, step=0.25)
                    for name in names:
                        sim.push_seq(name, 2)

                    async def accounted() -> bool:
                        dropped = await _dropped(server.url)
                        return all(
                            (n, s) in got or dropped.get(n, 0) > 0 for n in names for s in range(3)
                        )

                    try:
                        await wait_until(accounted, timeout=20, step=0.25)
                    except AssertionError:
                        expected = {(n, s) for n in names for s in range(3)}
                        raise AssertionError(
                            f"missing {sorted(expected - got)}, dropped "
                            f"{await _dropped(server.url)}, owners {await owners(server.url)}"
                        ) from None
                finally:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            # The agents stayed logged in (the outage was shorter than ttl - margin) and
            # nothing was dropped: every event arrived.
            assert got == {(n, s) for n in names for s in range(3)}
            assert set((await owners(server.url)).values()) == {"w0", "w1", "w2"}
            assert sim.recorder.overlaps() == []
            assert all(workers.processes[w].poll() is None for w in ("w0", "w1", "w2"))
    finally:
        server.stop()


async def _dropped(url: str) -> dict[str, int]:
    async with redis_client(url) as client:
        found = await client.hgetall("gws:dropped")
    return {k.decode(): int(v) for k, v in found.items()}
