"""Scenario files: a contact center for the simulator, described in TOML.

A scenario gives the agents (with their passwords, agent and place groups, roles and
skill levels), the contact center's skills, the workbins with the items queued in them,
and the traffic that arrives while the simulator runs::

    [[agents]]
    username = "ana"
    password = "..."
    agent_groups = ["sales"]
    skills = { English = 8 }

    [[workbins]]
    name = "SalesBacklog"
    agent_group = "sales"

    [[workbins.items]]
    media = "email"
    user_data = { Subject = "Quote for 40 chairs" }

    [traffic.sales]
    chats_per_minute = 4

See ``examples/scenario.toml`` for every key. :func:`load_scenario` reads one and checks
it; anything amiss raises :class:`ScenarioError` naming the line and the key path
(``traffic.sales.chats_per_minute``), never a value, so never a password.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._exposure import WELL_KNOWN_PASSWORDS
from ._provisioning import DEFAULT_SKILLS, provisioning
from ._render import skill_id
from ._scenario_check import KeyPath, ScenarioError, Schema
from ._server import GwsSimulator
from ._state import SimAgent, SimWorkbin
from ._traffic import DEFAULT_MAX_WAITING, MAX_RATE_PER_MINUTE, GroupTraffic, TrafficPlan

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = [
    "EXAMPLE_PASSWORDS",
    "QueuedItem",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_scenario",
]

#: The passwords of ``examples/scenario.toml``: published, so as well known as the
#: defaults' (a test keeps the two in step).
EXAMPLE_PASSWORDS: frozenset[str] = frozenset(
    f"{name}-example-pw" for name in ("ana", "ben", "chloe", "dmitri")
)
_ROLES = ("ROLE_AGENT", "ROLE_ADMIN")
_MEDIA_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class QueuedItem:
    """An interaction waiting in a workbin when the simulator starts."""

    workbin_id: str
    #: Whose copy of a personal workbin; for a group workbin, the member who put it there.
    owner: str
    media: str = "email"
    user_data: Mapping[str, Any] = field(default_factory=dict)
    interaction_id: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A checked scenario: what :class:`GwsSimulator` is built from.

    ``workbins`` and ``skills`` are ``None`` when the file gives none: the simulator's
    defaults then stay.
    """

    source: str
    agents: list[SimAgent]
    workbins: list[SimWorkbin] | None = None
    items: list[QueuedItem] = field(default_factory=list)
    #: The contact center's skills (``name``, ``description``, ``id``).
    skills: list[dict[str, str]] | None = None
    #: username -> {skill name: level}, for the agents that list skills.
    agent_skills: dict[str, dict[str, int]] = field(default_factory=dict)
    traffic: TrafficPlan | None = None
    #: The ``[simulator]`` table: ``revoke_after``, ``email_keys``,
    #: ``email_interaction_type`` (see :class:`GwsSimulator`).
    options: dict[str, Any] = field(default_factory=dict)

    def well_known_password_users(self) -> list[str]:
        """The agents whose password is a default's or the example scenario's."""
        known = WELL_KNOWN_PASSWORDS | EXAMPLE_PASSWORDS
        return [a.username for a in self.agents if a.password in known]

    def simulator(self, **kwargs: Any) -> GwsSimulator:
        """A :class:`GwsSimulator` serving this scenario (``kwargs`` are its other
        arguments: ``host``, ``port``...); its workbins hold the queued items already, its
        traffic starts with it."""
        sim = GwsSimulator(
            [_copy(agent) for agent in self.agents],
            workbins=self.workbins,
            traffic=self.traffic,
            **{**self.options, **kwargs},
        )
        prov = provisioning(sim.state)
        if self.skills is not None:
            prov.skills = {s["id"]: dict(s) for s in self.skills}
            for agent in self.agents:
                prov.user_skills[agent.username] = {}
        ids = {s["name"]: sid for sid, s in prov.skills.items()}
        for username, levels in self.agent_skills.items():
            prov.user_skills[username] = {ids[n]: str(level) for n, level in levels.items()}
        for item in self.items:
            sim.put_in_workbin(
                item.owner,
                item.workbin_id,
                media=item.media,
                user_data=item.user_data,
                interaction_id=item.interaction_id,
            )
        return sim


