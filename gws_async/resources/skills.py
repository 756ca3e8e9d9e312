"""Contact center skills (spec section "Skills API")."""

from __future__ import annotations

import builtins

from ..results import Skill
from ._base import Resource, segment
from ._query import Fields, fields_param

__all__ = ["SkillsResource"]


class SkillsResource(Resource):
    """Read the skills of the contact center (``/skills``)."""

    async def list(self, *, fields: Fields = "*") -> builtins.list[Skill]:
        """Every skill with its fields (``GET /skills?fields=*``)."""
        return await self._list(
            "/skills", "skills", Skill, params=fields_param(fields), operation="GetSkills"
        )

    async def list_uris(self) -> builtins.list[str]:
        """The URIs of every skill (``GET /skills``)."""
        return await self._uris("/skills", operation="GetSkills")

    async def get(self, skill_id: str) -> Skill:
        """One skill (``GET /skills/{id}``)."""
        return await self._one(
            f"/skills/{segment(skill_id, 'skill_id')}", "skill", Skill, operation="GetSkill"
        )
