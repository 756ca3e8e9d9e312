"""An embedded Genesys Web Services simulator for tests and local development.

It is written against the spec on plain dicts and raw JSON, independently of the client,
so a misreading of the spec in one cannot hide the same misreading in the other.

Use it in tests (see also the ``gws_simulator`` pytest fixture)::

    from gws_async.simulator import GwsSimulator

    async with GwsSimulator() as sim:
        ...  # point a client at sim.url, user agent1 / password1

or from the command line: ``gws-async simulator --port 8090``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from ._common import logger
from ._exposure import WELL_KNOWN_PASSWORDS, is_loopback, well_known_password_users
from ._scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from ._server import GwsSimulator
from ._state import SimAgent, SimInteraction, SimState, SimWorkbin, default_agents
from ._traffic import GroupTraffic, TrafficPlan

__all__ = [
    "WELL_KNOWN_PASSWORDS",
    "GroupTraffic",
    "GwsSimulator",
    "Scenario",
    "ScenarioError",
    "SimAgent",
    "SimInteraction",
    "SimState",
    "SimWorkbin",
    "TrafficPlan",
    "default_agents",
    "is_loopback",
    "load_scenario",
    "parse_scenario",
    "serve",
    "well_known_password_users",
]


async def serve(
    host: str,
    port: int,
    agents: Sequence[SimAgent] | None = None,
    *,
    control_token: str | None = None,
    allow_remote_control: bool = False,
    on_start: Callable[[GwsSimulator], None] | None = None,
    scenario: Scenario | None = None,
) -> None:
    """Run a simulator on ``host:port`` until cancelled; ``on_start`` is called once it
    listens (to tell where its console is, for one). A ``scenario`` gives the agents,
    workbins, skills and traffic instead of ``agents``."""
    if scenario is not None:
        simulator = scenario.simulator(
            host=host,
            port=port,
            control_token=control_token,
            allow_remote_control=allow_remote_control,
        )
    else:
        simulator = GwsSimulator(
            agents,
            host=host,
            port=port,
            control_token=control_token,
            allow_remote_control=allow_remote_control,
        )
    async with simulator as sim:
        logger.info("GWS simulator listening on %s", sim.api_url)
        for agent in sim.state.agents.values():
            logger.info("agent %s (place %s)", agent.username, agent.place)
        for workbin in sim.state.workbins.values() if scenario is not None else ():
            owners = workbin.agent_group or workbin.place_group or "personal"
            logger.info("workbin %s (%s): id %s", workbin.name, owners, workbin.id)
        if sim.traffic is not None:
            for traffic in sim.traffic.plan.groups:
                logger.info(
                    "traffic for %s: %g calls, %g chats, %g e-mails a minute",
                    traffic.group,
                    *traffic.rates(),
                )
        if on_start is not None:
            on_start(sim)
        await asyncio.Event().wait()
