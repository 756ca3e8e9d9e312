"""One-shot waiters for the first matching event, and the matching shared with streams.

A waiter registers with the hub (anything with a ``_waiters`` list and ``_discard_waiter``)
when created, so no event published after that can slip past it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any, Generic, Protocol, TypeVar

from ._timeouts import wait_for
from .events import GwsEvent

__all__ = ["Waiter", "reference_of"]

E = TypeVar("E", bound=GwsEvent)


class _Registry(Protocol):
    _waiters: list[Any]

    def _discard_waiter(self, waiter: Any) -> None: ...


def reference_of(event: GwsEvent) -> str | None:
    """The event's ``referenceId`` as text, read from the raw payload so that even an
    event that failed validation can be correlated with its operation."""
    raw = event.raw
    if isinstance(raw, dict):
        ref = raw.get("referenceId")
        if isinstance(ref, (int, str)) and not isinstance(ref, bool):
            return str(ref)
    return None


class _Matcher(Generic[E]):
    __slots__ = ("check", "topics", "types")

    def __init__(
        self,
        types: tuple[type[E], ...],
        topics: frozenset[str] | None,
        check: Callable[[E], bool] | None,
    ) -> None:
        self.types = types
        self.topics = topics
        self.check = check

    def matches(self, event: GwsEvent) -> bool:
        if self.types and not isinstance(event, self.types):
            return False
        if self.topics is not None and event.topic not in self.topics:
            return False
        return self.check is None or self.check(event)  # type: ignore[arg-type]


class Waiter(Generic[E]):
    """A one-shot wait for the first event that matches, registered when created.

    Create it *before* sending the request that triggers the event, then await it::

        added = gws.wait_for(WorkbinStateChangeMessage, check=lambda e: e.is_item_added)
        await gws.workbins.add(workbin_id, interaction_id)
        event = await added
    """

    def __init__(
        self,
        hub: _Registry,
        types: tuple[type[E], ...],
        *,
        topics: frozenset[str] | None,
        check: Callable[[E], bool] | None,
        timeout: float | None,
    ) -> None:
        self._hub = hub
        self._matcher: _Matcher[E] = _Matcher(types, topics, check)
        self._future: asyncio.Future[E] = asyncio.get_running_loop().create_future()
        self._timeout = timeout
        hub._waiters.append(self)

    def done(self) -> bool:
        """True once an event matched (or the wait failed or was cancelled)."""
        return self._future.done()

    def cancel(self) -> None:
        """Stop waiting; awaiting afterwards raises ``CancelledError``."""
        self._future.cancel()
        self._hub._discard_waiter(self)

    def _offer(self, event: GwsEvent) -> bool:
        if self._future.done():
            return True
        try:
            matched = self._matcher.matches(event)
        except Exception as exc:  # a failing check must reach the caller, not the listener
            self._future.set_exception(exc)
            return True
        if matched:
            self._future.set_result(event)  # type: ignore[arg-type]
        return matched

    def _fail(self, exc: BaseException) -> None:
        if not self._future.done():
            self._future.set_exception(exc)

    async def _wait(self) -> E:
        try:
            return await wait_for(asyncio.shield(self._future), self._timeout)
        finally:
            self._hub._discard_waiter(self)

    def __await__(self) -> Generator[Any, None, E]:
        return self._wait().__await__()
