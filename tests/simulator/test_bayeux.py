"""The simulator's Bayeux server: handshake, subscriptions, held and superseded
connects, expired and idle sessions, protocol errors and raw pushes."""

from __future__ import annotations

import asyncio
import time

import pytest

from gws_async.simulator import GwsSimulator
from tests.simulator._raw import FAST, TEST_WORKBIN, WORKBINS_TOPIC, RawAgent, signed_in

pytestmark = FAST


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
