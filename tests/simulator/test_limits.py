"""The simulator's limits: attachment size, JSON nesting, and memory that Bayeux sessions
leave behind. Hostile input gets a GWS-style 4xx, never a 500 with a logged traceback."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from gws_async.simulator import GwsSimulator
from tests.simulator._raw import signed_in

MiB = 1024 * 1024
LIMIT = 64 * 1024


class Agent:
    """agent1 signed in, speaking raw HTTP to the simulator."""

    def __init__(self, sim: GwsSimulator, http: aiohttp.ClientSession, token: str) -> None:
        self.sim = sim
        self.http = http
        self.token = token

    async def post(self, url: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {"X-CSRF-TOKEN": self.token, **kwargs.pop("headers", {})}
        async with self.http.post(url, headers=headers, **kwargs) as resp:
            return resp.status, await resp.json()

    async def upload(self, iid: str, data: Any) -> tuple[int, Any]:
        form = aiohttp.FormData()
        form.add_field("attachment", data, filename="a.bin", content_type="text/plain")
        url = f"{self.sim.api_url}/me/interactions/{iid}/attachments"
        return await self.post(url, data=form)

    async def operation(self, iid: str, raw: bytes) -> tuple[int, Any]:
        url = f"{self.sim.api_url}/me/interactions/{iid}"
        return await self.post(url, data=raw, headers={"Content-Type": "application/json"})

    async def bayeux(self, raw: bytes) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        return await self.post(self.sim.cometd_url, data=raw, headers=headers)


@pytest.fixture
async def agent(sim: GwsSimulator) -> AsyncIterator[Agent]:
    async with signed_in(sim, agent=Agent) as signed:
        yield signed


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.ERROR, logger="gws_async.simulator")
    return caplog


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert logged == [], [r.getMessage() for r in logged]


# -- attachments ------------------------------------------------------------------------------


@pytest.mark.simulator(max_attachment_size=LIMIT)
async def test_an_upload_over_the_limit_is_refused_with_413(
    sim: GwsSimulator, agent: Agent, errors: pytest.LogCaptureFixture
) -> None:
    iid = sim.create_interaction("agent1", media="email")
    status, body = await agent.upload(iid, b"x" * LIMIT)
    assert (status, body["statusCode"]) == (200, 0)

    status, body = await agent.upload(iid, b"x" * (LIMIT + 1))
    assert (status, body["statusCode"]) == (413, 2)
    assert str(LIMIT) in body["statusMessage"]
    assert len(sim.state.interactions[iid].attachments) == 1
    no_traceback(errors)


@pytest.mark.simulator(max_attachment_size=LIMIT)
async def test_a_streamed_upload_is_stopped_at_the_limit(sim: GwsSimulator, agent: Agent) -> None:
    # No Content-Length: the simulator must count while it reads, not trust a header.
    iid = sim.create_interaction("agent1", media="email")

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"y" * (16 * 1024)

    status, body = await agent.upload(iid, chunks())
    assert (status, body["statusCode"]) == (413, 2)
    assert sim.state.interactions[iid].attachments == {}


async def test_the_default_limit_is_well_under_100_mb(sim: GwsSimulator, agent: Agent) -> None:
    iid = sim.create_interaction("agent1", media="email")
    status, body = await agent.upload(iid, io.BytesIO(b"z" * (16 * MiB + 1)))
    assert (status, body["statusCode"]) == (413, 2)
    status, body = await agent.upload(iid, io.BytesIO(b"z" * MiB))
    assert (status, body["statusCode"]) == (200, 0)


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_attachment_size"):
        GwsSimulator(max_attachment_size=0)


# -- JSON nesting -----------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100_000, 900, 65])
async def test_deeply_nested_rest_bodies_get_a_gws_400(
    sim: GwsSimulator, agent: Agent, errors: pytest.LogCaptureFixture, depth: int
) -> None:
    iid = sim.create_interaction("agent1")
    nested = b"[" * depth + b"]" * depth
    raw = b'{"operationName": "UpdateProperties", "properties": {"deep": ' + nested + b"}}"
    status, body = await agent.operation(iid, raw)
    assert (status, body["statusCode"]) == (400, 1)
    assert "nested" in body["statusMessage"]
    assert sim.state.interactions[iid].user_data == {}
    no_traceback(errors)


async def test_nesting_within_the_limit_is_kept(sim: GwsSimulator, agent: Agent) -> None:
    iid = sim.create_interaction("agent1")
    nested = b"[" * 60 + b"]" * 60
    raw = b'{"operationName": "UpdateProperties", "properties": {"deep": ' + nested + b"}}"
    status, body = await agent.operation(iid, raw)
    assert (status, body["status"]) == (200, "ok")


@pytest.mark.parametrize("depth", [100_000, 900])
async def test_deeply_nested_bayeux_batches_get_a_bayeux_400(
    agent: Agent, errors: pytest.LogCaptureFixture, depth: int
) -> None:
    nested = b"[" * depth + b"]" * depth
    raw = b'[{"channel": "/meta/handshake", "ext": ' + nested + b"}]"
    status, body = await agent.bayeux(raw)
    assert status == 400
    assert body == [{"successful": False, "error": "400::bad message"}]
    no_traceback(errors)


# -- Bayeux sessions --------------------------------------------------------------------------


@pytest.mark.simulator(max_interval=0.2)
async def test_expired_sessions_leave_nothing_in_the_client_index(
    sim: GwsSimulator, agent: Agent
) -> None:
    # Nothing is ever delivered to agent1: its index must shrink on expiry alone.
    for _ in range(50):
        status, replies = await agent.bayeux(b'[{"channel": "/meta/handshake"}]')
        assert (status, replies[0]["successful"]) == (200, True)
    bayeux = sim._bayeux
    assert bayeux.indexed_client_ids == 50
    for _ in range(100):
        if not bayeux.sessions:
            break
        await asyncio.sleep(0.05)
    assert bayeux.sessions == {}
    assert bayeux._client_ids == {}


async def test_every_way_out_shrinks_the_client_index(sim: GwsSimulator, agent: Agent) -> None:
    async def handshake() -> str:
        _, replies = await agent.bayeux(b'[{"channel": "/meta/handshake"}]')
        return str(replies[0]["clientId"])

    bye = await handshake()
    raw = b'[{"channel": "/meta/disconnect", "clientId": "%s"}]' % bye.encode()
    _, replies = await agent.bayeux(raw)
    assert replies[0]["successful"] is True

    await handshake()
    assert sim.expire_bayeux_sessions("agent1") == 1

    kicked = await handshake()
    assert sim.disconnect_bayeux_sessions("agent1") == 1
    raw = b'[{"channel": "/meta/connect", "clientId": "%s"}]' % kicked.encode()
    _, replies = await agent.bayeux(raw)
    assert replies[0]["advice"]["reconnect"] == "none"

    assert sim._bayeux.sessions == {}
    assert sim._bayeux._client_ids == {}
