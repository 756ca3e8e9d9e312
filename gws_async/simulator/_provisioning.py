"""Provisioning data and what the provisioning sections share.

The sections live in their own modules, one per spec section: :mod:`._users` ("Users
API", "Reset Password"), :mod:`._skills`, :mod:`._contacts`, :mod:`._features`,
:mod:`._settings` (with the routing templates) and :mod:`._recordings`. The users are the
simulator's agents; the rest of the provisioning data lives in a :class:`ProvisioningState`
attached to the :class:`SimState`, which tests reach with :func:`provisioning`. Writes need
``ROLE_ADMIN`` (``statusCode 5`` otherwise).
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from ._common import CONTEXT, SimContext, fail
from ._render import skill_id
from ._state import SimAgent, SimState

__all__ = [
    "DEFAULT_AGENT_STATES",
    "DEFAULT_SKILLS",
    "DEFAULT_USER_SKILLS",
    "FEATURES",
    "ProvisioningState",
    "ok",
    "provisioning",
    "provisioning_of",
    "require_admin",
    "setup",
    "text_field",
]

#: (id, description, assigned by default), from the spec's "Supported Features".
FEATURES: tuple[tuple[str, str, bool], ...] = (
    ("api-provisioning-read", "General provisioning read", True),
    ("api-provisioning-write", "General provisioning write", True),
    ("api-voice", "The API for the voice channel.", True),
    ("ui-supervisor-provisioning-routing", "UI to provision routing", True),
    ("ui-supervisor-provisioning-skill", "UI to provision skills", True),
    ("ui-supervisor-provisioning-user", "UI to provision users", True),
    ("ui-supervisor-recording", "UI to view call recordings", True),
    ("ui-supervisor-reporting", "UI to view contact center statistics", True),
    ("api-multimedia", "API for non-voice channels", False),
)

#: The five read-only agent states every contact center starts with (spec "Agent States").
DEFAULT_AGENT_STATES: tuple[dict[str, str], ...] = (
    {
        "displayName": "AfterCallWork",
        "id": "D3663509-3D82-4DD3-A82E-2EA8EFA02AEF",
        "operationName": "AfterCallWork",
        "state": "NotReady",
        "workMode": "AfterCallWork",
    },
    {
        "displayName": "AuxWork",
        "id": "2B36138D-C564-4562-A8CB-3C32D564F296",
        "operationName": "AuxWork",
        "state": "NotReady",
        "workMode": "AuxWork",
    },
    {
        "displayName": "Not Ready",
        "id": "900D55CC-2BB0-431F-8BF9-D3525B383BE6",
        "operationName": "NotReady",
        "state": "NotReady",
    },
    {
        "displayName": "Offline",
        "id": "0F7F5003-EF26-4D13-A6Ef-D0C7EC819BEB",
        "operationName": "Offline",
        "state": "Logout",
    },
    {
        "displayName": "Ready",
        "id": "9430250E-0A1B-421F-B372-F29E69366DED",
        "operationName": "Ready",
        "state": "Ready",
    },
)
_ROUTING_TEMPLATES: tuple[dict[str, str], ...] = (
    {
        "id": "voice-basic",
        "name": "Basic voice routing",
        "description": "Route calls to the first available agent.",
        "channel": "voice",
        "version": "1.0",
    },
    {
        "id": "voice-skills",
        "name": "Skill-based voice routing",
        "description": "Route calls to agents with the requested skill.",
        "channel": "voice",
        "version": "2.0",
    },
    {
        "id": "chat-basic",
        "name": "Basic chat routing",
        "description": "Route chats to the first available agent.",
        "channel": "chat",
        "version": "1.0",
    },
    {
        "id": "email-basic",
        "name": "Basic e-mail routing",
        "description": "Route e-mails to the first available agent.",
        "channel": "email",
        "version": "1.0",
    },
)

#: Skills every contact center has: those /me/skills reports, and the spec's samples.
DEFAULT_SKILLS: tuple[dict[str, str], ...] = (
    {"name": "English", "description": "Speaks English"},
    {"name": "Billing", "description": "Handles billing questions"},
    {
        "id": "8e8fbe93-a8e5-4997-a939-0e245c30f97c",
        "name": "Might",
        "description": "Brandishing of heavy and sharp long iron bars.",
    },
    {"id": "9d81193d-9f8a-4bce-9e58-1f586505328d", "name": "Magic"},
)
#: Skill name -> level every agent starts with (as /me/skills reports them).
DEFAULT_USER_SKILLS: dict[str, str] = {"English": "5", "Billing": "3"}

_RECORDINGS_START = datetime(2024, 1, 15, 9, 0, tzinfo=timezone.utc)
_RECORDINGS_PER_AGENT = 3


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass
class ProvisioningState:
    """Provisioning data of one simulator (everything but the users themselves)."""

    skills: dict[str, dict[str, str]] = field(default_factory=dict)
    #: username -> {skill id: level}
    user_skills: dict[str, dict[str, str]] = field(default_factory=dict)
    #: username -> changePasswordOnFirstLogin
    first_login: dict[str, bool] = field(default_factory=dict)
    custom_contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    features: set[str] = field(default_factory=set)
    #: operationName -> definition (read-only defaults first)
    agent_states: dict[str, dict[str, str]] = field(default_factory=dict)
    general: dict[str, str] = field(
        default_factory=lambda: {
            "countryCode": "US",
            "countryDigits": "1",
            "countryName": "United States",
        }
    )
    routing_templates: list[dict[str, str]] = field(
        default_factory=lambda: [dict(t) for t in _ROUTING_TEMPLATES]
    )
    recordings: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def initial(cls, agents: Iterable[SimAgent]) -> ProvisioningState:
        """The defaults: the spec's features and agent states, skills, a few recordings."""
        prov = cls()
        for skill in DEFAULT_SKILLS:
            sid = skill.get("id") or skill_id(skill["name"])
            prov.skills[sid] = {**skill, "id": sid}
        prov.features = {name for name, _, default in FEATURES if default}
        prov.agent_states = {s["operationName"]: dict(s) for s in DEFAULT_AGENT_STATES}
        for index, agent in enumerate(agents):
            prov.add_user(agent.username)
            for n in range(_RECORDINGS_PER_AGENT):
                start = _RECORDINGS_START + timedelta(hours=index * _RECORDINGS_PER_AGENT + n)
                duration = 60 + 30 * n
                rid = uuid.uuid5(uuid.NAMESPACE_OID, f"recording/{agent.username}/{n}").hex
                prov.recordings.append(
                    {
                        "id": rid,
                        "startTime": _iso(start),
                        "endTime": _iso(start + timedelta(seconds=duration)),
                        "duration": duration,
                        "callerPhoneNumber": f"+1650555{index:02d}{n:02d}",
                        "dialedPhoneNumber": str(5001 + index),
                        "userName": agent.username,
                    }
                )
        return prov

    def add_user(self, username: str) -> None:
        """Give a new user the default skills."""
        self.user_skills[username] = {
            skill_id(name): level for name, level in DEFAULT_USER_SKILLS.items()
        }
        self.first_login.setdefault(username, False)

    @staticmethod
    def is_read_only(operation_name: str) -> bool:
        """Whether this agent state is one of the five built-in ones."""
        return any(s["operationName"] == operation_name for s in DEFAULT_AGENT_STATES)


