"""In-memory state of the simulator: agents, workbins, interactions and HTTP sessions.

Everything here is plain data. The HTTP handlers and the test hooks mutate it; tests read it
through ``GwsSimulator.state`` for assertions.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "DEFAULT_AGENT_GROUP_WORKBIN_ID",
    "DEFAULT_PLACE_GROUP_WORKBIN_ID",
    "PERSONAL_WORKBIN_NAMES",
    "HttpSession",
    "SimAgent",
    "SimCall",
    "SimInteraction",
    "SimState",
    "SimWorkbin",
    "default_agents",
    "default_workbins",
    "utcnow",
]

_NAMESPACE = uuid.UUID("5b1f6f0e-4c38-4a53-9f5e-2a8f3f0c9d11")

#: The personal workbins every agent gets, as in the spec's GetWorkbinTypesInfo sample.
PERSONAL_WORKBIN_NAMES: tuple[str, ...] = (
    "TestWorkbin",
    "FacebookWorkbinDraft",
    "FacebookWorkbinInProgress",
    "TwitterWorkbinDraft",
    "TwitterWorkbinInProgress",
)
#: Ids of the group workbins used in the spec's AddInteraction to a Group Workbin samples.
DEFAULT_AGENT_GROUP_WORKBIN_ID = "6c715fa9-de16-4d23-b07c-cbcb1caf3e07"
DEFAULT_PLACE_GROUP_WORKBIN_ID = "5d487e69-a393-4228-a06f-6a4015ab1b54"

# A client that sends Basic credentials without ever keeping the cookie opens one HTTP
# session per request; the oldest ones are dropped past this bound.
_MAX_HTTP_SESSIONS = 10_000


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


def _derived_id(*parts: str) -> str:
    return uuid.uuid5(_NAMESPACE, "/".join(parts)).hex


@dataclass
class SimAgent:
    """An agent the simulator knows: credentials, identity and group membership.

    Unset identity fields are derived from ``username`` so that ids are stable across runs.
    """

    username: str
    password: str = field(repr=False)
    user_id: str = ""
    first_name: str = ""
    last_name: str = "Simulated"
    employee_id: str = ""
    agent_groups: list[str] = field(default_factory=lambda: ["MyAgentGroup"])
    place_groups: list[str] = field(default_factory=lambda: ["MyPlaceGroup"])
    place: str = ""
    #: ``ROLE_AGENT`` and/or ``ROLE_ADMIN``; provisioning writes need ``ROLE_ADMIN``.
    roles: list[str] = field(default_factory=lambda: ["ROLE_AGENT"])

    def __post_init__(self) -> None:
        if not self.username or ":" in self.username:
            # RFC 2617 Basic credentials cannot carry a ':' in the user name.
            raise ValueError(f"invalid agent username {self.username!r}")
        if not self.user_id:
            self.user_id = _derived_id("user", self.username)
        if not self.first_name:
            self.first_name = self.username.capitalize()
        if not self.employee_id:
            self.employee_id = self.username
        if not self.place:
            self.place = f"Place_{self.username}"


@dataclass(frozen=True)
class SimWorkbin:
    """A workbin definition.

    With ``agent_group`` or ``place_group`` set it is a group workbin shared by the members
    of that group; with neither it is a personal workbin type that every agent owns a copy
    of (same id for all agents, told apart by owner, as GWS does).
    """

    id: str
    name: str
    agent_group: str | None = None
    place_group: str | None = None

    def __post_init__(self) -> None:
        if self.agent_group is not None and self.place_group is not None:
            raise ValueError("a workbin belongs to an agent group or a place group, not both")
        if not self.id or "/" in self.id:
            raise ValueError(f"invalid workbin id {self.id!r}")

    @classmethod
    def personal(cls, name: str) -> SimWorkbin:
        """A personal workbin whose id is base64 of ``"{name}/PrivateView"``, like GWS."""
        return cls(id=base64.b64encode(f"{name}/PrivateView".encode()).decode(), name=name)

    @property
    def is_group(self) -> bool:
        """Whether this is an AgentGroup or PlaceGroup workbin."""
        return self.agent_group is not None or self.place_group is not None

    @property
    def view_name(self) -> str:
        """The view name GetWorkbinTypesInfo reports."""
        return f"{self.name}/PrivateView"

    @property
    def queue_name(self) -> str:
        """The Interaction Server queue that backs this workbin."""
        return f"{self.name}/{'GroupQueue' if self.is_group else 'PrivateQueue'}"


def default_agents() -> list[SimAgent]:
    """``agent1``/``password1`` and ``agent2``/``password2``."""
    return [SimAgent("agent1", "password1"), SimAgent("agent2", "password2")]


def default_workbins() -> list[SimWorkbin]:
    """The spec's personal workbins plus one AgentGroup and one PlaceGroup workbin."""
    return [
        *(SimWorkbin.personal(name) for name in PERSONAL_WORKBIN_NAMES),
        SimWorkbin(DEFAULT_AGENT_GROUP_WORKBIN_ID, "AgentGroupWorkbin", agent_group="MyAgentGroup"),
        SimWorkbin(DEFAULT_PLACE_GROUP_WORKBIN_ID, "PlaceGroupWorkbin", place_group="MyPlaceGroup"),
    ]


