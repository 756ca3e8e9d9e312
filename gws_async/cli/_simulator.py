"""``gws-async simulator``: serve the embedded GWS simulator until stopped.

Its agents come from ``--agents-file`` or ``$GWS_SIMULATOR_AGENTS``, never from the
command line (where passwords show in the process list and the shell history); without
either it serves the default agent1/password1 and agent2/password2, whose passwords
everyone knows, and so refuses a ``--host`` beyond loopback unless
``--allow-default-passwords`` is given. ``--scenario FILE`` gives the agents (and the
whole contact center) instead; the example scenario's passwords count as well known too.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, error
from ._sim import announce_control, control_token_for

if TYPE_CHECKING:
    from ..simulator import GwsSimulator, Scenario, SimAgent

__all__ = ["ENV_SIMULATOR_AGENTS", "run_simulator"]

ENV_SIMULATOR_AGENTS = "GWS_SIMULATOR_AGENTS"
"""The environment variable with the simulator's agents: ``USER:PASSWORD`` entries
separated by whitespace (a password with whitespace needs ``--agents-file``)."""


class _AgentsError(Exception):
    """The agents could not be read; the message names where, never a password."""


async def run_simulator(args: argparse.Namespace) -> int:
    """Serve on ``args.host``:``args.port`` with the configured agents, until cancelled."""
    # Imported here: the other subcommands do not need the simulator's web server.
    from ..simulator import (
        ScenarioError,
        SimAgent,
        default_agents,
        is_loopback,
        load_scenario,
        well_known_password_users,
    )

    scenario: Scenario | None = None
    agents: list[SimAgent] | None = None
    try:
        if args.scenario is not None:
            if args.agents_file is not None:
                raise _AgentsError("give the agents with --scenario or --agents-file, not both")
            scenario = load_scenario(args.scenario)
            exposed = scenario.well_known_password_users()
        else:
            pairs = _read_agents(args.agents_file, os.environ.get(ENV_SIMULATOR_AGENTS, ""))
            agents = [SimAgent(user, password) for user, password in pairs] if pairs else None
            exposed = well_known_password_users(agents or default_agents())
    except (_AgentsError, ScenarioError) as exc:
        error(str(exc))
        return EXIT_USAGE
    if exposed and not is_loopback(args.host) and not args.allow_default_passwords:
        own = "in the scenario" if scenario else f"(--agents-file or ${ENV_SIMULATOR_AGENTS})"
        error(
            f"refusing to listen on {args.host or 'every interface'} beyond loopback: "
            f"{', '.join(exposed)} would have well-known passwords. Give your own agents "
            f"{own}, or --allow-default-passwords"
        )
        return EXIT_USAGE
    token = control_token_for(args.token_file)
    if token is None:
        return EXIT_USAGE
    return await _serve(args, agents, token, scenario)


async def _serve(
    args: argparse.Namespace,
    agents: list[SimAgent] | None,
    token: str,
    scenario: Scenario | None = None,
) -> int:
    """Serve until cancelled; one line, and :data:`EXIT_ERROR`, if it cannot listen."""
    from ..simulator import serve

    listening = False

    def on_start(sim: GwsSimulator) -> None:
        nonlocal listening
        listening = True
        announce_control(sim, args.token_file)

    try:
        await serve(
            args.host,
            args.port,
            agents,
            control_token=token,
            allow_remote_control=args.allow_remote_control,
            on_start=on_start,
            scenario=scenario,
        )
    except OSError as exc:
        if listening:  # not about binding: let it through as it is
            raise
        error(_cannot_listen(args.host, args.port, exc))
        return EXIT_ERROR
    return EXIT_OK


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    """One line on why the simulator cannot listen on ``host:port``, and what to do."""
    if isinstance(exc, socket.gaierror):
        return f"cannot listen on {host}: the host name does not resolve ({exc.strerror})"
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {where}: port {port} is in use; choose another with "
            f"--port, or --port 0 for any free port"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {where}: {host} is not an address of this machine"
    if exc.errno == errno.EACCES:
        return f"cannot listen on {where}: permission denied (try a port above 1023)"
    return f"cannot listen on {where}: {exc.strerror or exc}"


def _read_agents(path: str | None, environment: str) -> list[tuple[str, str]] | None:
    """The ``(user, password)`` pairs of ``path``, else of the environment variable, else
    ``None`` (the simulator's defaults)."""
    if path is not None:
        try:
            with open(path, encoding="utf-8") as file:
                lines = file.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise _AgentsError(f"cannot read the agents file {path}: {reason}") from None
        entries = (
            (f"{path} line {number}", line)
            for number, line in enumerate(lines, 1)
            if line.strip() and not line.lstrip().startswith("#")
        )
        return _parse(entries, path)
    if environment.strip():
        words = environment.split()
        return _parse(
            ((f"${ENV_SIMULATOR_AGENTS} entry {n}", w) for n, w in enumerate(words, 1)),
            f"${ENV_SIMULATOR_AGENTS}",
        )
    return None


def _parse(entries: Iterable[tuple[str, str]], source: str) -> list[tuple[str, str]]:
    agents: dict[str, str] = {}
    for where, entry in entries:
        user, colon, password = entry.partition(":")
        user = user.strip()
        # The message says where, never what: the entry holds a password.
        if not colon or not user or not password:
            raise _AgentsError(f"{where}: expected USER:PASSWORD")
        if user in agents:
            raise _AgentsError(f"{where}: agent {user!r} is given twice")
        agents[user] = password
    if not agents:
        raise _AgentsError(f"{source} names no agent")
    return list(agents.items())
