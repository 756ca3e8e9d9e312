"""The signed-in raw agents the simulator tests use."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gws_async.simulator import GwsSimulator
from tests.simulator._raw import RawAgent, signed_in


@pytest.fixture
async def agent1(sim: GwsSimulator) -> AsyncIterator[RawAgent]:
    """``agent1``, signed in to the test's simulator."""
    async with signed_in(sim) as agent:
        yield agent


@pytest.fixture
async def agent2(sim: GwsSimulator) -> AsyncIterator[RawAgent]:
    """``agent2``, signed in to the test's simulator."""
    async with signed_in(sim, "agent2", "password2") as agent:
        yield agent
