"""The ``/me`` resource: the signed-in agent and the interactions it owns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ._common import (
    CONTEXT,
    SimContext,
    api_url,
    current_agent,
    requested_fields,
    select_fields,
)
from ._interaction_common import invite, message_of
from ._presence import CHANNELS, channel_resource, device_resource, skill_resources
from ._render import user_resource

__all__ = ["create_interaction", "setup"]

_ME_INTERACTIONS = "/me/interactions"
_SUBRESOURCES = ("devices", "channels", "skills")


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the ``/me`` routes; the operations on ``/me/interactions`` come from the sections."""
    root = ctx.api_root
    app.router.add_get(f"{root}/me", _get_me)
    app.router.add_get(f"{root}/me/interactions", _get_my_interactions)
    app.router.add_post(f"{root}/me/interactions", _post_my_interactions)
    ctx.table(_ME_INTERACTIONS)


def create_interaction(
    ctx: SimContext,
    username: str,
    *,
    media: str,
    state: str,
    user_data: Mapping[str, Any] | None,
    interaction_id: str | None,
) -> str:
    """Create an interaction owned by ``username``."""
    ctx.state.agent(username)
    interaction = ctx.state.add_interaction(
        media=media,
        state=state,
        user_data=user_data,
        interaction_id=interaction_id,
        queue=f"Simple{media.capitalize()}InQueue",
    )
    interaction.owner = username
    if state == "Invited":
        invite(interaction, username)
    return interaction.id


async def _get_me(request: web.Request) -> web.Response:
    """GET /me, with ``subresources=*`` or a list of devices, channels, skills."""
    ctx = request.app[CONTEXT]
    agent = current_agent(request)
    user = user_resource(api_url(request), agent)
    wanted = {part.strip() for part in request.query.get("subresources", "").split(",")}
    if "*" in wanted:
        wanted = set(_SUBRESOURCES)
    presence = ctx.state.presence[agent.username]
    if "devices" in wanted:
        user["devices"] = [device_resource(api_url(request), presence)]
    if "channels" in wanted:
        user["channels"] = [channel_resource(presence, c) for c in CHANNELS]
    if "skills" in wanted:
        user["skills"] = skill_resources(request, agent)
    return web.json_response({"statusCode": 0, "user": user})


async def _get_my_interactions(request: web.Request) -> web.Response:
    """GET /me/interactions: the URIs of the agent's interactions (under
    ``/interactions/{id}``, as the spec's sample), or with ``fields`` the interactions "in
    the same message format as comes via cometD notifications"."""
    ctx = request.app[CONTEXT]
    agent = current_agent(request)
    owned = ctx.state.owned_by(agent.username)
    fields = requested_fields(request)
    if fields is None:
        base = f"{api_url(request)}/interactions"
        uris = [f"{base}/{quote(i.id, safe='')}" for i in owned]
        return web.json_response({"statusCode": 0, "uris": uris})
    resources = [select_fields(message_of(ctx, i), fields) for i in owned]
    return web.json_response({"statusCode": 0, "interactions": resources})


async def _post_my_interactions(request: web.Request) -> web.Response:
    return await request.app[CONTEXT].table(_ME_INTERACTIONS).dispatch(request)
