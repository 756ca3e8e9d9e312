"""Routers, the Bot that runs their handlers on one or many clients, and the Context.

They refer to each other (a handler gets a Context, which holds its Bot, which is a
Router), so they share this module; how events reach handlers is in ``_dispatch``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from .. import GwsClient, OverflowPolicy
from .._timeouts import wait_for
from ..events import GwsEvent, Reconnected
from ._dispatch import (
    _Agent,
    _agent_name,
    _checked,
    _finish_tasks,
    _handle,
    _install_signal_handlers,
    _is_async,
    _match,
    _name,
    _Registration,
)
from ._gc import gc_tuned
from .filters import _as_filter

__all__ = ["Bot", "Context", "ErrorHook", "Handler", "Hook", "Router"]

log = logging.getLogger("gws_async.bot")

E = TypeVar("E", bound=GwsEvent)


@dataclass(frozen=True)
class Context:
    """What a handler gets with its event: the client the event came from, the agent
    (its user name; with an :class:`~gws_async.pool.AgentPool`, the pool's key) and the
    bot, e.g. to ``ctx.bot.request_stop()``."""

    gws: GwsClient
    agent: str
    bot: Bot


Handler = Callable[[E, Context], Awaitable[None]]
"""``async def handler(event: E, ctx: Context) -> None``."""

Hook = Callable[[Context], Awaitable[None]]
"""A startup or shutdown hook: ``async def hook(ctx: Context) -> None``, once per agent."""

ErrorHook = Callable[[GwsEvent, Exception, Context], Awaitable[None]]
"""``async def on_error(event, error, ctx) -> None``: called after a handler raised."""


class Router:
    """A group of handlers, each for one event type and optional filters.

    A :class:`Bot` is a router; other routers are attached to it with :meth:`include`,
    so handlers can live in the modules they belong to::

        chats = Router()

        @chats.on(InteractionStateMessage, media("chat") & (F.state == "Invited"))
        async def accept(chat: InteractionStateMessage, ctx: Context) -> None:
            await ctx.gws.interactions.accept(chat.id, nickname="Ava")

        bot.include(chats)

    Every handler whose type and filters match an event runs, in registration order
    (a router's own handlers before those of the routers it includes).
    """

    def __init__(self) -> None:
        self._handlers: list[_Registration] = []
        self._routers: list[Router] = []

    def on(
        self, event_type: type[E], *filters: Callable[[E], object]
    ) -> Callable[[Handler[E]], Handler[E]]:
        """Register the decorated coroutine function for events of ``event_type`` (and its
        subclasses) for which every filter is true::

            @bot.on(WorkbinStateChangeMessage, F.action == "ItemAdded")
            async def added(event: WorkbinStateChangeMessage, ctx: Context) -> None: ...

        A filter is a :class:`~gws_async.bot.Filter` (``F...``, helpers) or any function
        of the event. Register handlers before the bot starts: the types it listens to
        are fixed then.
        """
        if not (isinstance(event_type, type) and issubclass(event_type, GwsEvent)):
            raise TypeError(f"event_type must be a GwsEvent class, got {event_type!r}")
        checks = tuple(_as_filter(f) for f in filters)

        def register(handler: Handler[E]) -> Handler[E]:
            if not _is_async(handler):
                raise TypeError(f"handler {handler!r} must be an async function")
            self._handlers.append(_Registration(event_type, checks, handler))
            return handler

        return register

    def on_reconnect(self, handler: Handler[Reconnected]) -> Handler[Reconnected]:
        """Register a handler for :class:`~gws_async.Reconnected`: the listener is back
        after a loss. When ``event.events_missed``, events were lost (GWS keeps no
        history), so ``await ctx.gws.resync()`` and reconcile."""
        return self.on(Reconnected)(handler)

    def include(self, router: Router) -> Router:
        """Attach ``router``'s handlers (after this router's own) and return it."""
        if any(r is router for r in self._walk()) or any(r is self for r in router._walk()):
            raise ValueError("this router is already included (or would include itself)")
        self._routers.append(router)
        return router

    def _walk(self) -> Iterator[Router]:
        yield self
        for router in self._routers:
            yield from router._walk()

    def _registrations(self) -> list[_Registration]:
        return [reg for router in self._walk() for reg in router._handlers]


class Bot(Router):
    """Runs handlers on the events of one client or of many (an agent pool).

    ::

        bot = Bot(concurrency=10)

        @bot.on(InteractionStateMessage, media("chat") & interaction_state("Invited"))
        async def accept(chat: InteractionStateMessage, ctx: Context) -> None:
            await ctx.gws.interactions.accept(chat.id, nickname="Ava")

        bot.run("http://gws:8090", "agent1", "secret")   # until SIGINT / SIGTERM

    Inside a running event loop use ``await bot.run_forever(gws)`` (signals handled too),
    ``async with bot.running(gws): ...``, or ``await bot.start(gws)`` and
    ``await bot.stop()``. A client is not closed by the bot, except the one :meth:`run`
    creates.

    Events are taken from each client's stream in order; each one starts a task that runs
    its matching handlers one after another. At most ``concurrency`` such tasks run per
    client (per agent in a pool, so a busy agent cannot starve the others); at the limit
    the bot stops taking events, the stream's buffer fills and the listener holds back,
    as with any slow consumer (see the client's ``overflow`` policy). With
    ``concurrency=1`` events are handled strictly one at a time.

    A handler that raises is logged (logger ``gws_async.bot``) with its event, then the
    :meth:`on_error` hooks run; other handlers and the listener carry on.

    Args:
        concurrency: events handled at once per client.
        shutdown_grace: seconds :meth:`stop` gives running handlers before cancelling them.
        buffer: size of the bot's stream buffer on each client (the client's
            ``event_buffer`` by default). A handler that awaits a later event with
            ``gws.wait_for`` needs room in it for the events that come first.
        overflow: the bot's stream overflow policy (the client's by default).
    """

    def __init__(
        self,
        *,
        concurrency: int = 10,
        shutdown_grace: float = 10.0,
        buffer: int | None = None,
        overflow: OverflowPolicy | None = None,
    ) -> None:
        super().__init__()
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if shutdown_grace < 0:
            raise ValueError("shutdown_grace must not be negative")
        self.concurrency = concurrency
        self.shutdown_grace = shutdown_grace
        self._buffer = buffer
        self._overflow = overflow
        self._startup: list[Hook] = []
        self._shutdown: list[Hook] = []
        self._error_hooks: list[ErrorHook] = []
        self._agents: list[_Agent[Context]] = []
        self._active: list[_Registration] = []
        self._stop_requested = False
        self._new_events()

    def _new_events(self) -> None:
        # Made again for each run: an asyncio.Event belongs to the loop that first waits
        # on it, and a bot may be run by more than one asyncio.run().
        self._wake = asyncio.Event()  # stop requested, or a stream ended
        self._progress = asyncio.Event()  # an event was taken, or a handler task ended
        self._force = asyncio.Event()  # a second signal: do not wait for handlers

    # -- hooks ------------------------------------------------------------------------------

    def on_startup(self, hook: Hook) -> Hook:
        """Register a hook run for each client when the bot starts on it, after its stream
        is subscribed and before any event is handled (e.g. to subscribe to a workbin or
        set the agent Ready). If one raises, the start fails."""
        self._startup.append(_checked(hook))
        return hook

    def on_shutdown(self, hook: Hook) -> Hook:
        """Register a hook run for each client when the bot stops, after its handlers
        finished; the client is still open. Failures are logged."""
        self._shutdown.append(_checked(hook))
        return hook

    def on_error(self, hook: ErrorHook) -> ErrorHook:
        """Register a hook called with ``(event, error, ctx)`` after a handler raised."""
        self._error_hooks.append(_checked(hook))
        return hook

    # -- running ----------------------------------------------------------------------------

    @property
    def agents(self) -> list[str]:
        """The agents (clients) the bot currently runs on."""
        return [agent.ctx.agent for agent in self._agents]

    async def start(
        self, clients: GwsClient | Mapping[str, GwsClient], *, parallel: int = 10
    ) -> None:
        """Start handling the events of an open client, or of each client of a mapping of
        agent names to clients (an :class:`~gws_async.pool.AgentPool`).

        For each client: open the bot's stream (subscribing to its handlers' topics), run
        the startup hooks, then take events. ``parallel`` clients are started at once.
        Returns when every one is started; if any fails, those just started are stopped
        again and the first error is raised.
        """
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        if isinstance(clients, GwsClient):
            pairs = [(_agent_name(clients), clients)]
        else:
            pairs = list(clients.items())
        if not pairs:
            raise ValueError("no client to start on")
        for name, gws in pairs:
            if any(agent.ctx.gws is gws for agent in self._agents):
                raise RuntimeError(f"the bot already runs on {name}")
        active = self._registrations()
        if not active:
            raise RuntimeError("no handler is registered: add one with @bot.on(...)")
        if not self._agents:
            self._new_events()
        self._active = active
        types = tuple(dict.fromkeys(reg.event_type for reg in active))
        gate = asyncio.Semaphore(parallel)

        async def attach(name: str, gws: GwsClient) -> _Agent[Context]:
            async with gate:
                return await self._attach(name, gws, types)

        results = await asyncio.gather(
            *(attach(name, gws) for name, gws in pairs), return_exceptions=True
        )
        started = [result for result in results if isinstance(result, _Agent)]
        self._agents.extend(started)
        failed = [
            (name, result)
            for (name, _), result in zip(pairs, results, strict=True)
            if isinstance(result, BaseException)
        ]
        if failed:
            for name, exc in failed:
                log.error("%s: the bot could not start: %s: %s", name, type(exc).__name__, exc)
            for agent in started:
                self._agents.remove(agent)
            await self._stop_agents(started, 0.0)
            raise failed[0][1]

    async def _attach(
        self, name: str, gws: GwsClient, types: tuple[type[GwsEvent], ...]
    ) -> _Agent[Context]:
        ctx = Context(gws=gws, agent=name, bot=self)
        stream = gws.events(*types, maxsize=self._buffer, overflow=self._overflow)
        await stream.__aenter__()
        try:
            for hook in self._startup:
                await hook(ctx)
        except BaseException:
            await stream.aclose()
            raise
        agent = _Agent(ctx, stream, self.concurrency)
        agent.pump = asyncio.create_task(self._pump(agent), name=f"gws-bot:{name}")
        log.debug("%s: started (%s)", name, ", ".join(t.__name__ for t in types))
        return agent

    async def stop(self, *, grace: float | None = None) -> None:
        """Stop taking events, give running handlers up to ``grace`` seconds (default
        :attr:`shutdown_grace`) then cancel them, close the streams and run the shutdown
        hooks. Events not yet taken are left unhandled. The clients stay open.

        From a handler, call :meth:`request_stop` instead: this waits for handlers.
        """
        current = asyncio.current_task()
        if any(current in agent.tasks for agent in self._agents):
            raise RuntimeError("stop() would wait for the handler calling it: use request_stop()")
        agents, self._agents = self._agents, []
        await self._stop_agents(agents, self.shutdown_grace if grace is None else grace)

    async def stop_agent(self, agent: str, *, grace: float | None = None) -> None:
        """Stop running on one agent, as :meth:`stop` does for all (its shutdown hooks
        run, its client stays open); the other agents carry on. Used when an agent moves
        to another process of a fleet."""
        leaving = [a for a in self._agents if a.ctx.agent == agent]
        self._agents = [a for a in self._agents if a.ctx.agent != agent]
        await self._stop_agents(leaving, self.shutdown_grace if grace is None else grace)

    def request_stop(self) -> None:
        """Ask :meth:`run_forever` (or :meth:`run`) to stop, as a signal does; safe to
        call from a handler."""
        self._stop_requested = True
        self._wake.set()

    async def run_forever(
        self,
        clients: GwsClient | Mapping[str, GwsClient],
        *,
        grace: float | None = None,
        parallel: int = 10,
        handle_signals: bool = True,
    ) -> None:
        """Start, run until SIGINT or SIGTERM (or :meth:`request_stop`, or every stream
        ended), then :meth:`stop` with ``grace``.

        On the first signal the bot stops taking events and waits for running handlers;
        a second one cancels them at once. Signal handlers are installed only where the
        loop supports them (the main thread, not Windows). If a stream ended because the
        listener failed, that error is raised once everything is stopped.
        """
        loop = asyncio.get_running_loop()
        if not self._agents:
            self._new_events()
        self._stop_requested = False
        installed = _install_signal_handlers(loop, self._on_signal) if handle_signals else []
        failures: list[Exception] = []
        try:
            await self.start(clients, parallel=parallel)
            await self._wait_until_done()
            failures = [agent.failure for agent in self._agents if agent.failure is not None]
        finally:
            try:
                await self.stop(grace=grace)
            finally:
                # Only now: a second signal during the stop still means "hurry".
                for sig in installed:
                    loop.remove_signal_handler(sig)
        if failures:
            raise failures[0]

    def run(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        grace: float | None = None,
        gc_tuning: bool = True,
        **client_options: Any,
    ) -> None:
        """Log in, :meth:`run_forever`, log out: the whole program for a one-agent bot.
        ``client_options`` go to :class:`~gws_async.GwsClient`. Since this owns the
        process, it tunes the garbage collector (``gc.freeze()``, a young-generation
        threshold of 50,000; undone on return) unless ``gc_tuning=False``."""

        async def main() -> None:
            async with GwsClient(base_url, username, password, **client_options) as gws:
                await self.run_forever(gws, grace=grace)

        with gc_tuned(gc_tuning):
            asyncio.run(main())

    @contextlib.asynccontextmanager
    async def running(
        self,
        clients: GwsClient | Mapping[str, GwsClient],
        *,
        grace: float | None = None,
        parallel: int = 10,
    ) -> AsyncIterator[Bot]:
        """``async with bot.running(gws):`` :meth:`start` on entry, :meth:`stop` on exit."""
        await self.start(clients, parallel=parallel)
        try:
            yield self
        finally:
            await self.stop(grace=grace)

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Wait until every event the bot's streams received so far is handled: nothing
        buffered, no handler running. Events still on their way from the server are not
        counted. Raises ``TimeoutError`` after ``timeout`` seconds."""

        async def idle() -> None:
            while True:
                self._progress.clear()
                if all(agent.idle for agent in self._agents):
                    return
                await self._progress.wait()

        await wait_for(idle(), timeout)

    # -- dispatch ---------------------------------------------------------------------------

    async def _pump(self, agent: _Agent[Context]) -> None:
        stream, permits = agent.stream, agent.permits
        try:
            while True:
                # A permit first, then an event: with every permit taken the stream is left
                # alone (backpressure), and a stop never takes an event it will not handle.
                await permits.acquire()
                try:
                    event = await stream.__anext__()
                except BaseException:
                    permits.release()
                    raise
                matched = _match(self._active, event, agent.ctx)
                if matched:
                    task = asyncio.create_task(
                        _handle(event, matched, agent.ctx, self._error_hooks),
                        name=f"gws-bot:{agent.ctx.agent}:{type(event).__name__}",
                    )
                    agent.tasks.add(task)
                    # Released by the callback: it runs even for a task cancelled
                    # before it started, when no `finally` of the handler would.
                    task.add_done_callback(partial(self._task_done, agent))
                else:
                    permits.release()
                self._progress.set()
        except StopAsyncIteration:
            log.info("%s: the event stream ended (client closed)", agent.ctx.agent)
        except Exception as exc:  # StreamClosed: the listener gave up, or an overflow
            agent.failure = exc
            log.error("%s: the event stream failed: %s", agent.ctx.agent, exc)
        finally:
            self._progress.set()
            self._wake.set()

    def _task_done(self, agent: _Agent[Context], task: asyncio.Task[None]) -> None:
        agent.tasks.discard(task)
        agent.permits.release()
        self._progress.set()

    # -- stopping ---------------------------------------------------------------------------

    async def _stop_agents(self, agents: list[_Agent[Context]], grace: float) -> None:
        if not agents:
            return
        pumps = [agent.pump for agent in agents if agent.pump is not None]
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        tasks = {task for agent in agents for task in agent.tasks}
        if tasks:
            await _finish_tasks(tasks, grace, self._force)
        for agent in agents:
            await agent.stream.aclose()
        await asyncio.gather(*(self._shut_down(agent.ctx) for agent in agents))
        self._wake.set()
        self._progress.set()

    async def _shut_down(self, ctx: Context) -> None:
        for hook in self._shutdown:
            try:
                await hook(ctx)
            except Exception:
                log.exception("%s: shutdown hook %s failed", ctx.agent, _name(hook))

    async def _wait_until_done(self) -> None:
        while True:
            self._wake.clear()
            if self._stop_requested:
                return
            if all(agent.pump is None or agent.pump.done() for agent in self._agents):
                return
            await self._wake.wait()

    def _on_signal(self, sig: signal.Signals) -> None:
        if not self._stop_requested:
            log.info("%s received: stopping (handlers get up to the grace period)", sig.name)
            self.request_stop()
        else:
            log.warning("%s received again: cancelling running handlers", sig.name)
            self._force.set()
