"""The simulator's test hooks: what a test (or the control API) makes happen."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _calls, _chat, _email, _me, _revocation, _workbins

if TYPE_CHECKING:
    from ._common import SimContext
    from ._console import FeedingBayeux
    from ._state import SimState

__all__ = ["Failure", "SimHooks", "Stall"]

_DEFAULT_FAILURE_BODY = "<html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass
class Stall:
    """Requests to leave unanswered."""

    remaining: int
    path_prefix: str | None


@dataclass
class Failure:
    """Requests to answer with an error instead."""

    remaining: int
    status: int
    body: bytes
    content_type: str
    path_prefix: str | None


class SimHooks:
    """The hooks of :class:`~gws_async.simulator.GwsSimulator`: interactions, calls,
    chats, e-mails and notifications made to happen, and failures injected."""

    state: SimState
    _ctx: SimContext
    _bayeux: FeedingBayeux
    _failures: list[Failure]
    _stalls: list[Stall]

    if TYPE_CHECKING:

        @property
        def api_url(self) -> str:
            """The simulator's API URL: calls carry URIs under it."""

    def put_in_workbin(
        self,
        username: str,
        workbin_id: str,
        *,
        media: str = "chat",
        user_data: Mapping[str, Any] | None = None,
        interaction_id: str | None = None,
    ) -> str:
        """Create an interaction sitting in a workbin and return its id.

        For a personal workbin it lands in ``username``'s copy. An ``ItemAdded``
        notification goes to subscribers of the workbin (no ``referenceId``: nobody asked).
        """
        return _workbins.put_in_workbin(
            self._ctx,
            username,
            workbin_id,
            media=media,
            user_data=user_data,
            interaction_id=interaction_id,
        )

    def ring_call(
        self,
        username: str,
        from_number: str = "5551234",
        *,
        user_data: Mapping[str, Any] | None = None,
    ) -> str:
        """An inbound call from ``from_number`` ringing on the agent's device, with
        ``user_data`` attached; returns its id. A ``CallStateChangeMessage``
        (``StatusChange``, Ringing) goes to ``/v2/me/calls``; the agent can then ``Answer`` it."""
        return _calls.ring_call(self._ctx, self.api_url, username, from_number, user_data)

    def create_interaction(
        self,
        username: str,
        *,
        media: str = "chat",
        state: str = "Accepted",
        user_data: Mapping[str, Any] | None = None,
        interaction_id: str | None = None,
    ) -> str:
        """Create an interaction owned by ``username`` (no notification) and return its id."""
        return _me.create_interaction(
            self._ctx,
            username,
            media=media,
            state=state,
            user_data=user_data,
            interaction_id=interaction_id,
        )

    def offer_chat(
        self,
        username: str,
        *,
        nickname: str = "Customer",
        message: str | None = "Hello",
        user_data: Mapping[str, Any] | None = None,
    ) -> str:
        """A customer chat offered to ``username`` (state ``Invited``); returns its id.

        The transcript starts with the customer's PARTY_JOINED (``nickname``) and, unless
        ``message`` is empty, a NEW_MESSAGE; it arrives with the agent's Accept.
        """
        return _chat.offer_chat(
            self._ctx, username, nickname=nickname, message=message, user_data=user_data
        )

    def customer_says(self, interaction_id: str, text: str) -> None:
        """The chat's customer writes ``text``: a NEW_MESSAGE to the agents in the chat."""
        _chat.customer_says(self._ctx, interaction_id, text)

    def deliver_email(
        self,
        username: str,
        *,
        subject: str,
        text: str,
        from_address: str,
        to_address: str = "support@example.com",
        user_data: Mapping[str, Any] | None = None,
    ) -> str:
        """An inbound e-mail offered to ``username`` (state ``Invited``), with ``user_data``
        attached beside its ``Subject``, ``FromAddress`` and ``To``; returns its id."""
        return _email.deliver_email(
            self._ctx,
            username,
            subject=subject,
            text=text,
            from_address=from_address,
            to_address=to_address,
            user_data=user_data,
        )

    def revoke_invitations(self, username: str | None = None) -> list[str]:
        """Let the inactivity period pass now: every pending e-mail and chat invitation
        (of ``username``, or everyone's) is Revoked and back in its queue. Returns their
        ids."""
        return _revocation.revoke_invitations(self._ctx, username)

    def push(self, username: str, topic: str, data: Any) -> int:
        """Deliver ``data`` on ``topic`` to the agent's Bayeux sessions subscribed to it.

        ``data`` may be any JSON value, valid GWS shape or not. Returns how many sessions
        got it.
        """
        self.state.agent(username)
        json.dumps(data)  # fail here, in the test, rather than inside a long-poll reply
        return self._bayeux.deliver(username, topic, data)

    def push_raw(self, username: str, message: Any) -> int:
        """Deliver one raw Bayeux message (any JSON value) as-is to all the agent's sessions."""
        self.state.agent(username)
        json.dumps(message)
        return self._bayeux.deliver_raw(username, message)

    def expire_bayeux_sessions(self, username: str | None = None) -> int:
        """Forget Bayeux clients (all, or one agent's) and return how many were dropped.

        Their held connects return ``402::Unknown client`` with advice ``handshake``.
        """
        return self._bayeux.expire(username)

    def disconnect_bayeux_sessions(self, username: str | None = None) -> int:
        """Disconnect Bayeux clients server-side (all, or one agent's), as an administrator
        would: their connect is answered with advice ``reconnect: none``, after which a
        client must not reconnect. Returns how many were disconnected."""
        return self._bayeux.disconnect(username)

    def stall_next(self, count: int, *, path_prefix: str | None = None) -> None:
        """Never answer the next ``count`` requests (only paths starting with
        ``path_prefix``, if given): they hang until the simulator stops, like a request
        lost by a load balancer."""
        if count > 0:
            self._stalls.append(Stall(count, path_prefix))

    def fail_next(
        self,
        count: int,
        *,
        status: int = 500,
        body: str | bytes = _DEFAULT_FAILURE_BODY,
        content_type: str = "text/html",
        path_prefix: str | None = None,
    ) -> None:
        """Answer the next ``count`` requests (only paths starting with ``path_prefix``, if
        given) with ``status`` and ``body`` instead, before authentication."""
        if count <= 0:
            return
        raw = body.encode() if isinstance(body, str) else body
        self._failures.append(Failure(count, status, raw, content_type, path_prefix))