def _copy(agent: SimAgent) -> SimAgent:
    # The simulator changes its agents (a password, for one); the scenario stays as read.
    return SimAgent(
        agent.username,
        agent.password,
        user_id=agent.user_id,
        first_name=agent.first_name,
        last_name=agent.last_name,
        employee_id=agent.employee_id,
        agent_groups=list(agent.agent_groups),
        place_groups=list(agent.place_groups),
        place=agent.place,
        roles=list(agent.roles),
    )


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and check the scenario file at ``path``.

    Raises:
        ScenarioError: the file cannot be read, is not TOML, or breaks the schema; the
            message names the file, the line and the key.
    """
    source = os.fspath(path)
    try:
        with open(source, "rb") as file:
            raw = file.read()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ScenarioError(f"cannot read the scenario {source}: {reason}", source) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = ScenarioError("not UTF-8 text", source, line=line)
    else:
        return parse_scenario(text, source)
    raise bad  # outside the except block: no context to carry file content along


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Check a scenario given as TOML text; ``source`` names it in errors."""
    schema = Schema(text, source)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        syntax = schema.syntax_error(str(exc))
    else:
        return _scenario(schema, document)
    # Raised here, not in the except block: the decoder's error may hold the document.
    raise syntax


def _scenario(schema: Schema, document: dict[str, Any]) -> Scenario:
    root = KeyPath()
    schema.keys(document, root, allowed=("agents", "skills", "workbins", "traffic", "simulator"))
    skills = _skills(schema, document)
    known_skills = {s["name"] for s in (skills if skills is not None else DEFAULT_SKILLS)}
    agents, agent_skills = _agents(schema, document, known_skills)
    workbins, items = _workbins(schema, document, agents)
    return Scenario(
        source=schema.source,
        agents=agents,
        workbins=workbins,
        items=items,
        skills=skills,
        agent_skills=agent_skills,
        traffic=_traffic(schema, document, agents),
        options=_options(schema, document),
    )


# Where the spec contradicts itself, the readings a scenario may pick (docs/testing.md).
_READINGS = {
    "email_keys": ("PascalCase", "camelCase"),
    "email_interaction_type": ("direction", "Email"),
}


def _options(schema: Schema, document: dict[str, Any]) -> dict[str, Any]:
    path = KeyPath("simulator")
    if "simulator" not in document:
        return {}
    table = schema.table(document["simulator"], path)
    schema.keys(table, path, allowed=("revoke_after", *_READINGS))
    options: dict[str, Any] = {}
    if "revoke_after" in table:
        seconds = schema.number(table, "revoke_after", path)
        if not 0 < seconds < float("inf"):
            schema.fail(path / "revoke_after", "must be a positive number of seconds")
        options["revoke_after"] = seconds
    for key, readings in _READINGS.items():
        if key in table:
            value = schema.string(table, key, path)
            if value not in readings:
                schema.fail(path / key, f"must be one of {', '.join(readings)}")
            options[key] = value
    return options


def _agents(
    schema: Schema, document: dict[str, Any], known_skills: set[str]
) -> tuple[list[SimAgent], dict[str, dict[str, int]]]:
    path = KeyPath("agents")
    tables = schema.tables(document, path, required=True)
    if not tables:
        schema.fail(path, "no agent: give at least one [[agents]] table")
    agents: list[SimAgent] = []
    levels: dict[str, dict[str, int]] = {}
    first_seen: dict[str, KeyPath] = {}
    for index, table in enumerate(tables):
        at = path / index
        agent = _agent(schema, table, at)
        if agent.username in first_seen:
            first = schema.line_of(first_seen[agent.username])
            schema.fail(at / "username", f"agent {agent.username!r} is given twice" + first)
        first_seen[agent.username] = at / "username"
        agents.append(agent)
        if "skills" in table:
            levels[agent.username] = _levels(schema, table["skills"], at / "skills", known_skills)
    return agents, levels


