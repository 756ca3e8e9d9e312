"""Contact center skills (spec section "Skills API")."""

from __future__ import annotations

import builtins

from ..results import Skill
from ._base import Resource, segment
from ._query import Fields, fields_param, parse_items, parse_one, parse_uris

__all__ = ["SkillsResource"]


class SkillsResource(Resource):
    """Read the skills of the contact center (``/skills``)."""

    async def list(self, *, fields: Fields = "*") -> builtins.list[Skill]:
        """Every skill with its fields (``GET /skills?fields=*``)."""
        body = await self._transport.request(
            "GET", "/skills", params=fields_param(fields), operation="GetSkills"
        )
        return parse_items(body, "skills", Skill)

    async def list_uris(self) -> builtins.list[str]:
        """The URIs of every skill (``GET /skills``)."""
        body = await self._transport.request("GET", "/skills", operation="GetSkills")
        return parse_uris(body)

    async def get(self, skill_id: str) -> Skill:
        """One skill (``GET /skills/{id}``)."""
        body = await self._transport.request(
            "GET", f"/skills/{segment(skill_id, 'skill_id')}", operation="GetSkill"
        )
        return parse_one(body, "skill", Skill)
