"""The GWS simulator, driven with a raw aiohttp client over a real loopback port."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from gws_async.simulator import GwsSimulator, SimAgent, SimWorkbin, serve

TEST_WORKBIN = base64.b64encode(b"TestWorkbin/PrivateView").decode()
AGENT_GROUP_WORKBIN = "6c715fa9-de16-4d23-b07c-cbcb1caf3e07"
PLACE_GROUP_WORKBIN = "5d487e69-a393-4228-a06f-6a4015ab1b54"
WORKBINS_TOPIC = "/v2/me/workbins"
INTERACTIONS_TOPIC = "/v2/me/interactions"

pytestmark = pytest.mark.simulator(long_poll_timeout=1.0, max_interval=5.0)


class RawAgent:
    """A signed-in agent speaking raw HTTP and Bayeux to the simulator."""

    def __init__(self, sim: GwsSimulator, http: aiohttp.ClientSession, token: str) -> None:
        self.sim = sim
        self.http = http
        self.token = token
        self.client_id = ""
        self._ids = 0

    async def get(self, path: str, **params: str) -> tuple[int, Any]:
        async with self.http.get(self.sim.api_url + path, params=params) as resp:
            return resp.status, await resp.json()

    async def post(self, path: str, body: Any, **params: str) -> tuple[int, Any]:
        headers = {"X-CSRF-TOKEN": self.token}
        url = self.sim.api_url + path
        async with self.http.post(url, json=body, params=params, headers=headers) as resp:
            return resp.status, await resp.json()

    async def bayeux(self, *messages: dict[str, Any], suffix: str = "") -> tuple[int, Any]:
        batch = []
        for message in messages:
            self._ids += 1
            batch.append({"id": str(self._ids), **message})
        headers = {"X-CSRF-TOKEN": self.token}
        url = self.sim.cometd_url + suffix
        async with self.http.post(url, json=batch, headers=headers) as resp:
            return resp.status, await resp.json()

    async def handshake(self, *subscriptions: str) -> None:
        _, replies = await self.bayeux(
            {
                "channel": "/meta/handshake",
                "version": "1.0",
                "supportedConnectionTypes": ["long-polling"],
            }
        )
        self.client_id = replies[0]["clientId"]
        if subscriptions:
            _, replies = await self.bayeux(
                {
                    "channel": "/meta/subscribe",
                    "clientId": self.client_id,
                    "subscription": list(subscriptions),
                }
            )
            assert replies[0]["successful"] is True
        # The first connect after the handshake returns at once.
        _, replies = await self.connect()
        assert replies == [
            {
                "channel": "/meta/connect",
                "id": str(self._ids),
                "successful": True,
                "advice": {"reconnect": "retry", "interval": 0, "timeout": 1000},
            }
        ]

    async def connect(self) -> tuple[int, Any]:
        return await self.bayeux(
            {
                "channel": "/meta/connect",
                "clientId": self.client_id,
                "connectionType": "long-polling",
            }
        )

    async def subscribe_workbin(self, workbin_id: str) -> int:
        status, body = await self.post(f"/me/workbins/{workbin_id}", {"operationName": "Subscribe"})
        assert status == 200
        assert body["status"] == 0
        return int(body["referenceId"])


def basic(username: str, password: str) -> dict[str, str]:
    """An ``Authorization: Basic`` header, built by hand to stay independent of aiohttp."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def data_of(replies: list[dict[str, Any]]) -> list[Any]:
    """The ``data`` of the data messages of a Bayeux reply."""
    return [m["data"] for m in replies if not m["channel"].startswith("/meta/")]


@contextlib.asynccontextmanager
async def signed_in(
    sim: GwsSimulator, username: str = "agent1", password: str = "password1"
) -> AsyncIterator[RawAgent]:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(headers=basic(username, password), cookie_jar=jar) as http:
        async with http.get(sim.api_url + "/me") as resp:
            assert resp.status == 200
            token = resp.headers["X-CSRF-TOKEN"]
        yield RawAgent(sim, http, token)


@pytest.fixture
async def agent1(sim: GwsSimulator) -> AsyncIterator[RawAgent]:
    async with signed_in(sim) as agent:
        yield agent


@pytest.fixture
async def agent2(sim: GwsSimulator) -> AsyncIterator[RawAgent]:
    async with signed_in(sim, "agent2", "password2") as agent:
        yield agent


# -- authentication and CSRF ------------------------------------------------------------------


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