def _agent(schema: Schema, table: dict[str, Any], at: KeyPath) -> SimAgent:
    text_keys = ("first_name", "last_name", "employee_id", "place")
    list_keys = ("agent_groups", "place_groups", "roles")
    schema.keys(
        table,
        at,
        allowed=("username", "password", *text_keys, *list_keys, "skills"),
        required=("username", "password"),
    )
    username = schema.string(table, "username", at)
    password = schema.string(table, "password", at)
    extra: dict[str, Any] = {k: schema.string(table, k, at) for k in text_keys if k in table}
    extra |= {k: schema.strings(table, k, at) for k in list_keys if k in table}
    for role in extra.get("roles", []):
        if role not in _ROLES:
            schema.fail(at / "roles", f"{role!r} is not ROLE_AGENT or ROLE_ADMIN")
    if not username or ":" in username or username != username.strip():
        schema.fail(at / "username", "a user name must be non-empty, without ':' or spaces")
    if not password:
        schema.fail(at / "password", "empty: an agent needs a password")
    return SimAgent(username, password, **extra)


def _levels(schema: Schema, value: Any, at: KeyPath, known_skills: set[str]) -> dict[str, int]:
    table = schema.table(value, at)
    levels: dict[str, int] = {}
    for name in table:
        if name not in known_skills:
            schema.fail(at / name, "no such skill: list it in a [[skills]] table")
        level = schema.integer(table, name, at)
        if level < 0:
            schema.fail(at / name, "a skill level is 0 or more")
        levels[name] = level
    return levels


def _skills(schema: Schema, document: dict[str, Any]) -> list[dict[str, str]] | None:
    path = KeyPath("skills")
    if "skills" not in document:
        return None
    skills: list[dict[str, str]] = []
    first_seen: dict[str, KeyPath] = {}
    for index, table in enumerate(schema.tables(document, path)):
        at = path / index
        schema.keys(table, at, allowed=("name", "description", "id"), required=("name",))
        skill: dict[str, str] = {
            k: schema.string(table, k, at) for k in ("name", "description", "id") if k in table
        }
        name = skill["name"]
        if name in first_seen:
            first = schema.line_of(first_seen[name])
            schema.fail(at / "name", f"skill {name!r} is given twice" + first)
        first_seen[name] = at / "name"
        skill.setdefault("id", skill_id(name))
        skills.append(skill)
    return skills


def _workbins(
    schema: Schema, document: dict[str, Any], agents: list[SimAgent]
) -> tuple[list[SimWorkbin] | None, list[QueuedItem]]:
    path = KeyPath("workbins")
    if "workbins" not in document:
        return None, []
    workbins: list[SimWorkbin] = []
    items: list[QueuedItem] = []
    first_seen: dict[str, KeyPath] = {}
    for index, table in enumerate(schema.tables(document, path)):
        at = path / index
        workbin = _workbin(schema, table, at, agents)
        for key, taken in ((workbin.name, "workbin"), (workbin.id, "workbin id")):
            if key in first_seen:
                first = schema.line_of(first_seen[key])
                what = "name" if taken == "workbin" else "id"
                schema.fail(at / what, f"{taken} {key!r} is given twice" + first)
            first_seen[key] = at / ("name" if taken == "workbin" else "id")
        workbins.append(workbin)
        for number, item in enumerate(schema.tables(table, at / "items")):
            items.append(_item(schema, item, at / "items" / number, workbin, agents))
    return workbins, items


