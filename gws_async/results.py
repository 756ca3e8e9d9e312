"""Typed results of REST operations."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import GwsModel, Id
from .models import Interaction

__all__ = [
    "AgentStateDefinition",
    "AttachmentContent",
    "Contact",
    "Feature",
    "GeneralSettings",
    "Interaction",
    "OperationResult",
    "Recording",
    "RoutingTemplate",
    "SettingsGroup",
    "Skill",
    "User",
    "WorkbinItem",
    "WorkbinType",
]


class OperationResult(GwsModel):
    """The answer of an operation: success, plus whatever the server added.

    ``reference_id`` is set for asynchronous operations whose outcome arrives later as a
    notification carrying the same ``referenceId`` (see ``GwsClient.wait_for_reference``).
    """

    reference_id: int | None = None
    uri: str | None = None
    id: str | None = None
    reply_interaction_id: str | None = None
    status_code: int | None = None


class User(GwsModel):
    """A user: the logged-in one (``GET /me``) or any of the contact center (``/users``).

    ``skills`` and ``devices`` are filled when the request asked for ``subresources``.
    ``id`` is ``None`` only for an answer without one, such as the spec's own Overall User
    State sample (``GET /me?subresources=*``: the devices and channels, nothing else).
    """

    id: str | None = None
    user_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    employee_id: str | None = None
    roles: list[str] = Field(default_factory=list)
    devices: list[dict[str, Any]] = Field(default_factory=list)
    channels: list[dict[str, Any]] = Field(default_factory=list)
    skills: list[Skill] = Field(default_factory=list)
    enabled: bool | None = None
    change_password_on_first_login: bool | None = None
    do_not_disturb: str | None = None
    uri: str | None = None
    path: str | None = None


class WorkbinType(GwsModel):
    """One workbin the agent can use, from ``GetWorkbinTypesInfo``."""

    workbin_id: Id
    workbin_name: str | None = None
    view_name: str | None = None
    active: int | None = None
    workbin_type: int | None = None


class WorkbinItem(GwsModel):
    """One interaction in a workbin, from ``GetWorkbinContent`` (``fields=*``).

    The wire keys are PascalCase interaction properties; the usual ones are typed here,
    every other key (user data) stays reachable in ``model_extra`` and :attr:`properties`.
    """

    interaction_id: Id = Field(alias="InteractionId")
    media_type: str | None = Field(default=None, alias="MediaType")
    workbin: str | None = Field(default=None, alias="Workbin")
    workbin_agent_id: str | None = Field(default=None, alias="WorkbinAgentId")
    interaction_type: str | None = Field(default=None, alias="InteractionType")
    interaction_subtype: str | None = Field(default=None, alias="InteractionSubtype")
    queue: str | None = Field(default=None, alias="Queue")
    subject: str | None = Field(default=None, alias="Subject")
    received_at: str | None = Field(default=None, alias="ReceivedAt")

    @property
    def properties(self) -> dict[str, Any]:
        """Every key of the item as sent by the server."""
        return self.model_dump(by_alias=True)


# -- provisioning and settings ----------------------------------------------------------------


class Skill(GwsModel):
    """A contact center skill (``/skills``), or one assigned to a user with its ``level``."""

    id: Id
    name: str | None = None
    description: str | None = None
    level: str | None = None
    uri: str | None = None


class Contact(GwsModel):
    """An entry of ``/contacts``: a user, a queue or a custom contact (``type``)."""

    id: Id
    name: str | None = None
    type: str | None = None
    phone_number: str | None = None
    user_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    employee_id: str | None = None
    uri: str | None = None

    @property
    def is_custom(self) -> bool:
        """Whether this contact is editable (type ``Custom``)."""
        return (self.type or "").lower() == "custom"


class Feature(GwsModel):
    """A feature of the system or of the contact center (``/features``)."""

    id: Id
    display_name: str | None = None
    description: str | None = None
    uri: str | None = None


class SettingsGroup(GwsModel):
    """One settings group listed by ``GET /settings``."""

    uri: Id
    display_name: str | None = None

    @property
    def name(self) -> str:
        """The group's path segment, e.g. ``agent-states``."""
        return self.uri.rstrip("/").rsplit("/", 1)[-1]


class GeneralSettings(GwsModel):
    """The ``general-settings`` group."""

    country_code: str | None = None
    country_digits: str | None = None
    country_name: str | None = None


class AgentStateDefinition(GwsModel):
    """An agent state of ``/settings/agent-states``, identified by ``operation_name``."""

    operation_name: Id
    display_name: str | None = None
    state: str | None = None
    id: str | None = None
    work_mode: str | None = None
    reason: str | None = None


class RoutingTemplate(GwsModel):
    """A routing template of ``/system/routing-templates``."""

    id: Id
    name: str | None = None
    description: str | None = None
    channel: str | None = None
    version: str | None = None
    uri: str | None = None


class Recording(GwsModel):
    """A call recording of ``/recordings``."""

    id: Id
    start_time: str | None = None
    end_time: str | None = None
    duration: int | None = None
    caller_phone_number: str | None = None
    dialed_phone_number: str | None = None
    user_name: str | None = None
    media_uri: str | None = None
    uri: str | None = None


User.model_rebuild()


class AttachmentContent(GwsModel):
    """An attachment as downloaded: its bytes, MIME type and file name (when sent)."""

    data: bytes
    mime_type: str | None = None
    file_name: str | None = None
