"""Voice devices (spec sections "Devices API", "Call Control" (Dial) and
"Device/Channel Management")."""

from __future__ import annotations

import builtins

from ..models import Device
from ..results import OperationResult
from ._base import Resource, segment
from ._query import require

__all__ = ["DevicesResource"]


class DevicesResource(Resource):
    """List and read devices, DND and forwarding, and ``Dial``.

    Operations answer with a ``reference_id``; the ``DeviceStateChangeMessage`` on
    ``/v2/me/devices`` (or ``CallStateChangeMessage`` on ``/v2/me/calls`` for
    :meth:`dial`) carrying it follows.
    """

    async def list(
        self, *, user_id: str | None = None, all_devices: bool = False
    ) -> builtins.list[Device]:
        """The agent's devices (``GET /me/devices?fields=*``); another user's with
        ``user_id`` (``/users/{id}/devices``), the contact center's with ``all_devices``
        (``/devices``): both need the Contact Center Admin role."""
        return await self._list(
            self._list_path(user_id, all_devices),
            "devices",
            Device,
            params={"fields": "*"},
            operation="GetDevices",
        )

    async def list_uris(
        self, *, user_id: str | None = None, all_devices: bool = False
    ) -> builtins.list[str]:
        """The URIs of the devices :meth:`list` would return."""
        return await self._uris(self._list_path(user_id, all_devices), operation="GetDevices")

    async def get(self, device_id: str, *, mine: bool = False) -> Device:
        """One device (``GET /devices/{id}``, or ``/me/devices/{id}`` with ``mine``)."""
        prefix = "/me/devices" if mine else "/devices"
        return await self._one(
            f"{prefix}/{segment(device_id, 'device_id')}", "device", Device, operation="GetDevice"
        )

    async def dnd_on(self, device_id: str) -> OperationResult:
        """``DoNotDisturbOn`` on one voice device."""
        return await self._operation(device_id, "DoNotDisturbOn")

    async def dnd_off(self, device_id: str) -> OperationResult:
        """``DoNotDisturbOff`` on one voice device."""
        return await self._operation(device_id, "DoNotDisturbOff")

    async def forward_calls_on(self, device_id: str, destination: str) -> OperationResult:
        """``ForwardCallsOn``: forward incoming calls to ``destination``."""
        return await self._operation(
            device_id, "ForwardCallsOn", destination=require(destination, "destination")
        )

    async def forward_calls_off(self, device_id: str) -> OperationResult:
        """``ForwardCallsOff``: stop forwarding incoming calls."""
        return await self._operation(device_id, "ForwardCallsOff")

    async def dial(self, device_id: str, destination: str) -> OperationResult:
        """``Dial``: a new call from the device to ``destination``
        (``POST /devices/{id}/calls``); ``CallStateChangeMessage``s follow."""
        return await self._perform(
            "POST",
            f"/devices/{segment(device_id, 'device_id')}/calls",
            json_body={"operationName": "Dial", "destination": require(destination, "destination")},
            operation="Dial",
        )

    @staticmethod
    def _list_path(user_id: str | None, all_devices: bool) -> str:
        if user_id is not None and all_devices:
            raise ValueError("give user_id or all_devices, not both")
        if user_id is not None:
            return f"/users/{segment(user_id, 'user_id')}/devices"
        return "/devices" if all_devices else "/me/devices"

    async def _operation(self, device_id: str, operation: str, **fields: str) -> OperationResult:
        return await self._perform(
            "POST",
            f"/devices/{segment(device_id, 'device_id')}",
            json_body={"operationName": operation, **fields},
            operation=operation,
        )
