"""The simulator's ``/me/interactions``: the agent's own interactions, as URIs or whole."""

from __future__ import annotations

from gws_async.simulator import GwsSimulator
from tests.simulator._raw import FAST, RawAgent

pytestmark = FAST


async def test_my_interactions(sim: GwsSimulator, agent1: RawAgent) -> None:
    iid = sim.create_interaction("agent1", media="email", user_data={"Subject": "hi"})
    sim.create_interaction("agent2")
    _, body = await agent1.get("/me/interactions")
    assert body == {"statusCode": 0, "uris": [f"{sim.api_url}/interactions/{iid}"]}
    _, body = await agent1.get("/me/interactions", fields="*")
    assert body["interactions"][0].pop("receivedAt").endswith("Z")
    assert body == {
        "statusCode": 0,
        "interactions": [
            {
                "messageType": "InteractionStateMessage",
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
                "inQueues": {"__STOP__": ""},
                "outQueues": {"SimpleEmailOutQueue": ""},
                "email_object": {"interactionId": iid},
            }
        ],
    }
