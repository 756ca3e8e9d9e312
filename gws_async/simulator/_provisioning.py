"""Provisioning and settings: users, skills, contacts, features, settings, routing
templates and recordings (spec sections "Users API", "Skills API", "Contacts API",
"Features", "Settings", "Reset Password", "Request Parameters").

The users are the simulator's agents. Writes need ``ROLE_ADMIN`` (``statusCode 5``
otherwise). The rest of the provisioning data lives in a :class:`ProvisioningState`
attached to the :class:`SimState`; tests reach it with :func:`provisioning`.
"""

from __future__ import annotations

import base64
import binascii
import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ._common import (
    CONTEXT,
    OperationCall,
    SimContext,
    StatusError,
    api_url,
    current_agent,
    fail,
    read_json_object,
    requested_fields,
    select_fields,
)
from ._state import AgentPresence, SimAgent, SimState

__all__ = ["TOPIC_USERS", "ProvisioningState", "provisioning", "setup"]

TOPIC_USERS = "/v2/users"

_ROLES = frozenset({"ROLE_ADMIN", "ROLE_AGENT"})
_PASSWORD_MANAGERS = frozenset({"ROLE_ADMIN", "ROLE_SUPERVISOR"})
_USER_SUBRESOURCES = ("skills", "devices")
_USERS_OP = "/users/{id}"

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
_WORK_MODES: dict[str, frozenset[str]] = {
    "Ready": frozenset({"ManualIn", "AutoIn", "ReturnBack"}),
    "NotReady": frozenset(
        {"AfterCallWork", "AuxWork", "LegalGuard", "NoCallDisconnect", "WalkAway"}
    ),
}
_AGENT_STATE_FIELDS = ("operationName", "displayName", "state", "workMode", "reason")

