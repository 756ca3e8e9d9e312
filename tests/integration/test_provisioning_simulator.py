"""Provisioning and settings: the real client against the simulator over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest

from gws_async import (
    ForbiddenError,
    GwsClient,
    InvalidStateError,
    MissingParameterError,
    NotFoundError,
    PermissionDeniedError,
    Topic,
    UserPasswordChangeError,
    UserPasswordChangeSuccessful,
)
from gws_async.simulator import GwsSimulator, SimAgent
from gws_async.simulator._provisioning import provisioning

pytestmark = pytest.mark.simulator(
    [
        SimAgent("admin", "adminpw", roles=["ROLE_ADMIN", "ROLE_AGENT"]),
        SimAgent("agent1", "password1"),
        SimAgent("agent2", "password2"),
    ]
)


@pytest.fixture
async def admin(sim: GwsSimulator) -> AsyncIterator[GwsClient]:
    async with GwsClient(sim.url, "admin", "adminpw") as client:
        yield client


@pytest.fixture
def agent(gws: GwsClient) -> GwsClient:
    """agent1, logged in beside the admin."""
    return gws


def user_id(sim: GwsSimulator, username: str) -> str:
    return sim.state.agent(username).user_id


# -- users ----------------------------------------------------------------------------------


async def test_users_list_get_and_uris(sim: GwsSimulator, agent: GwsClient) -> None:
    users = await agent.users.list()
    assert [u.user_name for u in users] == ["admin", "agent1", "agent2"]
    assert users[0].roles == ["ROLE_ADMIN", "ROLE_AGENT"]
    assert users[1].skills == []  # no subresources asked
    uris = await agent.users.list_uris()
    assert uris == [u.uri for u in users]
    uid = user_id(sim, "agent2")
    plain = await agent.users.get(uid)
    assert (plain.user_name, plain.skills, plain.devices) == ("agent2", [], [])
    full = await agent.users.get(uid, subresources="*")
    assert {s.name for s in full.skills} == {"English", "Billing"}
    assert full.devices[0]["phoneNumber"] == sim.state.presence["agent2"].phone_number
    only_skills = await agent.users.get(uid, subresources=("skills",))
    assert only_skills.skills
    assert not only_skills.devices
    listed = await agent.users.list(subresources="*")
    assert all(u.skills for u in listed)
    with pytest.raises(NotFoundError):
        await agent.users.get("nobody")


async def test_create_update_delete_user(sim: GwsSimulator, admin: GwsClient) -> None:
    created = await admin.users.create(
        "new.agent", "pw-1", first_name="New", last_name="Agent", roles=["ROLE_AGENT"]
    )
    assert created.id is not None
    assert created.uri == f"{sim.api_url}/users/{created.id}"
    user = await admin.users.get(created.id)
    assert (user.user_name, user.first_name, user.roles) == ("new.agent", "New", ["ROLE_AGENT"])
    async with GwsClient(sim.url, "new.agent", "pw-1") as newcomer:
        assert newcomer.user is not None
        assert newcomer.user.id == created.id

    await admin.users.update(created.id, last_name="Renamed", roles=["ROLE_ADMIN"])
    user = await admin.users.get(created.id)
    assert (user.last_name, user.roles) == ("Renamed", ["ROLE_ADMIN"])

    with pytest.raises(InvalidStateError):
        await admin.users.create("new.agent", "pw-2")  # duplicate
    await admin.users.delete(created.id)
    assert "new.agent" not in sim.state.agents
    with pytest.raises(NotFoundError):
        await admin.users.delete(created.id)


async def test_user_writes_need_an_admin(sim: GwsSimulator, agent: GwsClient) -> None:
    uid = user_id(sim, "agent2")
    with pytest.raises(PermissionDeniedError):
        await agent.users.create("x", "y")
    with pytest.raises(PermissionDeniedError):
        await agent.users.update(uid, first_name="Z")
    with pytest.raises(PermissionDeniedError):
        await agent.users.delete(uid)
    with pytest.raises(PermissionDeniedError):
        await agent.users.reset_password(uid, "new")
    with pytest.raises(PermissionDeniedError):
        await agent.users.change_password(uid, "password2", "new")
    assert sim.state.agent("agent2").password == "password2"


async def test_reset_password_publishes_on_users_topic(sim: GwsSimulator, admin: GwsClient) -> None:
    uid = user_id(sim, "agent2")
    await admin.subscribe(Topic.USERS)
    waiter = admin.wait_for(
        UserPasswordChangeSuccessful, check=lambda e: e.user_id == uid, timeout=5
    )
    result = await admin.users.reset_password(uid, "fresh-pw")
    assert result.status_code == 0
    event = await waiter
    assert event.notification_type == "PasswordChangeSuccessful"
    assert event.user_uri == f"{sim.api_url}/users/{uid}"
    assert sim.state.agent("agent2").password == "fresh-pw"
    async with GwsClient(sim.url, "agent2", "fresh-pw") as relogged:
        assert relogged.user is not None


async def test_change_password_checks_the_old_one(sim: GwsSimulator, admin: GwsClient) -> None:
    uid = user_id(sim, "agent1")
    await admin.subscribe(Topic.USERS)
    failed = admin.wait_for(UserPasswordChangeError, check=lambda e: e.user_id == uid, timeout=5)
    await admin.users.change_password(uid, "wrong", "next-pw")
    error = await failed
    assert error.error_code == 2
    assert sim.state.agent("agent1").password == "password1"

    done = admin.wait_for(UserPasswordChangeSuccessful, check=lambda e: e.user_id == uid, timeout=5)
    await admin.users.change_password(uid, "password1", "next-pw")
    assert (await done).user_uri == f"{sim.api_url}/users/{uid}"
    assert sim.state.agent("agent1").password == "next-pw"


async def test_user_skills(sim: GwsSimulator, agent: GwsClient) -> None:
    uid = user_id(sim, "agent1")
    skills = await agent.users.list_skills(uid)
    assert {(s.name, s.level) for s in skills} == {("English", "5"), ("Billing", "3")}
    uris = await agent.users.list_skill_uris(uid)
    assert uris == [f"{sim.api_url}/users/{uid}/skills/{s.id}" for s in skills]
    one = await agent.users.get_skill(uid, skills[0].id)
    assert one == skills[0]
    with pytest.raises(NotFoundError):
        await agent.users.get_skill(uid, "8e8fbe93-a8e5-4997-a939-0e245c30f97c")


# -- skills ---------------------------------------------------------------------------------


async def test_skills(agent: GwsClient) -> None:
    skills = await agent.skills.list()
    assert {s.name for s in skills} == {"English", "Billing", "Might", "Magic"}
    might = next(s for s in skills if s.name == "Might")
    assert might.id == "8e8fbe93-a8e5-4997-a939-0e245c30f97c"
    magic = next(s for s in skills if s.name == "Magic")
    assert magic.description is None  # absent when not created, as the spec says
    assert len(await agent.skills.list_uris()) == 4
    assert await agent.skills.get(might.id) == might
    named = await agent.skills.list(fields=["id", "name"])
    assert named[0].level is None
    assert named[0].name is not None
    with pytest.raises(NotFoundError):
        await agent.skills.get("nope")


# -- contacts -------------------------------------------------------------------------------


async def test_contacts_filters(sim: GwsSimulator, agent: GwsClient) -> None:
    everyone = await agent.contacts.list()
    assert {c.type for c in everyone} == {"User", "Queue"}
    users = await agent.contacts.list(type="User")
    assert [c.user_name for c in users] == ["admin", "agent1", "agent2"]
    (me,) = await agent.contacts.list(user_name="agent1", first_name="Agent1")
    assert me.id == user_id(sim, "agent1")
    assert me.employee_id == "agent1"
    queues = await agent.contacts.list(type="Queue")
    assert queues
    assert all(not q.is_custom for q in queues)
    assert await agent.contacts.list(last_name="Nobody") == []
    assert len(await agent.contacts.list_uris()) == len(everyone)


async def test_custom_contacts_lifecycle(admin: GwsClient) -> None:
    created = await admin.contacts.create("Some Contact", "650-555-0100")
    assert created.id is not None
    (custom,) = await admin.contacts.list(type="Custom")
    assert (custom.id, custom.name, custom.phone_number) == (
        created.id,
        "Some Contact",
        "650-555-0100",
    )
    assert custom.is_custom
    await admin.contacts.update(created.id, name="Renamed")
    (custom,) = await admin.contacts.list(type="Custom")
    assert custom.name == "Renamed"
    await admin.contacts.delete(created.id)
    assert await admin.contacts.list(type="Custom") == []
    with pytest.raises(NotFoundError):
        await admin.contacts.delete(created.id)


async def test_non_custom_contacts_are_read_only(admin: GwsClient) -> None:
    queue = (await admin.contacts.list(type="Queue"))[0]
    with pytest.raises(ForbiddenError):
        await admin.contacts.update(queue.id, name="Mine")
    user = (await admin.contacts.list(type="User"))[0]
    with pytest.raises(ForbiddenError):
        await admin.contacts.delete(user.id)


async def test_contact_writes_need_an_admin(agent: GwsClient) -> None:
    with pytest.raises(PermissionDeniedError):
        await agent.contacts.create("Some Contact", "1")


# -- features -------------------------------------------------------------------------------


async def test_features(sim: GwsSimulator, admin: GwsClient, agent: GwsClient) -> None:
    assigned = await agent.features.list()
    assert len(assigned) == 8
    assert "api-multimedia" not in {f.id for f in assigned}
    system = await admin.features.system_features()
    assert len(system) == 9
    assert len(await admin.features.system_feature_uris()) == 9
    voice = await agent.features.get("api-voice")
    assert voice.description == "The API for the voice channel."
    assert await agent.features.list_uris() == [f.uri for f in assigned]
    with pytest.raises(NotFoundError):
        await agent.features.get("api-multimedia")
    with pytest.raises(PermissionDeniedError):
        await agent.features.system_features()
    with pytest.raises(PermissionDeniedError):
        await agent.features.delete("api-voice")
    await admin.features.delete("ui-supervisor-reporting")
    assert "ui-supervisor-reporting" not in {f.id for f in await agent.features.list()}
    assert "ui-supervisor-reporting" not in provisioning(sim.state).features
    with pytest.raises(NotFoundError):
        await admin.features.delete("ui-supervisor-reporting")


# -- settings -------------------------------------------------------------------------------


async def test_settings_groups(admin: GwsClient, agent: GwsClient) -> None:
    groups = await admin.settings.list()
    assert [g.name for g in groups] == ["general-settings", "agent-states"]
    with pytest.raises(PermissionDeniedError):
        await agent.settings.list()
    general = await agent.settings.general()
    assert (general.country_code, general.country_digits) == ("US", "1")


async def test_agent_states_lifecycle(admin: GwsClient) -> None:
    defaults = await admin.settings.agent_states()
    assert [s.operation_name for s in defaults] == [
        "AfterCallWork",
        "AuxWork",
        "NotReady",
        "Offline",
        "Ready",
    ]
    created = await admin.settings.create_agent_state(
        "OutToLunch", "Not Ready - Out to lunch", "NotReady", reason="OutToLunch"
    )
    assert created.id is not None
    await admin.settings.update_agent_state("OutToLunch", display_name="Not Ready - Lunch!")
    lunch = (await admin.settings.agent_states())[-1]
    assert (lunch.operation_name, lunch.display_name, lunch.reason, lunch.id) == (
        "OutToLunch",
        "Not Ready - Lunch!",
        "OutToLunch",
        created.id,
    )
    with pytest.raises(InvalidStateError):
        await admin.settings.create_agent_state("OutToLunch", "again", "NotReady")
    with pytest.raises(InvalidStateError):  # the reason code must be unique
        await admin.settings.create_agent_state("Lunch2", "L", "NotReady", reason="OutToLunch")
    await admin.settings.delete_agent_state("OutToLunch")
    assert len(await admin.settings.agent_states()) == 5
    with pytest.raises(NotFoundError):
        await admin.settings.delete_agent_state("OutToLunch")


async def test_built_in_agent_states_are_read_only(admin: GwsClient, agent: GwsClient) -> None:
    with pytest.raises(ForbiddenError):
        await admin.settings.update_agent_state("Ready", display_name="Go")
    with pytest.raises(ForbiddenError):
        await admin.settings.delete_agent_state("NotReady")
    with pytest.raises(PermissionDeniedError):
        await agent.settings.create_agent_state("Nap", "Nap", "NotReady")
    assert len(await agent.settings.agent_states()) == 5


async def test_agent_state_missing_parameter(admin: GwsClient) -> None:
    # Bypass the client's checks to see the simulator's statusCode 1.
    with pytest.raises(MissingParameterError):
        await admin.request(
            "POST", "/settings/agent-states", json_body={"operationName": "X"}, operation="t"
        )


async def test_routing_templates(agent: GwsClient) -> None:
    every = await agent.settings.routing_templates()
    assert {t.channel for t in every} == {"voice", "chat", "email"}
    voice = await agent.settings.routing_templates(channel="voice")
    assert {t.id for t in voice} == {"voice-basic", "voice-skills"}
    (v2,) = await agent.settings.routing_templates(channel="voice", version="2.0")
    assert v2.id == "voice-skills"


# -- recordings -----------------------------------------------------------------------------


async def test_recordings_filters_and_paging(sim: GwsSimulator, agent: GwsClient) -> None:
    every = await agent.recordings.list()
    assert len(every) == 9  # three per user
    mine = await agent.recordings.list(user_name="agent1")
    assert {r.user_name for r in mine} == {"agent1"}
    assert len(mine) == 3
    dialed = sim.state.presence["agent1"].phone_number
    assert await agent.recordings.list(dialed_phone_number=dialed) == mine
    one = await agent.recordings.list(caller_phone_number=mine[1].caller_phone_number or "")
    assert one == [mine[1]]
    window = await agent.recordings.list(
        start_time=datetime(2024, 1, 15, 10, 0, tzinfo=timezone.utc),
        end_time=datetime(2024, 1, 15, 12, 0, tzinfo=timezone.utc),
    )
    assert [r.start_time for r in window] == [
        "2024-01-15T10:00:00.000Z",
        "2024-01-15T11:00:00.000Z",
    ]
    page = await agent.recordings.list(offset=2, limit=3)
    assert page == every[2:5]
    with pytest.raises(InvalidStateError):
        await agent.recordings.list(start_time="yesterday")
