"""Features: those assigned to the contact center and those of the system (spec
section "Features"); admins may unassign one.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._common import SimContext, StatusError, api_url, current_agent, list_answer
from ._provisioning import FEATURES, ok, provisioning_of, require_admin

__all__ = ["setup"]


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the ``/features`` and ``/system/features`` routes."""
    root = ctx.api_root
    router = app.router
    router.add_get(f"{root}/features", _get_features)
    router.add_get(f"{root}/features/{{feature_id}}", _get_feature)
    router.add_delete(f"{root}/features/{{feature_id}}", _delete_feature)
    router.add_get(f"{root}/system/features", _get_system_features)


def _features(request: web.Request, *, assigned_only: bool) -> list[dict[str, Any]]:
    assigned = provisioning_of(request).features
    base = f"{api_url(request)}/{'features' if assigned_only else 'system/features'}"
    return [
        {"id": name, "displayName": text, "description": text, "uri": f"{base}/{name}"}
        for name, text, _ in FEATURES
        if not assigned_only or name in assigned
    ]


async def _get_features(request: web.Request) -> web.Response:
    return list_answer(request, "features", _features(request, assigned_only=True), uris=True)


async def _get_system_features(request: web.Request) -> web.Response:
    require_admin(current_agent(request))
    features = _features(request, assigned_only=False)
    return list_answer(request, "features", features, uris=True)


def _assigned_feature(request: web.Request) -> dict[str, Any]:
    wanted = request.match_info["feature_id"]
    for feature in _features(request, assigned_only=True):
        if feature["id"] == wanted:
            return feature
    raise StatusError(6, f"Feature {wanted} is not assigned to this contact center")


async def _get_feature(request: web.Request) -> web.Response:
    return ok(feature=_assigned_feature(request))


async def _delete_feature(request: web.Request) -> web.Response:
    require_admin(current_agent(request))
    feature = _assigned_feature(request)
    provisioning_of(request).features.discard(feature["id"])
    return ok()
