"""AgentPool: many agents in one process, each with its own GWS session, one connection pool.

::

    from gws_async.bot import Bot
    from gws_async.pool import AgentPool

    agents = [("agent1", "secret1"), ("agent2", "secret2")]
    async with AgentPool("http://gws:8090", agents) as pool:
        await bot.run_forever(pool)           # ctx.agent says whose event it is

Each agent gets its own :class:`aiohttp.ClientSession` (so its own cookies, hence its own
``JSESSIONID``, CSRF token and Bayeux session) and its own :class:`~gws_async.GwsClient`;
every session rides one shared :class:`aiohttp.TCPConnector`, so the agents share DNS
look-ups, keep-alive connections and one bound on open sockets.

Logging in is fail-fast: if one agent cannot log in, the others are logged out again
and :class:`AgentLoginError` names the agent. A pool is all its agents or nothing, so a
bot never runs with part of its agents missing unnoticed.
"""

from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import aiohttp

from ._client import GwsClient
from ._exceptions import ClientStateError, GwsError
from ._transport import check_credentials
from .topics import DEFAULT_TOPICS

__all__ = ["AgentLoginError", "AgentPool"]

log = logging.getLogger("gws_async.pool")


class AgentLoginError(GwsError):
    """An agent of an :class:`AgentPool` could not log in (or start its listener).

    ``agent`` names it; the original error is the ``__cause__``.
    """

    def __init__(self, agent: str, cause: BaseException) -> None:
        super().__init__(f"agent {agent!r} could not log in: {type(cause).__name__}: {cause}")
        self.agent = agent


class AgentPool(Mapping[str, GwsClient]):
    """Log in many agents over one shared connection pool; a mapping of name to client.

    Args:
        base_url: scheme, host and port of the GWS node.
        agents: ``(username, password)`` pairs; user names must be unique.
        concurrency: agents logging in at once.
        topics: Bayeux topics each agent subscribes to while logging in, so every
            Bayeux session is made within the bounded start (:data:`DEFAULT_TOPICS` by
            default; empty to leave it to the first stream or ``subscribe()``).
        limit: open connections in the shared pool. Each agent holds one for its
            long-poll at all times, so the default is twice the number of agents, and at
            least 100; a smaller pool would leave REST calls waiting behind long-polls.
        ssl: TLS verification for every agent's requests, REST and Bayeux: ``True``
            (default), an ``SSLContext`` (e.g. a private CA), or ``False`` to disable
            verification (logged as a warning), as for :class:`~gws_async.GwsClient`.
        client_options: more keyword arguments for each :class:`~gws_async.GwsClient`
            (``api_root``, ``cometd_path``, ``timeout``, ``event_buffer``, ``overflow``).
    """

    def __init__(
        self,
        base_url: str,
        agents: Iterable[tuple[str, str]],
        *,
        concurrency: int = 10,
        topics: Sequence[str] = DEFAULT_TOPICS,
        limit: int | None = None,
        ssl: ssl_module.SSLContext | bool = True,
        **client_options: Any,
    ) -> None:
        credentials = list(agents)
        if not credentials:
            raise ValueError("agents is empty")
        for name, password in credentials:
            check_credentials(name, password)  # all refused before any agent logs in
        counts = Counter(name for name, _ in credentials)
        duplicates = sorted(name for name, count in counts.items() if count > 1)
        if duplicates:
            raise ValueError(f"duplicate agents: {', '.join(duplicates)}")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._base_url = base_url
        self._credentials = credentials
        self._concurrency = concurrency
        self._topics = tuple(topics)
        self._limit = limit if limit is not None else max(100, 2 * len(credentials))
        self._ssl = ssl
        self._client_options = client_options
        self._connector: aiohttp.TCPConnector | None = None
        self._sessions: list[aiohttp.ClientSession] = []
        self._clients: dict[str, GwsClient] = {}
        self._started: list[GwsClient] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"AgentPool({self._base_url!r}, {len(self._credentials)} agents)"

    # -- Mapping ----------------------------------------------------------------------------

    def __getitem__(self, agent: str) -> GwsClient:
        return self._clients[agent]

    def __iter__(self) -> Iterator[str]:
        return iter(self._clients)

    def __len__(self) -> int:
        return len(self._clients)

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> AgentPool:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def connector(self) -> aiohttp.TCPConnector:
        """The connection pool every agent's session shares."""
        if self._connector is None:
            raise ClientStateError("the pool is not open: use 'async with AgentPool(...)'")
        return self._connector

    async def open(self) -> None:
        """Log every agent in, ``concurrency`` at a time, and subscribe each to ``topics``.

        Raises :class:`AgentLoginError` for the first agent that fails; the agents
        already logged in are logged out and everything is closed first. A pool is opened
        once: a second ``open()`` raises :class:`ClientStateError`.
        """
        if self._connector is not None or self._closed:
            raise ClientStateError("an AgentPool can be opened once")
        self._connector = aiohttp.TCPConnector(limit=self._limit, ssl=self._ssl)
        gate = asyncio.Semaphore(self._concurrency)

        async def login(name: str, password: str) -> None:
            async with gate:
                await self._login(name, password)

        tasks = [asyncio.create_task(login(name, pw)) for name, pw in self._credentials]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            # Fail fast: the first failure stops the logins still running.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.close()
            raise
        # In the order given, whatever order the logins finished in.
        self._clients = {name: self._clients[name] for name, _ in self._credentials}
        log.info("%d agent(s) logged in", len(self._clients))

    async def _login(self, name: str, password: str) -> None:
        # The jar accepts cookies from IP hosts, which the default one silently drops.
        session = aiohttp.ClientSession(
            connector=self.connector,
            connector_owner=False,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
        )
        self._sessions.append(session)
        client = GwsClient(
            self._base_url, name, password, session=session, ssl=self._ssl, **self._client_options
        )
        self._started.append(client)
        try:
            await client.open()
            if self._topics:
                await client.subscribe(*self._topics)
        except Exception as exc:
            log.error("agent %r could not log in: %s", name, exc)
            raise AgentLoginError(name, exc) from exc
        self._clients[name] = client

    async def close(self) -> None:
        """Log every agent out (stopping its listener), then close the sessions and the
        shared connection pool."""
        if self._closed:
            return
        self._closed = True
        clients, self._started = self._started, []
        self._clients = {}
        results = await asyncio.gather(
            *(client.close() for client in clients), return_exceptions=True
        )
        for client, result in zip(clients, results, strict=True):
            if isinstance(result, Exception):
                log.warning("%r did not close cleanly: %s", client, result)
        for session in self._sessions:
            await session.close()
        self._sessions.clear()
        if self._connector is not None:
            await self._connector.close()
