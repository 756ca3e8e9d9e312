"""The simulator against the spec's own samples, key by key.

Each test puts the simulator's answer or notification beside the sample the spec prints
for it and compares the key sets and the value types, never generated ids or times. A
sample key missing from the simulator is a defect (a bot tested against the simulator
would meet it only in production). Where the spec contradicts itself, the simulator keeps
one reading (see docs/testing.md, "Fidelity to the spec"); the tests name it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gws_async.simulator import GwsSimulator, SimAgent
from tests.simulator._raw import (
    FAST,
    INTERACTIONS_TOPIC,
    TEST_WORKBIN,
    WORKBINS_TOPIC,
    RawAgent,
    data_of,
    signed_in,
)

pytestmark = FAST

SAMPLES = Path(__file__).parent.parent / "fixtures" / "spec"
DEVICES_TOPIC = "/v2/me/devices"

# The spec's ``GET /me/devices?fields=*`` and ``GET /devices?fields=*`` samples (Devices
# API and "Getting object lists"); they are answers, not notifications, so they are not
# in tests/fixtures/spec.
ME_DEVICES_SAMPLE = {
    "capabilities": ["ForwardCallsOn", "DoNotDisturbOn"],
    "deviceState": "Active",
    "doNotDisturb": "Off",
    "e164Number": "5001",
    "id": "ba0f987f-15b4-42c7-bed0-5f302259f9db",
    "phoneNumber": "5001",
    "telephonyNetwork": "Private",
    "userState": {
        "displayName": "Ready",
        "id": "9430250E-0A1B-421F-B372-F29E69366DED",
        "state": "Ready",
    },
    "voiceEnvironmentUri": "http://127.0.0.1:8080/api/v2/voice-environments/a481",
}
DEVICES_SAMPLE = {
    "id": "1fd21300-303d-401f-9b4c-0d9c2801433e",
    "deviceState": "Inactive",
    "phoneNumberUri": "http://172.21.16.123:8080/api/v2/phone-numbers/812a",
    "telephonyNetwork": "Public",
    "model": "CloudDevice",
    "vendor": "Genesys",
    "phoneNumber": "3001",
    "country": {"name": "", "code": "", "callingCode": ""},
    "e164Number": "3001",
    "voiceEnvironmentUri": "http://172.21.16.123:8080/api/v2/voice-environments/b40e",
}
# The Interaction Server properties of the spec's GetWorkbinContent sample item (its other
# keys are the e-mail's user data).
WORKBIN_ITEM_PROPERTIES = {
    "InQueues": {"__STOP__": ""},
    "MediaType": "email",
    "InteractionId": "0000Aa8WRME43VG6",
    "IsHeld": 0,
    "IsOnline": 0,
    "SubmitSeq": "41895540",
    "DeliveredAt": "2013-07-20T00:41:33Z",
    "SubmittedBy": "es_esj",
    "Queue": "Facebook Workbin InProgress/PrivateQueue",
    "InteractionType": "Inbound",
    "MovedToQueueAt": "2013-07-20T00:41:33Z",
    "PlacedInQueueAt": "2013-07-20T00:41:33Z",
    "IsLocked": 0,
    "ReceivedAt": "2013-07-19T23:03:02Z",
    "InteractionSubtype": "InboundNew",
    "Workbin": "Facebook Workbin InProgress",
    "OutQueues": {"SimpleEmailOutQueue": ""},
    "AssignedAt": "2013-07-20T00:41:33Z",
    "TenantId": 1,
    "WorkbinAgentId": "MaratTest",
    "SubmittedAt": "2013-07-19T23:03:16Z",
    "AssignedTo": "MaratTest",
    "PlaceInQueueSeq": "41904672",
    "InteractionState": 0,
}
# The key the templates of the e-mail pages use for ``messageType`` (the simulator sends
# ``messageType``, as every concrete sample does).
TEMPLATE_SPELLINGS = {"messageTypeName": "messageType"}
# Free-form maps, whose keys vary from one interaction to the next.
_MAPS = frozenset({"userData", "inQueues", "outQueues", "InQueues", "OutQueues"})


def sample(name: str) -> dict[str, Any]:
    """The ``data`` of one transcribed spec sample."""
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())["data"]
    return data


def assert_like(
    actual: dict[str, Any], expected: dict[str, Any], *, skip: frozenset[str] = frozenset()
) -> None:
    """Every key of ``expected`` is in ``actual`` with a value of the same JSON type
    (placeholder strings of the templates excepted), recursively into objects."""
    missing = {TEMPLATE_SPELLINGS.get(k, k) for k in expected} - actual.keys() - skip
    assert not missing, f"missing {sorted(missing)}; got {sorted(actual)}"
    for key, value in expected.items():
        key = TEMPLATE_SPELLINGS.get(key, key)
        if key in skip or value is None:
            continue
        if isinstance(value, str) and not isinstance(actual[key], str):
            # The templates write every value as a string placeholder.
            assert value.startswith("value-of-"), (key, actual[key])
            continue
        assert type(actual[key]) is type(value), (key, actual[key], value)
        if isinstance(value, dict) and key not in _MAPS:
            assert_like(actual[key], value)


async def notifications(agent: RawAgent) -> list[dict[str, Any]]:
    """The data messages of the agent's next ``/meta/connect``."""
    _, replies = await agent.connect()
    return data_of(replies)


