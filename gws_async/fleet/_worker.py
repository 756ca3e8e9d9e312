"""FleetWorker: one process's share of a fleet of agents, taken and given back through
leases in Redis, each owned agent logged in with its own client and its events appended
to the sharded streams (and handed to a :class:`~gws_async.bot.Bot`, if one is given)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import ssl as ssl_module
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp

from .._client import GwsClient
from .._exceptions import GwsError
from .._streams import EventStream, StreamClosed
from .._timeouts import wait_for
from ..bot import Bot
from ..events import GwsEvent, ListenerEvent, Reconnected
from ..topics import DEFAULT_TOPICS
from ._agents import AgentSpec
from ._balancer import Balancer, BalancerSettings
from ._publisher import DEFAULT_BUFFER, DEFAULT_MAXLEN, Publisher
from ._redis import (
    DEFAULT_PREFIX,
    DEFAULT_SHARDS,
    RedisError,
    connect,
    redis_address,
    unavailable,
)

__all__ = ["FleetWorker", "WorkerStats"]

log = logging.getLogger("gws_async.fleet")

#: Seconds an agent whose listener gave up waits before this worker takes it again.
RESTART_COOLDOWN = 5.0
#: Seconds a stopping agent's client gets to log out before it is abandoned.
CLOSE_TIMEOUT = 1.5

DEFAULT_STREAM_SIZE = 1000
"""Events of one agent buffered between its client and the worker's appends. The worker
hands each event on without waiting, so this fills only while the event loop is too
busy to run the agent for longer than GWS's ``maxInterval`` allows; then the oldest are
dropped, and counted and logged like any other loss (``stats.dropped``, the Redis hash
``{prefix}dropped``)."""


@dataclass
class _Owned:
    spec: AgentSpec
    token: int
    lease: str
    task: asyncio.Task[None] | None = None
    client: GwsClient | None = None
    session: aiohttp.ClientSession | None = None
    bot_started: bool = False
    counted: int = 0
    """Drops of the agent's stream already counted as lost."""


@dataclass(frozen=True)
class WorkerStats:
    """A worker's counters."""

    agents: list[str]
    """Agents this worker owns now."""
    live_workers: int
    published: int
    fenced: int
    buffered: int
    dropped: dict[str, int] = field(default_factory=dict)