# -- /me ---------------------------------------------------------------------------------------


async def test_get_me(agent1: RawAgent) -> None:
    status, body = await agent1.get("/me")
    assert status == 200
    user = body["user"]
    assert body["statusCode"] == 0
    assert user["userName"] == "agent1"
    assert user["roles"] == ["ROLE_AGENT"]
    assert user["employeeId"] == "agent1"
    assert len(user["id"]) == 32
    assert "devices" not in user
    assert {"firstName", "lastName"} <= user.keys()

    _, body = await agent1.get("/me", subresources="*")
    user = body["user"]
    assert user["devices"][0]["userState"]["state"] == "NotReady"
    assert [c["channel"] for c in user["channels"]] == ["chat", "email"]
    assert user["channels"][0]["userState"]["displayName"] == "Not Ready"


async def test_my_interactions(sim: GwsSimulator, agent1: RawAgent) -> None:
    iid = sim.create_interaction("agent1", media="email", user_data={"Subject": "hi"})
    sim.create_interaction("agent2")
    _, body = await agent1.get("/me/interactions")
    assert body == {"statusCode": 0, "uris": [f"{sim.api_url}/me/interactions/{iid}"]}
    _, body = await agent1.get("/me/interactions", fields="*")
    assert body == {
        "statusCode": 0,
        "interactions": [
            {
                "id": iid,
                "channel": "email",
                "state": "Accepted",
                "interactionType": "Inbound",
                "interactionSubType": "InboundNew",
                "capabilities": [
                    "Transfer",
                    "PlaceInQueue",
                    "StopProcessing",
                    "PlaceInWorkbin",
                    "UpdateProperties",
                    "Reply",
                    "ReplyAll",
                ],
                "userData": {"Subject": "hi"},
                "currentQueue": "SimpleEmailInQueue",
                "email_object": {"interactionId": iid},
            }
        ],
    }


# -- workbins ----------------------------------------------------------------------------------


async def test_get_workbin_types_info(agent1: RawAgent) -> None:
    status, body = await agent1.get("/me/workbins")
    assert status == 200
    assert body["status"] == 0
    assert body["workbins"][0] == {
        "workbinId": "VGVzdFdvcmtiaW4vUHJpdmF0ZVZpZXc=",
        "active": 1,
        "workbinName": "TestWorkbin",
        "viewName": "TestWorkbin/PrivateView",
        "workbinType": 1,
    }
    assert [w["workbinName"] for w in body["workbins"]] == [
        "TestWorkbin",
        "FacebookWorkbinDraft",
        "FacebookWorkbinInProgress",
        "TwitterWorkbinDraft",
        "TwitterWorkbinInProgress",
    ]


async def test_add_get_content_and_pull(sim: GwsSimulator, agent1: RawAgent) -> None:
    iid = sim.create_interaction("agent1", user_data={"Subject": "Customer support"})
    path = f"/me/workbins/{TEST_WORKBIN}/interactions"
    uri = f"{sim.api_url}{path}/{iid}"

    status, body = await agent1.post(path, {"interactionId": iid})
    assert (status, body) == (200, {"status": 0, "uri": uri, "referenceId": 1})
    assert sim.state.interactions[iid].state == "Queued"
    assert sim.state.interactions[iid].owner is None

    _, body = await agent1.get(path)
    assert body == {"statusCode": 0, "uris": [uri]}
    _, body = await agent1.get(path, fields="*")
    (item,) = body["interactions"]
    assert item["InteractionId"] == iid
    assert item["MediaType"] == "chat"
    assert item["Workbin"] == "TestWorkbin"
    assert item["WorkbinAgentId"] == "agent1"
    assert item["Queue"] == "TestWorkbin/PrivateQueue"
    assert item["Subject"] == "Customer support"
    assert {"InteractionType", "InteractionSubtype", "ReceivedAt"} <= item.keys()
    _, body = await agent1.get(path, fields="InteractionId,Subject")
    expected = [{"InteractionId": iid, "Subject": "Customer support"}]
    assert body == {"statusCode": 0, "interactions": expected}

    body_in = {"operationName": "PullInteractionFromWorkbin", "uri": uri}
    status, body = await agent1.post("/me/interactions", body_in)
    assert (status, body) == (200, {"status": 0, "referenceId": 2})
    assert sim.state.interactions[iid].owner == "agent1"
    assert sim.state.interactions[iid].state == "Pulled"
    _, body = await agent1.get(path)
    assert body == {"statusCode": 0, "uris": []}


