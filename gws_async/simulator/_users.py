"""Users API: the contact center's users, their skills and their passwords (spec
sections "Users API", "Skills API" for ``/users/{id}/skills``, "Reset Password").

The users are the simulator's agents; a user created here can log in.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from aiohttp import web

from ._common import (
    CONTEXT,
    OperationCall,
    SimContext,
    StatusError,
    api_url,
    current_agent,
    fail,
    list_answer,
    read_json_object,
    requested_fields,
    select_fields,
)
from ._presence import device_resource
from ._provisioning import ok, provisioning_of, require_admin, text_field, user_skill_resources
from ._render import user_resource, user_uri
from ._state import AgentPresence, SimAgent

__all__ = ["TOPIC_USERS", "setup"]

TOPIC_USERS = "/v2/users"

_ROLES = frozenset({"ROLE_ADMIN", "ROLE_AGENT"})
_PASSWORD_MANAGERS = frozenset({"ROLE_ADMIN", "ROLE_SUPERVISOR"})
_USER_SUBRESOURCES = ("skills", "devices")
_USERS_OP = "/users/{id}"


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the ``/users`` routes and the password operations."""
    root = ctx.api_root
    router = app.router
    router.add_get(f"{root}/users", _get_users)
    router.add_post(f"{root}/users", _create_user)
    router.add_get(f"{root}/users/{{user_id}}", _get_user)
    router.add_post(f"{root}/users/{{user_id}}", _post_user)
    router.add_delete(f"{root}/users/{{user_id}}", _delete_user)
    router.add_get(f"{root}/users/{{user_id}}/skills", _get_user_skills)
    router.add_get(f"{root}/users/{{user_id}}/skills/{{skill_id}}", _get_user_skill)
    users = ctx.table(_USERS_OP)
    users.add(_reset_password, "ResetPassword")
    users.add(_change_password, "ChangePassword")


# -- helpers --------------------------------------------------------------------------------


def _find_user(request: web.Request, user_id: str) -> SimAgent:
    for agent in request.app[CONTEXT].state.agents.values():
        if agent.user_id == user_id:
            return agent
    raise StatusError(6, f"User {user_id} not found")


def _user_uri(request: web.Request, agent: SimAgent) -> str:
    return user_uri(api_url(request), agent)


def _user_skills(request: web.Request, agent: SimAgent) -> list[dict[str, Any]]:
    return user_skill_resources(provisioning_of(request), api_url(request), agent.username)


def _user_devices(request: web.Request, agent: SimAgent) -> list[dict[str, Any]]:
    presence = request.app[CONTEXT].state.presence.get(agent.username)
    if presence is None:
        return []
    return [device_resource(api_url(request), presence)]


def _subresources(request: web.Request) -> set[str]:
    wanted = {p.strip() for p in request.query.get("subresources", "").split(",") if p.strip()}
    if "*" in wanted:
        return set(_USER_SUBRESOURCES)
    unknown = wanted - set(_USER_SUBRESOURCES)
    if unknown:
        fail(2, f"Unknown subresources: {', '.join(sorted(unknown))}")
    return wanted


def _user(request: web.Request, agent: SimAgent, subresources: set[str]) -> dict[str, Any]:
    user = user_resource(
        api_url(request),
        agent,
        do_not_disturb="Off",
        first_login=provisioning_of(request).first_login.get(agent.username, False),
    )
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
    value = text_field(body, key, required=True)
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
        return ok(uris=[u["uri"] for u in users])
    if fields is not None and subresources:
        fields = fields | subresources
    return ok(users=[select_fields(u, fields or {"*"}) for u in users])


async def _get_user(request: web.Request) -> web.Response:
    agent = _find_user(request, request.match_info["user_id"])
    return ok(user=_user(request, agent, _subresources(request)))


async def _create_user(request: web.Request) -> web.Response:
    """POST /users: create a user (an agent that can log in), admins only."""
    ctx = request.app[CONTEXT]
    require_admin(current_agent(request))
    body = await read_json_object(request)
    username = text_field(body, "userName", required=True)
    password = text_field(body, "password", required=True)
    assert username is not None
    assert password is not None
    roles = _roles(body["roles"]) if "roles" in body else ["ROLE_AGENT"]
    if username in ctx.state.agents:
        fail(2, f"User {username} already exists")
    try:
        agent = SimAgent(
            username,
            password,
            first_name=text_field(body, "firstName") or "",
            last_name=text_field(body, "lastName") or "Simulated",
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
    prov = provisioning_of(request)
    prov.add_user(username)
    prov.first_login[username] = body.get("changePasswordOnFirstLogin") is True
    return ok(id=agent.user_id, uri=_user_uri(request, agent))


async def _post_user(request: web.Request) -> web.Response:
    """POST /users/{id}: ResetPassword / ChangePassword, or an update of the user."""
    body = await read_json_object(request)
    if "operationName" in body:
        return await request.app[CONTEXT].table(_USERS_OP).dispatch(request)
    require_admin(current_agent(request))
    agent = _find_user(request, request.match_info["user_id"])
    updates = {k: body[k] for k in ("firstName", "lastName", "password", "roles") if k in body}
    if not updates:
        fail(1, "Nothing to update")
    first = text_field(body, "firstName")
    last = text_field(body, "lastName")
    password = text_field(body, "password")
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
    return ok()


async def _delete_user(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    actor = current_agent(request)
    require_admin(actor)
    agent = _find_user(request, request.match_info["user_id"])
    if agent.username == actor.username:
        fail(2, "A user cannot delete itself")
    del ctx.state.agents[agent.username]
    ctx.state.presence.pop(agent.username, None)
    for sid in [s.id for s in ctx.state.http_sessions.values() if s.username == agent.username]:
        del ctx.state.http_sessions[sid]
    prov = provisioning_of(request)
    prov.user_skills.pop(agent.username, None)
    prov.first_login.pop(agent.username, None)
    return ok()


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
    provisioning_of(call.request).first_login[target.username] = False
    _notify_password(call, target, None)


async def _reset_password(call: OperationCall) -> web.Response:
    """ResetPassword on /users/{id} (admins only)."""
    require_admin(call.agent)
    target = _find_user(call.request, call.path_param("user_id"))
    new_password = _decode_password(call.body, "newPassword")
    _apply_password(call, target, new_password)
    return ok()


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
    return ok()


async def _get_user_skills(request: web.Request) -> web.Response:
    agent = _find_user(request, request.match_info["user_id"])
    skills = _user_skills(request, agent)
    if requested_fields(request) is None:
        base = f"{_user_uri(request, agent)}/skills"
        return ok(uris=[f"{base}/{s['id']}" for s in skills])
    return list_answer(request, "skills", skills, uris=False)


async def _get_user_skill(request: web.Request) -> web.Response:
    agent = _find_user(request, request.match_info["user_id"])
    wanted = request.match_info["skill_id"]
    for skill in _user_skills(request, agent):
        if skill["id"] == wanted:
            return ok(skill=skill)
    raise StatusError(6, f"Skill {wanted} is not assigned to user {agent.user_id}")
