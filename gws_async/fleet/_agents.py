"""The fleet's list of agents: a file of user names, passwords kept elsewhere.

The agents file has one user name per line; blank lines and lines starting with ``#``
are ignored. Passwords never appear in it nor on a command line; each comes from, in
this order:

1. the secrets file, if one is given: ``username:password`` per line (the password is
   everything after the first ``:``), blank lines and ``#`` comments ignored;
2. the environment variable ``GWS_PASSWORD_<NAME>``, where ``<NAME>`` is the user name
   in upper case with every character other than a letter or digit replaced by ``_``;
3. the environment variable ``GWS_PASSWORD``, shared by every agent.

A bad line (a space or a ``:`` in a user name, a duplicate) or an agent without a
password is reported, by line number and user name (never a password), and left out;
the other agents are used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._redis import FleetError

__all__ = ["AgentSpec", "AgentsFile", "env_password_name", "load_agents"]

ENV_SHARED_PASSWORD = "GWS_PASSWORD"
"""The password of every agent that has none of its own."""

MAX_AGENTS = 100_000
"""Agents an agents file may list."""


@dataclass(frozen=True)
class AgentSpec:
    """One agent of the fleet: its user name and password (never shown)."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class AgentsFile:
    """What :func:`load_agents` read: the usable agents, and one message per problem."""

    agents: list[AgentSpec]
    problems: list[str]


def env_password_name(username: str) -> str:
    """The environment variable holding ``username``'s own password."""
    return "GWS_PASSWORD_" + re.sub(r"[^A-Za-z0-9]", "_", username).upper()


def _read_lines(path: Path, what: str) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FleetError(f"cannot read the {what} {str(path)!r}: {type(exc).__name__}") from None


def _read_secrets(path: Path, problems: list[str]) -> dict[str, str]:
    secrets: dict[str, str] = {}
    for number, line in enumerate(_read_lines(path, "secrets file"), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, sep, password = stripped.partition(":")
        if not sep or not name or not password:
            # The line may hold a password: name the line only.
            problems.append(f"secrets file line {number}: expected 'username:password'")
            continue
        secrets[name.strip()] = password
    return secrets


def load_agents(
    agents_file: str | Path,
    *,
    secrets_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> AgentsFile:
    """Read the agents file and find each agent's password (see the module's text).

    Raises :class:`~gws_async.fleet.FleetError` when a file cannot be read or holds no
    usable agent; a bad line or a missing password is a problem reported in the result.
    """
    env = os.environ if environ is None else environ
    problems: list[str] = []
    secrets = _read_secrets(Path(secrets_file), problems) if secrets_file else {}
    names: dict[str, int] = {}
    for number, line in enumerate(_read_lines(Path(agents_file), "agents file"), 1):
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        if ":" in name or any(c.isspace() for c in name):
            head = re.split(r"[:\s]", name, maxsplit=1)[0]
            problems.append(
                f"agents file line {number} (agent {head!r}): one user name per line, "
                "without spaces or ':' (passwords go in the secrets file or the environment)"
            )
            continue
        if name in names:
            problems.append(
                f"agents file line {number}: agent {name!r} is already on line {names[name]}"
            )
            continue
        names[name] = number
        if len(names) > MAX_AGENTS:
            raise FleetError(f"the agents file lists more than {MAX_AGENTS} agents")
    agents: list[AgentSpec] = []
    for name in names:
        password = (
            secrets.get(name) or env.get(env_password_name(name)) or env.get(ENV_SHARED_PASSWORD)
        )
        if not password:
            problems.append(
                f"agent {name!r} has no password (secrets file, {env_password_name(name)} "
                f"or {ENV_SHARED_PASSWORD}): left out"
            )
            continue
        agents.append(AgentSpec(name, password))
    if not agents:
        raise FleetError(
            "the agents file holds no usable agent: " + "; ".join(problems or ["it is empty"])
        )
    return AgentsFile(agents, problems)