async def test_status_code_errors(sim: GwsSimulator, agent1: RawAgent) -> None:
    mine = sim.create_interaction("agent1")
    theirs = sim.create_interaction("agent2")
    in_agent2_bin = sim.put_in_workbin("agent2", TEST_WORKBIN)
    path = f"/me/workbins/{TEST_WORKBIN}/interactions"
    missing = await agent1.post(path, {})
    assert missing == (200, {"statusCode": 1, "statusMessage": "interactionId is required"})
    unknown = await agent1.post(path, {"interactionId": "nope"})
    assert unknown == (200, {"statusCode": 6, "statusMessage": "Interaction nope not found"})
    status, body = await agent1.post(path, {"interactionId": theirs})
    assert (status, body["statusCode"]) == (200, 2)
    status, body = await agent1.get("/me/workbins/bm9wZQ==/interactions")
    assert (status, body) == (200, {"statusCode": 6, "statusMessage": "Workbin bm9wZQ== not found"})
    status, body = await agent1.post("/me/interactions", {"operationName": "Dance"})
    assert (status, body["statusCode"]) == (200, 1)
    assert body["statusMessage"].startswith("Unknown operation Dance")
    status, body = await agent1.post("/me/interactions", {"uri": "x"})
    assert (status, body["statusCode"]) == (200, 1)
    pull = {"operationName": "PullInteractionFromWorkbin"}
    assert (await agent1.post("/me/interactions", pull))[1]["statusCode"] == 1
    uri = f"{sim.api_url}{path}/{in_agent2_bin}"
    assert (await agent1.post("/me/interactions", {**pull, "uri": uri}))[1]["statusCode"] == 2
    uri = f"{sim.api_url}{path}/{mine}"
    assert (await agent1.post("/me/interactions", {**pull, "uri": uri}))[1]["statusCode"] == 2
    assert (await agent1.post("/me/interactions", {**pull, "uri": "a/b"}))[1]["statusCode"] == 2

    async with agent1.http.post(
        agent1.sim.api_url + path, data=b"{not json", headers={"X-CSRF-TOKEN": agent1.token}
    ) as resp:
        assert resp.status == 400
        assert (await resp.json())["statusCode"] == 1
    assert await agent1.get("/no/such/thing") == (
        404,
        {"statusCode": 6, "statusMessage": "Not found"},
    )


async def test_group_workbin_add_and_pull(
    sim: GwsSimulator, agent1: RawAgent, agent2: RawAgent
) -> None:
    await agent1.handshake(WORKBINS_TOPIC, INTERACTIONS_TOPIC)
    await agent2.handshake(WORKBINS_TOPIC, INTERACTIONS_TOPIC)
    await agent1.subscribe_workbin(AGENT_GROUP_WORKBIN)
    await agent2.subscribe_workbin(AGENT_GROUP_WORKBIN)
    for agent in (agent1, agent2):
        _, replies = await agent.connect()
        assert data_of(replies)[0]["messageType"] == "WorkbinSubscriptionStateChangeMessage"

    iid = sim.create_interaction("agent1", user_data={"Subject": "TestChatCustomer"})
    path = f"/me/workbins/{AGENT_GROUP_WORKBIN}"
    mismatch = await agent1.post(
        path, {"operationName": "AddEmail", "id": iid}, agentGroup="MyAgentGroup"
    )
    assert mismatch[1]["statusCode"] == 2
    wrong = await agent1.post(
        path, {"operationName": "AddChat", "id": iid}, placeGroup="MyPlaceGroup"
    )
    assert wrong[1]["statusCode"] == 2
    unknown = await agent1.post(path, {"operationName": "AddChat", "id": iid}, agentGroup="Nobody")
    assert unknown[1]["statusCode"] == 6
    no_group = await agent1.post(path, {"operationName": "AddChat", "id": iid})
    assert no_group[1]["statusCode"] == 1

    add = {"operationName": "AddChat", "id": iid, "saveLAR": "true"}
    status, body = await agent1.post(path, add, agentGroup="MyAgentGroup")
    assert (status, body) == (200, {"statusCode": 0, "referenceId": body["referenceId"]})
    reference_id = body["referenceId"]
    for agent in (agent1, agent2):
        _, replies = await agent.connect()
        (event,) = data_of(replies)
        assert event["messageType"] == "WorkbinStateChangeMessage"
        assert event["action"] == "ItemAdded"
        assert event["agentGroup"] == "MyAgentGroup"
        assert event["id"] == AGENT_GROUP_WORKBIN
        assert event["referenceId"] == reference_id
        resource = event["chatStateResourceV2"]
        assert resource["id"] == iid
        assert resource["chatType"] == "Inbound"
        assert resource["capabilities"] == []
        assert resource["participants"] == []
        assert resource["userData"] == {"Subject": "TestChatCustomer"}

    # agent2 sees the group workbin's content and pulls the chat.
    _, body = await agent2.get(f"{path}/interactions", fields="*")
    assert body["interactions"][0]["WorkbinGroupId"] == "MyAgentGroup"
    status, body = await agent2.post(
        path, {"operationName": "PullChat", "id": iid}, agentGroup="MyAgentGroup"
    )
    assert body == {"statusCode": 0, "referenceId": reference_id + 1}
    _, replies = await agent2.connect()
    removed, pulled = data_of(replies)
    assert removed["action"] == "ItemRemoved"
    assert removed["referenceId"] == reference_id + 1
    assert pulled["messageType"] == "InteractionStateMessage"
    assert pulled["state"] == "Pulled"
    assert pulled["id"] == iid
    assert pulled["referenceId"] == reference_id + 1
    _, replies = await agent1.connect()
    assert [e["action"] for e in data_of(replies)] == ["ItemRemoved"]
    assert sim.state.interactions[iid].owner == "agent2"


