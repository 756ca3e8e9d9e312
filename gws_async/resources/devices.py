"""Voice devices (spec sections "Devices API", "Call Control" (Dial) and
"Device/Channel Management")."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from ..models import Device
from ..results import OperationResult
from ._base import Resource, segment
from ._query import parse_uris

if TYPE_CHECKING:
    pass

__all__ = ["DevicesResource"]


def _destination(destination: str) -> str:
    if not isinstance(destination, str) or not destination.strip():
        raise ValueError("destination is empty")
    return destination


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
        body = await self._transport.request(
            "GET",
            self._list_path(user_id, all_devices),
            params={"fields": "*"},
            operation="GetDevices",
        )
        return [Device.model_validate(d) for d in body.get("devices") or []]

    async def list_uris(
        self, *, user_id: str | None = None, all_devices: bool = False
    ) -> builtins.list[str]:
        """The URIs of the devices :meth:`list` would return."""
        body = await self._transport.request(
            "GET", self._list_path(user_id, all_devices), operation="GetDevices"
        )
        return parse_uris(body)

    async def get(self, device_id: str, *, mine: bool = False) -> Device:
        """One device (``GET /devices/{id}``, or ``/me/devices/{id}`` with ``mine``)."""
        prefix = "/me/devices" if mine else "/devices"
        body = await self._transport.request(
            "GET", f"{prefix}/{segment(device_id, 'device_id')}", operation="GetDevice"
        )
        return Device.model_validate(body.get("device", body))

    async def dnd_on(self, device_id: str) -> OperationResult:
        """``DoNotDisturbOn`` on one voice device."""
        return await self._operation(device_id, {"operationName": "DoNotDisturbOn"})

    async def dnd_off(self, device_id: str) -> OperationResult:
        """``DoNotDisturbOff`` on one voice device."""
        return await self._operation(device_id, {"operationName": "DoNotDisturbOff"})

    async def forward_calls_on(self, device_id: str, destination: str) -> OperationResult:
        """``ForwardCallsOn``: forward incoming calls to ``destination``."""
        body = {"operationName": "ForwardCallsOn", "destination": _destination(destination)}
        return await self._operation(device_id, body)

    async def forward_calls_off(self, device_id: str) -> OperationResult:
        """``ForwardCallsOff``: stop forwarding incoming calls."""
        return await self._operation(device_id, {"operationName": "ForwardCallsOff"})

    async def dial(self, device_id: str, destination: str) -> OperationResult:
        """``Dial``: a new call from the device to ``destination``
        (``POST /devices/{id}/calls``); ``CallStateChangeMessage``s follow."""
        answer = await self._transport.request(
            "POST",
            f"/devices/{segment(device_id, 'device_id')}/calls",
            json_body={"operationName": "Dial", "destination": _destination(destination)},
            operation="Dial",
        )
        return OperationResult.model_validate(answer)

    @staticmethod
    def _list_path(user_id: str | None, all_devices: bool) -> str:
        if user_id is not None and all_devices:
            raise ValueError("give user_id or all_devices, not both")
        if user_id is not None:
            return f"/users/{segment(user_id, 'user_id')}/devices"
        return "/devices" if all_devices else "/me/devices"

    async def _operation(self, device_id: str, body: dict[str, Any]) -> OperationResult:
        path = f"/devices/{segment(device_id, 'device_id')}"
        answer = await self._transport.request(
            "POST", path, json_body=body, operation=str(body["operationName"])
        )
        return OperationResult.model_validate(answer)
