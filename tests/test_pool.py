"""AgentPool's own rules: credentials checked before any login, one opening per pool."""

from __future__ import annotations

from typing import Any

import pytest

from gws_async import ClientStateError
from gws_async.pool import AgentPool
from gws_async.simulator import GwsSimulator


@pytest.mark.parametrize(
    ("agents", "error", "match"),
    [
        ([("agent1", None)], TypeError, "password must be a str"),
        ([("agent1", b"pw")], TypeError, "password must be a str"),
        ([("dom:agent1", "pw")], ValueError, "':'"),
        ([("", "pw")], ValueError, "username is empty"),
        ([], ValueError, "agents is empty"),
    ],
)
def test_credentials_are_checked_before_any_login(
    agents: list[tuple[Any, Any]], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        AgentPool("http://10.0.0.5:8090", agents)


async def test_a_pool_opens_once(sim: GwsSimulator) -> None:
    pool = AgentPool(sim.url, [("agent1", "password1")], topics=[])
    async with pool:
        assert list(pool) == ["agent1"]
        with pytest.raises(ClientStateError, match="opened once"):
            await pool.open()
    with pytest.raises(ClientStateError, match="opened once"):
        await pool.open()
