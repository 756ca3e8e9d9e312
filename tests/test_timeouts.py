"""Waiting with a time limit: the result, the timeout, and a cancellation that is never
lost, even one that comes as what is awaited completes."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import pytest

from gws_async._timeouts import cancel_requested, raise_if_cancel_requested, wait_for

needs_311 = pytest.mark.skipif(sys.version_info < (3, 11), reason="Python 3.11+ can tell")


async def test_the_result_comes_back_and_the_limit_raises_timeout_error() -> None:
    async def later(value: int, delay: float) -> int:
        await asyncio.sleep(delay)
        return value

    assert await wait_for(later(1, 0), 1) == 1
    assert await wait_for(later(2, 0.01), None) == 2
    with pytest.raises(asyncio.TimeoutError):
        await wait_for(later(3, 5), 0.01)


@needs_311
async def test_a_cancellation_as_the_awaited_completes_is_kept() -> None:
    # asyncio.wait_for of Python 3.11 returns the result here: the task runs on.
    for steps in range(4):
        done = asyncio.Event()

        async def waiter(event: asyncio.Event) -> str:
            await wait_for(event.wait(), 5)
            return "ran on"

        task = asyncio.create_task(waiter(done))
        await asyncio.sleep(0)
        done.set()
        for _ in range(steps):
            await asyncio.sleep(0)
        if task.cancel():
            await asyncio.gather(task, return_exceptions=True)
            assert task.cancelled(), f"lost {steps} steps in"


@needs_311
async def test_a_swallowed_cancellation_is_still_seen_and_raised() -> None:
    seen: list[bool] = []

    async def loop() -> None:
        with contextlib.suppress(asyncio.CancelledError):  # as a library may do
            await asyncio.sleep(5)
        seen.append(cancel_requested())
        raise_if_cancel_requested()

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert seen == [True]
    assert task.cancelled()
    assert not cancel_requested()  # this task was never asked
