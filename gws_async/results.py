"""Typed results of REST operations."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import GwsModel

__all__ = ["OperationResult", "User", "WorkbinItem", "WorkbinType"]


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
    """The logged-in user (``GET /me``)."""

    id: str
    user_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    employee_id: str | None = None
    roles: list[str] = Field(default_factory=list)
    devices: list[dict[str, Any]] = Field(default_factory=list)
    channels: list[dict[str, Any]] = Field(default_factory=list)


class WorkbinType(GwsModel):
    """One workbin the agent can use, from ``GetWorkbinTypesInfo``."""

    workbin_id: str
    workbin_name: str | None = None
    view_name: str | None = None
    active: int | None = None
    workbin_type: int | None = None


class WorkbinItem(GwsModel):
    """One interaction in a workbin, from ``GetWorkbinContent`` (``fields=*``).

    The wire keys are PascalCase interaction properties; the usual ones are typed here,
    every other key (user data) stays reachable in ``model_extra`` and :attr:`properties`.
    """

    interaction_id: str = Field(alias="InteractionId")
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
