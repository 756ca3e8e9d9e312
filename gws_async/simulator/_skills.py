"""Skills API: the skills of the contact center (spec section "Skills API").

A user's skills (``/users/{id}/skills``) are in :mod:`._users`, the agent's own
(``/me/skills``) in :mod:`._presence`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._common import SimContext, api_url, fail, list_answer
from ._provisioning import ok, provisioning_of

__all__ = ["setup"]


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the ``/skills`` routes."""
    root = ctx.api_root
    router = app.router
    router.add_get(f"{root}/skills", _get_skills)
    router.add_get(f"{root}/skills/{{skill_id}}", _get_skill)


def _skill(request: web.Request, skill: dict[str, str]) -> dict[str, Any]:
    return {"level": "0", **skill, "uri": f"{api_url(request)}/skills/{skill['id']}"}


async def _get_skills(request: web.Request) -> web.Response:
    skills = [_skill(request, s) for s in provisioning_of(request).skills.values()]
    return list_answer(request, "skills", skills, uris=True)


async def _get_skill(request: web.Request) -> web.Response:
    skill = provisioning_of(request).skills.get(request.match_info["skill_id"])
    if skill is None:
        fail(6, f"Skill {request.match_info['skill_id']} not found")
    return ok(skill=_skill(request, skill))