class FleetWorker:
    """Owns a fair share of ``agents``, shared with every other worker on the same Redis
    and ``prefix``; see the "Scaling out" guide.

    ::

        agents = load_agents("agents.txt").agents
        async with FleetWorker("http://gws:8090", agents, "redis://redis:6379") as worker:
            await worker.wait_closed()

    Args:
        base_url: the GWS node.
        agents: every agent of the fleet (all workers should be given the same list).
        redis_url: ``redis://[:password@]host:port/db``.
        bot: a :class:`~gws_async.bot.Bot` whose handlers run here for the agents this
            worker owns (``ctx.gws`` is the agent's client).
        worker_id: this worker's name in Redis (host, pid and a random suffix by default).
        prefix: prefix of every Redis key (``gws:``).
        shards: event streams (16); consumers must use the same number.
        maxlen: entries kept per stream (100,000, approximately).
        buffer: events held while Redis is unreachable (10,000); newer ones are dropped
            and counted.
        settings: lease timings (ttl 10 s, margin 3 s, tick 1 s, cooldown 30 s).
        topics: topics each agent subscribes to (:data:`DEFAULT_TOPICS`).
        concurrency: agents logging in at once (10).
        stream_size: events of one agent buffered between its client and the appends
            (:data:`DEFAULT_STREAM_SIZE`, 1000).
        ssl, client_options: as for :class:`~gws_async.GwsClient`.
    """

    def __init__(
        self,
        base_url: str,
        agents: Sequence[AgentSpec],
        redis_url: str,
        *,
        bot: Bot | None = None,
        worker_id: str | None = None,
        prefix: str = DEFAULT_PREFIX,
        shards: int = DEFAULT_SHARDS,
        maxlen: int = DEFAULT_MAXLEN,
        buffer: int = DEFAULT_BUFFER,
        settings: BalancerSettings | None = None,
        topics: Sequence[str] = DEFAULT_TOPICS,
        concurrency: int = 10,
        stream_size: int = DEFAULT_STREAM_SIZE,
        ssl: ssl_module.SSLContext | bool = True,
        **client_options: Any,
    ) -> None:
        if not agents:
            raise ValueError("agents is empty")
        self._base_url = base_url
        self._specs = {spec.username: spec for spec in agents}
        self.address = redis_address(redis_url)
        self._redis = connect(redis_url)
        self._bot = bot
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._topics = tuple(topics)
        self._gate = asyncio.Semaphore(concurrency)
        self._stream_size = stream_size
        self._ssl = ssl
        self._client_options = client_options
        self.balancer = Balancer(
            self._redis,
            member=self.worker_id,
            prefix=f"{prefix}workers:",
            items=list(self._specs),
            start=self._start_agent,
            stop=self._stop_agent,
            settings=settings or BalancerSettings(),
        )
        self.publisher = Publisher(
            self._redis,
            prefix=prefix,
            shards=shards,
            holds=lambda agent, lease: self.balancer.value_of(agent) == lease,
            lease_key=self.balancer.lease_key,
            member=self.worker_id,
            maxlen=maxlen,
            buffer=buffer,
        )
        self._owned: dict[str, _Owned] = {}
        self._connector: aiohttp.TCPConnector | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = asyncio.Event()

    def __repr__(self) -> str:
        return f"FleetWorker({self.worker_id!r}, {len(self._owned)}/{len(self._specs)} agents)"

    @property
    def agents(self) -> list[str]:
        """Agents owned now (logged in, or logging in)."""
        return list(self._owned)

    def client(self, agent: str) -> GwsClient | None:
        """The client of an owned agent, once logged in."""
        owned = self._owned.get(agent)
        return owned.client if owned else None

    @property
    def stats(self) -> WorkerStats:
        """Counters: owned agents, live workers, entries appended, fenced and dropped."""
        p = self.publisher
        return WorkerStats(
            self.agents,
            self.balancer.live_members,
            p.published,
            p.fenced,
            p.buffered,
            dict(p.dropped),
        )

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> FleetWorker:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Check Redis, join the fleet and start taking agents.

        Raises :class:`~gws_async.fleet.RedisUnavailableError`, naming the address, when
        Redis cannot be reached.
        """
        try:
            await self._redis.ping()
        except RedisError as exc:
            await self._redis.aclose()
            raise unavailable(self.address, "PING", exc) from None
        self._connector = aiohttp.TCPConnector(limit=max(100, 2 * len(self._specs)))
        self._tasks = [
            asyncio.create_task(self.balancer.run(), name="gws-fleet-balancer"),
            asyncio.create_task(self.balancer.listen_for_wakes(), name="gws-fleet-wakes"),
            asyncio.create_task(self.publisher.run(), name="gws-fleet-publisher"),
        ]
        for task in self._tasks:
            task.add_done_callback(self._task_ended)
        with contextlib.suppress(RedisError):
            await self.balancer.announce()
        log.info("worker %s joined (%d agents in the fleet)", self.worker_id, len(self._specs))

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("worker %s: %s failed: %r", self.worker_id, task.get_name(), task.exception())

    async def wait_closed(self) -> None:
        """Wait until :meth:`close` has finished."""
        await self._closed.wait()

    async def close(self) -> None:
        """Leave gracefully: stop every agent, flush its events, give its lease back at
        once and wake the other workers so they take over now."""
        if self._closed.is_set() or not self._tasks:
            self._closed.set()
            return
        self.balancer.halt()
        balancer_task = self._tasks[0]
        balancer_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await balancer_task
        await self.balancer.leave()
        await self.publisher.flush(2.0)
        self.publisher.closing = True
        for task in self._tasks[1:]:
            task.cancel()
        await asyncio.gather(*self._tasks[1:], return_exceptions=True)
        if self._connector is not None:
            await self._connector.close()
        await self._redis.aclose()
        log.info("worker %s left", self.worker_id)
        self._closed.set()

    # -- one agent --------------------------------------------------------------------------

    def _start_agent(self, agent: str, token: int) -> None:
        lease = self.balancer.value_of(agent) or ""
        owned = _Owned(self._specs[agent], token, lease)
        self._owned[agent] = owned
        owned.task = asyncio.create_task(self._run_agent(owned), name=f"gws-fleet:{agent}")

    async def _run_agent(self, owned: _Owned) -> None:
        name = owned.spec.username
        try:
            async with self._gate:
                stream = await self._log_in(owned)
            # Entered before the snapshot is read: nothing published meanwhile slips past.
            async with stream:
                try:
                    await self._publish_snapshot(owned)
                    if self._bot is not None:
                        await self._bot.start({name: owned.client} if owned.client else {})
                        owned.bot_started = True
                    log.info("%s: logged in (token %d)", name, owned.token)
                    async for event in stream:
                        await self._on_event(owned, event)
                        if stream.dropped > owned.counted:  # the loop was too busy for us
                            self._count_stream_drops(owned, stream)
                finally:  # stopped (cancelled) or failed too
                    await self._settle(owned, stream)
            log.error("%s: the listener stopped: this worker gives the agent up", name)
            self._give_up(name, RESTART_COOLDOWN)
        except GwsError as exc:
            log.error("%s: %s: %s", name, type(exc).__name__, exc)
            self._give_up(name, None)

    async def _log_in(self, owned: _Owned) -> EventStream[GwsEvent]:
        spec = owned.spec
        owned.session = aiohttp.ClientSession(
            connector=self._connector,
            connector_owner=False,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
        )
        owned.client = GwsClient(
            self._base_url, spec.username, spec.password, session=owned.session, ssl=self._ssl,
            **self._client_options,
        )  # fmt: skip
        await owned.client.open()
        await owned.client.subscribe(*self._topics)
        return owned.client.events(maxsize=self._stream_size)

    async def _publish_snapshot(self, owned: _Owned) -> None:
        assert owned.client is not None
        snapshot = await owned.client.resync()
        for event in snapshot.interactions:
            self.publisher.add(owned.spec.username, owned.lease, owned.token, event, "resync")

    async def _on_event(self, owned: _Owned, event: GwsEvent) -> None:
        if isinstance(event, Reconnected) and event.events_missed:
            # GWS kept nothing while the Bayeux session was gone: read the state again.
            await self._publish_snapshot(owned)
        if not isinstance(event, ListenerEvent):
            self.publisher.add(owned.spec.username, owned.lease, owned.token, event)

    def _count_stream_drops(self, owned: _Owned, stream: EventStream[GwsEvent]) -> None:
        lost = stream.dropped - owned.counted
        if lost > 0:
            owned.counted = stream.dropped
            log.error(
                "%s: %d event(s) dropped before they could be appended (%d in all): this "
                "worker's event loop or GWS is too slow", owned.spec.username, lost,
                stream.dropped,
            )  # fmt: skip
            self.publisher.count_lost(owned.spec.username, lost)

    async def _settle(self, owned: _Owned, stream: EventStream[GwsEvent]) -> None:
        """Append what the agent's stream still holds (received under its lease: the
        fenced append decides) and count what it dropped, as the agent stops."""
        with contextlib.suppress(StreamClosed):
            while stream.pending:
                event = await stream.get(0)  # buffered: returns without waiting
                if not isinstance(event, ListenerEvent):
                    self.publisher.add(owned.spec.username, owned.lease, owned.token, event)
        self._count_stream_drops(owned, stream)

    def _give_up(self, agent: str, cooldown: float | None) -> None:
        self.balancer.cool_down(agent, cooldown)
        # A task of its own: releasing stops the agent, whose task may be the caller.
        task = asyncio.create_task(self.balancer.release(agent), name=f"gws-fleet-release:{agent}")
        self._tasks.append(task)

    async def _stop_agent(self, agent: str) -> None:
        owned = self._owned.pop(agent, None)
        if owned is None:
            return
        current = asyncio.current_task()
        if owned.task is not None and owned.task is not current:
            owned.task.cancel()
            await asyncio.gather(owned.task, return_exceptions=True)
        if owned.bot_started and self._bot is not None:
            with contextlib.suppress(Exception):
                await wait_for(self._bot.stop_agent(agent, grace=0.5), CLOSE_TIMEOUT)
        if owned.client is not None:
            try:
                await wait_for(owned.client.close(), CLOSE_TIMEOUT)
            except (Exception, asyncio.TimeoutError) as exc:
                log.warning("%s: did not log out cleanly: %s", agent, type(exc).__name__)
        if owned.session is not None:
            await owned.session.close()
        await self.publisher.flush(0.5)
        log.info("%s: stopped", agent)
