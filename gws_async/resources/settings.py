"""Settings groups, agent state definitions and routing templates (spec section "Settings")."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Literal, get_args

from ..results import (
    AgentStateDefinition,
    GeneralSettings,
    OperationResult,
    RoutingTemplate,
    SettingsGroup,
)
from ._base import Resource
from ._query import Fields, fields_param, require, validated

__all__ = ["AgentStateKind", "SettingsResource", "WorkMode"]

#: The T-Server states a custom agent state can map to.
AgentStateKind = Literal["Ready", "NotReady"]
#: After-call work modes; which ones apply depends on the state (see :data:`WORK_MODES`).
WorkMode = Literal[
    "ManualIn",
    "AutoIn",
    "ReturnBack",
    "AfterCallWork",
    "AuxWork",
    "LegalGuard",
    "NoCallDisconnect",
    "WalkAway",
]
#: The work modes the spec allows for each state.
WORK_MODES: Mapping[str, frozenset[str]] = {
    "Ready": frozenset({"ManualIn", "AutoIn", "ReturnBack"}),
    "NotReady": frozenset(
        {"AfterCallWork", "AuxWork", "LegalGuard", "NoCallDisconnect", "WalkAway"}
    ),
}
_STATES: frozenset[str] = frozenset(get_args(AgentStateKind))
_ALL_WORK_MODES: frozenset[str] = frozenset(get_args(WorkMode))
_AGENT_STATES = "/settings/agent-states"


def _check_state(state: str | None, work_mode: str | None) -> None:
    if state is not None and state not in _STATES:
        raise ValueError(f"state must be one of {sorted(_STATES)}, got {state!r}")
    if work_mode is None:
        return
    if work_mode not in _ALL_WORK_MODES:
        raise ValueError(f"work_mode must be one of {sorted(_ALL_WORK_MODES)}, got {work_mode!r}")
    if state is not None and work_mode not in WORK_MODES[state]:
        raise ValueError(f"work_mode {work_mode!r} does not apply to state {state!r}")


class SettingsResource(Resource):
    """``/settings`` groups: ``general-settings`` and ``agent-states`` (keyed by
    ``operationName``), plus the system's routing templates."""

    async def list(self) -> builtins.list[SettingsGroup]:
        """The settings groups of the contact center (``GET /settings``, admins)."""
        return await self._list("/settings", "settings", SettingsGroup, operation="GetSettings")

    async def general(self) -> GeneralSettings:
        """The ``general-settings`` group (``GET /settings/general-settings``)."""
        body = await self._transport.request(
            "GET", "/settings/general-settings", operation="GetGeneralSettings"
        )
        settings: Any = body.get("settings", body)
        # Unlike the other singular resources, this group may come as a one-item list.
        if isinstance(settings, builtins.list):
            settings = settings[0] if settings else {}
        return self._read(
            lambda: validated(GeneralSettings, settings, "settings"),
            "GET",
            "/settings/general-settings",
            operation="GetGeneralSettings",
        )

    async def agent_states(self) -> builtins.list[AgentStateDefinition]:
        """Every agent state definition (``GET /settings/agent-states``)."""
        return await self._list(
            _AGENT_STATES, "settings", AgentStateDefinition, operation="GetAgentStates"
        )

    async def create_agent_state(
        self,
        operation_name: str,
        display_name: str,
        state: AgentStateKind,
        *,
        work_mode: WorkMode | None = None,
        reason: str | None = None,
    ) -> OperationResult:
        """Define a custom agent state (``POST /settings/agent-states``), e.g.
        ``("OutToLunch", "Not Ready - Out to lunch", "NotReady", reason="OutToLunch")``."""
        _check_state(state, work_mode)
        body: dict[str, Any] = {
            "operationName": require(operation_name, "operation_name"),
            "displayName": require(display_name, "display_name"),
            "state": state,
        }
        if work_mode is not None:
            body["workMode"] = work_mode
        if reason is not None:
            body["reason"] = require(reason, "reason")
        return await self._perform(
            "POST", _AGENT_STATES, json_body=body, operation="CreateAgentState"
        )

    async def update_agent_state(
        self,
        operation_name: str,
        *,
        display_name: str | None = None,
        state: AgentStateKind | None = None,
        work_mode: WorkMode | None = None,
        reason: str | None = None,
    ) -> OperationResult:
        """Modify a custom agent state found by its ``operationName`` (``PUT
        /settings/agent-states``); the five built-in states are read-only."""
        _check_state(state, work_mode)
        body: dict[str, Any] = {"operationName": require(operation_name, "operation_name")}
        if display_name is not None:
            body["displayName"] = require(display_name, "display_name")
        if state is not None:
            body["state"] = state
        if work_mode is not None:
            body["workMode"] = work_mode
        if reason is not None:
            body["reason"] = require(reason, "reason")
        if len(body) == 1:
            raise ValueError("nothing to update")
        return await self._perform(
            "PUT", _AGENT_STATES, json_body=body, operation="UpdateAgentState"
        )

    async def delete_agent_state(self, operation_name: str) -> OperationResult:
        """Remove a custom agent state (``DELETE /settings/agent-states`` with its
        ``operationName``)."""
        return await self._perform(
            "DELETE",
            _AGENT_STATES,
            json_body={"operationName": require(operation_name, "operation_name")},
            operation="DeleteAgentState",
        )

    async def routing_templates(
        self, *, channel: str | None = None, version: str | None = None, fields: Fields = "*"
    ) -> builtins.list[RoutingTemplate]:
        """The routing templates of the system (``GET /system/routing-templates``),
        optionally only those of a ``channel`` (e.g. ``"voice"``) and ``version``."""
        params = fields_param(fields)
        if channel is not None:
            params["channel"] = require(channel, "channel")
        if version is not None:
            params["version"] = require(version, "version")
        return await self._list(
            "/system/routing-templates",
            "routingTemplates",
            RoutingTemplate,
            params=params,
            operation="GetRoutingTemplates",
        )
