"""The HTTP transport against recorded answers (aioresponses): Basic auth, CSRF,
re-login, error mapping, connection errors and timeouts, paths and bodies."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult
from yarl import URL

from gws_async import (
    AuthenticationError,
    CsrfTokenError,
    GwsApiError,
    GwsClient,
    GwsConnectionError,
    GwsTimeoutError,
    InternalServerError,
    InvalidResponseError,
    InvalidStateError,
    NotFoundError,
)
from tests.conftest import API, BASE, CSRF, RestMock, body_of

PASSWORD = "s3cr3t-Pa55"
ME = {"statusCode": 0, "user": {"id": "u1", "userName": "agent1", "firstName": "Ann"}}
WB = "VGVzdFdvcmtiaW4vUHJpdmF0ZVZpZXc="
pytestmark = pytest.mark.mock_login(password=PASSWORD, me=ME)


async def test_login_uses_basic_auth_and_learns_user(mock_gws: GwsClient, mock: RestMock) -> None:
    assert mock_gws.user is not None
    assert mock_gws.user.user_name == "agent1"
    (call,) = mock.sent("GET", f"{API}/me")
    expected = "Basic " + base64.b64encode(f"agent1:{PASSWORD}".encode()).decode()
    assert call.kwargs["headers"]["Authorization"] == expected


async def test_post_carries_the_csrf_token_learned_from_answers(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    url = f"{API}/me/workbins/{WB}"
    mock.post(url, payload={"status": 0, "referenceId": 3})
    result = await mock_gws.workbins.subscribe(WB)
    assert result.reference_id == 3
    (call,) = mock.sent("POST", url)
    assert call.kwargs["headers"]["X-CSRF-TOKEN"] == "tok-1"
    assert body_of(call) == {"operationName": "Subscribe"}


async def test_custom_csrf_header_name_is_honoured(mock: RestMock) -> None:
    mock.get(f"{API}/me", payload=ME, headers={"X-CSRF-HEADER": "X-XSRF", "X-CSRF-TOKEN": "t9"})
    mock.post(f"{API}/me/workbins/{WB}", payload={"status": 0})
    async with GwsClient(BASE, "agent1", PASSWORD) as gws:
        await gws.workbins.unsubscribe(WB)
    (call,) = mock.sent("POST", f"{API}/me/workbins/{WB}")
    assert call.kwargs["headers"]["X-XSRF"] == "t9"


async def test_stale_csrf_token_is_refreshed_and_retried_once(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    url = f"{API}/me/workbins/{WB}"
    refused = {"statusCode": 3, "statusMessage": "Missing or invalid Csrf token"}
    mock.post(url, status=403, payload=refused)
    mock.get(f"{API}/me", payload=ME, headers={**CSRF, "X-CSRF-TOKEN": "tok-2"})
    mock.post(url, payload={"status": 0})
    await mock_gws.workbins.subscribe(WB)
    first, second = mock.sent("POST", url)
    assert first.kwargs["headers"]["X-CSRF-TOKEN"] == "tok-1"
    assert second.kwargs["headers"]["X-CSRF-TOKEN"] == "tok-2"


async def test_csrf_refused_twice_raises(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/me/workbins/{WB}"
    refused = {"statusCode": 3, "statusMessage": "Missing or invalid Csrf token"}
    mock.post(url, status=403, payload=refused)
    mock.get(f"{API}/me", payload=ME, headers=CSRF)
    mock.post(url, status=403, payload=refused)
    with pytest.raises(CsrfTokenError):
        await mock_gws.workbins.subscribe(WB)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "cls", "text"),
    [
        (
            200,
            '{"statusCode": 2, "statusMessage": "not owned"}',
            "application/json",
            InvalidStateError,
            "not owned",
        ),
        (
            200,
            '{"status": "error", "errorDescription": "bad state"}',
            "application/json",
            None,
            "bad state",
        ),
        (
            200,
            '{"status": 6, "description": "no such workbin"}',
            "application/json",
            NotFoundError,
            "no such workbin",
        ),
        (
            502,
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "text/html",
            InternalServerError,
            "502 Bad Gateway",
        ),
        (200, "{not json", "application/json", InvalidResponseError, "not JSON"),
        (200, "[1, 2]", "application/json", InvalidResponseError, "list"),
    ],
)
async def test_failures_raise_typed_errors_naming_the_request(
    mock_gws: GwsClient,
    mock: RestMock,
    status: int,
    body: str,
    content_type: str,
    cls: type[GwsApiError] | None,
    text: str,
) -> None:
    url = f"{API}/me/workbins/{WB}/interactions"
    mock.post(url, status=status, body=body, content_type=content_type)
    with pytest.raises(GwsApiError) as info:
        await mock_gws.workbins.add(WB, "0001")
    if cls is not None:
        assert type(info.value) is cls
    message = str(info.value)
    assert message.startswith("AddInteractionToWorkbin: POST /api/v2/me/workbins/")
    assert f"HTTP {status}" in message
    assert text in message
    assert PASSWORD not in message
    assert "Basic " not in message


async def test_connection_error_and_timeout_are_their_own_branch(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    mock.get(f"{API}/me/workbins", exception=aiohttp.ClientConnectionError("refused"))
    with pytest.raises(GwsConnectionError) as info:
        await mock_gws.workbins.list()
    assert "GET /api/v2/me/workbins" in str(info.value)
    mock.get(f"{API}/me/workbins", exception=TimeoutError())
    with pytest.raises(GwsTimeoutError):
        await mock_gws.workbins.list()


async def test_path_segments_are_escaped(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/me/workbins/a%2Fb%3Fc=/interactions?fields=*"
    mock.get(url, payload={"statusCode": 0, "interactions": []})
    assert await mock_gws.workbins.get_content("a/b?c=") == []
    assert mock.sent("GET", url)


async def test_callback_sees_json_content(mock_gws: GwsClient, mock: RestMock) -> None:
    seen: list[Any] = []

    def record(url: URL, **kwargs: Any) -> CallbackResult:
        seen.append(json.loads(kwargs["data"]))
        return CallbackResult(payload={"statusCode": 0, "referenceId": 1})

    mock.post(f"{API}/me/workbins/wb?agentGroup=G", callback=record)
    await mock_gws.workbins.add_to_group("wb", "i", agent_group="G")
    assert seen == [{"operationName": "AddInteraction", "id": "i"}]


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "authorization",
        "Proxy-Authorization",
        "Cookie",
        "Host",
        "Content-Length",
        "Content-Type",
        "Transfer-Encoding",
        "Connection",
        "TE",
        "Upgrade",
        "X Bad",
        "X-Token\r\nX-Injected",
    ],
)
async def test_a_csrf_header_name_that_is_not_a_plain_custom_header_is_refused(
    mock: RestMock, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    evil = {"X-CSRF-HEADER": name, "X-CSRF-TOKEN": "Basic ZXZpbDpldmls"}
    mock.get(f"{API}/me", payload=ME, headers=evil)
    mock.post(f"{API}/me/workbins/{WB}", payload={"status": 0})
    async with GwsClient(BASE, "agent1", PASSWORD) as gws:
        await gws.workbins.unsubscribe(WB)
    (call,) = mock.sent("POST", f"{API}/me/workbins/{WB}")
    sent = call.kwargs["headers"]
    expected = "Basic " + base64.b64encode(f"agent1:{PASSWORD}".encode()).decode()
    assert sent["Authorization"] == expected
    assert "Basic ZXZpbDpldmls" not in sent.values()
    assert "not a plain custom header" in caplog.text


async def test_a_csrf_token_that_is_not_a_header_value_is_refused(mock: RestMock) -> None:
    # aiohttp's mock headers refuse a raw newline; check the transport's own rule directly.
    mock.get(f"{API}/me", payload=ME, headers=CSRF)
    async with GwsClient(BASE, "agent1", PASSWORD) as gws:
        transport = gws._transport
        generation = transport.login_generation
        transport.learn_csrf({"X-CSRF-TOKEN": "tok\r\nX-Evil: 1"}, generation)
        assert transport.csrf_headers() == {"X-CSRF-TOKEN": "tok-1"}


async def test_csrf_is_learned_only_from_the_configured_origin(mock_gws: GwsClient) -> None:
    transport = mock_gws._transport
    generation = transport.login_generation
    other = {"X-CSRF-HEADER": "X-Other", "X-CSRF-TOKEN": "other-token"}
    transport.learn_csrf(other, generation, URL("http://10.0.0.6:8090/api/v2/me"))
    transport.learn_csrf(other, generation, URL("https://10.0.0.5:8090/api/v2/me"))
    assert transport.csrf_headers() == {"X-CSRF-TOKEN": "tok-1"}
    transport.learn_csrf(other, generation, URL(f"{API}/me/workbins"))
    assert transport.csrf_headers() == {"X-Other": "other-token"}


async def test_a_raw_download_logs_in_again_after_a_401(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    url = f"{API}/me/interactions/i1/attachments/a1"
    mock.get(url, status=401, body="")
    mock.get(f"{API}/me", payload=ME, headers={**CSRF, "X-CSRF-TOKEN": "tok-2"})
    mock.get(url, body=b"%PDF-1.4", content_type="application/pdf")
    content = await mock_gws.interactions.attachments.download("i1", "a1")
    assert content.data == b"%PDF-1.4"
    assert len(mock.sent("GET", url)) == 2
    assert len(mock.sent("GET", f"{API}/me")) == 2
    assert mock_gws._transport.csrf_headers() == {"X-CSRF-TOKEN": "tok-2"}


async def test_a_raw_download_refused_twice_raises(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{API}/me/interactions/i1/attachments/a1"
    mock.get(url, status=401, body="")
    mock.get(f"{API}/me", payload=ME, headers=CSRF)
    mock.get(url, status=401, body="")
    with pytest.raises(AuthenticationError, match="GetAttachment"):
        await mock_gws.interactions.attachments.download("i1", "a1")
    assert len(mock.sent("GET", url)) == 2
