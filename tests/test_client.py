"""GwsClient itself: construction, the lifecycle of its session, session ownership."""

from __future__ import annotations

import aiohttp
import pytest

from gws_async import (
    AuthenticationError,
    GwsClient,
)
from tests.conftest import API, BASE, CSRF, RestMock

PASSWORD = "s3cr3t-Pa55"
ME = {"statusCode": 0, "user": {"id": "u1", "userName": "agent1", "firstName": "Ann"}}


async def test_failed_login_raises_and_closes_the_owned_session(mock: RestMock) -> None:
    mock.get(f"{API}/me", status=401, body="Unauthorized")
    client = GwsClient(BASE, "agent1", PASSWORD)
    with pytest.raises(AuthenticationError) as info:
        await client.open()
    assert client.session.closed
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in repr(info.value)
    assert PASSWORD not in repr(client)


def test_constructor_refuses_credentials_in_the_url() -> None:
    with pytest.raises(ValueError, match="credentials"):
        GwsClient("http://agent1:pw@gws:8090", "agent1", "pw")
    with pytest.raises(ValueError, match="http"):
        GwsClient("gws:8090", "agent1", "pw")


async def test_injected_session_is_left_open(mock: RestMock) -> None:
    mock.get(f"{API}/me", payload=ME, headers=CSRF)
    async with aiohttp.ClientSession() as session:
        async with GwsClient(BASE, "agent1", PASSWORD, session=session) as gws:
            assert gws.session is session
        assert not session.closed
