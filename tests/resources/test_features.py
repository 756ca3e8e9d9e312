"""gws.features: the exact method, path, query and body sent (aioresponses)."""

from __future__ import annotations

import pytest

from gws_async import GwsClient
from gws_async.results import (
    Feature,
)
from tests.conftest import API, RestMock

ME = {"statusCode": 0, "user": {"id": "u1", "userName": "admin", "roles": ["ROLE_ADMIN"]}}
OK = {"statusCode": 0}
pytestmark = pytest.mark.mock_login(username="admin", me=ME)


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
