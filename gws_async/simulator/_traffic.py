"""Traffic: calls, chats and e-mails arriving for agent groups, so a bot can be watched
under load.

A :class:`TrafficPlan` gives, per agent group, how many calls, chats and e-mails arrive a
minute. Arrivals are a Poisson process (exponential gaps, the media of each drawn in
proportion to its rate), each offered to a random member of its group through the
simulator's own hooks (``ring_call``, ``offer_chat``, ``deliver_email``), with made-up
customer data from small built-in word lists. With a ``seed`` the schedule is the same on
every run (:func:`arrivals`).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._common import logger
from ._state import SimState

__all__ = [
    "DEFAULT_MAX_WAITING",
    "MAX_RATE_PER_MINUTE",
    "MEDIA",
    "Arrival",
    "Customer",
    "GroupTraffic",
    "Traffic",
    "TrafficPlan",
    "TrafficSink",
    "arrivals",
]

#: The media traffic brings, in the order their rates are read.
MEDIA: tuple[str, ...] = ("call", "chat", "email")
#: The highest rate accepted for one medium of one group: 6000 a minute (100 a second).
MAX_RATE_PER_MINUTE = 6000.0
#: Offers left unanswered (ringing calls, invited chats and e-mails) past which new
#: arrivals are skipped, so an unattended simulator does not grow without bound.
DEFAULT_MAX_WAITING = 1000

_FIRST_NAMES = (
    "Olivia", "Liam", "Amara", "Noah", "Sofia", "Mateo", "Yuki", "Elijah", "Priya", "Lucas",
    "Fatima", "Oscar", "Chloe", "Kwame", "Ingrid", "Diego", "Mei", "Tomasz", "Aisha", "Hugo",
    "Leila", "Rafael", "Nora", "Sven", "Zara", "Jonas", "Camille", "Arjun", "Elena", "Kofi",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Garcia", "Nguyen", "Okafor", "Müller", "Rossi", "Tanaka", "Kowalski", "Haddad",
    "Johansson", "Dubois", "Patel", "O'Brien", "Silva", "Kim", "Novak", "Andersen", "Mensah",
    "Fischer", "Moreau", "Costa", "Ivanova", "Walsh", "Schmidt", "Lopez", "Chen", "Ahmed",
)  # fmt: skip
# Area codes with the 555-01xx numbers set aside for fiction: nobody real gets called.
_AREA_CODES = ("212", "312", "415", "503", "617", "702", "808", "919")
_DOMAINS = ("example.com", "example.net", "example.org")
_SEGMENTS = ("Gold", "Silver", "Bronze", "New")
_TOPICS = (
    "Where is my order {order}?",
    "Refund for order {order}",
    "Wrong item delivered ({order})",
    "Change the delivery address of {order}",
    "Invoice question about {order}",
    "Cancel order {order}",
    "Damaged parcel, order {order}",
    "Warranty claim for order {order}",
)
_GREETINGS = ("Hi,", "Hello,", "Good morning,", "Hi there,", "Dear support,")
_CLOSINGS = ("Thanks!", "Thank you in advance.", "Kind regards,", "Best,", "Cheers,")


@dataclass(frozen=True)
class GroupTraffic:
    """How much arrives for one agent group, per minute (each 0 to
    :data:`MAX_RATE_PER_MINUTE`, 0 by default)."""

    group: str
    calls_per_minute: float = 0.0
    chats_per_minute: float = 0.0
    emails_per_minute: float = 0.0

    def __post_init__(self) -> None:
        for medium, rate in zip(MEDIA, self.rates(), strict=True):
            if not (math.isfinite(rate) and 0 <= rate <= MAX_RATE_PER_MINUTE):
                raise ValueError(
                    f"{medium}s per minute for {self.group!r} must be between 0 and "
                    f"{MAX_RATE_PER_MINUTE:g}"
                )

    def rates(self) -> tuple[float, float, float]:
        """Calls, chats and e-mails per minute, in the order of :data:`MEDIA`."""
        return (self.calls_per_minute, self.chats_per_minute, self.emails_per_minute)


@dataclass(frozen=True)
class TrafficPlan:
    """What arrives for which agent groups.

    ``seed`` makes the schedule reproducible (a random one each run when ``None``);
    past ``max_waiting`` unanswered offers (default :data:`DEFAULT_MAX_WAITING`) new
    arrivals are skipped and counted in :attr:`Traffic.counts` as ``skipped``.
    """

    groups: tuple[GroupTraffic, ...]
    seed: int | None = None
    max_waiting: int = DEFAULT_MAX_WAITING

    def __post_init__(self) -> None:
        if self.max_waiting < 1:
            raise ValueError("max_waiting must be at least 1")
        names = [g.group for g in self.groups]
        if len(set(names)) != len(names):
            raise ValueError("a group appears twice in the traffic plan")

    @property
    def per_minute(self) -> float:
        """Everything that arrives in a minute, all groups and media together."""
        return sum(sum(g.rates()) for g in self.groups)


@dataclass(frozen=True)
class Customer:
    """A made-up customer: names from the word lists, a fictional 555-01xx phone number,
    an ``example.*`` address and an order number."""

    first_name: str
    last_name: str
    phone_number: str
    email_address: str
    order_number: str
    segment: str

    @property
    def name(self) -> str:
        """``First Last``."""
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Arrival:
    """One call, chat or e-mail of the schedule, ``at`` seconds after traffic started."""

    at: float
    media: str
    group: str
    #: The member of ``group`` it is offered to; empty when the group had none.
    username: str
    customer: Customer
    subject: str
    text: str

    def user_data(self) -> dict[str, str]:
        """The attached data the offer carries."""
        c = self.customer
        return {
            "CustomerName": c.name,
            "FirstName": c.first_name,
            "LastName": c.last_name,
            "PhoneNumber": c.phone_number,
            "EmailAddress": c.email_address,
            "OrderNumber": c.order_number,
            "CustomerSegment": c.segment,
            "Subject": self.subject,
            "AgentGroup": self.group,
        }


def _customer(rng: random.Random) -> Customer:
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    local = f"{first}.{last}".lower().replace("'", "").replace("ü", "ue")
    return Customer(
        first_name=first,
        last_name=last,
        phone_number=f"+1{rng.choice(_AREA_CODES)}55501{rng.randrange(100):02d}",
        email_address=f"{local}@{rng.choice(_DOMAINS)}",
        order_number=f"ORD-{rng.randrange(100_000, 1_000_000)}",
        segment=rng.choice(_SEGMENTS),
    )


def arrivals(plan: TrafficPlan, members_of: Callable[[str], Sequence[str]]) -> Iterator[Arrival]:
    """The plan's schedule, endless (empty when every rate is 0): the same for the same
    ``seed`` and members. ``members_of(group)`` names who may get that group's offers."""
    streams = [
        (g.group, medium, rate)
        for g in plan.groups
        for medium, rate in zip(MEDIA, g.rates(), strict=True)
        if rate > 0
    ]
    if not streams:
        return
    rng = random.Random(plan.seed)
    per_second = sum(rate for _, _, rate in streams) / 60.0
    weights = [rate for _, _, rate in streams]
    at = 0.0
    while True:
        at += rng.expovariate(per_second)
        group, medium, _ = rng.choices(streams, weights)[0]
        members = members_of(group)
        username = rng.choice(members) if members else ""
        customer = _customer(rng)
        subject = rng.choice(_TOPICS).format(order=customer.order_number)
        text = f"{rng.choice(_GREETINGS)} {subject} {rng.choice(_CLOSINGS)}"
        yield Arrival(at, medium, group, username, customer, subject, text)