_QUEUES: tuple[tuple[str, str], ...] = (
    ("SimpleVoiceInQueue", "7001"),
    ("SimpleChatInQueue", "7002"),
    ("SimpleEmailInQueue", "7003"),
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
_DEFAULT_SKILLS: tuple[dict[str, str], ...] = (
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
_DEFAULT_USER_SKILLS: dict[str, str] = {"English": "5", "Billing": "3"}

_RECORDINGS_START = datetime(2024, 1, 15, 9, 0, tzinfo=timezone.utc)
_RECORDINGS_PER_AGENT = 3


def skill_id(name: str) -> str:
    """The id of a default skill, the same one ``/me/skills`` uses."""
    return uuid.uuid5(uuid.NAMESPACE_OID, f"skill/{name}").hex


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
        for skill in _DEFAULT_SKILLS:
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
            skill_id(name): level for name, level in _DEFAULT_USER_SKILLS.items()
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
    """Add the provisioning and settings routes."""
    provisioning(ctx.state)
    root = ctx.api_root
    router = app.router
    router.add_get(f"{root}/users", _get_users)
    router.add_post(f"{root}/users", _create_user)
    router.add_get(f"{root}/users/{{user_id}}", _get_user)
    router.add_post(f"{root}/users/{{user_id}}", _post_user)
    router.add_delete(f"{root}/users/{{user_id}}", _delete_user)
    router.add_get(f"{root}/users/{{user_id}}/skills", _get_user_skills)
    router.add_get(f"{root}/users/{{user_id}}/skills/{{skill_id}}", _get_user_skill)
    router.add_get(f"{root}/skills", _get_skills)
    router.add_get(f"{root}/skills/{{skill_id}}", _get_skill)
    router.add_get(f"{root}/contacts", _get_contacts)
    router.add_post(f"{root}/contacts", _create_contact)
    router.add_put(f"{root}/contacts/{{contact_id}}", _update_contact)
    router.add_delete(f"{root}/contacts/{{contact_id}}", _delete_contact)
    router.add_get(f"{root}/features", _get_features)
    router.add_get(f"{root}/features/{{feature_id}}", _get_feature)
    router.add_delete(f"{root}/features/{{feature_id}}", _delete_feature)
    router.add_get(f"{root}/system/features", _get_system_features)
    router.add_get(f"{root}/system/routing-templates", _get_routing_templates)
    router.add_get(f"{root}/settings", _get_settings)
    router.add_get(f"{root}/settings/general-settings", _get_general_settings)
    router.add_get(f"{root}/settings/agent-states", _get_agent_states)
    router.add_post(f"{root}/settings/agent-states", _create_agent_state)
    router.add_put(f"{root}/settings/agent-states", _update_agent_state)
    router.add_delete(f"{root}/settings/agent-states", _delete_agent_state)
    router.add_get(f"{root}/recordings", _get_recordings)
    users = ctx.table(_USERS_OP)
    users.add(_reset_password, "ResetPassword")
    users.add(_change_password, "ChangePassword")


# -- helpers --------------------------------------------------------------------------------


def _ok(**extra: Any) -> web.Response:
    return web.json_response({"statusCode": 0, **extra})


def _require_admin(agent: SimAgent) -> None:
    if "ROLE_ADMIN" not in agent.roles:
        fail(5, "The user does not have permission to perform this operation")


def _prov(request: web.Request) -> ProvisioningState:
    return provisioning(request.app[CONTEXT].state)


def _text(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            fail(1, f"{key} is required")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        fail(1 if required else 2, f"{key} must be a non-empty string")
    return value


def _list_answer(
    request: web.Request, plural: str, resources: list[dict[str, Any]], *, uris: bool
) -> web.Response:
    fields = requested_fields(request)
    if fields is None and uris:
        return _ok(uris=[r["uri"] for r in resources])
    return _ok(**{plural: [select_fields(r, fields or {"*"}) for r in resources]})


def _find_user(request: web.Request, user_id: str) -> SimAgent:
    for agent in request.app[CONTEXT].state.agents.values():
        if agent.user_id == user_id:
            return agent
    raise StatusError(6, f"User {user_id} not found")


def _user_uri(request: web.Request, agent: SimAgent) -> str:
    return f"{api_url(request)}/users/{quote(agent.user_id, safe='')}"


def _user_skills(request: web.Request, agent: SimAgent) -> list[dict[str, Any]]:
    prov = _prov(request)
    api = api_url(request)
    return [
        {**prov.skills[sid], "level": level, "uri": f"{api}/skills/{sid}"}
        for sid, level in prov.user_skills.get(agent.username, {}).items()
        if sid in prov.skills
    ]


def _user_devices(request: web.Request, agent: SimAgent) -> list[dict[str, Any]]:
    presence = request.app[CONTEXT].state.presence.get(agent.username)
    if presence is None:
        return []
    return [
        {
            "id": presence.device_id,
            "deviceState": "Active",
            "phoneNumber": presence.phone_number,
            "e164Number": presence.phone_number,
            "telephonyNetwork": "Private",
            "uri": f"{api_url(request)}/devices/{presence.device_id}",
        }
    ]


def _subresources(request: web.Request) -> set[str]:
    wanted = {p.strip() for p in request.query.get("subresources", "").split(",") if p.strip()}
    if "*" in wanted:
        return set(_USER_SUBRESOURCES)
    unknown = wanted - set(_USER_SUBRESOURCES)
    if unknown:
        fail(2, f"Unknown subresources: {', '.join(sorted(unknown))}")
    return wanted


def _user(request: web.Request, agent: SimAgent, subresources: set[str]) -> dict[str, Any]:
    uri = _user_uri(request, agent)
    user: dict[str, Any] = {
        "id": agent.user_id,
        "userName": agent.username,
        "firstName": agent.first_name,
        "lastName": agent.last_name,
        "employeeId": agent.employee_id,
        "roles": list(agent.roles),
        "enabled": True,
        "doNotDisturb": "Off",
        "changePasswordOnFirstLogin": _prov(request).first_login.get(agent.username, False),
        "uri": uri,
        "path": f"/users/{quote(agent.user_id, safe='')}",
    }
    if "skills" in subresources:
        user["skills"] = _user_skills(request, agent)
    if "devices" in subresources:
        user["devices"] = _user_devices(request, agent)
    return user


def _roles(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(r in _ROLES for r in value):
        fail(2, f"roles must be a non-empty list among {sorted(_ROLES)}")
    return list(dict.fromkeys(value))


def _decode_password(body: dict[str, Any], key: str) -> str:
    value = _text(body, key, required=True)
    assert value is not None
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        fail(2, f"{key} must be base64-encoded")


# -- users ----------------------------------------------------------------------------------


async def _get_users(request: web.Request) -> web.Response:
    """GET /users: URIs; with ``fields`` or ``subresources`` the users."""
    subresources = _subresources(request)
    agents = list(request.app[CONTEXT].state.agents.values())
    users = [_user(request, agent, subresources) for agent in agents]
    fields = requested_fields(request)
    if fields is None and not subresources:
        return _ok(uris=[u["uri"] for u in users])
    if fields is not None and subresources:
        fields = fields | subresources
    return _ok(users=[select_fields(u, fields or {"*"}) for u in users])


async def _get_user(request: web.Request) -> web.Response:
    agent = _find_user(request, request.match_info["user_id"])
    return _ok(user=_user(request, agent, _subresources(request)))


async def _create_user(request: web.Request) -> web.Response:
    """POST /users: create a user (an agent that can log in), admins only."""
    ctx = request.app[CONTEXT]
    _require_admin(current_agent(request))
    body = await read_json_object(request)
    username = _text(body, "userName", required=True)
    password = _text(body, "password", required=True)
    assert username is not None
    assert password is not None
    roles = _roles(body["roles"]) if "roles" in body else ["ROLE_AGENT"]
    if username in ctx.state.agents:
        fail(2, f"User {username} already exists")
    try:
        agent = SimAgent(
            username,
            password,
            first_name=_text(body, "firstName") or "",
            last_name=_text(body, "lastName") or "Simulated",
            roles=roles,
        )
    except ValueError as exc:
        fail(2, str(exc))
    if any(a.user_id == agent.user_id for a in ctx.state.agents.values()):
        fail(2, f"User {username} already exists")
    numbers = {p.phone_number for p in ctx.state.presence.values()}
    number = next(str(n) for n in range(5001, 5001 + len(numbers) + 2) if str(n) not in numbers)
    ctx.state.agents[username] = agent
    ctx.state.presence[username] = AgentPresence(
        device_id=uuid.uuid5(uuid.NAMESPACE_OID, f"device/{username}").hex, phone_number=number
    )
    prov = _prov(request)
    prov.add_user(username)
    prov.first_login[username] = body.get("changePasswordOnFirstLogin") is True
    return _ok(id=agent.user_id, uri=_user_uri(request, agent))


async def _post_user(request: web.Request) -> web.Response:
    """POST /users/{id}: ResetPassword / ChangePassword, or an update of the user."""
    body = await read_json_object(request)
    if "operationName" in body:
        return await request.app[CONTEXT].table(_USERS_OP).dispatch(request)
    _require_admin(current_agent(request))
    agent = _find_user(request, request.match_info["user_id"])
    updates = {k: body[k] for k in ("firstName", "lastName", "password", "roles") if k in body}
    if not updates:
        fail(1, "Nothing to update")
    first = _text(body, "firstName")
    last = _text(body, "lastName")
    password = _text(body, "password")
    roles = _roles(body["roles"]) if "roles" in body else None
    if password is not None and not password:
        fail(2, "password is empty")
    if first is not None:
        agent.first_name = first
    if last is not None:
        agent.last_name = last
    if password is not None:
        agent.password = password
    if roles is not None:
        agent.roles = roles
    return _ok()


async def _delete_user(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    actor = current_agent(request)
    _require_admin(actor)
    agent = _find_user(request, request.match_info["user_id"])
    if agent.username == actor.username:
        fail(2, "A user cannot delete itself")
    del ctx.state.agents[agent.username]
    ctx.state.presence.pop(agent.username, None)
    for sid in [s.id for s in ctx.state.http_sessions.values() if s.username == agent.username]:
        del ctx.state.http_sessions[sid]
    prov = _prov(request)
    prov.user_skills.pop(agent.username, None)
    prov.first_login.pop(agent.username, None)
    return _ok()


def _notify_password(call: OperationCall, target: SimAgent, error: tuple[int, str] | None) -> None:
    data: dict[str, Any] = {
        "notificationType": "PasswordChangeSuccessful" if error is None else "PasswordChangeError",
        "userUri": _user_uri(call.request, target),
        "userId": target.user_id,
    }
    if error is not None:
        data["errorCode"], data["errorMessage"] = error
    recipients = {call.agent.username} | {
        a.username for a in call.ctx.state.agents.values() if _PASSWORD_MANAGERS & set(a.roles)
    }
    for username in sorted(recipients):
        call.ctx.publish(username, TOPIC_USERS, data)


def _apply_password(call: OperationCall, target: SimAgent, new_password: str) -> None:
    if not new_password.strip():
        _notify_password(call, target, (1, "Password does not meet security guidelines"))
        return
    target.password = new_password
    _prov(call.request).first_login[target.username] = False
    _notify_password(call, target, None)


async def _reset_password(call: OperationCall) -> web.Response:
    """ResetPassword on /users/{id} (admins only)."""
    _require_admin(call.agent)
    target = _find_user(call.request, call.path_param("user_id"))
    new_password = _decode_password(call.body, "newPassword")
    _apply_password(call, target, new_password)
    return _ok()


async def _change_password(call: OperationCall) -> web.Response:
    """ChangePassword on /users/{id} (supervisors and admins): checks the old password."""
    if not _PASSWORD_MANAGERS & set(call.agent.roles):
        fail(5, "Only supervisors and admins may change another user's password")
    target = _find_user(call.request, call.path_param("user_id"))
    old_password = _decode_password(call.body, "oldPassword")
    new_password = _decode_password(call.body, "newPassword")
    if old_password != target.password:
        _notify_password(call, target, (2, "Did not enter old password correctly"))
    else:
        _apply_password(call, target, new_password)
    return _ok()


# -- skills ---------------------------------------------------------------------------------


def _skill(request: web.Request, skill: dict[str, str]) -> dict[str, Any]:
    return {"level": "0", **skill, "uri": f"{api_url(request)}/skills/{skill['id']}"}


async def _get_skills(request: web.Request) -> web.Response:
    skills = [_skill(request, s) for s in _prov(request).skills.values()]
    return _list_answer(request, "skills", skills, uris=True)


async def _get_skill(request: web.Request) -> web.Response:
    skill = _prov(request).skills.get(request.match_info["skill_id"])
    if skill is None:
        fail(6, f"Skill {request.match_info['skill_id']} not found")
    return _ok(skill=_skill(request, skill))


async def _get_user_skills(request: web.Request) -> web.Response:
    agent = _find_user(request, request.match_info["user_id"])
    skills = _user_skills(request, agent)
    if requested_fields(request) is None:
        base = f"{_user_uri(request, agent)}/skills"
        return _ok(uris=[f"{base}/{s['id']}" for s in skills])
    return _list_answer(request, "skills", skills, uris=False)


async def _get_user_skill(request: web.Request) -> web.Response:
    agent = _find_user(request, request.match_info["user_id"])
    wanted = request.match_info["skill_id"]
    for skill in _user_skills(request, agent):
        if skill["id"] == wanted:
            return _ok(skill=skill)
    raise StatusError(6, f"Skill {wanted} is not assigned to user {agent.user_id}")


# -- contacts -------------------------------------------------------------------------------

_CONTACT_FILTERS = (
    "id",
    "type",
    "name",
    "firstName",
    "lastName",
    "userName",
    "phoneNumber",
    "employeeId",
)


def _contacts(request: web.Request) -> list[dict[str, Any]]:
    ctx = request.app[CONTEXT]
    api = api_url(request)
    contacts: list[dict[str, Any]] = []
    for agent in ctx.state.agents.values():
        presence = ctx.state.presence.get(agent.username)
        contacts.append(
            {
                "id": agent.user_id,
                "name": f"{agent.first_name} {agent.last_name}".strip(),
                "type": "User",
                "phoneNumber": presence.phone_number if presence else "",
                "userName": agent.username,
                "firstName": agent.first_name,
                "lastName": agent.last_name,
                "employeeId": agent.employee_id,
            }
        )
    for name, number in _QUEUES:
        queue_id = uuid.uuid5(uuid.NAMESPACE_OID, f"queue/{name}").hex
        contacts.append({"id": queue_id, "name": name, "type": "Queue", "phoneNumber": number})
    contacts.extend(dict(c) for c in _prov(request).custom_contacts.values())
    for contact in contacts:
        contact["uri"] = f"{api}/contacts/{quote(contact['id'], safe='')}"
    return contacts


async def _get_contacts(request: web.Request) -> web.Response:
    """GET /contacts: every attribute filters (logical AND, case-insensitive)."""
    filters = {k: request.query[k].lower() for k in _CONTACT_FILTERS if k in request.query}
    contacts = [
        c
        for c in _contacts(request)
        if all(str(c.get(k, "")).lower() == v for k, v in filters.items())
    ]
    if requested_fields(request) is None and not filters:
        return _ok(uris=[c["uri"] for c in contacts])
    return _list_answer(request, "contacts", contacts, uris=False)


def _contact_fields(body: dict[str, Any], *, create: bool) -> dict[str, str]:
    kind = body.get("type")
    if kind is not None and (not isinstance(kind, str) or kind.lower() != "custom"):
        fail(3, "Only contacts of type Custom can be created or modified")
    name = _text(body, "name", required=create)
    number = _text(body, "phoneNumber", required=create)
    fields = {k: v for k, v in (("name", name), ("phoneNumber", number)) if v is not None}
    if not fields:
        fail(1, "name or phoneNumber is required")
    if any(not v.strip() for v in fields.values()):
        fail(2, "name and phoneNumber must not be empty")
    return fields


async def _create_contact(request: web.Request) -> web.Response:
    _require_admin(current_agent(request))
    body = await read_json_object(request)
    fields = _contact_fields(body, create=True)
    contact_id = uuid.uuid4().hex
    _prov(request).custom_contacts[contact_id] = {"id": contact_id, "type": "Custom", **fields}
    return _ok(id=contact_id, uri=f"{api_url(request)}/contacts/{contact_id}")


def _custom_contact(request: web.Request) -> dict[str, str]:
    contact_id = request.match_info["contact_id"]
    contact = _prov(request).custom_contacts.get(contact_id)
    if contact is not None:
        return contact
    if any(c["id"] == contact_id for c in _contacts(request)):
        fail(3, "Only contacts of type Custom can be modified or deleted")
    raise StatusError(6, f"Contact {contact_id} not found")


async def _update_contact(request: web.Request) -> web.Response:
    _require_admin(current_agent(request))
    contact = _custom_contact(request)
    body = await read_json_object(request)
    contact.update(_contact_fields(body, create=False))
    return _ok()


async def _delete_contact(request: web.Request) -> web.Response:
    _require_admin(current_agent(request))
    contact = _custom_contact(request)
    del _prov(request).custom_contacts[contact["id"]]
    return _ok()


# -- features -------------------------------------------------------------------------------


def _features(request: web.Request, *, assigned_only: bool) -> list[dict[str, Any]]:
    assigned = _prov(request).features
    base = f"{api_url(request)}/{'features' if assigned_only else 'system/features'}"
    return [
        {"id": name, "displayName": text, "description": text, "uri": f"{base}/{name}"}
        for name, text, _ in FEATURES
        if not assigned_only or name in assigned
    ]


async def _get_features(request: web.Request) -> web.Response:
    return _list_answer(request, "features", _features(request, assigned_only=True), uris=True)


async def _get_system_features(request: web.Request) -> web.Response:
    _require_admin(current_agent(request))
    features = _features(request, assigned_only=False)
    return _list_answer(request, "features", features, uris=True)


def _assigned_feature(request: web.Request) -> dict[str, Any]:
    wanted = request.match_info["feature_id"]
    for feature in _features(request, assigned_only=True):
        if feature["id"] == wanted:
            return feature
    raise StatusError(6, f"Feature {wanted} is not assigned to this contact center")


async def _get_feature(request: web.Request) -> web.Response:
    return _ok(feature=_assigned_feature(request))


async def _delete_feature(request: web.Request) -> web.Response:
    _require_admin(current_agent(request))
    feature = _assigned_feature(request)
    _prov(request).features.discard(feature["id"])
    return _ok()


# -- settings -------------------------------------------------------------------------------


async def _get_settings(request: web.Request) -> web.Response:
    _require_admin(current_agent(request))
    api = api_url(request)
    groups = [
        {"displayName": "General", "uri": f"{api}/settings/general-settings"},
        {"displayName": "Agent States", "uri": f"{api}/settings/agent-states"},
    ]
    return _ok(settings=groups)


async def _get_general_settings(request: web.Request) -> web.Response:
    return _ok(settings=[dict(_prov(request).general)])


async def _get_agent_states(request: web.Request) -> web.Response:
    states = [dict(s) for s in _prov(request).agent_states.values()]
    return _ok(key="operationName", settings=states)


def _check_agent_state(definition: dict[str, str]) -> None:
    for key in _AGENT_STATE_FIELDS:
        if key in definition and not isinstance(definition[key], str):
            fail(2, f"{key} must be a string")
    state = definition["state"]
    if state not in _WORK_MODES:
        fail(2, f"state must be one of {sorted(_WORK_MODES)}")
    mode = definition.get("workMode")
    if mode is not None and mode not in _WORK_MODES[state]:
        fail(2, f"workMode {mode} does not apply to state {state}")


def _check_reason_unique(prov: ProvisioningState, definition: dict[str, str]) -> None:
    reason = definition.get("reason")
    if reason is None:
        return
    for name, other in prov.agent_states.items():
        if name != definition["operationName"] and other.get("reason") == reason:
            fail(2, f"reason {reason} is already used by {name}")


async def _create_agent_state(request: web.Request) -> web.Response:
    _require_admin(current_agent(request))
    body = await read_json_object(request)
    for key in ("operationName", "displayName", "state"):
        _text(body, key, required=True)
    definition = {k: body[k] for k in _AGENT_STATE_FIELDS if body.get(k) is not None}
    _check_agent_state(definition)
    prov = _prov(request)
    if definition["operationName"] in prov.agent_states:
        fail(2, f"Agent state {definition['operationName']} already exists")
    _check_reason_unique(prov, definition)
    state_id = str(uuid.uuid4()).upper()
    prov.agent_states[definition["operationName"]] = {"id": state_id, **definition}
    return _ok(id=state_id, uri=f"{api_url(request)}/settings/agent-states")


def _custom_agent_state(request: web.Request, body: dict[str, Any]) -> dict[str, str]:
    name = _text(body, "operationName") or request.query.get("operationName")
    if not name:
        fail(1, "operationName is required")
    prov = _prov(request)
    if name not in prov.agent_states:
        fail(6, f"Agent state {name} not found")
    if prov.is_read_only(name):
        fail(3, f"Agent state {name} is read-only")
    return prov.agent_states[name]


async def _update_agent_state(request: web.Request) -> web.Response:
    _require_admin(current_agent(request))
    body = await read_json_object(request)
    current = _custom_agent_state(request, body)
    changes = {k: body[k] for k in _AGENT_STATE_FIELDS[1:] if k in body}
    if not changes:
        fail(1, "Nothing to update")
    updated = {**current, **changes}
    updated = {k: v for k, v in updated.items() if v is not None}
    _check_agent_state(updated)
    _check_reason_unique(_prov(request), updated)
    current.clear()
    current.update(updated)
    return _ok()


async def _delete_agent_state(request: web.Request) -> web.Response:
    _require_admin(current_agent(request))
    body = await read_json_object(request)
    current = _custom_agent_state(request, body)
    del _prov(request).agent_states[current["operationName"]]
    return _ok()


# -- routing templates and recordings -------------------------------------------------------


async def _get_routing_templates(request: web.Request) -> web.Response:
    channel = request.query.get("channel")
    version = request.query.get("version")
    base = f"{api_url(request)}/system/routing-templates"
    templates = [
        {**t, "uri": f"{base}/{t['id']}"}
        for t in _prov(request).routing_templates
        if (channel is None or t["channel"].lower() == channel.lower())
        and (version is None or t["version"] == version)
    ]
    return _list_answer(request, "routingTemplates", templates, uris=True)


def _query_time(request: web.Request, key: str) -> datetime | None:
    value = request.query.get(key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(2, f"{key} must be an ISO 8601 time")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _query_int(request: web.Request, key: str, default: int | None) -> int | None:
    value = request.query.get(key)
    if value is None:
        return default
    if not value.isdigit():
        fail(2, f"{key} must be a non-negative integer")
    return int(value)


async def _get_recordings(request: web.Request) -> web.Response:
    """GET /recordings, filtered by the spec's query parameters."""
    start = _query_time(request, "startTime")
    end = _query_time(request, "endTime")
    offset = _query_int(request, "offset", 0) or 0
    limit = _query_int(request, "limit", None)
    exact = {
        k: request.query[k]
        for k in ("callerPhoneNumber", "dialedPhoneNumber", "userName")
        if k in request.query
    }
    found = []
    for recording in _prov(request).recordings:
        started = datetime.fromisoformat(recording["startTime"].replace("Z", "+00:00"))
        ended = datetime.fromisoformat(recording["endTime"].replace("Z", "+00:00"))
        if start is not None and started < start:
            continue
        if end is not None and ended > end:
            continue
        if any(recording.get(k) != v for k, v in exact.items()):
            continue
        found.append(recording)
    page = found[offset:] if limit is None else found[offset : offset + limit]
    api = api_url(request)
    resources = [
        {
            **r,
            "mediaUri": f"{api}/recordings/{r['id']}/media",
            "uri": f"{api}/recordings/{r['id']}",
        }
        for r in page
    ]
    return _ok(recordings=resources)