async def test_place_group_workbin(sim: GwsSimulator, agent1: RawAgent) -> None:
    await agent1.handshake(WORKBINS_TOPIC)
    await agent1.subscribe_workbin(PLACE_GROUP_WORKBIN)
    iid = sim.create_interaction("agent1", media="email")
    path = f"/me/workbins/{PLACE_GROUP_WORKBIN}"
    _, body = await agent1.post(
        path, {"operationName": "AddEmail", "id": iid}, placeGroup="MyPlaceGroup"
    )
    assert body["statusCode"] == 0
    _, replies = await agent1.connect()
    event = data_of(replies)[-1]
    assert event["placeGroup"] == "MyPlaceGroup"
    assert event["emailStateResourceV2"]["emailType"] == "Inbound"
    assert "agentGroup" not in event


async def test_pull_from_workbin_endpoint(sim: GwsSimulator, agent1: RawAgent) -> None:
    await agent1.handshake(INTERACTIONS_TOPIC)
    chat = sim.put_in_workbin("agent1", TEST_WORKBIN, media="chat")
    workitem = sim.put_in_workbin("agent1", AGENT_GROUP_WORKBIN, media="workitem")
    path = f"/workbins/{TEST_WORKBIN}"
    _, body = await agent1.post(path, {"operationName": "PullEmail", "id": chat})
    assert body["statusCode"] == 2
    _, body = await agent1.post(path, {"operationName": "PullTweet", "id": chat})
    assert body["statusCode"] == 1
    status, body = await agent1.post(
        path, {"operationName": "PullChat", "id": chat, "nickname": "Ann"}
    )
    reference_id = body["referenceId"]
    assert (status, body) == (200, {"statusCode": 0, "referenceId": reference_id})
    _, replies = await agent1.connect()
    (pulled,) = data_of(replies)
    assert pulled["state"] == "Pulled"
    assert pulled["referenceId"] == reference_id
    (joined,) = pulled["chat_notifications"]
    assert joined["MessageType"] == "PARTY_JOINED"
    assert joined["NickName"] == "Ann"
    assert joined["UserType"] == "Agent"

    path = f"/workbins/{AGENT_GROUP_WORKBIN}"
    _, body = await agent1.post(path, {"operationName": "PullWorkitem", "id": workitem})
    _, replies = await agent1.connect()
    (changed,) = data_of(replies)
    assert changed["messageType"] == "WorkitemStateChangeMessage"
    assert changed["notificationType"] == "StatusChange"
    assert changed["referenceId"] == body["referenceId"]
    assert changed["workitem"]["state"] == "Processing"
    assert changed["workitem"]["id"] == workitem
    assert "Complete" in changed["workitem"]["capabilities"]


# -- Bayeux ------------------------------------------------------------------------------------


