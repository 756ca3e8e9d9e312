"""Backoff delays, and the backoff wait that ends once a refusing server is back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from gws_async import Backoff
from gws_async._backoff import sleep_until_back


def test_delays_double_with_equal_jitter_up_to_the_maximum_and_reset() -> None:
    backoff = Backoff(base=0.5, factor=2.0, maximum=3.0, rand=lambda: 1.0)
    assert [backoff.next_delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5
    low = Backoff(base=0.5, factor=2.0, maximum=3.0, rand=lambda: 0.0)
    assert low.next_delay() == 0.25  # never less than half the ceiling: nobody spins


def prober(answers: list[bool]) -> tuple[Callable[[], Awaitable[bool]], list[float]]:
    """A probe answering ``answers`` in turn (then the last one), recording when it ran."""
    calls: list[float] = []

    async def probe() -> bool:
        calls.append(asyncio.get_running_loop().time())
        return answers[min(len(calls) - 1, len(answers) - 1)]

    return probe, calls


async def test_the_wait_ends_once_the_server_is_back() -> None:
    probe, calls = prober([False, False, True])
    loop = asyncio.get_running_loop()
    started = loop.time()
    await sleep_until_back(5.0, probe, every=0.05)
    assert len(calls) == 3
    assert loop.time() - started < 0.5


@pytest.mark.parametrize("answers", [[True], [False]], ids=["always-up", "always-down"])
async def test_the_wait_is_whole_unless_the_server_came_back(answers: list[bool]) -> None:
    # Up all along (a server that answers badly, or hangs) is no reason to retry sooner.
    probe, calls = prober(answers)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await sleep_until_back(0.3, probe, every=0.05)
    assert loop.time() - started >= 0.3
    assert 4 <= len(calls) <= 8  # probed at its pace, no faster


async def test_a_probe_that_hangs_counts_as_down() -> None:
    hung = asyncio.Event()

    async def probe() -> bool:
        await hung.wait()
        return True

    loop = asyncio.get_running_loop()
    started = loop.time()
    await sleep_until_back(0.2, probe, every=0.05)
    assert 0.2 <= loop.time() - started < 0.4
