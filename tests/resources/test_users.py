"""gws.users: the exact method, path, query and body sent (aioresponses)."""

from __future__ import annotations

from typing import Any

import pytest

from gws_async import GwsClient, PermissionDeniedError
from gws_async.results import (
    Skill,
    User,
)
from tests.conftest import API, RestMock, body_of

ME = {"statusCode": 0, "user": {"id": "u1", "userName": "admin", "roles": ["ROLE_ADMIN"]}}
UID = "5804abe284374b5bb0a18f57f5c9043d"
OK = {"statusCode": 0}
pytestmark = pytest.mark.mock_login(username="admin", me=ME)


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