class TrafficSink(Protocol):
    """The simulator hooks traffic goes through."""

    def ring_call(
        self, username: str, from_number: str = ..., *, user_data: Mapping[str, Any] | None
    ) -> str:
        """Ring a call on the agent's device."""
        ...

    def offer_chat(
        self,
        username: str,
        *,
        nickname: str = ...,
        message: str | None = ...,
        user_data: Mapping[str, Any] | None,
    ) -> str:
        """Offer a customer chat."""
        ...

    def deliver_email(
        self,
        username: str,
        *,
        subject: str,
        text: str,
        from_address: str,
        to_address: str = ...,
        user_data: Mapping[str, Any] | None,
    ) -> str:
        """Offer an inbound e-mail."""
        ...


@dataclass
class Traffic:
    """Runs a :class:`TrafficPlan` against a simulator (started and stopped with it)."""

    plan: TrafficPlan
    state: SimState
    sink: TrafficSink
    #: How many calls, chats and e-mails were offered, and how many arrivals ``skipped``
    #: (too many waiting, no member in the group, or the hook refused).
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*MEDIA, "skipped"), 0))
    _schedule: Iterator[Arrival] | None = field(default=None, repr=False)
    _pending: Arrival | None = field(default=None, repr=False)
    _elapsed: float = field(default=0.0, repr=False)
    _waiting: list[tuple[str, str]] = field(default_factory=list, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def members_of(self, group: str) -> list[str]:
        """The usernames of the agents in agent group ``group`` now."""
        return [a.username for a in self.state.agents.values() if group in a.agent_groups]

    def start(self) -> None:
        """Start (or resume, after :meth:`stop`, where the schedule was) in the background."""
        if self._task is None and self.plan.per_minute > 0:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop offering; nothing more arrives until :meth:`start`."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        if self._schedule is None:
            self._schedule = arrivals(self.plan, self.members_of)
        loop = asyncio.get_running_loop()
        started = loop.time() - self._elapsed
        while True:
            arrival = self._pending or next(self._schedule)
            self._pending = arrival
            delay = started + arrival.at - loop.time()
            # Behind schedule, arrivals come at once, but the server still gets its turn.
            await asyncio.sleep(max(delay, 0.0))
            self._pending = None
            self._elapsed = arrival.at
            self.counts["skipped" if not self._offer(arrival) else arrival.media] += 1

    def _offer(self, arrival: Arrival) -> bool:
        """Offer ``arrival``; false when it is skipped."""
        if not arrival.username or self._still_waiting() >= self.plan.max_waiting:
            return False
        data = arrival.user_data()
        customer = arrival.customer
        try:
            if arrival.media == "call":
                iid = self.sink.ring_call(arrival.username, customer.phone_number, user_data=data)
            elif arrival.media == "chat":
                iid = self.sink.offer_chat(
                    arrival.username,
                    nickname=customer.first_name,
                    message=arrival.text,
                    user_data=data,
                )
            else:
                iid = self.sink.deliver_email(
                    arrival.username,
                    subject=arrival.subject,
                    text=arrival.text,
                    from_address=customer.email_address,
                    user_data=data,
                )
        except (KeyError, ValueError) as exc:  # the agent was deleted meanwhile, say
            logger.warning("traffic: %s for %s not offered: %s", arrival.media, arrival.group, exc)
            return False
        except Exception:  # a simulator bug must not end the traffic for good
            logger.exception("traffic: %s for %s not offered", arrival.media, arrival.group)
            return False
        self._waiting.append((arrival.media, iid))
        return True

    def _still_waiting(self) -> int:
        """How many of our offers are still unanswered (and forget the others)."""
        self._waiting = [(m, i) for m, i in self._waiting if self._is_waiting(m, i)]
        return len(self._waiting)

    def _is_waiting(self, media: str, iid: str) -> bool:
        if media == "call":
            call = self.state.calls.get(iid)
            return call is not None and call.state == "Ringing"
        interaction = self.state.interactions.get(iid)
        return interaction is not None and interaction.state == "Invited"