# -- devices ----------------------------------------------------------------------------------


async def test_device_objects_have_the_sample_keys(sim: GwsSimulator, agent1: RawAgent) -> None:
    _, body = await agent1.get("/me/devices", fields="*")
    (mine,) = body["devices"]
    assert_like(mine, ME_DEVICES_SAMPLE)
    assert_like(mine, DEVICES_SAMPLE)
    assert mine["phoneNumberUri"].startswith(f"{sim.api_url}/phone-numbers/")
    assert mine["voiceEnvironmentUri"].startswith(f"{sim.api_url}/voice-environments/")
    _, body = await agent1.get("/devices", fields="*")
    assert body["devices"] == [mine]
    _, body = await agent1.get(f"/devices/{mine['id']}")
    assert body["device"] == mine

    await agent1.handshake(DEVICES_TOPIC)
    status, _ = await agent1.post(f"/devices/{mine['id']}", {"operationName": "DoNotDisturbOn"})
    assert status == 200
    (message,) = await notifications(agent1)
    assert_like(message, sample("device_state_change"), skip=frozenset({"devices"}))
    (device,) = message["devices"]
    (documented,) = sample("device_state_change")["devices"]
    assert_like(device, documented)
    assert device["type"] == "PSTNPhone"


ADMIN_SIM = pytest.mark.simulator(
    [
        SimAgent("agent1", "password1"),
        SimAgent("agent2", "password2"),
        SimAgent("boss", "boss-password", roles=["ROLE_AGENT", "ROLE_ADMIN"]),
    ],
    long_poll_timeout=1.0,
)


@ADMIN_SIM
async def test_an_admin_reads_every_device(sim: GwsSimulator, agent1: RawAgent) -> None:
    devices = {name: p.device_id for name, p in sim.state.presence.items()}
    agent2_id = sim.state.agents["agent2"].user_id
    async with signed_in(sim, "boss", "boss-password") as boss:
        _, body = await boss.get("/devices")
        uris = sorted(f"{sim.api_url}/devices/{d}" for d in devices.values())
        assert sorted(body["uris"]) == uris
        _, body = await boss.get("/devices", fields="*")
        assert sorted(d["id"] for d in body["devices"]) == sorted(devices.values())
        _, body = await boss.get(f"/users/{agent2_id}/devices", fields="*")
        assert [d["id"] for d in body["devices"]] == [devices["agent2"]]
        _, body = await boss.get(f"/devices/{devices['agent2']}")
        assert body["device"]["id"] == devices["agent2"]
        # An admin's own list is still its own.
        _, body = await boss.get("/me/devices")
        assert body["uris"] == [f"{sim.api_url}/devices/{devices['boss']}"]
    # An agent still sees only its own device and may not list another user's.
    _, body = await agent1.get("/devices")
    assert body["uris"] == [f"{sim.api_url}/devices/{devices['agent1']}"]
    _, body = await agent1.get(f"/users/{agent2_id}/devices")
    assert body["statusCode"] == 5
    _, body = await agent1.get(f"/devices/{devices['agent2']}")
    assert body["statusCode"] == 6


