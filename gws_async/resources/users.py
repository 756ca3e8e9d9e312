"""Users of the contact center (spec sections "Users API", "Skills API", "Reset Password")."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, Literal, get_args

from ..results import OperationResult, Skill, User
from ._base import Resource, segment
from ._query import (
    Fields,
    Subresources,
    b64,
    change_password_body,
    fields_param,
    require,
    subresources_param,
)

__all__ = ["Role", "UsersResource"]

#: The roles the spec documents for users.
Role = Literal["ROLE_ADMIN", "ROLE_AGENT"]
_ROLES: frozenset[str] = frozenset(get_args(Role))


def _user_path(user_id: str) -> str:
    return f"/users/{segment(user_id, 'user_id')}"


def _roles(roles: Sequence[Role]) -> list[str]:
    if isinstance(roles, str):
        raise ValueError("roles must be a sequence of role names, not a str")
    checked: list[str] = list(roles)
    for role in checked:
        if role not in _ROLES:
            raise ValueError(f"roles must be among {sorted(_ROLES)}, got {role!r}")
    return checked


class UsersResource(Resource):
    """Operations on ``/users`` and ``/users/{id}`` (provisioning; writes need an admin).

    Password changes answer ``statusCode 0`` at once; the outcome arrives on ``/v2/users``
    as ``UserPasswordChangeSuccessful`` or ``UserPasswordChangeError``.
    """

    async def list(
        self, *, fields: Fields = "*", subresources: Subresources | None = None
    ) -> builtins.list[User]:
        """Every user with its fields (``GET /users?fields=*``), with ``subresources``
        (``"*"`` or e.g. ``("skills", "devices")``) when asked."""
        params = {**fields_param(fields), **subresources_param(subresources)}
        return await self._list("/users", "users", User, params=params, operation="GetUsers")

    async def list_uris(self) -> builtins.list[str]:
        """The URIs of every user (``GET /users``)."""
        return await self._uris("/users", operation="GetUsers")

    async def get(self, user_id: str, *, subresources: Subresources | None = None) -> User:
        """One user (``GET /users/{id}``); ``subresources="*"`` or ``("skills", "devices")``
        adds those collections."""
        return await self._one(
            _user_path(user_id),
            "user",
            User,
            params=subresources_param(subresources) or None,
            operation="GetUser",
        )

    async def create(
        self,
        user_name: str,
        password: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        roles: Sequence[Role] = ("ROLE_AGENT",),
        change_password_on_first_login: bool | None = None,
    ) -> OperationResult:
        """Create a user (``POST /users``); the result has the new ``id`` and ``uri``."""
        body: dict[str, Any] = {
            "userName": require(user_name, "user_name"),
            "password": require(password, "password"),
            "roles": _roles(roles),
        }
        if first_name is not None:
            body["firstName"] = first_name
        if last_name is not None:
            body["lastName"] = last_name
        if change_password_on_first_login is not None:
            body["changePasswordOnFirstLogin"] = change_password_on_first_login
        return await self._perform("POST", "/users", json_body=body, operation="CreateUser")

    async def update(
        self,
        user_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        password: str | None = None,
        roles: Sequence[Role] | None = None,
    ) -> OperationResult:
        """Update a user (``POST /users/{id}``). ``roles`` replaces the whole role set."""
        body: dict[str, Any] = {}
        if first_name is not None:
            body["firstName"] = first_name
        if last_name is not None:
            body["lastName"] = last_name
        if password is not None:
            body["password"] = require(password, "password")
        if roles is not None:
            body["roles"] = _roles(roles)
        if not body:
            raise ValueError("nothing to update")
        return await self._perform(
            "POST",
            _user_path(user_id),
            json_body=body,
            operation="UpdateUser",
        )

    async def delete(self, user_id: str) -> OperationResult:
        """Delete a user (``DELETE /users/{id}``)."""
        return await self._perform("DELETE", _user_path(user_id), operation="DeleteUser")

    async def reset_password(self, user_id: str, new_password: str) -> OperationResult:
        """Set a user's password (``ResetPassword``, admins only); the password is sent
        base64-encoded. ``UserPasswordChangeSuccessful`` follows on ``/v2/users``."""
        body = {"operationName": "ResetPassword", "newPassword": b64(new_password, "new_password")}
        return await self._perform(
            "POST",
            _user_path(user_id),
            json_body=body,
            operation="ResetPassword",
        )

    async def change_password(
        self, user_id: str, old_password: str, new_password: str
    ) -> OperationResult:
        """Change a user's password knowing the old one (``ChangePassword`` on
        ``/users/{id}``, supervisors and admins). Both are sent base64-encoded; the outcome
        arrives on ``/v2/users``."""
        return await self._perform(
            "POST",
            _user_path(user_id),
            json_body=change_password_body(old_password, new_password),
            operation="ChangePassword",
        )

    async def list_skills(self, user_id: str, *, fields: Fields = "*") -> builtins.list[Skill]:
        """The skills of a user, with their level (``GET /users/{id}/skills``)."""
        return await self._list(
            f"{_user_path(user_id)}/skills",
            "skills",
            Skill,
            params=fields_param(fields),
            operation="GetUserSkills",
        )

    async def list_skill_uris(self, user_id: str) -> builtins.list[str]:
        """The URIs of a user's skills (``GET /users/{id}/skills``)."""
        return await self._uris(f"{_user_path(user_id)}/skills", operation="GetUserSkills")

    async def get_skill(self, user_id: str, skill_id: str) -> Skill:
        """One skill of a user (``GET /users/{id}/skills/{skillId}``)."""
        return await self._one(
            f"{_user_path(user_id)}/skills/{segment(skill_id, 'skill_id')}",
            "skill",
            Skill,
            operation="GetUserSkill",
        )