@dataclass
class SimInteraction:
    """One multimedia interaction.

    It is either owned by an agent (``owner``), or sits in a workbin (``workbin_id``; for a
    personal workbin ``workbin_owner`` names whose copy), never both.
    """

    id: str
    media: str
    state: str
    user_data: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None
    workbin_id: str | None = None
    workbin_owner: str | None = None
    interaction_type: str = "Inbound"
    interaction_subtype: str = "InboundNew"
    queue: str = ""
    received_at: datetime = field(default_factory=utcnow)
    placed_in_workbin_at: datetime | None = None
    assigned_at: datetime | None = None
    last_agent: str | None = None
    chat_event_id: int = 0
    #: E-mail content (``email_object`` keys, PascalCase as in the Accepted sample).
    email: dict[str, Any] = field(default_factory=dict)
    #: Chat transcript: the ``chat_notifications`` entries so far.
    transcript: list[dict[str, Any]] = field(default_factory=list)
    parent_id: str | None = None
    #: Usernames of the other agents in a conference on this interaction.
    conference: list[str] = field(default_factory=list)
    #: Username of the agent consulted through StartChatConsultation.
    consultation: str | None = None
    #: documentId -> (file name, MIME type, bytes).
    attachments: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    #: Interaction Server's ``SubmitSeq`` and ``PlaceInQueueSeq`` (see ``SimState.next_seq``).
    submit_seq: int = 0
    place_in_queue_seq: int = 0
    #: Employee id of the agent it was last assigned to (``AssignedTo``).
    assigned_to: str | None = None
    #: When the pending invitation was sent; inactivity revokes it after ``revoke_after``.
    invited_at: datetime | None = None


@dataclass
class HttpSession:
    """An authenticated HTTP session (the ``JSESSIONID`` cookie) and its CSRF token."""

    id: str
    username: str
    csrf_token: str = field(repr=False)


@dataclass
class SimCall:
    """One voice call on an agent's device."""

    id: str
    owner: str
    state: str
    participants: list[str] = field(default_factory=list)
    ani: str = ""
    dnis: str = ""
    call_uuid: str = ""
    mute: bool = False
    user_data: dict[str, Any] = field(default_factory=dict)
    #: For a consultation call made by ``InitiateConference``: the call it consults for.
    consult_of: str | None = None
    created_at: datetime = field(default_factory=utcnow)


@dataclass
class AgentPresence:
    """Runtime presence of an agent: its device and its per-channel user states."""

    device_id: str
    phone_number: str
    user_states: dict[str, str] = field(
        default_factory=lambda: {"voice": "NotReady", "chat": "NotReady", "email": "NotReady"}
    )
    #: The agent-state operation (``Ready``, ``OutToLunch``...) last applied per channel.
    state_operations: dict[str, str] = field(default_factory=dict)
    #: Do Not Disturb per channel (``voice`` is the device).
    dnd: dict[str, bool] = field(
        default_factory=lambda: {"voice": False, "chat": False, "email": False}
    )
    forward_to: str | None = None
    #: Whether the contact-center session (agent login on the device) is running.
    session_active: bool = True
    session_place: str | None = None
    session_channels: list[str] = field(default_factory=list)


