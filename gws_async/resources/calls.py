"""Voice calls and call control (spec sections "Calls API", "Asynchronous Operations"
and "Call Control").

Every operation is asynchronous: the answer carries a ``reference_id`` and the outcome
arrives as ``CallStateChangeMessage`` on ``/v2/me/calls`` with the same ``referenceId``
(``notification_type`` ``StatusChange``, ``ParticipantsUpdated``, ``AttachedDataChanged``
or ``DtmfSent``). Start a call with ``gws.devices.dial``.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from ..models import Call
from ..results import OperationResult
from ._base import Resource, segment
from ._query import require

__all__ = ["CallsResource"]


def _call_path(call_id: str) -> str:
    return f"/me/calls/{segment(call_id, 'call_id')}"


def _user_data(user_data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(user_data, Mapping) or not user_data:
        raise ValueError("user_data must be a non-empty mapping")
    if not all(isinstance(key, str) and key for key in user_data):
        raise ValueError("user_data keys must be non-empty strings")
    return dict(user_data)


class CallsResource(Resource):
    """The agent's calls (``/me/calls``) and the operations on one call."""

    async def list(self) -> builtins.list[Call]:
        """The agent's calls (``GET /me/calls?fields=*``)."""
        return await self._list(
            "/me/calls", "calls", Call, params={"fields": "*"}, operation="GetCalls"
        )

    async def list_uris(self) -> builtins.list[str]:
        """The URIs of the agent's calls (``GET /me/calls``)."""
        return await self._uris("/me/calls", operation="GetCalls")

    async def get(self, call_id: str) -> Call:
        """One call (``GET /me/calls/{id}``)."""
        return await self._one(_call_path(call_id), "call", Call, operation="GetCall")

    def uri(self, call_id: str) -> str:
        """The URI of a call, as ``complete_conference`` / ``swap_calls`` / ... take it."""
        return f"{self._transport.api_url}{_call_path(call_id)}"

    # -- call control ---------------------------------------------------------------------

    async def answer(self, call_id: str) -> OperationResult:
        """``Answer`` a ringing call."""
        return await self._operation(call_id, "Answer")

    async def hangup(self, call_id: str) -> OperationResult:
        """``Hangup``: release the call."""
        return await self._operation(call_id, "Hangup")

    async def hold(self, call_id: str) -> OperationResult:
        """``Hold`` the call."""
        return await self._operation(call_id, "Hold")

    async def retrieve(self, call_id: str) -> OperationResult:
        """``Retrieve`` the call from hold."""
        return await self._operation(call_id, "Retrieve")

    async def mute(self, call_id: str) -> OperationResult:
        """``MuteCall``."""
        return await self._operation(call_id, "MuteCall")

    async def unmute(self, call_id: str) -> OperationResult:
        """``UnmuteCall``."""
        return await self._operation(call_id, "UnmuteCall")

    async def single_step_transfer(self, call_id: str, destination: str) -> OperationResult:
        """``SingleStepTransfer`` the call to ``destination``."""
        return await self._operation(
            call_id, "SingleStepTransfer", destination=require(destination, "destination")
        )

    async def single_step_conference(self, call_id: str, destination: str) -> OperationResult:
        """``SingleStepConference``: add ``destination`` to the call."""
        return await self._operation(
            call_id, "SingleStepConference", destination=require(destination, "destination")
        )

    async def initiate_conference(self, call_id: str, destination: str) -> OperationResult:
        """``InitiateConference``: hold the call and dial ``destination`` for a
        consultation (sent as ``{"destination": {"phoneNumber": ...}}``)."""
        number = require(destination, "destination")
        return await self._operation(
            call_id, "InitiateConference", destination={"phoneNumber": number}
        )

    async def complete_conference(self, call_id: str, consult_call_uri: str) -> OperationResult:
        """``CompleteConference``: bring the consultation call (its URI, see :meth:`uri`)
        into this held call."""
        return await self._operation(
            call_id,
            "CompleteConference",
            consultCallUri=require(consult_call_uri, "consult_call_uri"),
        )

    async def send_dtmf(self, call_id: str, digits: str) -> OperationResult:
        """``SendDtmf``: one tone per digit; ``digits`` may hold only 0 to 9."""
        if not isinstance(digits, str) or not digits:
            raise ValueError("digits is empty")
        if not digits.isascii() or not digits.isdigit():
            raise ValueError(f"digits may contain only 0 to 9, got {digits!r}")
        return await self._operation(call_id, "SendDtmf", digits=digits)

    async def remove_participant(self, call_id: str, participant: str) -> OperationResult:
        """``RemoveParticipantFromConference``: drop the party at ``participant`` (a phone
        number); a ``ParticipantsUpdated`` notification follows."""
        return await self._operation(
            call_id,
            "RemoveParticipantFromConference",
            participant=require(participant, "participant"),
        )

    async def swap_calls(self, call_id: str, other_call_uri: str) -> OperationResult:
        """``SwapCalls``: hold this call and retrieve the one at ``other_call_uri``."""
        return await self._operation(
            call_id, "SwapCalls", otherCallUri=require(other_call_uri, "other_call_uri")
        )

    async def merge_with_other_call(self, call_id: str, other_call_uri: str) -> OperationResult:
        """``MergeWithOtherCall``: merge the call at ``other_call_uri`` into this one."""
        return await self._operation(
            call_id, "MergeWithOtherCall", otherCallUri=require(other_call_uri, "other_call_uri")
        )

    # -- attached data --------------------------------------------------------------------

    async def attach_user_data(self, call_id: str, user_data: Mapping[str, Any]) -> OperationResult:
        """``AttachUserData``: add key-value pairs to the call."""
        return await self._operation(call_id, "AttachUserData", userData=_user_data(user_data))

    async def update_user_data(self, call_id: str, user_data: Mapping[str, Any]) -> OperationResult:
        """``UpdateUserData``: add or replace key-value pairs of the call."""
        return await self._operation(call_id, "UpdateUserData", userData=_user_data(user_data))

    async def delete_user_data(self, call_id: str) -> OperationResult:
        """``DeleteUserData``: remove all the call's attached data."""
        return await self._operation(call_id, "DeleteUserData")

    async def delete_user_data_pair(self, call_id: str, key: str) -> OperationResult:
        """``DeleteUserDataPair``: remove one key of the call's attached data."""
        return await self._operation(call_id, "DeleteUserDataPair", key=require(key, "key"))

    async def _operation(self, call_id: str, operation: str, **fields: Any) -> OperationResult:
        return await self._perform(
            "POST",
            _call_path(call_id),
            json_body={"operationName": operation, **fields},
            operation=operation,
        )
