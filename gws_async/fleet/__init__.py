"""Scaling out on Redis: agents shared over worker processes and hosts, events fanned out
to consumer groups. Needs the ``fleet`` extra (``pip install 'gws-async[fleet]'``).

::

    # each worker process (or: gws-async fleet worker --agents agents.txt --redis URL)
    agents = load_agents("agents.txt").agents
    async with FleetWorker("http://gws:8090", agents, "redis://redis:6379") as worker:
        await worker.wait_closed()

    # each consumer
    async with fleet_events("redis://redis:6379", InteractionStateMessage, group="crm") as events:
        async for event in events:
            print(events.agent_of(event), event.id)

See the "Scaling out" guide for the guarantees and their limits.
"""

from ._agents import AgentsFile, AgentSpec, env_password_name, load_agents
from ._balancer import BalancerSettings
from ._consumer import FleetEvents, FleetMeta, fleet_events
from ._publisher import DEFAULT_BUFFER, DEFAULT_MAXLEN, FIELDS
from ._redis import DEFAULT_PREFIX, DEFAULT_SHARDS, FleetError, RedisUnavailableError, shard_of
from ._worker import FleetWorker, WorkerStats

__all__ = [
    "DEFAULT_BUFFER",
    "DEFAULT_MAXLEN",
    "DEFAULT_PREFIX",
    "DEFAULT_SHARDS",
    "FIELDS",
    "AgentSpec",
    "AgentsFile",
    "BalancerSettings",
    "FleetError",
    "FleetEvents",
    "FleetMeta",
    "FleetWorker",
    "RedisUnavailableError",
    "WorkerStats",
    "env_password_name",
    "fleet_events",
    "load_agents",
    "shard_of",
]
