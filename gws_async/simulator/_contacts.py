"""Contacts API: users, queues and custom contacts (spec section "Contacts API").

Users and queues are listed read-only; admins create, update and delete ``Custom`` ones.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ._common import (
    CONTEXT,
    SimContext,
    StatusError,
    api_url,
    current_agent,
    fail,
    list_answer,
    read_json_object,
    requested_fields,
)
from ._provisioning import ok, provisioning_of, require_admin, text_field

__all__ = ["setup"]

_QUEUES: tuple[tuple[str, str], ...] = (
    ("SimpleVoiceInQueue", "7001"),
    ("SimpleChatInQueue", "7002"),
    ("SimpleEmailInQueue", "7003"),
)

_CONTACT_FILTERS = (
    "id",
    "type",
    "name",
    "firstName",
    "lastName",
    "userName",
    "phoneNumber",
    "employeeId",
)


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the ``/contacts`` routes."""
    root = ctx.api_root
    router = app.router
    router.add_get(f"{root}/contacts", _get_contacts)
    router.add_post(f"{root}/contacts", _create_contact)
    router.add_put(f"{root}/contacts/{{contact_id}}", _update_contact)
    router.add_delete(f"{root}/contacts/{{contact_id}}", _delete_contact)


def _contacts(request: web.Request) -> list[dict[str, Any]]:
    ctx = request.app[CONTEXT]
    api = api_url(request)
    contacts: list[dict[str, Any]] = []
    for agent in ctx.state.agents.values():
        presence = ctx.state.presence.get(agent.username)
        contacts.append(
            {
                "id": agent.user_id,
                "name": f"{agent.first_name} {agent.last_name}".strip(),
                "type": "User",
                "phoneNumber": presence.phone_number if presence else "",
                "userName": agent.username,
                "firstName": agent.first_name,
                "lastName": agent.last_name,
                "employeeId": agent.employee_id,
            }
        )
    for name, number in _QUEUES:
        queue_id = uuid.uuid5(uuid.NAMESPACE_OID, f"queue/{name}").hex
        contacts.append({"id": queue_id, "name": name, "type": "Queue", "phoneNumber": number})
    contacts.extend(dict(c) for c in provisioning_of(request).custom_contacts.values())
    for contact in contacts:
        contact["uri"] = f"{api}/contacts/{quote(contact['id'], safe='')}"
    return contacts


async def _get_contacts(request: web.Request) -> web.Response:
    """GET /contacts: every attribute filters (logical AND, case-insensitive)."""
    filters = {k: request.query[k].lower() for k in _CONTACT_FILTERS if k in request.query}
    contacts = [
        c
        for c in _contacts(request)
        if all(str(c.get(k, "")).lower() == v for k, v in filters.items())
    ]
    if requested_fields(request) is None and not filters:
        return ok(uris=[c["uri"] for c in contacts])
    return list_answer(request, "contacts", contacts, uris=False)


def _contact_fields(body: dict[str, Any], *, create: bool) -> dict[str, str]:
    kind = body.get("type")
    if kind is not None and (not isinstance(kind, str) or kind.lower() != "custom"):
        fail(3, "Only contacts of type Custom can be created or modified")
    name = text_field(body, "name", required=create)
    number = text_field(body, "phoneNumber", required=create)
    fields = {k: v for k, v in (("name", name), ("phoneNumber", number)) if v is not None}
    if not fields:
        fail(1, "name or phoneNumber is required")
    if any(not v.strip() for v in fields.values()):
        fail(2, "name and phoneNumber must not be empty")
    return fields


async def _create_contact(request: web.Request) -> web.Response:
    require_admin(current_agent(request))
    body = await read_json_object(request)
    fields = _contact_fields(body, create=True)
    contact_id = uuid.uuid4().hex
    provisioning_of(request).custom_contacts[contact_id] = {
        "id": contact_id,
        "type": "Custom",
        **fields,
    }
    return ok(id=contact_id, uri=f"{api_url(request)}/contacts/{contact_id}")


def _custom_contact(request: web.Request) -> dict[str, str]:
    contact_id = request.match_info["contact_id"]
    contact = provisioning_of(request).custom_contacts.get(contact_id)
    if contact is not None:
        return contact
    if any(c["id"] == contact_id for c in _contacts(request)):
        fail(3, "Only contacts of type Custom can be modified or deleted")
    raise StatusError(6, f"Contact {contact_id} not found")


async def _update_contact(request: web.Request) -> web.Response:
    require_admin(current_agent(request))
    contact = _custom_contact(request)
    body = await read_json_object(request)
    contact.update(_contact_fields(body, create=False))
    return ok()


async def _delete_contact(request: web.Request) -> web.Response:
    require_admin(current_agent(request))
    contact = _custom_contact(request)
    del provisioning_of(request).custom_contacts[contact["id"]]
    return ok()
