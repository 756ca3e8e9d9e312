"""The simulator's ``/me``: the signed-in agent, with and without subresources."""

from __future__ import annotations

from tests.simulator._raw import FAST, RawAgent

pytestmark = FAST


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
