"""Whether a simulator is reachable beyond this machine with passwords everyone knows."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ._common import logger
from ._state import SimAgent, default_agents

__all__ = ["WELL_KNOWN_PASSWORDS", "is_loopback", "warn_if_exposed", "well_known_password_users"]

#: The default agents' passwords (``password1``, ``password2``), printed in every README.
WELL_KNOWN_PASSWORDS: frozenset[str] = frozenset(agent.password for agent in default_agents())


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the server on this machine: ``localhost`` or a
    loopback address. An empty host, ``0.0.0.0``, ``::`` or any name listen further."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def well_known_password_users(agents: Iterable[SimAgent]) -> list[str]:
    """The user names of ``agents`` whose password is one of :data:`WELL_KNOWN_PASSWORDS`."""
    return [agent.username for agent in agents if agent.password in WELL_KNOWN_PASSWORDS]


def warn_if_exposed(host: str, agents: Iterable[SimAgent]) -> bool:
    """Log a warning, and return true, when a simulator listening on ``host`` lets
    anyone who reaches it log in with a well-known password."""
    exposed = well_known_password_users(agents)
    if not exposed or is_loopback(host):
        return False
    logger.warning(
        "listening beyond loopback on %s while agents %s have well-known default "
        "passwords: anyone who reaches this port can log in as them",
        host or "every interface",
        ", ".join(exposed),
    )
    return True
