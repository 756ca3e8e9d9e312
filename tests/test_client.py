"""GwsClient itself: construction, the lifecycle of its session, session ownership."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest

from gws_async import (
    AuthenticationError,
    ClientStateError,
    GwsClient,
    GwsError,
    NotFoundError,
    _transport,
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


@pytest.mark.parametrize(
    ("username", "password", "error", "match"),
    [
        ("agent1", None, TypeError, "password must be a str"),
        ("agent1", b"pw", TypeError, "password must be a str"),
        (b"agent1", "pw", TypeError, "username must be a str"),
        (None, "pw", TypeError, "username must be a str"),
        ("", "pw", ValueError, "username is empty"),
        ("dom:agent1", "pw", ValueError, "':'"),
    ],
)
def test_constructor_validates_the_credentials(
    username: Any, password: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        GwsClient(BASE, username, password)


def test_a_base_url_path_is_a_context_path_prefix() -> None:
    gws = GwsClient("http://10.0.0.5:8090/gws/", "agent1", PASSWORD)
    assert str(gws.api_url) == "http://10.0.0.5:8090/gws/api/v2"
    assert str(gws.cometd_url) == "http://10.0.0.5:8090/gws/api/v2/notifications"
    custom = GwsClient(
        "http://10.0.0.5:8090/ctx", "agent1", PASSWORD, cometd_path="/genesys/cometd"
    )
    assert str(custom.cometd_url) == "http://10.0.0.5:8090/ctx/genesys/cometd"
    with pytest.raises(ValueError, match="query"):
        GwsClient("http://10.0.0.5:8090/gws?x=1", "agent1", PASSWORD)
    with pytest.raises(ValueError, match="fragment"):
        GwsClient("http://10.0.0.5:8090/#top", "agent1", PASSWORD)


async def test_requests_go_under_the_context_path(mock: RestMock) -> None:
    mock.get(f"{BASE}/gws/api/v2/me", payload=ME, headers=CSRF)
    mock.get(f"{BASE}/gws/api/v2/me/workbins", status=404, payload={"statusCode": 6})
    async with GwsClient(f"{BASE}/gws", "agent1", PASSWORD) as gws:
        with pytest.raises(NotFoundError, match="GET /gws/api/v2/me/workbins"):
            await gws.workbins.list()


def test_plain_http_warns_once_per_origin(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_transport, "_warned_plain_http", set())  # once per process
    caplog.set_level(logging.WARNING, logger="gws_async.http")
    for _ in range(2):
        GwsClient("http://192.0.2.10:8090", "agent1", PASSWORD)
    GwsClient("http://192.0.2.10:8091/gws", "agent1", PASSWORD)
    GwsClient("https://192.0.2.10:8443", "agent1", PASSWORD)
    GwsClient("http://127.0.0.1:8090", "agent1", PASSWORD)  # loopback: no network crossed
    GwsClient("http://localhost:8090", "agent1", PASSWORD)
    warned = [r.getMessage() for r in caplog.records if "clear text" in r.getMessage()]
    assert warned == [
        f"{origin} is plain HTTP: the password (Basic auth) and the session cookie cross "
        "the network in clear text; use https://"
        for origin in ("http://192.0.2.10:8090", "http://192.0.2.10:8091")
    ]
    assert all(PASSWORD not in message for message in warned)


async def test_a_closed_client_cannot_be_used_or_reopened(mock: RestMock) -> None:
    mock.get(f"{API}/me", payload=ME, headers=CSRF)
    async with GwsClient(BASE, "agent1", PASSWORD) as gws:
        with pytest.raises(ClientStateError, match="already open"):
            await gws.open()
        with pytest.raises(ClientStateError, match="already open"):
            async with gws:
                pass
        assert not gws.session.closed  # the refused second entry closed nothing
    for use in (gws.me.get(), gws.workbins.list(), gws.subscribe(), gws.open()):
        with pytest.raises(ClientStateError, match="closed") as info:
            await use
        assert isinstance(info.value, GwsError)
        assert isinstance(info.value, RuntimeError)
    assert len(mock.sent("GET", f"{API}/me")) == 1  # logged in once


async def test_a_client_that_was_never_opened_says_so(mock: RestMock) -> None:
    gws = GwsClient(BASE, "agent1", PASSWORD)
    with pytest.raises(ClientStateError, match="not open"):
        await gws.workbins.list()
    assert mock.count() == 0
