"""gws.recordings: the filters sent and the answers read (aioresponses)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from gws_async import GwsClient
from gws_async.results import (
    Recording,
)
from tests.conftest import API, RestMock

ME = {"statusCode": 0, "user": {"id": "u1", "userName": "admin", "roles": ["ROLE_ADMIN"]}}
pytestmark = pytest.mark.mock_login(username="admin", me=ME)


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
