"""gws.workbins: the exact requests it sends (aioresponses)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gws_async import (
    GwsClient,
)
from tests.conftest import API, RestMock, body_of

WB = "VGVzdFdvcmtiaW4vUHJpdmF0ZVZpZXc="


async def test_workbin_list_and_content(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.get(
        f"{API}/me/workbins",
        payload={
            "status": 0,
            "workbins": [
                {
                    "workbinId": WB,
                    "active": 1,
                    "workbinName": "TestWorkbin",
                    "viewName": "TestWorkbin/PrivateView",
                    "workbinType": 1,
                }
            ],
        },
    )
    (workbin,) = await mock_gws.workbins.list()
    assert (workbin.workbin_id, workbin.workbin_name, workbin.active) == (WB, "TestWorkbin", 1)

    mock.get(
        re.compile(r".*/me/workbins/.*/interactions\?fields=\*$"),
        payload={
            "statusCode": 0,
            "interactions": [
                {
                    "InteractionId": "0000Aa8WRME43VG6",
                    "MediaType": "email",
                    "Mailbox": "saas54",
                    "Subject": "hello",
                    "WorkbinAgentId": "MaratTest",
                }
            ],
        },
    )
    (item,) = await mock_gws.workbins.get_content(WB)
    assert item.interaction_id == "0000Aa8WRME43VG6"
    assert item.media_type == "email"
    assert item.properties["Mailbox"] == "saas54"


async def test_add_sends_the_documented_request(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/me/workbins/{WB}/interactions"
    uri = f"{url}/0001"
    mock.post(url, payload={"status": 0, "uri": uri})
    result = await mock_gws.workbins.add(WB, "0001")
    assert result.uri == uri
    (call,) = mock.sent("POST", url)
    assert body_of(call) == {"interactionId": "0001"}
    assert call.kwargs["headers"]["Content-Type"] == "application/json"


async def test_pull_sends_the_item_uri(mock_gws: GwsClient, mock: RestMock) -> None:
    mock.post(f"{API}/me/interactions", payload={"status": 0})
    await mock_gws.workbins.pull(WB, "0001")
    (call,) = mock.sent("POST", f"{API}/me/interactions")
    assert body_of(call) == {
        "operationName": "PullInteractionFromWorkbin",
        "uri": f"{API}/me/workbins/{WB}/interactions/0001",
    }


@pytest.mark.parametrize(
    ("media", "operation"),
    [
        (None, "AddInteraction"),
        ("chat", "AddChat"),
        ("email", "AddEmail"),
        ("workitem", "AddWorkitem"),
        ("tweet", "AddTweet"),
        ("facebook", "AddFacebook"),
        ("facebooksession", "AddFacebooksession"),
        ("openmedia", "AddOpenmedia"),
    ],
)
async def test_group_add_operation_names(
    mock_gws: GwsClient, mock: RestMock, media: Any, operation: str
) -> None:
    url = f"{API}/me/workbins/wb-g?agentGroup=My+Group"
    mock.post(url, payload={"statusCode": 0, "referenceId": 16})
    result = await mock_gws.workbins.add_to_group(
        "wb-g", "0001BaBFVPR20035", agent_group="My Group", media=media, save_lar=True
    )
    assert result.reference_id == 16
    (call,) = mock.sent("POST", url)
    assert body_of(call) == {
        "operationName": operation,
        "id": "0001BaBFVPR20035",
        "saveLAR": "true",
    }


async def test_group_pull_place_group(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/me/workbins/wb-p?placeGroup=MyPlaceGroup"
    mock.post(url, payload={"statusCode": 0, "referenceId": 18})
    result = await mock_gws.workbins.pull_from_group(
        "wb-p", "i9", place_group="MyPlaceGroup", media="chat"
    )
    assert result.reference_id == 18
    (call,) = mock.sent("POST", url)
    assert body_of(call) == {"operationName": "PullChat", "id": "i9"}


async def test_pull_chat_from_any_workbin_with_nickname(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    url = f"{API}/workbins/3434543fafwe987"
    mock.post(url, payload={"statusCode": 0, "referenceId": 17})
    result = await mock_gws.workbins.pull_from_workbin(
        "3434543fafwe987", "FE79", media="chat", nickname="Ann"
    )
    assert result.reference_id == 17
    (call,) = mock.sent("POST", url)
    assert body_of(call) == {"operationName": "PullChat", "id": "FE79", "nickname": "Ann"}


@pytest.mark.parametrize(
    "call",
    [
        lambda g: g.workbins.add("", "i"),
        lambda g: g.workbins.add("wb", " "),
        lambda g: g.workbins.add_to_group("wb", "i"),
        lambda g: g.workbins.add_to_group("wb", "i", agent_group="a", place_group="p"),
        lambda g: g.workbins.add_to_group("wb", "i", agent_group="a", media="fax"),
        lambda g: g.workbins.pull_from_workbin("wb", "i", media="tweet"),
        lambda g: g.workbins.pull_from_workbin("wb", "i", nickname="Ann"),
        lambda g: g.workbins.subscribe(""),
    ],
)
async def test_bad_input_is_refused_before_anything_is_sent(
    mock_gws: GwsClient, mock: RestMock, call: Any
) -> None:
    before = mock.count()
    with pytest.raises(ValueError, match=r"empty|exactly one|media must|nickname"):
        await call(mock_gws)
    assert mock.count() == before