class SimState:
    """All mutable simulator state. Read it in tests; mutate it through the simulator hooks."""

    def __init__(self, agents: Iterable[SimAgent], workbins: Iterable[SimWorkbin]) -> None:
        self.agents: dict[str, SimAgent] = {}
        self.presence: dict[str, AgentPresence] = {}
        for index, agent in enumerate(agents):
            if agent.username in self.agents:
                raise ValueError(f"duplicate agent {agent.username!r}")
            self.agents[agent.username] = agent
            self.presence[agent.username] = AgentPresence(
                device_id=_derived_id("device", agent.username), phone_number=str(5001 + index)
            )
        self.workbins: dict[str, SimWorkbin] = {}
        for workbin in workbins:
            if workbin.id in self.workbins:
                raise ValueError(f"duplicate workbin id {workbin.id!r}")
            self.workbins[workbin.id] = workbin
        self.interactions: dict[str, SimInteraction] = {}
        #: ``(username, workbin_id)`` pairs for which that agent gets workbin events.
        self.workbin_subscriptions: set[tuple[str, str]] = set()
        self.http_sessions: OrderedDict[str, HttpSession] = OrderedDict()
        #: Voice calls by id (see ``_calls``).
        self.calls: dict[str, SimCall] = {}
        self._reference_ids = itertools.count(1)
        self._seqs = itertools.count(41_895_540)

    # -- ids ------------------------------------------------------------------------------

    def next_reference_id(self) -> int:
        """The next ``referenceId``: one increasing counter per simulator."""
        return next(self._reference_ids)

    def next_seq(self) -> int:
        """The next Interaction Server sequence number (``SubmitSeq``, ``PlaceInQueueSeq``)."""
        return next(self._seqs)

    def new_interaction_id(self) -> str:
        """A fresh 16-character interaction id shaped like Interaction Server's."""
        while True:
            candidate = "0001" + secrets.token_hex(6).upper()
            if candidate not in self.interactions:
                return candidate

    # -- HTTP sessions --------------------------------------------------------------------

    def open_http_session(self, username: str) -> HttpSession:
        """Start an HTTP session for an authenticated agent, with a new CSRF token."""
        session = HttpSession(
            id=secrets.token_hex(16).upper(),
            username=username,
            csrf_token=str(uuid.UUID(bytes=secrets.token_bytes(16), version=4)),
        )
        self.http_sessions[session.id] = session
        while len(self.http_sessions) > _MAX_HTTP_SESSIONS:
            self.http_sessions.popitem(last=False)
        return session

    # -- lookups --------------------------------------------------------------------------

    def agent(self, username: str) -> SimAgent:
        """The agent called ``username``; ``KeyError`` when there is none."""
        try:
            return self.agents[username]
        except KeyError:
            raise KeyError(f"unknown agent {username!r}") from None

    def workbin(self, workbin_id: str) -> SimWorkbin:
        """The workbin with that id; ``KeyError`` when there is none."""
        try:
            return self.workbins[workbin_id]
        except KeyError:
            raise KeyError(f"unknown workbin {workbin_id!r}") from None

    def personal_workbins(self) -> list[SimWorkbin]:
        """The personal workbin types, in definition order."""
        return [wb for wb in self.workbins.values() if not wb.is_group]

    def is_member(self, agent: SimAgent, workbin: SimWorkbin) -> bool:
        """Whether ``agent`` may see ``workbin`` (always true for personal workbins)."""
        if workbin.agent_group is not None:
            return workbin.agent_group in agent.agent_groups
        if workbin.place_group is not None:
            return workbin.place_group in agent.place_groups
        return True

    def members(self, workbin: SimWorkbin) -> list[SimAgent]:
        """The agents that share a group workbin."""
        return [agent for agent in self.agents.values() if self.is_member(agent, workbin)]

    def agent_groups(self) -> set[str]:
        """Every agent group known from agents or workbins."""
        groups = {g for agent in self.agents.values() for g in agent.agent_groups}
        return groups | {wb.agent_group for wb in self.workbins.values() if wb.agent_group}

    def place_groups(self) -> set[str]:
        """Every place group known from agents or workbins."""
        groups = {g for agent in self.agents.values() for g in agent.place_groups}
        return groups | {wb.place_group for wb in self.workbins.values() if wb.place_group}

    def can_see(self, agent: SimAgent, interaction: SimInteraction) -> bool:
        """Whether ``agent`` may read ``interaction``.

        The spec gives the contact center's every active interaction to the Contact Center
        Admin (``ROLE_ADMIN``); an agent sees those it is a party of (invited included)
        and those in the workbins it sees: its own copy of a personal workbin, and the
        group workbins of its groups.
        """
        if "ROLE_ADMIN" in agent.roles:
            return True
        parties = (interaction.owner, interaction.consultation, *interaction.conference)
        if agent.username in parties:
            return True
        workbin = self.workbins.get(interaction.workbin_id or "")
        if workbin is None:
            return False
        if workbin.is_group:
            return self.is_member(agent, workbin)
        return interaction.workbin_owner == agent.username

    def visible_to(self, agent: SimAgent) -> list[SimInteraction]:
        """The interactions ``agent`` may read (see :meth:`can_see`)."""
        return [i for i in self.interactions.values() if self.can_see(agent, i)]

    def owned_by(self, username: str) -> list[SimInteraction]:
        """Interactions the agent currently owns."""
        return [i for i in self.interactions.values() if i.owner == username]

    def in_workbin(self, workbin: SimWorkbin, username: str) -> list[SimInteraction]:
        """Content of a workbin as ``username`` sees it (its own copy of a personal workbin)."""
        return list(self._in_workbin(workbin, username))

    def _in_workbin(self, workbin: SimWorkbin, username: str) -> Iterator[SimInteraction]:
        for interaction in self.interactions.values():
            if interaction.workbin_id != workbin.id:
                continue
            if workbin.is_group or interaction.workbin_owner == username:
                yield interaction

    def add_interaction(
        self,
        *,
        media: str,
        state: str,
        user_data: Mapping[str, Any] | None,
        interaction_id: str | None,
        queue: str,
    ) -> SimInteraction:
        """Create and register an interaction (owner and workbin are set by the caller)."""
        iid = interaction_id or self.new_interaction_id()
        if iid in self.interactions:
            raise ValueError(f"interaction {iid!r} already exists")
        interaction = SimInteraction(
            id=iid,
            media=media,
            state=state,
            user_data=dict(user_data or {}),
            queue=queue,
            submit_seq=self.next_seq(),
        )
        self.interactions[iid] = interaction
        return interaction
