"""``gws-async simulator``: serve the embedded GWS simulator until stopped."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ._common import EXIT_OK

__all__ = ["run_simulator"]


async def run_simulator(args: argparse.Namespace) -> int:
    """Serve on ``args.host``:``args.port`` with the ``--agent`` accounts, until cancelled."""
    # Imported here: the other subcommands do not need the simulator's web server.
    from ..simulator import SimAgent, serve

    pairs = _parse_agents(args.agent)
    agents = [SimAgent(u, p) for u, p in pairs] if pairs else None
    await serve(args.host, args.port, agents)
    return EXIT_OK


def _parse_agents(values: Sequence[str] | None) -> list[tuple[str, str]] | None:
    if not values:
        return None
    agents = []
    for value in values:
        user, sep, password = value.partition(":")
        if not sep or not user or not password:
            raise SystemExit(f"gws-async: --agent takes USER:PASSWORD, got {user!r}:...")
        agents.append((user, password))
    return agents