# -- e-mail and chat notifications ------------------------------------------------------------


async def accept(agent: RawAgent, iid: str) -> dict[str, Any]:
    """Accept ``iid`` and return the notification that follows."""
    status, _ = await agent.post(f"/me/interactions/{iid}", {"operationName": "Accept"})
    assert status == 200
    (message,) = await notifications(agent)
    return message


async def test_email_accepted_and_reply_created_have_the_sample_keys(
    sim: GwsSimulator, agent1: RawAgent
) -> None:
    await agent1.handshake(INTERACTIONS_TOPIC)
    iid = sim.deliver_email("agent1", subject="Hi", text="Body", from_address="c@example.com")
    (invited,) = await notifications(agent1)
    assert_like(invited, sample("interaction_email_invited"))
    assert "inQueues" not in invited
    assert "receivedAt" not in invited

    accepted = await accept(agent1, iid)
    # The concrete sample (camelCase e-mail keys) and the template (PascalCase).
    assert_like(accepted, sample("interaction_email_accepted"), skip=frozenset({"email_object"}))
    assert_like(
        accepted, sample("interaction_email_accepted_template"), skip=frozenset({"email_object"})
    )
    assert accepted["inQueues"] == {"__STOP__": ""}
    assert accepted["outQueues"] == {"SimpleEmailOutQueue": ""}
    assert accepted["receivedAt"].endswith("Z")
    assert {"ToAddress", "FromAddress", "Subject", "Text", "MimeType"} <= set(
        accepted["email_object"]
    )

    body = {"operationName": "Reply", "queueName": "SimpleEmailOutQueue"}
    _, answer = await agent1.post(f"/me/interactions/{iid}", body)
    assert answer["status"] == "ok"
    (created,) = await notifications(agent1)
    assert_like(
        created,
        sample("interaction_email_reply_created_template"),
        skip=frozenset({"email_object"}),
    )
    assert created["state"] == "ReplyCreated"
    assert created["receivedAt"].endswith("Z")


async def test_chat_accepted_and_message_have_the_sample_keys(
    sim: GwsSimulator, agent1: RawAgent
) -> None:
    await agent1.handshake(INTERACTIONS_TOPIC)
    iid = sim.offer_chat("agent1", nickname="Customer", message="Hello")
    (invited,) = await notifications(agent1)
    assert_like(invited, sample("interaction_chat_invited"))
    assert "inQueues" not in invited

    accepted = await accept(agent1, iid)
    assert_like(accepted, sample("interaction_chat_accepted"))
    assert accepted["inQueues"] == {"SimpleChatTranscriptQueue": ""}
    sim.customer_says(iid, "Anyone?")
    (message,) = await notifications(agent1)
    assert_like(message, sample("interaction_chat_message"))


# -- reading the agent's interactions ---------------------------------------------------------


async def test_my_interactions_are_uris_of_interactions_in_the_notification_format(
    sim: GwsSimulator, agent1: RawAgent
) -> None:
    await agent1.handshake(INTERACTIONS_TOPIC)
    iid = sim.deliver_email("agent1", subject="Hi", text="Body", from_address="c@example.com")
    await notifications(agent1)
    notified = await accept(agent1, iid)

    _, body = await agent1.get("/me/interactions")
    assert body == {"statusCode": 0, "uris": [f"{sim.api_url}/interactions/{iid}"]}
    async with agent1.http.get(body["uris"][0]) as resp:
        assert (await resp.json())["interaction"]["id"] == iid

    _, body = await agent1.get("/me/interactions", fields="*")
    (item,) = body["interactions"]
    assert item["messageType"] == "InteractionStateMessage"
    del notified["referenceId"]
    assert item == notified


