"""Provisioning and settings REST calls: exact method, path, query and body sent."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

import pytest

from gws_async import GwsClient, NotFoundError, PermissionDeniedError
from gws_async.results import (
    AgentStateDefinition,
    Contact,
    Feature,
    GeneralSettings,
    Recording,
    RoutingTemplate,
    SettingsGroup,
    Skill,
    User,
)
from tests.conftest import API, RestMock, body_of

ME = {"statusCode": 0, "user": {"id": "u1", "userName": "admin", "roles": ["ROLE_ADMIN"]}}
UID = "5804abe284374b5bb0a18f57f5c9043d"
OK = {"statusCode": 0}

pytestmark = pytest.mark.mock_login(username="admin", me=ME)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# -- users ----------------------------------------------------------------------------------


async def test_users_list_sends_fields_and_subresources(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    url = f"{API}/users?fields=*&subresources=skills,devices"
    user = {"id": UID, "userName": "a", "skills": [{"id": "s1", "level": "3"}]}
    mock.get(url, payload={"statusCode": 0, "users": [user]})
    users = await mock_gws.users.list(subresources=("skills", "devices"))
    assert isinstance(users[0], User)
    assert users[0].skills[0].level == "3"
    assert body_of(mock.only_call("GET", url, any_query_order=True)) is None


async def test_users_list_uris(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.get(f"{API}/users", payload={"statusCode": 0, "uris": [f"{API}/users/{UID}"]})
    assert await mock_gws.users.list_uris() == [f"{API}/users/{UID}"]
    mock.only_call("GET", f"{API}/users", any_query_order=True)


async def test_users_get_with_all_subresources(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/users/{UID}?subresources=*"
    mock.get(url, payload={"statusCode": 0, "user": {"id": UID, "userName": "a"}})
    user = await mock_gws.users.get(UID, subresources="*")
    assert user.id == UID
    mock.only_call("GET", url, any_query_order=True)


async def test_users_get_without_subresources(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.get(f"{API}/users/{UID}", payload={"statusCode": 0, "user": {"id": UID}})
    assert (await mock_gws.users.get(UID)).id == UID


@pytest.mark.parametrize("bad", ["skills", (), ("skills,devices",), ("",)])
async def test_users_get_rejects_untyped_subresources(
    mock_gws: GwsClient, mock: RestMock, bad: Any
) -> None:
    with pytest.raises(ValueError, match="subresources"):
        await mock_gws.users.get(UID, subresources=bad)
    assert mock.sent_nothing_but_login()


async def test_users_create(mock_gws: GwsClient, mock: RestMock) -> None:
    answer = {"statusCode": 0, "id": "12345", "uri": f"{API}/users/12345"}
    mock.post(f"{API}/users", payload=answer)
    result = await mock_gws.users.create(
        "new@example.com",
        "pw1",
        first_name="New",
        last_name="User",
        roles=["ROLE_AGENT", "ROLE_ADMIN"],
        change_password_on_first_login=True,
    )
    assert (result.id, result.uri) == ("12345", f"{API}/users/12345")
    call = mock.only_call("POST", f"{API}/users", any_query_order=True)
    assert body_of(call) == {
        "userName": "new@example.com",
        "password": "pw1",
        "roles": ["ROLE_AGENT", "ROLE_ADMIN"],
        "firstName": "New",
        "lastName": "User",
        "changePasswordOnFirstLogin": True,
    }
    assert call.kwargs["headers"]["X-CSRF-TOKEN"] == "tok-1"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("", "pw"), {}, "user_name"),
        (("u", ""), {}, "password"),
        (("u", "pw"), {"roles": ["ROLE_BOSS"]}, "roles"),
        (("u", "pw"), {"roles": "ROLE_ADMIN"}, "roles"),
    ],
)
async def test_users_create_checks_inputs(
    mock_gws: GwsClient, mock: RestMock, args: Any, kwargs: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await mock_gws.users.create(*args, **kwargs)
    assert mock.sent_nothing_but_login()


async def test_users_update(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.post(f"{API}/users/{UID}", payload=OK)
    await mock_gws.users.update(UID, first_name="Ann", roles=["ROLE_AGENT"])
    call = mock.only_call("POST", f"{API}/users/{UID}", any_query_order=True)
    assert body_of(call) == {"firstName": "Ann", "roles": ["ROLE_AGENT"]}


async def test_users_update_needs_something(mock_gws: GwsClient, mock: RestMock) -> None:
    with pytest.raises(ValueError, match="nothing to update"):
        await mock_gws.users.update(UID)
    with pytest.raises(ValueError, match="user_id"):
        await mock_gws.users.update(" ", first_name="x")
    assert mock.sent_nothing_but_login()


async def test_users_delete(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.delete(f"{API}/users/{UID}", payload=OK)
    result = await mock_gws.users.delete(UID)
    assert result.status_code == 0
    assert body_of(mock.only_call("DELETE", f"{API}/users/{UID}", any_query_order=True)) is None


async def test_users_reset_password_encodes_base64(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.post(f"{API}/users/{UID}", payload=OK)
    await mock_gws.users.reset_password(UID, "1")
    call = mock.only_call("POST", f"{API}/users/{UID}", any_query_order=True)
    # The spec's sample: "1" is sent as "MQ==".
    assert body_of(call) == {"operationName": "ResetPassword", "newPassword": "MQ=="}


async def test_users_change_password_encodes_both(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.post(f"{API}/users/{UID}", payload=OK)
    await mock_gws.users.change_password(UID, "1", "2")
    call = mock.only_call("POST", f"{API}/users/{UID}", any_query_order=True)
    assert body_of(call) == {
        "operationName": "ChangePassword",
        "oldPassword": "MQ==",
        "newPassword": "Mg==",
    }


async def test_password_operations_check_inputs(mock_gws: GwsClient, mock: RestMock) -> None:
    with pytest.raises(ValueError, match="new_password"):
        await mock_gws.users.reset_password(UID, "")
    with pytest.raises(ValueError, match="old_password"):
        await mock_gws.users.change_password(UID, "", "x")
    with pytest.raises(ValueError, match="user_id"):
        await mock_gws.users.reset_password("", "x")
    assert mock.sent_nothing_but_login()


async def test_permission_denied_is_typed(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.post(f"{API}/users/{UID}", payload={"statusCode": 5, "statusMessage": "no"})
    with pytest.raises(PermissionDeniedError):
        await mock_gws.users.reset_password(UID, "x")


async def test_user_skills(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/users/{UID}/skills?fields=*"
    mock.get(url, payload={"statusCode": 0, "skills": [{"id": "s1", "name": "English"}]})
    skills = await mock_gws.users.list_skills(UID)
    assert skills == [Skill(id="s1", name="English")]
    mock.only_call("GET", url, any_query_order=True)


async def test_user_skill_uris(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/users/{UID}/skills"
    mock.get(url, payload={"statusCode": 0, "uris": [f"{url}/s1"]})
    assert await mock_gws.users.list_skill_uris(UID) == [f"{url}/s1"]


async def test_user_skill(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/users/{UID}/skills/a%2Fb"
    mock.get(url, payload={"statusCode": 0, "skill": {"id": "a/b", "level": "5"}})
    skill = await mock_gws.users.get_skill(UID, "a/b")
    assert skill.level == "5"
    mock.only_call("GET", url, any_query_order=True)


# -- skills ---------------------------------------------------------------------------------


async def test_skills_list_with_a_field_list(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/skills?fields=id,name"
    mock.get(url, payload={"statusCode": 0, "skills": [{"id": "s1", "name": "Might"}]})
    assert (await mock_gws.skills.list(fields=["id", "name"]))[0].name == "Might"
    mock.only_call("GET", url, any_query_order=True)


async def test_skills_list_uris_and_get(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.get(f"{API}/skills", payload={"statusCode": 0, "uris": [f"{API}/skills/s1"]})
    mock.get(f"{API}/skills/s1", payload={"statusCode": 0, "skill": {"id": "s1"}})
    assert await mock_gws.skills.list_uris() == [f"{API}/skills/s1"]
    assert (await mock_gws.skills.get("s1")).id == "s1"
    mock.get(f"{API}/skills/s2", payload={"statusCode": 6, "statusMessage": "not found"})
    with pytest.raises(NotFoundError):
        await mock_gws.skills.get("s2")


# -- contacts -------------------------------------------------------------------------------


async def test_contacts_list_sends_the_filters(mock_gws: GwsClient, mock: RestMock) -> None:
    url = (
        f"{API}/contacts?type=User&firstName=Joe&lastName=Johnson&userName=joej"
        "&phoneNumber=5001&employeeId=e1&fields=*"
    )
    contact = {"id": "c1", "type": "User", "firstName": "Joe"}
    mock.get(url, payload={"statusCode": 0, "contacts": [contact]})
    contacts = await mock_gws.contacts.list(
        type="User",
        first_name="Joe",
        last_name="Johnson",
        user_name="joej",
        phone_number="5001",
        employee_id="e1",
    )
    assert contacts == [Contact(id="c1", type="User", first_name="Joe")]
    mock.only_call("GET", url, any_query_order=True)


async def test_contacts_list_checks_filters(mock_gws: GwsClient, mock: RestMock) -> None:
    with pytest.raises(ValueError, match="type"):
        await mock_gws.contacts.list(type="Robot")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name"):
        await mock_gws.contacts.list(name=" ")
    assert mock.sent_nothing_but_login()


async def test_contacts_list_uris(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.get(f"{API}/contacts", payload={"statusCode": 0, "uris": [f"{API}/contacts/c1"]})
    assert await mock_gws.contacts.list_uris() == [f"{API}/contacts/c1"]


async def test_contacts_create_is_custom(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.post(f"{API}/contacts", payload={"statusCode": 0, "id": "c9", "uri": "u"})
    result = await mock_gws.contacts.create("Some Contact", "650-555-0100")
    assert result.id == "c9"
    call = mock.only_call("POST", f"{API}/contacts", any_query_order=True)
    assert body_of(call) == {
        "name": "Some Contact",
        "type": "Custom",
        "phoneNumber": "650-555-0100",
    }


async def test_contacts_update_and_delete(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.put(f"{API}/contacts/c9", payload=OK)
    mock.delete(f"{API}/contacts/c9", payload=OK)
    await mock_gws.contacts.update("c9", phone_number="5555")
    assert body_of(mock.only_call("PUT", f"{API}/contacts/c9", any_query_order=True)) == {
        "phoneNumber": "5555"
    }
    await mock_gws.contacts.delete("c9")
    mock.only_call("DELETE", f"{API}/contacts/c9", any_query_order=True)


async def test_contacts_writes_check_inputs(mock_gws: GwsClient, mock: RestMock) -> None:
    with pytest.raises(ValueError, match="name"):
        await mock_gws.contacts.create("", "1")
    with pytest.raises(ValueError, match="nothing to update"):
        await mock_gws.contacts.update("c9")
    with pytest.raises(ValueError, match="contact_id"):
        await mock_gws.contacts.delete("")
    assert mock.sent_nothing_but_login()


# -- features -------------------------------------------------------------------------------


async def test_features(mock_gws: GwsClient, mock: RestMock) -> None:
    feature = {"id": "api-voice", "displayName": "Voice", "description": "d"}
    mock.get(f"{API}/features?fields=*", payload={"statusCode": 0, "features": [feature]})
    mock.get(f"{API}/features", payload={"statusCode": 0, "uris": [f"{API}/features/api-voice"]})
    mock.get(f"{API}/features/api-voice", payload={"statusCode": 0, "feature": feature})
    mock.delete(f"{API}/features/api-voice", payload=OK)
    mock.get(f"{API}/system/features?fields=*", payload={"statusCode": 0, "features": [feature]})
    mock.get(f"{API}/system/features", payload={"statusCode": 0, "uris": ["x"]})
    expected = Feature(id="api-voice", display_name="Voice", description="d")
    assert await mock_gws.features.list() == [expected]
    assert await mock_gws.features.list_uris() == [f"{API}/features/api-voice"]
    assert await mock_gws.features.get("api-voice") == expected
    assert (await mock_gws.features.delete("api-voice")).status_code == 0
    assert await mock_gws.features.system_features() == [expected]
    assert await mock_gws.features.system_feature_uris() == ["x"]
    mock.only_call("DELETE", f"{API}/features/api-voice", any_query_order=True)


# -- settings -------------------------------------------------------------------------------


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


# -- recordings -----------------------------------------------------------------------------


async def test_recordings_sends_every_filter(mock_gws: GwsClient, mock: RestMock) -> None:
    url = (
        f"{API}/recordings?startTime=2024-01-15T09:00:00.000Z&endTime=2024-01-15T10:30:00.250Z"
        "&callerPhoneNumber=%2B16505550100&dialedPhoneNumber=5001&userName=agent1"
        "&offset=1&limit=2"
    )
    recording = {"id": "r1", "userName": "agent1", "duration": 60}
    mock.get(url, payload={"statusCode": 0, "recordings": [recording]})
    recordings = await mock_gws.recordings.list(
        start_time=datetime(2024, 1, 15, 9, 0, tzinfo=timezone.utc),
        end_time=datetime(2024, 1, 15, 10, 30, 0, 250000),
        caller_phone_number="+16505550100",
        dialed_phone_number="5001",
        user_name="agent1",
        offset=1,
        limit=2,
    )
    assert recordings == [Recording(id="r1", user_name="agent1", duration=60)]
    mock.only_call("GET", url, any_query_order=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"offset": -1}, "offset"),
        ({"limit": 0}, "limit"),
        ({"user_name": ""}, "user_name"),
        (
            {
                "start_time": datetime(2024, 2, 1, tzinfo=timezone.utc),
                "end_time": datetime(2024, 1, 1, tzinfo=timezone.utc),
            },
            "after",
        ),
    ],
)
async def test_recordings_checks_inputs(
    mock_gws: GwsClient, mock: RestMock, kwargs: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await mock_gws.recordings.list(**kwargs)
    assert mock.sent_nothing_but_login()