_STATES: weakref.WeakKeyDictionary[SimState, ProvisioningState] = weakref.WeakKeyDictionary()


def provisioning(state: SimState) -> ProvisioningState:
    """The provisioning data of a simulator's state (created with the defaults)."""
    prov = _STATES.get(state)
    if prov is None:
        prov = _STATES[state] = ProvisioningState.initial(state.agents.values())
    return prov


def setup(app: web.Application, ctx: SimContext) -> None:
    """Create the provisioning data now, from the agents the simulator starts with
    (a user added later by ``POST /users`` gets skills but no recordings)."""
    provisioning(ctx.state)


# -- helpers of the provisioning sections ---------------------------------------------------


def ok(**extra: Any) -> web.Response:
    """``{"statusCode": 0, ...extra}``."""
    return web.json_response({"statusCode": 0, **extra})


def require_admin(agent: SimAgent) -> None:
    """Fail with ``statusCode 5`` unless ``agent`` has ``ROLE_ADMIN``."""
    if "ROLE_ADMIN" not in agent.roles:
        fail(5, "The user does not have permission to perform this operation")


def user_skill_resources(prov: ProvisioningState, api: str, username: str) -> list[dict[str, Any]]:
    """A user's skills with their levels, as ``/me/skills`` and ``/users/{id}/skills``
    show them (the defaults every agent starts with, or a scenario's)."""
    return [
        {**prov.skills[sid], "level": level, "uri": f"{api}/skills/{sid}"}
        for sid, level in prov.user_skills.get(username, {}).items()
        if sid in prov.skills
    ]


def provisioning_of(request: web.Request) -> ProvisioningState:
    """The provisioning data of the simulator serving ``request``."""
    return provisioning(request.app[CONTEXT].state)


def text_field(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    """``body[key]`` as a string, or ``None`` if absent and optional. A required key that
    is missing, blank or not a string fails with ``statusCode 1``; an optional one that is
    not a string with ``2``."""
    value = body.get(key)
    if value is None:
        if required:
            fail(1, f"{key} is required")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        fail(1 if required else 2, f"{key} must be a non-empty string")
    return value