def _workbin(
    schema: Schema, table: dict[str, Any], at: KeyPath, agents: list[SimAgent]
) -> SimWorkbin:
    schema.keys(
        table,
        at,
        allowed=("name", "id", "agent_group", "place_group", "items"),
        required=("name",),
    )
    name = schema.string(table, "name", at)
    agent_group = schema.string(table, "agent_group", at) if "agent_group" in table else None
    place_group = schema.string(table, "place_group", at) if "place_group" in table else None
    if agent_group is not None and place_group is not None:
        schema.fail(at, "a workbin belongs to an agent group or a place group, not both")
    if not name or "/" in name:
        schema.fail(at / "name", "a workbin name must be non-empty, without '/'")
    for key, group, kind in (
        ("agent_group", agent_group, "agent_groups"),
        ("place_group", place_group, "place_groups"),
    ):
        if group is not None and not any(group in getattr(a, kind) for a in agents):
            schema.fail(at / key, f"no agent is in {key.replace('_', ' ')} {group!r}")
    if "id" in table:
        workbin_id = schema.string(table, "id", at)
        if not workbin_id or "/" in workbin_id:
            schema.fail(at / "id", "a workbin id must be non-empty, without '/'")
        return SimWorkbin(workbin_id, name, agent_group=agent_group, place_group=place_group)
    if agent_group is None and place_group is None:
        return SimWorkbin.personal(name)
    # Shaped like GWS's group workbin ids, and the same on every run.
    group_id = str(uuid.uuid5(uuid.NAMESPACE_OID, f"workbin/{name}"))
    return SimWorkbin(group_id, name, agent_group=agent_group, place_group=place_group)


def _item(
    schema: Schema,
    table: dict[str, Any],
    at: KeyPath,
    workbin: SimWorkbin,
    agents: list[SimAgent],
) -> QueuedItem:
    schema.keys(table, at, allowed=("owner", "media", "user_data", "id"))
    members = [a.username for a in agents if _sees(a, workbin)]
    if "owner" in table:
        owner = schema.string(table, "owner", at)
        if owner not in members:
            where = "an agent" if not workbin.is_group else "a member of the workbin's group"
            schema.fail(at / "owner", f"{owner!r} is not {where}")
    elif workbin.is_group:
        owner = members[0]
    else:
        schema.fail(
            at / "owner", "missing: a personal workbin's item needs the agent whose copy it sits in"
        )
    media = schema.string(table, "media", at) if "media" in table else "email"
    if not _MEDIA_RE.fullmatch(media):
        schema.fail(at / "media", "a media name is a word such as email or chat")
    user_data = schema.table(table.get("user_data", {}), at / "user_data")
    for key, value in user_data.items():
        if isinstance(value, (dict, list)):
            schema.fail(at / "user_data" / key, "expected a string, number or boolean")
    interaction_id = schema.string(table, "id", at) if "id" in table else None
    return QueuedItem(workbin.id, owner, media, dict(user_data), interaction_id)


def _sees(agent: SimAgent, workbin: SimWorkbin) -> bool:
    if workbin.agent_group is not None:
        return workbin.agent_group in agent.agent_groups
    if workbin.place_group is not None:
        return workbin.place_group in agent.place_groups
    return True


def _traffic(
    schema: Schema, document: dict[str, Any], agents: list[SimAgent]
) -> TrafficPlan | None:
    path = KeyPath("traffic")
    if "traffic" not in document:
        return None
    table = schema.table(document["traffic"], path)
    seed = schema.integer(table, "seed", path) if "seed" in table else None
    max_waiting = DEFAULT_MAX_WAITING
    if "max_waiting" in table:
        max_waiting = schema.integer(table, "max_waiting", path)
        if max_waiting < 1:
            schema.fail(path / "max_waiting", "must be at least 1")
    rates = ("calls_per_minute", "chats_per_minute", "emails_per_minute")
    groups: list[GroupTraffic] = []
    for group, value in table.items():
        if group in ("seed", "max_waiting"):
            continue
        at = path / group
        if not isinstance(value, dict):
            schema.fail(at, "expected a table of a group's rates, or seed or max_waiting")
        schema.keys(value, at, allowed=rates)
        if not any(group in a.agent_groups for a in agents):
            schema.fail(at, f"no agent is in agent group {group!r}")
        per_minute = {k: schema.number(value, k, at) for k in rates if k in value}
        for key, rate in per_minute.items():
            if not 0 <= rate <= MAX_RATE_PER_MINUTE:
                schema.fail(at / key, f"must be between 0 and {MAX_RATE_PER_MINUTE:g} a minute")
        groups.append(GroupTraffic(group, **per_minute))
    return TrafficPlan(tuple(groups), seed=seed, max_waiting=max_waiting)
