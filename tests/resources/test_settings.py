"""gws.settings: groups, agent states and routing templates (aioresponses)."""

from __future__ import annotations

from typing import Any

import pytest

from gws_async import GwsClient
from gws_async.results import (
    AgentStateDefinition,
    GeneralSettings,
    RoutingTemplate,
    SettingsGroup,
)
from tests.conftest import API, RestMock, body_of

ME = {"statusCode": 0, "user": {"id": "u1", "userName": "admin", "roles": ["ROLE_ADMIN"]}}
OK = {"statusCode": 0}
pytestmark = pytest.mark.mock_login(username="admin", me=ME)


async def test_settings_groups_and_general(mock_gws: GwsClient, mock: RestMock) -> None:
    group = {"displayName": "Agent States", "uri": f"{API}/settings/agent-states"}
    mock.get(f"{API}/settings", payload={"settings": [group]})
    general = {"countryCode": "US", "countryDigits": "1", "countryName": "United States"}
    mock.get(f"{API}/settings/general-settings", payload={"statusCode": 0, "settings": [general]})
    (listed,) = await mock_gws.settings.list()
    assert listed == SettingsGroup(display_name="Agent States", uri=group["uri"])
    assert listed.name == "agent-states"
    assert await mock_gws.settings.general() == GeneralSettings(
        country_code="US", country_digits="1", country_name="United States"
    )


async def test_agent_states_list(mock_gws: GwsClient, mock: RestMock) -> None:
    ready = {"displayName": "Ready", "id": "9430", "operationName": "Ready", "state": "Ready"}
    answer = {"key": "operationName", "settings": [ready], "statusCode": 0}
    mock.get(f"{API}/settings/agent-states", payload=answer)
    (state,) = await mock_gws.settings.agent_states()
    assert state == AgentStateDefinition(
        operation_name="Ready", display_name="Ready", id="9430", state="Ready"
    )


async def test_agent_state_create_update_delete(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/settings/agent-states"
    mock.post(url, payload={"statusCode": 0, "id": "X"})
    mock.put(url, payload=OK)
    mock.delete(url, payload=OK)
    await mock_gws.settings.create_agent_state(
        "OutToLunch", "Not Ready - Out to lunch", "NotReady", reason="OutToLunch"
    )
    assert body_of(mock.only_call("POST", url, any_query_order=True)) == {
        "operationName": "OutToLunch",
        "displayName": "Not Ready - Out to lunch",
        "state": "NotReady",
        "reason": "OutToLunch",
    }
    await mock_gws.settings.update_agent_state("OutToLunch", display_name="Not Ready - Lunch!")
    assert body_of(mock.only_call("PUT", url, any_query_order=True)) == {
        "operationName": "OutToLunch",
        "displayName": "Not Ready - Lunch!",
    }
    await mock_gws.settings.delete_agent_state("OutToLunch")
    assert body_of(mock.only_call("DELETE", url, any_query_order=True)) == {
        "operationName": "OutToLunch"
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"state": "Busy"}, "state"),
        ({"state": "Ready", "work_mode": "AuxWork"}, "does not apply"),
        ({"state": "NotReady", "work_mode": "Nap"}, "work_mode"),
        ({"state": "Ready", "reason": ""}, "reason"),
    ],
)
async def test_agent_state_create_checks_inputs(
    mock_gws: GwsClient, mock: RestMock, kwargs: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await mock_gws.settings.create_agent_state("Op", "Display", **kwargs)
    assert mock.sent_nothing_but_login()


async def test_agent_state_update_and_delete_check_inputs(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    with pytest.raises(ValueError, match="nothing to update"):
        await mock_gws.settings.update_agent_state("OutToLunch")
    with pytest.raises(ValueError, match="operation_name"):
        await mock_gws.settings.delete_agent_state("")
    assert mock.sent_nothing_but_login()


async def test_routing_templates(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/system/routing-templates?fields=*&channel=voice&version=1.0"
    template = {"id": "t1", "name": "Basic", "channel": "voice", "version": "1.0"}
    mock.get(url, payload={"statusCode": 0, "routingTemplates": [template]})
    templates = await mock_gws.settings.routing_templates(channel="voice", version="1.0")
    assert templates == [RoutingTemplate(id="t1", name="Basic", channel="voice", version="1.0")]
    mock.only_call("GET", url, any_query_order=True)
