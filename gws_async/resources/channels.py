"""The agent's multimedia channels (spec sections "Channels API", "Set Agent State for a
Particular Channel" and "Device/Channel Management")."""

from __future__ import annotations

import builtins

from ..models import ChannelState
from ..results import OperationResult
from ._base import Resource, segment
from .me import check_state_operation

__all__ = ["ChannelsResource"]


class ChannelsResource(Resource):
    """The agent's state and Do Not Disturb per channel (``chat``, ``email``...).

    Changes are confirmed by ``ChannelStateChange`` on ``/v2/me/channels``.
    """

    async def list(self) -> builtins.list[ChannelState]:
        """Get All Multimedia Channels (``GET /me/channels``)."""
        return await self._list("/me/channels", "channels", ChannelState, operation="GetChannels")

    async def get(self, channel_id: str) -> ChannelState:
        """Get a Particular Multimedia Channel (``GET /me/channels/{channelId}``)."""
        return await self._one(
            f"/me/channels/{segment(channel_id, 'channel_id')}",
            "channel",
            ChannelState,
            operation="GetChannel",
        )

    async def ready(self, channel_id: str) -> OperationResult:
        """Ready Channel (``Ready`` on ``/me/channels/{channelId}``)."""
        return await self._operation("/me/channels", channel_id, "Ready")

    async def not_ready(self, channel_id: str) -> OperationResult:
        """NotReady Channel (``NotReady`` on ``/me/channels/{channelId}``)."""
        return await self._operation("/me/channels", channel_id, "NotReady")

    async def set_state(self, channel_id: str, operation_name: str) -> OperationResult:
        """Any agent-state operation on one channel, e.g. ``OutToLunch``."""
        return await self._operation(
            "/me/channels", channel_id, check_state_operation(operation_name)
        )

    async def dnd_on(self, channel_id: str) -> OperationResult:
        """``DoNotDisturbOn`` on one channel (``POST /channels/{id}``)."""
        return await self._operation("/channels", channel_id, "DoNotDisturbOn")

    async def dnd_off(self, channel_id: str) -> OperationResult:
        """``DoNotDisturbOff`` on one channel (``POST /channels/{id}``)."""
        return await self._operation("/channels", channel_id, "DoNotDisturbOff")

    async def _operation(self, prefix: str, channel_id: str, operation: str) -> OperationResult:
        # States go to /me/channels/{id}, Do Not Disturb to /channels/{id} (as the spec has it).
        return await self._perform(
            "POST",
            f"{prefix}/{segment(channel_id, 'channel_id')}",
            json_body={"operationName": operation},
            operation=operation,
        )
