"""The simulator's server: Basic authentication, the session cookie and CSRF token,
failure injection, stop and restart, custom agents and workbins, the pytest fixture and
``serve``."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import pytest

from gws_async.simulator import GwsSimulator, SimAgent, SimWorkbin, serve
from tests.simulator._raw import FAST, TEST_WORKBIN, RawAgent, basic, signed_in

pytestmark = FAST


async def test_rejects_missing_and_wrong_credentials(sim: GwsSimulator) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for headers in ({}, basic("agent1", "nope"), basic("x", "y"), {"Authorization": "Basic !"}):
            async with http.get(sim.api_url + "/me", headers=headers) as resp:
                assert resp.status == 401
                assert resp.headers["WWW-Authenticate"] == 'Basic realm="GWS"'
                assert "Set-Cookie" not in resp.headers
                text = await resp.text()
                assert await resp.json() == {
                    "statusCode": 3,
                    "statusMessage": "Authentication failed",
                }
                assert "nope" not in text


async def test_session_cookie_and_csrf_headers(sim: GwsSimulator) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        auth = basic("agent1", "password1")
        async with http.get(sim.api_url + "/me", headers=auth) as resp:
            assert resp.status == 200
            assert resp.content_type == "application/json"
            cookie = resp.cookies["JSESSIONID"]
            assert cookie["path"] == "/"
            assert cookie["httponly"]
            assert resp.headers["X-CSRF-HEADER"] == "X-CSRF-TOKEN"
            token = resp.headers["X-CSRF-TOKEN"]
        # The session cookie alone authenticates, and keeps the same token.
        async with http.get(sim.api_url + "/me/workbins") as resp:
            assert resp.status == 200
            assert resp.headers["X-CSRF-TOKEN"] == token
            assert "Set-Cookie" not in resp.headers
        subscribe = {"operationName": "Subscribe"}
        url = f"{sim.api_url}/me/workbins/{TEST_WORKBIN}"
        for headers in ({}, {"X-CSRF-TOKEN": "forged"}):
            async with http.post(url, json=subscribe, headers=headers) as resp:
                assert resp.status == 403
                assert await resp.json() == {
                    "statusCode": 3,
                    "statusMessage": "Missing or invalid Csrf token",
                }
        async with http.post(url, json=subscribe, headers={"X-CSRF-TOKEN": token}) as resp:
            assert resp.status == 200
    # Basic auth without a cookie opens a new session with a new token, so a first POST fails.
    async with (
        aiohttp.ClientSession(headers=auth) as http,
        http.post(url, json=subscribe, headers={"X-CSRF-TOKEN": token}) as resp,
    ):
        assert resp.status == 403
        assert resp.headers["X-CSRF-TOKEN"] != token
        assert "JSESSIONID" in resp.cookies


async def test_csrf_can_be_disabled() -> None:
    async with (
        GwsSimulator(csrf=False) as sim,
        aiohttp.ClientSession(headers=basic("agent2", "password2")) as http,
    ):
        url = f"{sim.api_url}/me/workbins/{TEST_WORKBIN}"
        async with http.post(url, json={"operationName": "Subscribe"}) as resp:
            assert resp.status == 200
            assert "X-CSRF-TOKEN" not in resp.headers
            assert (await resp.json())["status"] == 0


async def test_fail_next(sim: GwsSimulator, agent1: RawAgent) -> None:
    sim.fail_next(2)
    for _ in range(2):
        async with agent1.http.get(sim.api_url + "/me") as resp:
            assert resp.status == 500
            assert resp.content_type == "text/html"
            assert await resp.text() == "<html><body><h1>502 Bad Gateway</h1></body></html>"
    assert (await agent1.get("/me"))[0] == 200

    sim.fail_next(
        1,
        status=503,
        body='{"oops": 1}',
        content_type="application/json",
        path_prefix="/api/v2/notifications",
    )
    assert (await agent1.get("/me"))[0] == 200
    status, body = await agent1.bayeux({"channel": "/meta/handshake"})
    assert (status, body) == (503, {"oops": 1})
    status, _ = await agent1.bayeux({"channel": "/meta/handshake"})
    assert status == 200
    assert ("GET", "/api/v2/me") in sim.requests
    assert sim.requests[-1] == ("POST", "/api/v2/notifications")


async def test_stop_answers_held_connect_promptly() -> None:
    sim = GwsSimulator(long_poll_timeout=30.0)
    await sim.start()
    async with signed_in(sim) as agent:
        _, replies = await agent.bayeux({"channel": "/meta/handshake"})
        agent.client_id = replies[0]["clientId"]
        await agent.connect()
        held = asyncio.create_task(agent.connect())
        await asyncio.sleep(0.1)
        assert not held.done()
        started = time.monotonic()
        await sim.stop()
        assert time.monotonic() - started < 1.0
        status, replies = await asyncio.wait_for(held, 1.0)
        assert status == 200
        assert replies[-1]["channel"] == "/meta/connect"
    await sim.stop()  # idempotent


async def test_restart_keeps_state_and_port(sim: GwsSimulator, agent1: RawAgent) -> None:
    iid = sim.create_interaction("agent1")
    await agent1.handshake()
    url = sim.url
    await sim.stop()
    with pytest.raises(RuntimeError):
        _ = sim.url
    await sim.start()
    assert sim.url == url
    assert iid in sim.state.interactions
    _, replies = await agent1.connect()
    assert replies[0]["error"] == "402::Unknown client"


async def test_custom_agents_and_workbins() -> None:
    agents = [SimAgent("ann", "secret", agent_groups=["Sales"], place_groups=[])]
    workbins = [
        SimWorkbin.personal("Drafts"),
        SimWorkbin("sales-bin", "SalesBin", agent_group="Sales"),
    ]
    async with GwsSimulator(agents, workbins=workbins, api_root="/gws/api/") as sim:
        assert sim.api_url == f"{sim.url}/gws/api"
        assert "secret" not in repr(agents[0])
        async with signed_in(sim, "ann", "secret") as ann:
            _, body = await ann.get("/me/workbins")
            assert [w["workbinName"] for w in body["workbins"]] == ["Drafts"]
            iid = sim.put_in_workbin("ann", "sales-bin", media="twitter")
            _, body = await ann.get("/me/workbins/sales-bin/interactions", fields="*")
            assert body["interactions"][0]["InteractionId"] == iid
            _, body = await ann.post(
                "/me/workbins/sales-bin",
                {"operationName": "PullTweet", "id": iid},
                agentGroup="Sales",
            )
            assert body["statusCode"] == 0


async def test_pytest_plugin_fixture(gws_simulator: GwsSimulator) -> None:
    # The fixture comes from the plugin registered through the pytest11 entry point.
    async with signed_in(gws_simulator, "agent2", "password2") as agent:
        _, replies = await agent.bayeux({"channel": "/meta/handshake"})
        assert replies[0]["advice"]["timeout"] == 5000


async def test_serve_logs_and_runs_until_cancelled(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gws_async.simulator")
    task = asyncio.create_task(serve("127.0.0.1", 0))
    for _ in range(100):
        if any("listening" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.01)
    message = next(r.getMessage() for r in caplog.records if "listening" in r.getMessage())
    assert message.startswith("GWS simulator listening on http://127.0.0.1:")
    assert message.endswith("/api/v2")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
