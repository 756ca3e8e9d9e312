"""Workbins: the agent's personal and group workbins (spec section "Workbins")."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Literal, get_args

from .._exceptions import GwsError
from .._streams import Waiter
from ..events import WorkbinStateChangeMessage
from ..results import OperationResult, WorkbinItem, WorkbinType
from ._base import Resource, segment
from ._query import require

if TYPE_CHECKING:
    from .._listener import Listener
    from .._transport import Transport

__all__ = ["WorkbinMedia", "WorkbinsResource"]

log = logging.getLogger("gws_async.http")

#: Media with their own Add*/Pull* operation on group workbins.
WorkbinMedia = Literal[
    "chat", "email", "workitem", "tweet", "facebook", "facebooksession", "openmedia"
]
_MEDIA: frozenset[str] = frozenset(get_args(WorkbinMedia))
# POST /workbins/{id} documents only these.
_PULL_ANY_MEDIA = frozenset({"chat", "email", "workitem"})


def _media_operation(verb: str, media: str | None, allowed: frozenset[str] = _MEDIA) -> str:
    if media is None:
        return f"{verb}Interaction"
    if media not in allowed:
        raise ValueError(f"media must be one of {sorted(allowed)}, got {media!r}")
    return verb + media.capitalize()


def _workbin_path(workbin_id: str) -> str:
    return f"/me/workbins/{segment(workbin_id, 'workbin_id')}"


def _content_path(workbin_id: str) -> str:
    return f"{_workbin_path(workbin_id)}/interactions"


def _group_query(agent_group: str | None, place_group: str | None) -> dict[str, str]:
    if (agent_group is None) == (place_group is None):
        raise ValueError("give exactly one of agent_group or place_group")
    if agent_group is not None:
        if not agent_group.strip():
            raise ValueError("agent_group is empty")
        return {"agentGroup": agent_group}
    assert place_group is not None
    if not place_group.strip():
        raise ValueError("place_group is empty")
    return {"placeGroup": place_group}


class WorkbinsResource(Resource):
    """Operations on workbins.

    Personal workbins live under ``/me/workbins``; AgentGroup and PlaceGroup workbins take
    the group as a query parameter. Item notifications (``WorkbinStateChangeMessage`` on
    ``/v2/me/workbins``) arrive for workbins the agent has :meth:`subscribe`-d to.
    """

    def __init__(self, transport: Transport, listener: Listener) -> None:
        super().__init__(transport)
        self._listener = listener
        self._subscribed: set[str] = set()
        listener.on_session_renewed.append(self._resubscribe)

    @property
    def subscribed(self) -> frozenset[str]:
        """Workbins subscribed through :meth:`subscribe` (renewed after a new session)."""
        return frozenset(self._subscribed)

    async def list(self) -> list[WorkbinType]:
        """The workbins available to the agent (``GetWorkbinTypesInfo``)."""
        return await self._list(
            "/me/workbins", "workbins", WorkbinType, operation="GetWorkbinTypesInfo"
        )

    async def get_content(self, workbin_id: str) -> builtins.list[WorkbinItem]:
        """The interactions in a workbin, with their properties (``GetWorkbinContent``)."""
        return await self._list(
            _content_path(workbin_id),
            "interactions",
            WorkbinItem,
            params={"fields": "*"},
            operation="GetWorkbinContent",
        )

    async def get_content_uris(self, workbin_id: str) -> builtins.list[str]:
        """The URIs of the interactions in a workbin."""
        return await self._uris(_content_path(workbin_id), operation="GetWorkbinContent")

    async def add(self, workbin_id: str, interaction_id: str) -> OperationResult:
        """Put an interaction the agent owns into a personal workbin
        (``AddInteractionToWorkbin``). The result's ``uri`` is what :meth:`pull` takes."""
        return await self._perform(
            "POST",
            _content_path(workbin_id),
            json_body={"interactionId": require(interaction_id, "interaction_id")},
            operation="AddInteractionToWorkbin",
        )

    async def add_to_group(
        self,
        workbin_id: str,
        interaction_id: str,
        *,
        agent_group: str | None = None,
        place_group: str | None = None,
        media: WorkbinMedia | None = None,
        save_lar: bool | None = None,
    ) -> OperationResult:
        """Add an interaction to an AgentGroup or PlaceGroup workbin.

        Sends ``AddInteraction``, or ``AddChat`` / ``AddEmail`` / ... when ``media`` is
        given. ``save_lar`` records the agent for Last Agent Routing. The result carries
        the ``reference_id`` of the ``ItemAdded`` notification.
        """
        extra = {} if save_lar is None else {"saveLAR": "true" if save_lar else "false"}
        return await self._group_operation(
            "Add", workbin_id, interaction_id, media, agent_group, place_group, extra
        )

    async def pull(self, workbin_id: str, interaction_id: str) -> OperationResult:
        """Take an interaction out of a personal workbin and own it
        (``PullInteractionFromWorkbin``); an interaction notification with state
        ``Pulled`` follows."""
        uri = self.item_uri(workbin_id, interaction_id)
        return await self.pull_uri(uri)

    async def pull_uri(self, uri: str) -> OperationResult:
        """:meth:`pull` given the item URI that :meth:`add` returned."""
        return await self._perform(
            "POST",
            "/me/interactions",
            json_body={"operationName": "PullInteractionFromWorkbin", "uri": require(uri, "uri")},
            operation="PullInteractionFromWorkbin",
        )

    async def pull_from_group(
        self,
        workbin_id: str,
        interaction_id: str,
        *,
        agent_group: str | None = None,
        place_group: str | None = None,
        media: WorkbinMedia | None = None,
    ) -> OperationResult:
        """Remove an interaction from an AgentGroup or PlaceGroup workbin
        (``PullInteraction`` or ``PullChat`` / ``PullEmail`` / ...)."""
        return await self._group_operation(
            "Pull", workbin_id, interaction_id, media, agent_group, place_group
        )

    async def pull_from_workbin(
        self,
        workbin_id: str,
        interaction_id: str,
        *,
        media: Literal["chat", "email", "workitem"] | None = None,
        nickname: str | None = None,
    ) -> OperationResult:
        """Grab an interaction from any workbin (``POST /workbins/{id}``).

        ``nickname`` is the name the customer sees, for ``PullChat`` only.
        """
        operation = _media_operation("Pull", media, _PULL_ANY_MEDIA)
        if nickname is not None and media != "chat":
            raise ValueError("nickname is only used by PullChat (media='chat')")
        body: dict[str, Any] = {
            "operationName": operation,
            "id": require(interaction_id, "interaction_id"),
        }
        if nickname is not None:
            body["nickname"] = require(nickname, "nickname")
        return await self._perform(
            "POST",
            f"/workbins/{segment(workbin_id, 'workbin_id')}",
            json_body=body,
            operation=operation,
        )

    async def subscribe(self, workbin_id: str) -> OperationResult:
        """Receive ``ItemAdded`` / ``ItemRemoved`` for this workbin
        (``SubscribeWorkbinEvents``); a ``WorkbinSubscriptionStateChangeMessage`` follows."""
        result = await self._workbin_operation(workbin_id, "Subscribe")
        self._subscribed.add(workbin_id)
        return result

    async def unsubscribe(self, workbin_id: str) -> OperationResult:
        """Stop item notifications for this workbin (``UnsubscribeWorkbinEvents``)."""
        result = await self._workbin_operation(workbin_id, "Unsubscribe")
        self._subscribed.discard(workbin_id)
        return result

    async def renew_subscriptions(self) -> None:
        """Subscribe again to every workbin of :attr:`subscribed`: after the Bayeux
        session was renewed, GWS may no longer send their item notifications."""
        for workbin_id in sorted(self._subscribed):
            await self._workbin_operation(workbin_id, "Subscribe")

    async def _resubscribe(self) -> None:
        if self._subscribed:
            try:
                await self.renew_subscriptions()
            except GwsError as exc:
                log.warning("could not renew the workbin subscriptions: %s", exc)

    def item_uri(self, workbin_id: str, interaction_id: str) -> str:
        """The URI GWS uses for an interaction in a personal workbin."""
        return (
            f"{self._transport.api_url}{_content_path(workbin_id)}"
            f"/{segment(interaction_id, 'interaction_id')}"
        )

    # -- awaiting the notifications -------------------------------------------------------

    def expect_item(
        self,
        action: Literal["ItemAdded", "ItemRemoved"],
        workbin_id: str,
        interaction_id: str,
        *,
        timeout: float | None = None,
    ) -> Waiter[WorkbinStateChangeMessage]:
        """Register now a wait for this workbin's ``ItemAdded`` / ``ItemRemoved`` of this
        interaction; await it after sending the operation."""
        require(workbin_id, "workbin_id")
        require(interaction_id, "interaction_id")

        def check(event: WorkbinStateChangeMessage) -> bool:
            return (
                event.action == action
                and event.id == workbin_id
                and event.interaction.id == interaction_id
            )

        return self._listener.wait_for(WorkbinStateChangeMessage, check=check, timeout=timeout)

    async def add_and_wait(
        self, workbin_id: str, interaction_id: str, *, timeout: float | None = 30.0
    ) -> WorkbinStateChangeMessage:
        """:meth:`add`, then the ``ItemAdded`` that confirms it (needs :meth:`subscribe`
        on the workbin and the client subscribed to ``/v2/me/workbins``)."""
        added = self.expect_item("ItemAdded", workbin_id, interaction_id, timeout=timeout)
        return await _send_then_wait(self.add(workbin_id, interaction_id), added)

    async def pull_and_wait(
        self, workbin_id: str, interaction_id: str, *, timeout: float | None = 30.0
    ) -> WorkbinStateChangeMessage:
        """:meth:`pull`, then the ``ItemRemoved`` that confirms it."""
        removed = self.expect_item("ItemRemoved", workbin_id, interaction_id, timeout=timeout)
        return await _send_then_wait(self.pull(workbin_id, interaction_id), removed)

    async def _workbin_operation(self, workbin_id: str, operation: str) -> OperationResult:
        return await self._perform(
            "POST",
            _workbin_path(workbin_id),
            json_body={"operationName": operation},
            operation=f"{operation}WorkbinEvents",
        )

    async def _group_operation(
        self,
        verb: str,
        workbin_id: str,
        interaction_id: str,
        media: str | None,
        agent_group: str | None,
        place_group: str | None,
        extra: dict[str, str] | None = None,
    ) -> OperationResult:
        # AddInteraction / PullInteraction and their per-media forms share one shape.
        operation = _media_operation(verb, media)
        body = {
            "operationName": operation,
            "id": require(interaction_id, "interaction_id"),
            **(extra or {}),
        }
        return await self._perform(
            "POST",
            _workbin_path(workbin_id),
            params=_group_query(agent_group, place_group),
            json_body=body,
            operation=operation,
        )


async def _send_then_wait(
    operation: Awaitable[OperationResult], waiter: Waiter[WorkbinStateChangeMessage]
) -> WorkbinStateChangeMessage:
    try:
        await operation
    except BaseException:
        waiter.cancel()
        raise
    return await waiter
