"""pytest plugin: a ``gws_simulator`` fixture for testing code that talks to GWS.

Installing ``gws-async`` registers this plugin. With pytest-asyncio installed, any test can
ask for a running simulator and point its own bot or client at it::

    async def test_my_bot_pulls_from_the_workbin(gws_simulator):
        iid = gws_simulator.put_in_workbin("agent1", workbin_id, media="chat")
        await run_my_bot(gws_simulator.url, "agent1", "password1")
        assert gws_simulator.state.interactions[iid].owner == "agent1"

The fixture is a started :class:`~gws_async.simulator.GwsSimulator` on 127.0.0.1 with a
free port and a 5 s long-poll timeout, stopped after the test. Its default agents are
``agent1``/``password1`` and ``agent2``/``password2``. Without pytest-asyncio the plugin
defines no fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from gws_async.simulator import GwsSimulator

__all__: list[str] = []

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    pass
else:

    @pytest_asyncio.fixture
    async def gws_simulator() -> AsyncIterator[GwsSimulator]:
        """A running GWS simulator (127.0.0.1, free port, ``long_poll_timeout=5.0``)."""
        async with GwsSimulator(host="127.0.0.1", port=0, long_poll_timeout=5.0) as sim:
            yield sim

    __all__ += ["gws_simulator"]
