"""Agents see only their own interactions; a Contact Center Admin sees them all.

The spec gives ``GET /interactions`` (every active interaction of the contact center) to
the Contact Center Admin (``ROLE_ADMIN``); an agent reads the interactions it works on or
can see in its workbins. Someone else's interaction answers exactly like one that does
not exist, so that an agent cannot even learn which ids are in use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from gws_async.simulator import GwsSimulator, SimAgent
from tests.simulator._raw import AGENT_GROUP_WORKBIN, TEST_WORKBIN, signed_in

SECRET = {"CreditCard": "4111-1111-1111-1111"}
UNKNOWN = "0000NOSUCHTHING0"

pytestmark = pytest.mark.simulator(
    [
        SimAgent("agent1", "password1"),
        SimAgent("agent2", "password2"),
        SimAgent("boss", "boss-password", roles=["ROLE_AGENT", "ROLE_ADMIN"]),
    ],
    long_poll_timeout=1.0,
)


class Agent:
    """One signed-in agent speaking raw HTTP to the simulator."""

    def __init__(self, sim: GwsSimulator, http: aiohttp.ClientSession, token: str) -> None:
        self.sim = sim
        self.http = http
        self.token = token

    async def request(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {"X-CSRF-TOKEN": self.token}
        async with self.http.request(
            method, self.sim.api_url + path, headers=headers, **kwargs
        ) as resp:
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, await resp.read()

    async def get(self, path: str, **params: str) -> tuple[int, Any]:
        return await self.request("GET", path, params=params)

    async def upload(self, iid: str, data: bytes) -> tuple[int, Any]:
        form = aiohttp.FormData()
        form.add_field("attachment", data, filename="a.txt", content_type="text/plain")
        return await self.request("POST", f"/me/interactions/{iid}/attachments", data=form)


@pytest.fixture
async def agent1(sim: GwsSimulator) -> AsyncIterator[Agent]:
    async with signed_in(sim, "agent1", "password1", agent=Agent) as agent:
        yield agent


@pytest.fixture
async def agent2(sim: GwsSimulator) -> AsyncIterator[Agent]:
    async with signed_in(sim, "agent2", "password2", agent=Agent) as agent:
        yield agent


@pytest.fixture
async def boss(sim: GwsSimulator) -> AsyncIterator[Agent]:
    async with signed_in(sim, "boss", "boss-password", agent=Agent) as agent:
        yield agent


def ids_in(body: Any) -> set[str]:
    """The interaction ids of a list answer, as URIs or resources."""
    if "uris" in body:
        return {uri.rsplit("/", 1)[1] for uri in body["uris"]}
    return {i["id"] for i in body["interactions"]}


async def test_another_agents_interaction_reads_as_unknown(
    sim: GwsSimulator, agent1: Agent, agent2: Agent
) -> None:
    mine = sim.create_interaction("agent1", media="email", user_data=SECRET)
    status, body = await agent2.get(f"/interactions/{mine}")
    unknown_status, unknown = await agent2.get(f"/interactions/{UNKNOWN}")

    assert (status, body["statusCode"]) == (unknown_status, unknown["statusCode"]) == (200, 6)
    assert body["statusMessage"] == unknown["statusMessage"].replace(UNKNOWN, mine)
    assert "4111" not in str(body)
    status, own = await agent1.get(f"/interactions/{mine}")
    assert (status, own["interaction"]["userData"]) == (200, SECRET)


async def test_update_of_another_agents_interaction_reads_as_unknown(
    sim: GwsSimulator, agent2: Agent
) -> None:
    mine = sim.create_interaction("agent1", user_data=SECRET)
    changes = {"userData": {"CreditCard": "stolen"}}
    _, body = await agent2.request("PUT", f"/interactions/{mine}", json=changes)
    assert body["statusCode"] == 6
    assert sim.state.interactions[mine].user_data == SECRET


@pytest.mark.parametrize("fields", [None, "*", "id,userData"])
async def test_an_agent_lists_only_its_own_interactions(
    sim: GwsSimulator, agent1: Agent, agent2: Agent, fields: str | None
) -> None:
    first = sim.create_interaction("agent1", user_data=SECRET)
    invited = sim.offer_chat("agent1")
    theirs = sim.create_interaction("agent2")
    params = {"fields": fields} if fields else {}

    _, body = await agent1.get("/interactions", **params)
    assert ids_in(body) == {first, invited}
    _, body = await agent2.get("/interactions", **params)
    assert ids_in(body) == {theirs}
    assert "4111" not in str(body)


async def test_workbin_items_are_visible_to_those_who_see_the_workbin(
    sim: GwsSimulator, agent1: Agent, agent2: Agent
) -> None:
    personal = sim.put_in_workbin("agent1", TEST_WORKBIN, user_data=SECRET)
    shared = sim.put_in_workbin("agent1", AGENT_GROUP_WORKBIN)

    _, body = await agent1.get("/interactions", fields="*")
    assert ids_in(body) == {personal, shared}
    _, body = await agent2.get("/interactions", fields="*")
    assert ids_in(body) == {shared}
    _, body = await agent2.get(f"/interactions/{personal}")
    assert body["statusCode"] == 6
    _, body = await agent2.get(f"/interactions/{shared}")
    assert body["interaction"]["id"] == shared


async def test_conference_parties_read_the_interaction(
    sim: GwsSimulator, agent1: Agent, agent2: Agent
) -> None:
    iid = sim.create_interaction("agent1")
    _, body = await agent1.request(
        "POST",
        f"/me/interactions/{iid}",
        json={"operationName": "StartConference", "agentId": "agent2"},
    )
    assert body["status"] == "ok"
    _, body = await agent2.get(f"/interactions/{iid}")
    assert body["interaction"]["id"] == iid


async def test_the_admin_sees_every_active_interaction(sim: GwsSimulator, boss: Agent) -> None:
    first = sim.create_interaction("agent1", user_data=SECRET)
    second = sim.create_interaction("agent2")
    personal = sim.put_in_workbin("agent2", TEST_WORKBIN)

    _, body = await boss.get("/interactions", fields="*")
    assert ids_in(body) == {first, second, personal}
    _, body = await boss.get(f"/interactions/{first}")
    assert body["interaction"]["userData"] == SECRET


async def test_another_agents_attachment_cannot_be_read_added_or_deleted(
    sim: GwsSimulator, agent1: Agent, agent2: Agent
) -> None:
    iid = sim.create_interaction("agent1", media="email")
    _, body = await agent1.upload(iid, b"the contract")
    doc = body["documentId"]
    path = f"/me/interactions/{iid}/attachments/{doc}"

    status, body = await agent2.get(path)
    assert (status, body["statusCode"]) == (200, 6)
    assert b"contract" not in str(body).encode()
    _, body = await agent2.request("DELETE", path)
    assert body["statusCode"] == 6
    _, body = await agent2.upload(iid, b"malware")
    assert body["statusCode"] == 6
    status, data = await agent1.get(path)
    assert (status, data) == (200, b"the contract")
    assert len(sim.state.interactions[iid].attachments) == 1


async def test_the_admin_downloads_any_attachment(
    sim: GwsSimulator, agent1: Agent, boss: Agent
) -> None:
    iid = sim.create_interaction("agent1", media="email")
    _, body = await agent1.upload(iid, b"the contract")
    status, data = await boss.get(f"/me/interactions/{iid}/attachments/{body['documentId']}")
    assert (status, data) == (200, b"the contract")
