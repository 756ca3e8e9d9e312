"""The real client against the embedded simulator over a real loopback port."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gws_async import (
    AuthenticationError,
    ConnectionLost,
    GwsClient,
    GwsEvent,
    InteractionStateMessage,
    InternalServerError,
    InvalidStateError,
    ListenerConnected,
    ListenerEvent,
    NotFoundError,
    Reconnected,
    Topic,
    UnknownEvent,
    WorkbinStateChangeMessage,
    WorkbinSubscriptionStateChangeMessage,
    WorkitemStateChangeMessage,
)
from gws_async.simulator import GwsSimulator
from tests.conftest import Eventually

AGENT_GROUP_WORKBIN = "6c715fa9-de16-4d23-b07c-cbcb1caf3e07"
PLACE_GROUP_WORKBIN = "5d487e69-a393-4228-a06f-6a4015ab1b54"


async def personal_workbin(gws: GwsClient) -> str:
    workbins = await gws.workbins.list()
    return next(w.workbin_id for w in workbins if w.workbin_name == "TestWorkbin")


async def test_login_keeps_one_http_session_on_an_ip_host(
    sim: GwsSimulator, gws: GwsClient
) -> None:
    assert gws.user is not None
    assert gws.user.user_name == "agent1"
    workbin = await personal_workbin(gws)
    await gws.subscribe()
    await gws.workbins.subscribe(workbin)  # POST: needs the CSRF token of that session
    # 127.0.0.1 is an IP host: the JSESSIONID cookie was kept, so every request,
    # REST and Bayeux alike, ran in the one HTTP session the login opened.
    assert len(sim.state.http_sessions) == 1


async def test_wrong_password_is_an_authentication_error(sim: GwsSimulator) -> None:
    with pytest.raises(AuthenticationError) as info:
        async with GwsClient(sim.url, "agent1", "wrong-password"):
            pass
    assert "HTTP 401" in str(info.value)
    assert "wrong-password" not in str(info.value)


async def test_add_then_pull_with_their_notifications(sim: GwsSimulator, gws: GwsClient) -> None:
    workbin = await personal_workbin(gws)
    await gws.subscribe(Topic.WORKBINS, Topic.INTERACTIONS)
    subscribed = await gws.workbins.subscribe(workbin)
    assert subscribed.reference_id is not None
    confirmation = await gws.wait_for_reference(subscribed.reference_id, timeout=5)
    assert isinstance(confirmation, WorkbinSubscriptionStateChangeMessage)
    assert confirmation.state_resource == "Subscribed"

    iid = sim.create_interaction("agent1", media="email", user_data={"Subject": "refund"})
    added = await gws.workbins.add_and_wait(workbin, iid, timeout=5)
    assert added.action == "ItemAdded"
    assert added.media == "email"
    assert added.interaction.id == iid
    assert added.interaction.user_data["Subject"] == "refund"
    assert sim.state.interactions[iid].workbin_id == workbin

    content = await gws.workbins.get_content(workbin)
    assert [item.interaction_id for item in content] == [iid]
    assert await gws.workbins.get_content_uris(workbin) == [gws.workbins.item_uri(workbin, iid)]

    pulled = gws.wait_for(InteractionStateMessage, check=lambda e: e.id == iid, timeout=5)
    removed = await gws.workbins.pull_and_wait(workbin, iid, timeout=5)
    assert removed.action == "ItemRemoved"
    assert (await pulled).state == "Pulled"
    assert sim.state.interactions[iid].owner == "agent1"
    assert await gws.workbins.get_content(workbin) == []


async def test_group_workbin_add_and_pull_correlated_by_reference(
    sim: GwsSimulator, gws: GwsClient
) -> None:
    await gws.subscribe(Topic.WORKBINS, Topic.INTERACTIONS)
    await gws.workbins.subscribe(AGENT_GROUP_WORKBIN)
    iid = sim.create_interaction("agent1", media="chat")
    result = await gws.workbins.add_to_group(
        AGENT_GROUP_WORKBIN, iid, agent_group="MyAgentGroup", media="chat", save_lar=True
    )
    assert result.reference_id is not None
    event = await gws.wait_for_reference(result.reference_id, timeout=5)
    assert isinstance(event, WorkbinStateChangeMessage)
    assert (event.action, event.agent_group, event.media) == ("ItemAdded", "MyAgentGroup", "chat")
    assert event.interaction.id == iid

    result = await gws.workbins.pull_from_group(
        AGENT_GROUP_WORKBIN, iid, agent_group="MyAgentGroup", media="chat"
    )
    assert result.reference_id is not None
    removed = gws.workbins.expect_item("ItemRemoved", AGENT_GROUP_WORKBIN, iid, timeout=5)
    assert (await removed).agent_group == "MyAgentGroup"


async def test_place_group_and_wrong_media(sim: GwsSimulator, gws: GwsClient) -> None:
    await gws.subscribe(Topic.WORKBINS)
    await gws.workbins.subscribe(PLACE_GROUP_WORKBIN)
    iid = sim.create_interaction("agent1", media="email")
    with pytest.raises(InvalidStateError) as info:
        await gws.workbins.add_to_group(
            PLACE_GROUP_WORKBIN, iid, place_group="MyPlaceGroup", media="chat"
        )
    assert info.value.operation == "AddChat"
    result = await gws.workbins.add_to_group(
        PLACE_GROUP_WORKBIN, iid, place_group="MyPlaceGroup", media="email"
    )
    assert result.reference_id is not None
    event = await gws.wait_for_reference(result.reference_id, timeout=5)
    assert isinstance(event, WorkbinStateChangeMessage)
    assert event.place_group == "MyPlaceGroup"


async def test_pull_chat_from_any_workbin_with_nickname(sim: GwsSimulator, gws: GwsClient) -> None:
    await gws.subscribe(Topic.INTERACTIONS)
    workbin = await personal_workbin(gws)
    iid = sim.put_in_workbin("agent1", workbin, media="chat")
    result = await gws.workbins.pull_from_workbin(workbin, iid, media="chat", nickname="Ann")
    assert result.reference_id is not None
    event = await gws.wait_for_reference(result.reference_id, timeout=5)
    assert isinstance(event, InteractionStateMessage)
    assert event.id == iid
    assert any(
        n.message_type == "PARTY_JOINED" and n.nick_name == "Ann" for n in event.chat_notifications
    )


async def test_pulling_a_workitem_gives_a_workitem_notification(
    sim: GwsSimulator, gws: GwsClient
) -> None:
    await gws.subscribe(Topic.INTERACTIONS)
    workbin = await personal_workbin(gws)
    iid = sim.put_in_workbin("agent1", workbin, media="workitem")
    result = await gws.workbins.pull_from_workbin(workbin, iid, media="workitem")
    assert result.reference_id is not None
    event = await gws.wait_for_reference(result.reference_id, timeout=5)
    assert isinstance(event, WorkitemStateChangeMessage)
    assert event.workitem is not None
    assert event.workitem.id == iid


async def test_status_code_errors_from_the_server(sim: GwsSimulator, gws: GwsClient) -> None:
    workbin = await personal_workbin(gws)
    with pytest.raises(NotFoundError):
        await gws.workbins.add(workbin, "0000NOSUCHTHING")
    with pytest.raises(NotFoundError):
        await gws.workbins.get_content("no-such-workbin")
    other = sim.create_interaction("agent2", media="chat")
    with pytest.raises(InvalidStateError) as info:
        await gws.workbins.add(workbin, other)  # agent1 does not own it
    assert info.value.operation == "AddInteractionToWorkbin"
    assert info.value.status_code == 2


async def test_html_error_page_is_a_typed_error(sim: GwsSimulator, gws: GwsClient) -> None:
    sim.fail_next(1, status=502, path_prefix="/api/v2/me/workbins")
    with pytest.raises(InternalServerError) as info:
        await gws.workbins.list()
    assert "502 Bad Gateway" in str(info.value)
    assert await gws.workbins.list()  # the next one goes through


async def test_session_expiry_rehandshakes_without_losing_a_subscription(
    sim: GwsSimulator, gws: GwsClient, eventually: Eventually
) -> None:
    workbin = await personal_workbin(gws)
    await gws.subscribe(Topic.WORKBINS, Topic.INTERACTIONS)
    await gws.workbins.subscribe(workbin)
    listener = gws.listener
    assert listener is not None
    await eventually(lambda: listener.connected)
    assert listener.handshakes == 1

    assert sim.expire_bayeux_sessions("agent1") == 1
    await eventually(lambda: listener.handshakes == 2 and listener.connected)
    assert listener.subscriptions == {Topic.WORKBINS, Topic.INTERACTIONS}

    iid = f"after-expiry-{listener.handshakes}"
    arrived = gws.workbins.expect_item("ItemAdded", workbin, iid, timeout=5)
    sim.put_in_workbin("agent1", workbin, media="chat", interaction_id=iid)
    assert (await arrived).interaction.id == iid


async def test_bayeux_endpoint_failures_are_survived(
    sim: GwsSimulator, gws: GwsClient, eventually: Eventually
) -> None:
    await gws.subscribe(Topic.WORKBINS)
    listener = gws.listener
    assert listener is not None
    await eventually(lambda: listener.connected)
    sim.fail_next(2, status=503, path_prefix="/api/v2/notifications")
    sim.expire_bayeux_sessions("agent1")  # wake the held poll: the next ones hit the failures
    await eventually(lambda: listener.handshakes == 2 and listener.connected, timeout=10)
    received = gws.wait_for(GwsEvent, timeout=5)
    sim.push(
        "agent1",
        Topic.WORKBINS,
        {
            "messageType": "WorkbinSubscriptionStateChangeMessage",
            "id": "wb",
            "stateResource": "Subscribed",
        },
    )
    assert isinstance(await received, WorkbinSubscriptionStateChangeMessage)


GOOD = {
    "messageType": "WorkbinStateChangeMessage",
    "action": "ItemAdded",
    "id": "wb1",
    "chatStateResourceV2": {"id": "i1", "userData": {}},
}


@pytest.mark.parametrize(
    "bad",
    [
        {"messageType": "WorkbinStateChangeMessage", "id": "wb1"},  # no state resource
        {"messageType": "SomethingNew", "x": 1},
        {"messageType": "DeviceStateChangeMessage", "devices": "not a list"},
        "just a string",
        [1, 2, 3],
        None,
    ],
)
async def test_malformed_notification_then_good_ones(
    sim: GwsSimulator, gws: GwsClient, bad: Any
) -> None:
    await gws.subscribe(Topic.WORKBINS)
    async with gws.events(topics=[Topic.WORKBINS]) as stream:
        sim.push("agent1", Topic.WORKBINS, bad)
        for n in range(3):
            sim.push("agent1", Topic.WORKBINS, {**GOOD, "chatStateResourceV2": {"id": f"i{n}"}})
        first = await stream.get(5)
        rest = [await stream.get(5) for _ in range(3)]
    assert isinstance(first, UnknownEvent)
    assert first.raw == bad
    assert first.topic == Topic.WORKBINS
    assert [e.interaction.id for e in rest if isinstance(e, WorkbinStateChangeMessage)] == [
        "i0",
        "i1",
        "i2",
    ]


async def test_raw_bayeux_message_without_channel_is_kept(
    sim: GwsSimulator, gws: GwsClient
) -> None:
    await gws.subscribe(Topic.WORKBINS)
    async with gws.events(check=lambda e: not isinstance(e, ListenerEvent)) as stream:
        sim.push_raw("agent1", {"data": {"messageType": "WorkbinStateChangeMessage"}})
        sim.push("agent1", Topic.WORKBINS, GOOD)
        first = await stream.get(5)
        second = await stream.get(5)
    assert isinstance(first, UnknownEvent)
    assert first.topic == ""
    assert isinstance(second, WorkbinStateChangeMessage)


async def test_several_consumers_each_see_every_event(sim: GwsSimulator, gws: GwsClient) -> None:
    await gws.subscribe(Topic.WORKBINS)
    async with (
        gws.events(WorkbinStateChangeMessage) as one,
        gws.events(WorkbinStateChangeMessage, check=lambda e: e.interaction.id != "i1") as two,
    ):
        for n in range(3):
            sim.push("agent1", Topic.WORKBINS, {**GOOD, "chatStateResourceV2": {"id": f"i{n}"}})
        got_one = [(await one.get(5)).interaction.id for _ in range(3)]
        got_two = [(await two.get(5)).interaction.id for _ in range(2)]
    assert got_one == ["i0", "i1", "i2"]
    assert got_two == ["i0", "i2"]


async def test_events_stream_subscribes_its_topics(sim: GwsSimulator, gws: GwsClient) -> None:
    async with gws.events(WorkbinStateChangeMessage) as stream:
        listener = gws.listener
        assert listener is not None
        assert listener.subscriptions == {Topic.WORKBINS}
        sim.push("agent1", Topic.WORKBINS, GOOD)
        assert (await stream.get(5)).interaction.id == "i1"


async def test_close_disconnects_and_ends_streams(
    sim: GwsSimulator, eventually: Eventually
) -> None:
    async with GwsClient(sim.url, "agent1", "password1") as gws:
        await gws.subscribe(Topic.WORKBINS)
        stream = gws.events()
        await stream.__aenter__()
        consumer = asyncio.create_task(_drain(stream))
        loop = asyncio.get_running_loop()
        started = loop.time()
    assert loop.time() - started < 1.5
    leftovers = await asyncio.wait_for(consumer, 1)
    assert all(isinstance(e, ListenerEvent) for e in leftovers)
    await eventually(lambda: sim.push("agent1", Topic.WORKBINS, GOOD) == 0)


async def _drain(stream: Any) -> list[Any]:
    return [event async for event in stream]


async def test_lifecycle_events_and_stats_across_a_server_restart(sim: GwsSimulator) -> None:
    async with GwsClient(sim.url, "agent1", "password1") as gws, gws.events() as stream:
        await gws.subscribe(Topic.WORKBINS)
        connected = await stream.get(5)
        assert isinstance(connected, ListenerConnected)
        assert connected.topic == "/meta/connect"
        assert gws.stats.connected

        await sim.stop()  # GWS node goes down: held poll cut, connections refused
        lost = await stream.get(5)
        assert isinstance(lost, ConnectionLost)
        assert lost.cause

        await sim.start()  # same port, no memory of the Bayeux session
        back = await stream.get(10)
        assert isinstance(back, Reconnected)
        assert back.session_renewed
        assert back.downtime > 0

        sim.push("agent1", Topic.WORKBINS, GOOD)  # re-subscribed on its own
        assert isinstance(await stream.get(5), WorkbinStateChangeMessage)
        stats = gws.stats
    assert stats.reconnects == 1
    assert stats.handshakes == 2
    assert stats.events_received == 4
    assert stats.streams == 1


async def test_expired_session_is_reported_as_lost_then_renewed(
    sim: GwsSimulator, gws: GwsClient, eventually: Eventually
) -> None:
    await gws.subscribe(Topic.WORKBINS)
    async with gws.events(ConnectionLost, Reconnected) as stream:
        listener = gws.listener
        assert listener is not None
        await eventually(lambda: listener.connected)
        sim.expire_bayeux_sessions("agent1")
        lost = await stream.get(5)
        assert isinstance(lost, ConnectionLost)
        assert "402" in lost.cause
        back = await stream.get(5)
        assert isinstance(back, Reconnected)
        assert back.session_renewed


async def test_resync_reads_interactions_calls_and_devices(
    sim: GwsSimulator, gws: GwsClient
) -> None:
    chat = sim.create_interaction("agent1", media="chat")
    call_id = sim.ring_call("agent1", from_number="5551234")
    snapshot = await gws.resync()
    assert [e.id for e in snapshot.interactions if isinstance(e, InteractionStateMessage)] == [chat]
    assert [c.id for c in snapshot.calls] == [call_id]
    assert snapshot.calls[0].state == "Ringing"
    assert len(snapshot.devices) == 1
    assert snapshot.devices[0].user_state is not None


async def test_rest_401_logs_in_again_and_retries_once(sim: GwsSimulator, gws: GwsClient) -> None:
    logins = sum(1 for method, path in sim.requests if (method, path) == ("GET", "/api/v2/me"))
    sim.fail_next(
        1,
        status=401,
        body='{"statusCode": 3}',
        content_type="application/json",
        path_prefix="/api/v2/me/workbins",
    )
    assert await gws.workbins.list()  # answered after a fresh login
    relogins = sum(1 for m, p in sim.requests if (m, p) == ("GET", "/api/v2/me")) - logins
    assert relogins == 1
    assert len(sim.state.http_sessions) == 2  # the cookie was dropped: a new HTTP session


async def test_cometd_401_logs_in_again_and_handshakes_anew(
    sim: GwsSimulator, gws: GwsClient, eventually: Eventually
) -> None:
    workbin = await personal_workbin(gws)
    await gws.subscribe(Topic.WORKBINS)
    await gws.workbins.subscribe(workbin)
    listener = gws.listener
    assert listener is not None
    await eventually(lambda: listener.connected)
    sim.fail_next(
        1,
        status=401,
        body="Unauthorized",
        content_type="text/plain",
        path_prefix="/api/v2/notifications",
    )
    sim.expire_bayeux_sessions("agent1")  # wakes the held poll; the next request gets 401
    await eventually(lambda: listener.handshakes >= 2 and listener.connected, timeout=10)
    assert len(sim.state.http_sessions) == 2
    iid = "after-401"
    arrived = gws.workbins.expect_item("ItemAdded", workbin, iid, timeout=5)
    sim.put_in_workbin("agent1", workbin, media="chat", interaction_id=iid)
    assert (await arrived).interaction.id == iid


async def test_workbin_subscriptions_are_renewed_with_a_new_session(
    sim: GwsSimulator, gws: GwsClient, eventually: Eventually
) -> None:
    workbin = await personal_workbin(gws)
    await gws.subscribe(Topic.WORKBINS)
    await gws.workbins.subscribe(workbin)
    assert gws.workbins.subscribed == {workbin}

    def subscribe_posts() -> int:
        return sum(
            1 for m, p in sim.requests if m == "POST" and p.startswith("/api/v2/me/workbins/")
        )

    assert subscribe_posts() == 1
    async with gws.events(Reconnected) as stream:
        listener = gws.listener
        assert listener is not None
        await eventually(lambda: listener.connected)
        sim.expire_bayeux_sessions("agent1")
        back = await stream.get(5)
    assert back.session_renewed
    assert subscribe_posts() == 2  # Subscribe sent again before Reconnected was published


async def test_relogin_while_a_poll_is_held_keeps_the_new_sessions_csrf_token(
    sim: GwsSimulator, gws: GwsClient, eventually: Eventually
) -> None:
    await gws.subscribe(Topic.WORKBINS)
    listener = gws.listener
    assert listener is not None
    await eventually(lambda: listener.connected)
    async with gws.events(ConnectionLost, WorkbinStateChangeMessage) as stream:
        await asyncio.sleep(0.1)  # a /meta/connect is now held under the first session
        sim.fail_next(1, status=401, body="", path_prefix="/api/v2/me/calls")
        await gws.calls.list()  # logs in again: new session cookie, new CSRF token
        # The held poll returns (2 s) with the old session's token, which must not be
        # taken: the next connects and writes would all be refused.
        await asyncio.sleep(2.3)
        workbin = await personal_workbin(gws)
        await gws.workbins.subscribe(workbin)
        sim.put_in_workbin("agent1", workbin)
        assert isinstance(await stream.get(5), WorkbinStateChangeMessage)  # never lost


async def test_a_stream_can_take_a_topic_and_the_lifecycle_events(sim: GwsSimulator) -> None:
    async with (
        GwsClient(sim.url, "agent1", "password1") as gws,
        gws.events(topics=[Topic.WORKBINS, "/meta/connect"]) as stream,
    ):
        assert isinstance(await stream.get(5), ListenerConnected)
        sim.push("agent1", Topic.WORKBINS, GOOD)
        sim.push("agent1", Topic.DEVICES, GOOD)  # not subscribed: never arrives
        assert isinstance(await stream.get(5), WorkbinStateChangeMessage)
        sim.expire_bayeux_sessions("agent1")
        assert isinstance(await stream.get(5), ConnectionLost)
        assert isinstance(await stream.get(5), Reconnected)
        assert gws.listener is not None
        assert gws.listener.subscriptions == {Topic.WORKBINS}
