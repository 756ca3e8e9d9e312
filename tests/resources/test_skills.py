"""gws.skills: the exact method, path, query and body sent (aioresponses)."""

from __future__ import annotations

import pytest

from gws_async import GwsClient, NotFoundError
from tests.conftest import API, RestMock

ME = {"statusCode": 0, "user": {"id": "u1", "userName": "admin", "roles": ["ROLE_ADMIN"]}}
pytestmark = pytest.mark.mock_login(username="admin", me=ME)


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