# -- workbins ---------------------------------------------------------------------------------


async def test_workbin_content_items_have_the_sample_properties(
    sim: GwsSimulator, agent1: RawAgent
) -> None:
    iid = sim.create_interaction("agent1", media="email", user_data={"Subject": "Hi"})
    path = f"/me/workbins/{TEST_WORKBIN}/interactions"
    status, _ = await agent1.post(path, {"interactionId": iid})
    assert status == 200
    filed = sim.put_in_workbin("agent1", TEST_WORKBIN, media="chat")
    _, body = await agent1.get(path, fields="*")
    items = {item["InteractionId"]: item for item in body["interactions"]}
    email, chat = items[iid], items[filed]
    assert_like(email, WORKBIN_ITEM_PROPERTIES)
    assert_like(chat, WORKBIN_ITEM_PROPERTIES)
    assert email["AssignedTo"] == "agent1"
    assert email["InQueues"] == {"__STOP__": ""}
    assert email["OutQueues"] == {"SimpleEmailOutQueue": ""}
    assert int(email["SubmitSeq"]) < int(email["PlaceInQueueSeq"])
    assert email["DeliveredAt"] == email["PlacedInQueueAt"]


async def test_a_failed_workbin_subscription_is_notified(
    sim: GwsSimulator, agent1: RawAgent
) -> None:
    await agent1.handshake(WORKBINS_TOPIC)
    agent1_id = sim.state.agents["agent1"].user_id
    for operation in ("Subscribe", "Unsubscribe"):
        status, body = await agent1.post("/me/workbins/no-such-bin", {"operationName": operation})
        assert status == 200
        assert body["statusCode"] == 6
        (message,) = await notifications(agent1)
        assert_like(message, sample("workbin_subscription_subscribed"))
        assert message == {
            "messageType": "WorkbinSubscriptionStateChangeMessage",
            "stateResource": "RequestFailed",
            "id": "no-such-bin",
            "workbinUserId": agent1_id,
            "referenceId": body["referenceId"],
        }
    # A successful one still says Subscribed.
    reference_id = await agent1.subscribe_workbin(TEST_WORKBIN)
    (message,) = await notifications(agent1)
    assert (message["stateResource"], message["referenceId"]) == ("Subscribed", reference_id)


# -- the other reading of the spec ------------------------------------------------------------


@pytest.mark.simulator(
    long_poll_timeout=1.0, email_keys="camelCase", email_interaction_type="Email"
)
async def test_a_scenario_may_choose_the_other_email_reading(
    sim: GwsSimulator, agent1: RawAgent
) -> None:
    await agent1.handshake(INTERACTIONS_TOPIC)
    iid = sim.deliver_email("agent1", subject="Hi", text="Body", from_address="c@example.com")
    (invited,) = await notifications(agent1)
    assert invited["interactionType"] == "Email"
    accepted = await accept(agent1, iid)
    assert accepted["interactionType"] == "Email"
    # The Interaction Notifications page's sample, camelCase.
    documented = sample("interaction_email_accepted")["email_object"]
    assert documented.keys() <= accepted["email_object"].keys()
    assert accepted["email_object"]["fromAddress"] == "c@example.com"
    _, body = await agent1.get(f"/interactions/{iid}")
    assert body["interaction"]["email_object"]["subject"] == "Hi"


def test_an_unknown_reading_is_refused() -> None:
    with pytest.raises(ValueError, match="email_keys"):
        GwsSimulator(email_keys="snake_case")
    with pytest.raises(ValueError, match="email_interaction_type"):
        GwsSimulator(email_interaction_type="Mail")
