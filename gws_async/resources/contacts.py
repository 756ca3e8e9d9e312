"""The contact list: users, queues and custom contacts (spec section "Contacts API")."""

from __future__ import annotations

import builtins
from typing import Any, Literal, get_args

from ..results import Contact, OperationResult
from ._base import Resource, segment
from ._query import require

__all__ = ["ContactType", "ContactsResource"]

ContactType = Literal["Custom", "Queue", "User"]
_TYPES: frozenset[str] = frozenset(get_args(ContactType))


class ContactsResource(Resource):
    """Operations on ``/contacts``. Only ``Custom`` contacts can be created, modified and
    deleted (admins); users and queues are read-only."""

    async def list(
        self,
        *,
        type: ContactType | None = None,
        name: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        user_name: str | None = None,
        phone_number: str | None = None,
        employee_id: str | None = None,
    ) -> builtins.list[Contact]:
        """The contacts matching every filter given (``GET /contacts``, logical AND)."""
        if type is not None and type not in _TYPES:
            raise ValueError(f"type must be one of {sorted(_TYPES)}, got {type!r}")
        filters = {
            "type": type,
            "name": name,
            "firstName": first_name,
            "lastName": last_name,
            "userName": user_name,
            "phoneNumber": phone_number,
            "employeeId": employee_id,
        }
        params = {key: value for key, value in filters.items() if value is not None}
        for key, value in params.items():
            if not value.strip():
                raise ValueError(f"the {key} filter is empty")
        params["fields"] = "*"
        return await self._list(
            "/contacts", "contacts", Contact, params=params, operation="GetContacts"
        )

    async def list_uris(self) -> builtins.list[str]:
        """The URIs of every contact (``GET /contacts``)."""
        return await self._uris("/contacts", operation="GetContacts")

    async def create(self, name: str, phone_number: str) -> OperationResult:
        """Create a ``Custom`` contact (``POST /contacts``); the result has ``id`` and ``uri``."""
        body = {
            "name": require(name, "name"),
            "type": "Custom",
            "phoneNumber": require(phone_number, "phone_number"),
        }
        return await self._perform("POST", "/contacts", json_body=body, operation="CreateContact")

    async def update(
        self, contact_id: str, *, name: str | None = None, phone_number: str | None = None
    ) -> OperationResult:
        """Modify a ``Custom`` contact (``PUT /contacts/{id}``)."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = require(name, "name")
        if phone_number is not None:
            body["phoneNumber"] = require(phone_number, "phone_number")
        if not body:
            raise ValueError("nothing to update")
        return await self._perform(
            "PUT",
            f"/contacts/{segment(contact_id, 'contact_id')}",
            json_body=body,
            operation="UpdateContact",
        )

    async def delete(self, contact_id: str) -> OperationResult:
        """Remove a ``Custom`` contact (``DELETE /contacts/{id}``)."""
        return await self._perform(
            "DELETE", f"/contacts/{segment(contact_id, 'contact_id')}", operation="DeleteContact"
        )
