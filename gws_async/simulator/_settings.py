"""Settings: the settings groups, general settings, agent state definitions and the
routing templates (spec section "Settings").
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from ._common import SimContext, api_url, current_agent, fail, list_answer, read_json_object
from ._provisioning import (
    ProvisioningState,
    ok,
    provisioning_of,
    require_admin,
    text_field,
)

__all__ = ["setup"]

_WORK_MODES: dict[str, frozenset[str]] = {
    "Ready": frozenset({"ManualIn", "AutoIn", "ReturnBack"}),
    "NotReady": frozenset(
        {"AfterCallWork", "AuxWork", "LegalGuard", "NoCallDisconnect", "WalkAway"}
    ),
}
_AGENT_STATE_FIELDS = ("operationName", "displayName", "state", "workMode", "reason")


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the ``/settings`` and ``/system/routing-templates`` routes."""
    root = ctx.api_root
    router = app.router
    router.add_get(f"{root}/system/routing-templates", _get_routing_templates)
    router.add_get(f"{root}/settings", _get_settings)
    router.add_get(f"{root}/settings/general-settings", _get_general_settings)
    router.add_get(f"{root}/settings/agent-states", _get_agent_states)
    router.add_post(f"{root}/settings/agent-states", _create_agent_state)
    router.add_put(f"{root}/settings/agent-states", _update_agent_state)
    router.add_delete(f"{root}/settings/agent-states", _delete_agent_state)


async def _get_settings(request: web.Request) -> web.Response:
    require_admin(current_agent(request))
    api = api_url(request)
    groups = [
        {"displayName": "General", "uri": f"{api}/settings/general-settings"},
        {"displayName": "Agent States", "uri": f"{api}/settings/agent-states"},
    ]
    return ok(settings=groups)


async def _get_general_settings(request: web.Request) -> web.Response:
    return ok(settings=[dict(provisioning_of(request).general)])


async def _get_agent_states(request: web.Request) -> web.Response:
    states = [dict(s) for s in provisioning_of(request).agent_states.values()]
    return ok(key="operationName", settings=states)


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
    require_admin(current_agent(request))
    body = await read_json_object(request)
    for key in ("operationName", "displayName", "state"):
        text_field(body, key, required=True)
    definition = {k: body[k] for k in _AGENT_STATE_FIELDS if body.get(k) is not None}
    _check_agent_state(definition)
    prov = provisioning_of(request)
    if definition["operationName"] in prov.agent_states:
        fail(2, f"Agent state {definition['operationName']} already exists")
    _check_reason_unique(prov, definition)
    state_id = str(uuid.uuid4()).upper()
    prov.agent_states[definition["operationName"]] = {"id": state_id, **definition}
    return ok(id=state_id, uri=f"{api_url(request)}/settings/agent-states")


def _custom_agent_state(request: web.Request, body: dict[str, Any]) -> dict[str, str]:
    name = text_field(body, "operationName") or request.query.get("operationName")
    if not name:
        fail(1, "operationName is required")
    prov = provisioning_of(request)
    if name not in prov.agent_states:
        fail(6, f"Agent state {name} not found")
    if prov.is_read_only(name):
        fail(3, f"Agent state {name} is read-only")
    return prov.agent_states[name]


async def _update_agent_state(request: web.Request) -> web.Response:
    require_admin(current_agent(request))
    body = await read_json_object(request)
    current = _custom_agent_state(request, body)
    changes = {k: body[k] for k in _AGENT_STATE_FIELDS[1:] if k in body}
    if not changes:
        fail(1, "Nothing to update")
    updated = {**current, **changes}
    updated = {k: v for k, v in updated.items() if v is not None}
    _check_agent_state(updated)
    _check_reason_unique(provisioning_of(request), updated)
    current.clear()
    current.update(updated)
    return ok()


async def _delete_agent_state(request: web.Request) -> web.Response:
    require_admin(current_agent(request))
    body = await read_json_object(request)
    current = _custom_agent_state(request, body)
    del provisioning_of(request).agent_states[current["operationName"]]
    return ok()


async def _get_routing_templates(request: web.Request) -> web.Response:
    channel = request.query.get("channel")
    version = request.query.get("version")
    base = f"{api_url(request)}/system/routing-templates"
    templates = [
        {**t, "uri": f"{base}/{t['id']}"}
        for t in provisioning_of(request).routing_templates
        if (channel is None or t["channel"].lower() == channel.lower())
        and (version is None or t["version"] == version)
    ]
    return list_answer(request, "routingTemplates", templates, uris=True)