async def test_bayeux_cycle_delivers_item_added(sim: GwsSimulator, agent1: RawAgent) -> None:
    status, replies = await agent1.bayeux(
        {
            "channel": "/meta/handshake",
            "version": "1.0",
            "supportedConnectionTypes": ["long-polling"],
        },
        suffix="/handshake",
    )
    assert status == 200
    (handshake,) = replies
    client_id = handshake.pop("clientId")
    assert handshake == {
        "channel": "/meta/handshake",
        "id": "1",
        "successful": True,
        "version": "1.0",
        "supportedConnectionTypes": ["long-polling"],
        "advice": {"reconnect": "retry", "interval": 0, "timeout": 1000, "maxInterval": 5000},
    }
    agent1.client_id = client_id
    _, replies = await agent1.bayeux(
        {"channel": "/meta/subscribe", "clientId": client_id, "subscription": WORKBINS_TOPIC}
    )
    assert replies == [
        {
            "channel": "/meta/subscribe",
            "id": "2",
            "successful": True,
            "subscription": WORKBINS_TOPIC,
        }
    ]
    _, replies = await agent1.connect()
    assert replies[0]["successful"] is True

    subscribed = await agent1.subscribe_workbin(TEST_WORKBIN)
    iid = sim.create_interaction("agent1")
    path = f"/me/workbins/{TEST_WORKBIN}/interactions"
    _, body = await agent1.post(path, {"interactionId": iid})
    _, replies = await agent1.connect()
    assert replies[-1] == {
        "channel": "/meta/connect",
        "id": "4",
        "successful": True,
        "advice": {"reconnect": "retry", "interval": 0, "timeout": 1000},
    }
    subscription, added = replies[:-1]
    assert subscription["channel"] == WORKBINS_TOPIC
    assert subscription["data"] == {
        "messageType": "WorkbinSubscriptionStateChangeMessage",
        "stateResource": "Subscribed",
        "id": TEST_WORKBIN,
        "workbinUserId": sim.state.agents["agent1"].user_id,
        "referenceId": subscribed,
    }
    assert added["channel"] == WORKBINS_TOPIC
    assert isinstance(added["id"], str)
    event = added["data"]
    assert event["action"] == "ItemAdded"
    assert event["referenceId"] == body["referenceId"]
    assert event["workbinAgentId"] == "agent1"
    assert event["chatStateResourceV2"]["id"] == iid


async def test_personal_workbin_events_need_a_workbin_subscription(
    sim: GwsSimulator, agent1: RawAgent
) -> None:
    await agent1.handshake(WORKBINS_TOPIC)
    sim.put_in_workbin("agent1", TEST_WORKBIN)  # not subscribed to the workbin: no event
    await agent1.subscribe_workbin(TEST_WORKBIN)
    sim.put_in_workbin("agent2", TEST_WORKBIN)  # another agent's copy: no event
    iid = sim.put_in_workbin("agent1", TEST_WORKBIN)
    _, replies = await agent1.connect()
    subscribed, added = data_of(replies)
    assert subscribed["stateResource"] == "Subscribed"
    assert added["chatStateResourceV2"]["id"] == iid
    assert "referenceId" not in added


async def test_connect_is_held_until_a_notification(sim: GwsSimulator, agent1: RawAgent) -> None:
    await agent1.handshake("/v2/me/*")
    connect = asyncio.create_task(agent1.connect())
    await asyncio.sleep(0.2)
    assert not connect.done()
    started = time.monotonic()
    assert sim.push("agent1", "/v2/me/calls", {"anything": [1, 2]}) == 1
    assert sim.push("agent1", "/v2/other", {"not": "subscribed"}) == 0
    _, replies = await connect
    assert time.monotonic() - started < 0.5
    assert replies[0]["channel"] == "/v2/me/calls"
    assert replies[0]["data"] == {"anything": [1, 2]}
    assert replies[1]["channel"] == "/meta/connect"
    assert len(replies) == 2


async def test_connect_times_out_empty(agent1: RawAgent) -> None:
    await agent1.handshake("/**")
    started = time.monotonic()
    _, replies = await agent1.connect()
    assert 0.9 < time.monotonic() - started < 2.0
    assert [r["channel"] for r in replies] == ["/meta/connect"]
    assert replies[0]["successful"] is True


async def test_new_connect_supersedes_held_one(sim: GwsSimulator, agent1: RawAgent) -> None:
    await agent1.handshake(WORKBINS_TOPIC)
    first = asyncio.create_task(agent1.connect())
    await asyncio.sleep(0.1)
    second = asyncio.create_task(agent1.connect())
    _, replies = await asyncio.wait_for(first, 0.5)
    assert [r["channel"] for r in replies] == ["/meta/connect"]
    sim.push("agent1", WORKBINS_TOPIC, "not even an object")
    _, replies = await asyncio.wait_for(second, 0.5)
    assert replies[0]["data"] == "not even an object"


