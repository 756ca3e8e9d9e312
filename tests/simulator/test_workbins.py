"""The simulator's workbins: personal and group workbins, their content, adding and
pulling, the status codes of bad requests and the workbin notifications."""

from __future__ import annotations

from gws_async.simulator import GwsSimulator
from tests.simulator._raw import (
    AGENT_GROUP_WORKBIN,
    FAST,
    INTERACTIONS_TOPIC,
    PLACE_GROUP_WORKBIN,
    TEST_WORKBIN,
    WORKBINS_TOPIC,
    RawAgent,
    data_of,
)

pytestmark = FAST


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
