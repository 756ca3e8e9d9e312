"""Matching events to handlers and running them: what the :class:`~gws_async.bot.Bot`
does for each client, apart from its public surface.

Generic in the handler's context (anything with an ``agent`` name), so this module needs
neither the Bot nor its Context, which refer to each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from .. import EventStream, GwsClient
from ..events import GwsEvent
from .filters import Filter

__all__: list[str] = []

log = logging.getLogger("gws_async.bot")

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_MAX_EVENT_TEXT = 500


class _Named(Protocol):
    @property
    def agent(self) -> str: ...


C = TypeVar("C", bound=_Named)


@dataclass(frozen=True)
class _Registration:
    event_type: type[GwsEvent]
    filters: tuple[Filter[Any], ...]
    handler: Callable[[Any, Any], Awaitable[None]]

    @property
    def name(self) -> str:
        return getattr(self.handler, "__qualname__", None) or repr(self.handler)

    def matches(self, event: GwsEvent) -> bool:
        return isinstance(event, self.event_type) and all(f(event) for f in self.filters)


class _Agent(Generic[C]):
    """One client the bot runs on: its stream, its pump task, its running handlers."""

    def __init__(self, ctx: C, stream: EventStream[GwsEvent], concurrency: int) -> None:
        self.ctx = ctx
        self.stream = stream
        self.permits = asyncio.Semaphore(concurrency)
        self.pump: asyncio.Task[None] | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.failure: Exception | None = None

    @property
    def idle(self) -> bool:
        if self.tasks:
            return False
        return self.pump is None or self.pump.done() or self.stream.pending == 0


def _match(registrations: Sequence[_Registration], event: GwsEvent, ctx: C) -> list[_Registration]:
    matched = []
    for reg in registrations:
        try:
            if reg.matches(event):
                matched.append(reg)
        except Exception:
            log.exception(
                "%s: a filter of %s failed on %s; handler skipped",
                ctx.agent,
                reg.name,
                _describe(event),
            )
    return matched


async def _handle(
    event: GwsEvent,
    matched: Sequence[_Registration],
    ctx: C,
    error_hooks: Sequence[Callable[[GwsEvent, Exception, C], Awaitable[None]]],
) -> None:
    for reg in matched:
        try:
            await reg.handler(event, ctx)
        except Exception as exc:
            log.error(
                "%s: handler %s failed on %s",
                ctx.agent,
                reg.name,
                _describe(event),
                exc_info=exc,
            )
            for hook in error_hooks:
                try:
                    await hook(event, exc, ctx)
                except Exception:
                    log.exception("%s: error hook %s failed", ctx.agent, _name(hook))


async def _finish_tasks(tasks: set[asyncio.Task[None]], grace: float, force: asyncio.Event) -> None:
    """Wait for ``tasks`` up to ``grace`` seconds or until ``force`` is set, then cancel
    the rest and wait for them to end."""
    log.info("waiting up to %.1f s for %d running handler(s)", grace, len(tasks))
    pending = await _wait_for_tasks(tasks, grace, force)
    if pending:
        names = ", ".join(sorted(task.get_name() for task in pending))
        log.warning("cancelling %d handler task(s) still running: %s", len(pending), names)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def _wait_for_tasks(
    tasks: set[asyncio.Task[None]], grace: float, force: asyncio.Event
) -> set[asyncio.Task[None]]:
    """Wait for ``tasks`` up to ``grace`` seconds or a second signal; the rest."""
    pending = set(tasks)
    if grace <= 0 or force.is_set():
        return pending
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    forced = asyncio.ensure_future(force.wait())
    try:
        while pending and not forced.done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            done, _ = await asyncio.wait(
                {*pending, forced}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            pending = {task for task in pending if task not in done}
    finally:
        forced.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await forced
    return pending


def _install_signal_handlers(
    loop: asyncio.AbstractEventLoop, handler: Callable[[signal.Signals], None]
) -> list[signal.Signals]:
    """Call ``handler(sig)`` on SIGINT and SIGTERM where the loop supports it (the main
    thread, not Windows); the signals it was installed for."""
    installed: list[signal.Signals] = []
    for sig in _SIGNALS:
        try:
            loop.add_signal_handler(sig, handler, sig)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(sig)
    return installed


def _is_async(function: object) -> bool:
    # A coroutine function, a partial of one, or an object with an async __call__.
    return inspect.iscoroutinefunction(function) or (
        callable(function) and inspect.iscoroutinefunction(type(function).__call__)
    )


_F = TypeVar("_F", bound=Callable[..., Awaitable[None]])


def _checked(hook: _F) -> _F:
    if not _is_async(hook):
        raise TypeError(f"hook {hook!r} must be an async function")
    return hook


def _name(function: object) -> str:
    return getattr(function, "__qualname__", None) or repr(function)


def _agent_name(gws: GwsClient) -> str:
    user = gws.user
    if user is not None and user.user_name:
        return user.user_name
    return gws.username


def _describe(event: GwsEvent) -> str:
    text = repr(event)
    return text if len(text) <= _MAX_EVENT_TEXT else text[: _MAX_EVENT_TEXT - 3] + "..."