async def test_expired_session_gets_402(sim: GwsSimulator, agent1: RawAgent) -> None:
    await agent1.handshake(WORKBINS_TOPIC)
    held = asyncio.create_task(agent1.connect())
    await asyncio.sleep(0.1)
    assert sim.expire_bayeux_sessions("agent2") == 0
    assert sim.expire_bayeux_sessions("agent1") == 1
    _, replies = await asyncio.wait_for(held, 0.5)
    (reply,) = replies
    assert reply["successful"] is False
    assert reply["error"] == "402::Unknown client"
    assert reply["advice"] == {"reconnect": "handshake", "interval": 0}
    _, replies = await agent1.connect()
    assert replies[0]["error"] == "402::Unknown client"
    _, replies = await agent1.bayeux(
        {"channel": "/meta/subscribe", "clientId": agent1.client_id, "subscription": "/a"}
    )
    assert replies[0]["error"] == "402::Unknown client"


async def test_idle_sessions_are_swept() -> None:
    async with (
        GwsSimulator(long_poll_timeout=1.0, max_interval=0.2) as sim,
        signed_in(sim) as agent,
    ):
        await agent.handshake()
        await asyncio.sleep(0.5)
        _, replies = await agent.connect()
        assert replies[0]["error"] == "402::Unknown client"


async def test_bayeux_protocol_errors(
    sim: GwsSimulator, agent1: RawAgent, agent2: RawAgent
) -> None:
    await agent1.handshake()
    cid = agent1.client_id
    status, replies = await agent1.bayeux(
        {"channel": "/meta/subscribe", "clientId": cid, "subscription": "/meta/connect"},
        {"channel": "/v2/me/workbins", "clientId": cid, "data": {}},
        {"channel": "/meta/subscribe", "clientId": cid},
        {"channel": "/meta/unsubscribe", "clientId": cid, "subscription": ["/a", "/b"]},
    )
    assert status == 200
    assert [r["id"] for r in replies] == ["3", "4", "5", "6"]
    assert replies[0]["error"] == "403:/meta/connect:denied"
    assert replies[0]["subscription"] == "/meta/connect"
    assert replies[1] == {
        "channel": "/v2/me/workbins",
        "id": "4",
        "successful": False,
        "error": "403::Publish denied",
    }
    assert replies[2]["successful"] is False
    assert replies[3] == {
        "channel": "/meta/unsubscribe",
        "id": "6",
        "successful": True,
        "subscription": ["/a", "/b"],
    }
    # Another agent cannot use agent1's clientId.
    agent2.client_id = cid
    _, replies = await agent2.connect()
    assert replies[0]["error"] == "402::Unknown client"

    for raw in (b"not json", b'[{"id": "1"}]', b"[]", b'"text"'):
        url = agent1.sim.cometd_url
        async with agent1.http.post(url, data=raw, headers={"X-CSRF-TOKEN": agent1.token}) as resp:
            assert resp.status == 400
            body = await resp.json()
            assert body[0]["successful"] is False
            assert body[0]["error"] == "400::bad message"
    async with agent1.http.post(
        agent1.sim.cometd_url, json=[{"channel": "/meta/handshake"}]
    ) as resp:
        assert resp.status == 403

    _, replies = await agent1.bayeux({"channel": "/meta/disconnect", "clientId": cid})
    assert replies[0]["successful"] is True
    _, replies = await agent1.connect()
    assert replies[0]["error"] == "402::Unknown client"


async def test_push_raw_delivers_as_is(sim: GwsSimulator, agent1: RawAgent) -> None:
    await agent1.handshake()
    assert sim.push_raw("agent1", {"data": {"no": "channel"}}) == 1
    sim.push_raw("agent1", {"channel": WORKBINS_TOPIC, "data": [1, 2, 3]})
    _, replies = await agent1.connect()
    assert replies[:2] == [
        {"data": {"no": "channel"}},
        {"channel": WORKBINS_TOPIC, "data": [1, 2, 3]},
    ]
    with pytest.raises(KeyError):
        sim.push("nobody", WORKBINS_TOPIC, {})
    with pytest.raises(TypeError):
        sim.push("agent1", WORKBINS_TOPIC, object())


# -- failure injection, lifecycle --------------------------------------------------------------


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
