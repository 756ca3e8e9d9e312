"""Waiting with a time limit without losing a cancellation.

Before Python 3.12, ``asyncio.wait_for`` runs what it waits for in a task of its own and,
when cancelled as that task completes, returns its result instead of raising: the
cancellation is lost and a loop told to stop runs on (CPython gh-86296). ``wait_for``
here awaits in the caller's own task under ``asyncio.timeout`` (3.11+), which has no such
window. Libraries we call can still lose one the same way (redis-py writes each command
through ``asyncio.wait_for``): loops that go on after such a call ask
:func:`cancel_requested` first.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["cancel_requested", "raise_if_cancel_requested", "wait_for"]

T = TypeVar("T")


if sys.version_info >= (3, 11):

    async def wait_for(awaitable: Awaitable[T], timeout: float | None) -> T:
        """``await awaitable``, raising ``TimeoutError`` after ``timeout`` seconds (None:
        no limit); a cancellation is never lost, even one that comes as it completes."""
        async with asyncio.timeout(timeout):
            return await awaitable

    def cancel_requested() -> bool:
        """Whether the running task has been asked to stop (a cancellation not yet taken
        back), even if the ``CancelledError`` was swallowed on its way."""
        task = asyncio.current_task()
        return task is not None and task.cancelling() > 0

else:  # pragma: no cover - Python 3.10 has neither asyncio.timeout nor Task.cancelling

    async def wait_for(awaitable: Awaitable[T], timeout: float | None) -> T:
        """``asyncio.wait_for``: on Python 3.10 a cancellation that comes as the awaitable
        completes can be lost."""
        return await asyncio.wait_for(awaitable, timeout)

    def cancel_requested() -> bool:
        """Always False on Python 3.10, which cannot tell."""
        return False


def raise_if_cancel_requested() -> None:
    """Raise ``CancelledError`` if the running task has been asked to stop: for loops
    that carry on after calls that may have swallowed the cancellation."""
    if cancel_requested():
        raise asyncio.CancelledError
