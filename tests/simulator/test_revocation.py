"""E-mail and chat invitations are Revoked after a period of agent inactivity.

The spec: "After a predetermined period of Agent inactivity, this notifies the Agent that
the System has removed an e-mail interaction from him or her" (and the same for chat).
The simulator waits ``revoke_after`` seconds (30 by default) for Accept or Reject;
``revoke_invitations()`` makes that period pass now.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from gws_async.simulator import GwsSimulator
from tests.conftest import Eventually
from tests.simulator._raw import INTERACTIONS_TOPIC, RawAgent, data_of

SAMPLES = Path(__file__).parent.parent / "fixtures" / "spec"


def revoked_sample(media: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"interaction_{media}_revoked.json").read_text())[
        "data"
    ]
    return data


async def notifications(agent: RawAgent) -> list[dict[str, Any]]:
    _, replies = await agent.connect()
    return data_of(replies)


async def offer_both(sim: GwsSimulator, agent: RawAgent) -> tuple[str, str]:
    """An e-mail and a chat offered to ``agent``; their Invited notifications read."""
    await agent.handshake(INTERACTIONS_TOPIC)
    email = sim.deliver_email("agent1", subject="Hi", text="Body", from_address="c@example.com")
    chat = sim.offer_chat("agent1")
    states = [(m["id"], m["state"]) for m in await notifications(agent)]
    assert states == [(email, "Invited"), (chat, "Invited")]
    return email, chat


def assert_revoked(message: dict[str, Any], media: str) -> None:
    documented = revoked_sample(media)
    assert documented.keys() <= message.keys()
    assert (message["state"], message["capabilities"]) == ("Revoked", [])
    assert "referenceId" not in message  # nobody asked for it


@pytest.mark.simulator(long_poll_timeout=1.0, revoke_after=0.3)
async def test_unanswered_invitations_are_revoked(
    sim: GwsSimulator, agent1: RawAgent, eventually: Eventually
) -> None:
    email, chat = await offer_both(sim, agent1)
    answered = sim.offer_chat("agent1")
    status, _ = await agent1.post(f"/me/interactions/{answered}", {"operationName": "Accept"})
    assert status == 200

    seen: dict[str, dict[str, Any]] = {}

    async def both_revoked() -> bool:
        for message in await notifications(agent1):
            seen.setdefault(message["id"], message)
        return {email, chat} <= seen.keys()

    await eventually(both_revoked, "the two invitations revoked", timeout=5.0)
    assert_revoked(seen[email], "email")
    assert_revoked(seen[chat], "chat")
    # The accepted chat stays the agent's; the revoked ones left it.
    _, body = await agent1.get("/me/interactions")
    assert body["uris"] == [f"{sim.api_url}/interactions/{answered}"]
    status, body = await agent1.post(f"/me/interactions/{email}", {"operationName": "Accept"})
    assert body["status"] == "error"
    assert sim.state.interactions[email].owner is None


@pytest.mark.simulator(long_poll_timeout=1.0, revoke_after=None)
async def test_the_hook_revokes_now_even_when_the_period_is_off(
    sim: GwsSimulator, agent1: RawAgent
) -> None:
    email, chat = await offer_both(sim, agent1)
    await asyncio.sleep(0.3)
    assert sim.state.interactions[email].state == "Invited"  # no period: never by itself

    assert sim.revoke_invitations("agent2") == []
    assert sim.revoke_invitations() == [email, chat]
    messages = {m["id"]: m for m in await notifications(agent1)}
    assert_revoked(messages[email], "email")
    assert_revoked(messages[chat], "chat")
    assert sim.revoke_invitations() == []
    with pytest.raises(KeyError, match="nobody"):
        sim.revoke_invitations("nobody")


@pytest.mark.simulator(long_poll_timeout=1.0)
async def test_the_default_period_leaves_a_fresh_invitation_alone(
    sim: GwsSimulator, agent1: RawAgent
) -> None:
    email, chat = await offer_both(sim, agent1)
    await asyncio.sleep(0.2)
    assert sim.state.interactions[email].state == "Invited"
    status, _ = await agent1.post(f"/me/interactions/{email}", {"operationName": "Accept"})
    assert status == 200
    assert sim.revoke_invitations() == [chat]  # the accepted e-mail is not an invitation


@pytest.mark.parametrize("value", [0, -1.0, float("nan")])
def test_a_period_must_be_positive(value: float) -> None:
    with pytest.raises(ValueError, match="revoke_after"):
        GwsSimulator(revoke_after=value)
