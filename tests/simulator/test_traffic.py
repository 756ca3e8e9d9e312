"""The simulator's traffic: calls, chats and e-mails arriving for agent groups at random
(Poisson) times with made-up customer data, reproducible under a seed, received by a real
client as notifications."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import re

import pytest

from gws_async import (
    CallStateChangeMessage,
    GwsClient,
    GwsEvent,
    InteractionStateMessage,
    Topic,
)
from gws_async.simulator import GwsSimulator, SimAgent, SimState
from gws_async.simulator._traffic import (
    MAX_RATE_PER_MINUTE,
    Arrival,
    GroupTraffic,
    Traffic,
    TrafficPlan,
    arrivals,
)
from tests.conftest import Eventually

AGENTS = [
    SimAgent("alice", "al1ce-pw", agent_groups=["sales"]),
    SimAgent("bob", "b0b-pw", agent_groups=["sales"]),
    SimAgent("carol", "c4rol-pw", agent_groups=["support"]),
]
MEMBERS = {"sales": ["alice", "bob"], "support": ["carol"]}
BUSY = GroupTraffic("sales", calls_per_minute=600, chats_per_minute=600, emails_per_minute=600)
PLAN = TrafficPlan((BUSY,), seed=7)


def _schedule(plan: TrafficPlan, count: int) -> list[Arrival]:
    return list(itertools.islice(arrivals(plan, lambda g: MEMBERS.get(g, [])), count))


def test_the_schedule_is_the_same_under_the_same_seed() -> None:
    first = _schedule(PLAN, 300)
    assert first == _schedule(PLAN, 300)
    assert first != _schedule(TrafficPlan((BUSY,), seed=8), 300)
    assert {a.username for a in first} == {"alice", "bob"}
    assert {a.media for a in first} == {"call", "chat", "email"}
    assert all(b.at > a.at for a, b in itertools.pairwise(first))


def test_arrivals_follow_the_rates() -> None:
    plan = TrafficPlan(
        (
            GroupTraffic("sales", calls_per_minute=60, chats_per_minute=120),
            GroupTraffic("support", emails_per_minute=60),
        ),
        seed=1,
    )
    schedule = _schedule(plan, 6000)
    by_media = {m: sum(a.media == m for a in schedule) for m in ("call", "chat", "email")}
    assert by_media["chat"] / len(schedule) == pytest.approx(0.5, abs=0.03)
    assert by_media["call"] / len(schedule) == pytest.approx(0.25, abs=0.03)
    assert {a.group for a in schedule if a.media == "email"} == {"support"}
    # 240 a minute: one every 0.25 s on average.
    assert schedule[-1].at / len(schedule) == pytest.approx(0.25, rel=0.05)
    gaps = [b.at - a.at for a, b in itertools.pairwise(schedule)]
    # Exponential gaps: about 1/e of them are longer than the mean.
    assert sum(g > 0.25 for g in gaps) / len(gaps) == pytest.approx(math.exp(-1), abs=0.03)


def test_the_customer_data_looks_real() -> None:
    schedule = _schedule(PLAN, 200)
    for arrival in schedule:
        data = arrival.user_data()
        assert re.fullmatch(r"\+1\d{3}55501\d{2}", data["PhoneNumber"])
        assert re.fullmatch(r"[a-z.]+@example\.(com|net|org)", data["EmailAddress"])
        assert re.fullmatch(r"ORD-\d{6}", data["OrderNumber"])
        assert data["OrderNumber"] in data["Subject"]
        assert data["CustomerName"] == f"{data['FirstName']} {data['LastName']}"
        assert data["AgentGroup"] == "sales"
        assert arrival.subject in arrival.text
    assert len({a.customer.name for a in schedule}) > 50


@pytest.mark.parametrize("rate", [-1.0, MAX_RATE_PER_MINUTE + 1, math.nan, math.inf])
def test_a_rate_out_of_range_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="chats per minute for 'sales' must be between 0"):
        GroupTraffic("sales", chats_per_minute=rate)


def test_no_rate_means_no_arrival() -> None:
    assert _schedule(TrafficPlan((GroupTraffic("sales"),)), 5) == []
    with pytest.raises(ValueError, match="max_waiting"):
        TrafficPlan((BUSY,), max_waiting=0)
    with pytest.raises(ValueError, match="twice"):
        TrafficPlan((BUSY, GroupTraffic("sales")))


def _offer(event: GwsEvent) -> tuple[str, str]:
    """(media, order number) of an offer."""
    if isinstance(event, CallStateChangeMessage):
        assert event.call is not None
        assert event.call.state == "Ringing"
        return "call", str(event.call.user_data["OrderNumber"])
    assert isinstance(event, InteractionStateMessage)
    assert event.state == "Invited"
    return str(event.media), str(event.user_data["OrderNumber"])


async def _offers_to_alice(sim: GwsSimulator, seconds: float) -> list[tuple[str, str]]:
    """What alice is offered in about ``seconds``, in arrival order."""
    received: list[tuple[str, str]] = []

    async def collect(client: GwsClient) -> None:
        async with client.events(CallStateChangeMessage, InteractionStateMessage) as stream:
            async for event in stream:
                received.append(_offer(event))

    async with GwsClient(sim.url, "alice", "al1ce-pw") as client:
        await client.subscribe(Topic.CALLS, Topic.INTERACTIONS)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(collect(client), seconds)
    return received


async def test_a_client_receives_the_traffic_as_scheduled() -> None:
    schedule = _schedule(PLAN, 1000)
    for_alice = [(a.media, a.customer.order_number) for a in schedule if a.username == "alice"]
    async with GwsSimulator(AGENTS, traffic=PLAN, long_poll_timeout=1.0) as sim:
        received = await _offers_to_alice(sim, 2.0)
        assert sim.traffic is not None
        counts = dict(sim.traffic.counts)
    # 30 a second, half of them for alice: what she got since she subscribed is a run of
    # the seeded schedule, in its order, with every medium.
    assert len(received) >= 10
    assert {media for media, _ in received} == {"call", "chat", "email"}
    start = for_alice.index(received[0])
    assert received == for_alice[start : start + len(received)]
    assert counts["skipped"] == 0
    offered = counts["call"] + counts["chat"] + counts["email"]
    assert sum(a.username == "alice" for a in schedule[:offered]) >= start + len(received)


async def test_offers_stop_at_max_waiting_and_with_the_simulator(eventually: Eventually) -> None:
    plan = TrafficPlan((BUSY,), seed=3, max_waiting=5)
    sim = GwsSimulator(AGENTS, traffic=plan, long_poll_timeout=1.0)
    assert sim.traffic is not None
    counts = sim.traffic.counts
    async with sim:
        await eventually(lambda: counts["skipped"] >= 3, "arrivals skipped")
        # Nobody answers: exactly max_waiting offers are out, the rest skipped.
        assert counts["call"] + counts["chat"] + counts["email"] == 5
        ringing = [c for c in sim.state.calls.values() if c.state == "Ringing"]
        invited = [i for i in sim.state.interactions.values() if i.state == "Invited"]
        assert len(ringing) + len(invited) == 5
        # One answered (here: taken away) makes room for one more.
        (
            sim.state.calls.pop(ringing[0].id)
            if ringing
            else sim.state.interactions.pop(invited[0].id)
        )
        await eventually(
            lambda: counts["call"] + counts["chat"] + counts["email"] == 6, "a sixth offer"
        )
    frozen = dict(counts)
    await asyncio.sleep(0.3)
    assert counts == frozen


async def test_traffic_resumes_its_schedule_after_a_restart(eventually: Eventually) -> None:
    sim = GwsSimulator(AGENTS, traffic=PLAN, long_poll_timeout=1.0)
    assert sim.traffic is not None
    counts = sim.traffic.counts
    async with sim:
        await eventually(lambda: sum(counts.values()) >= 5, "five arrivals")
    before = sum(counts.values())
    async with sim:
        await eventually(lambda: sum(counts.values()) >= before + 5, "five more")
    numbers = sorted(i.user_data["OrderNumber"] for i in sim.state.interactions.values())
    numbers += [c.user_data["OrderNumber"] for c in sim.state.calls.values()]
    scheduled = {a.customer.order_number for a in _schedule(PLAN, sum(counts.values()))}
    assert set(numbers) == scheduled


async def test_an_offer_the_simulator_refuses_is_skipped_and_traffic_goes_on(
    eventually: Eventually,
) -> None:
    """An agent the hooks do not know (deleted meanwhile) costs one arrival, not the run."""
    async with GwsSimulator(AGENTS, long_poll_timeout=1.0) as sim:
        ghost = SimState([*AGENTS, SimAgent("ghost", "gh0st-pw", agent_groups=["sales"])], [])
        traffic = Traffic(TrafficPlan((BUSY,), seed=5), ghost, sim)
        traffic.start()
        try:
            await eventually(lambda: traffic.counts["skipped"] >= 2, "the ghost's arrivals")
            await eventually(lambda: traffic.counts["chat"] >= 2, "offers after them")
        finally:
            await traffic.stop()
