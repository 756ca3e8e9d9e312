"""The signed-in agent: state on every channel, Do Not Disturb, password, contact-center
session and skills (spec sections "Query Agent State", "Set Agent States Across all
Channels", "Change Password", "Presence" and "Device/Channel Management")."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..results import OperationResult, Skill, User
from ._base import Resource, segment
from ._query import change_password_body, require

if TYPE_CHECKING:
    from .._transport import Transport

__all__ = ["MeResource", "check_state_operation"]

_SUBRESOURCES = frozenset({"devices", "channels", "skills"})
_OPERATION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Operations of /me that are not agent states.
_NOT_STATES = frozenset(
    {
        "ChangePassword",
        "DoNotDisturbOn",
        "DoNotDisturbOff",
        "StartContactCenterSession",
        "EndContactCenterSession",
    }
)


def check_state_operation(operation_name: str) -> str:
    """Refuse what cannot be an agent-state operation name (``Ready``, ``OutToLunch``...)."""
    if not isinstance(operation_name, str) or not operation_name.strip():
        raise ValueError("operation_name is empty")
    if not _OPERATION_NAME.fullmatch(operation_name):
        raise ValueError(f"operation_name is not an operation name: {operation_name!r}")
    if operation_name in _NOT_STATES:
        raise ValueError(f"{operation_name} is not an agent state; use its own method")
    return operation_name


class MeResource(Resource):
    """Operations on ``/me``: the agent's state, DND, password, session and skills.

    State and DND changes are confirmed by ``DeviceStateChangeMessage`` on
    ``/v2/me/devices`` and ``ChannelStateChange`` on ``/v2/me/channels``; a password
    change by ``PasswordChangeSuccessful`` or ``PasswordChangeError`` on ``/v2/me``.
    """

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport)
        self._user: User | None = None

    async def get(self, *, subresources: bool | Iterable[str] = False) -> User:
        """``GET /me`` (Overall User State): the user, with its ``devices``, ``channels``
        and ``skills`` when ``subresources`` is true or names some of them."""
        params: dict[str, str] | None = None
        if subresources is True:
            params = {"subresources": "*"}
        elif subresources is not False:
            wanted = list(subresources)
            unknown = sorted(set(wanted) - _SUBRESOURCES)
            if not wanted or unknown:
                raise ValueError(f"subresources must be among {sorted(_SUBRESOURCES)}")
            params = {"subresources": ",".join(dict.fromkeys(wanted))}
        user = await self._one("/me", "user", User, params=params, operation="GetMe")
        self._user = user
        return user

    @property
    def user(self) -> User | None:
        """The user as :meth:`get` last read it (after logging in: the logged-in user)."""
        return self._user

    async def ready(self) -> OperationResult:
        """Ready on every channel (``Ready``)."""
        return await self._operation("Ready")

    async def not_ready(self) -> OperationResult:
        """NotReady on every channel (``NotReady``)."""
        return await self._operation("NotReady")

    async def set_state(self, operation_name: str) -> OperationResult:
        """Any agent-state operation on every channel, e.g. a custom ``OutToLunch``."""
        return await self._operation(check_state_operation(operation_name))

    async def dnd_on(self) -> OperationResult:
        """Do Not Disturb on every device and channel (``DoNotDisturbOn``)."""
        return await self._operation("DoNotDisturbOn")

    async def dnd_off(self) -> OperationResult:
        """Do Not Disturb off on every device and channel (``DoNotDisturbOff``)."""
        return await self._operation("DoNotDisturbOff")

    async def change_password(
        self, old_password: str, new_password: str, *, first_login: bool = False
    ) -> OperationResult:
        """``ChangePassword``: the passwords are base64-encoded here. The outcome arrives
        on ``/v2/me`` (``PasswordChangeSuccessful`` or ``PasswordChangeError``); use the new
        password for the next login. ``first_login`` sends ``?firstLogin=true``."""
        return await self._perform(
            "POST",
            "/me",
            params={"firstLogin": "true"} if first_login else None,
            json_body=change_password_body(old_password, new_password),
            operation="ChangePassword",
        )

    async def start_contact_center_session(
        self,
        *,
        channels: Iterable[str],
        place: str | None = None,
        login_code: str | None = None,
        queue: str | None = None,
    ) -> OperationResult:
        """``StartContactCenterSession``: log in on the place's devices, on ``channels``
        (e.g. ``["voice"]``, ``["voice", "chat"]``).

        The spec marks ``place``, ``loginCode`` and ``queue`` optional (the server picks the
        agent login when ``login_code`` is missing) but not ``channels``: it is required, a
        non-empty list of channel names, and :class:`ValueError` is raised before anything
        is sent otherwise.
        """
        if channels is None or isinstance(channels, str):
            raise ValueError("channels must be a list of channel names, e.g. ['voice']")
        names = list(channels)
        if not names or any(not isinstance(c, str) or not c.strip() for c in names):
            raise ValueError("channels must be a non-empty list of channel names")
        body: dict[str, Any] = {"operationName": "StartContactCenterSession"}
        for key, name, value in (
            ("place", "place", place),
            ("loginCode", "login_code", login_code),
            ("queue", "queue", queue),
        ):
            if value is not None:
                body[key] = require(value, name)
        body["channels"] = names
        return await self._post(body)

    async def end_contact_center_session(self) -> OperationResult:
        """``EndContactCenterSession``: log out of every device and end the HTTP session."""
        return await self._operation("EndContactCenterSession")

    async def list_skills(self) -> builtins.list[Skill]:
        """The agent's skills (``GET /me/skills?fields=*``)."""
        return await self._list(
            "/me/skills", "skills", Skill, params={"fields": "*"}, operation="GetSkills"
        )

    async def list_skill_uris(self) -> builtins.list[str]:
        """The URIs of the agent's skills (``GET /me/skills``)."""
        return await self._uris("/me/skills", operation="GetSkills")

    async def get_skill(self, skill_id: str) -> Skill:
        """One of the agent's skills (``GET /me/skills/{id}``)."""
        return await self._one(
            f"/me/skills/{segment(skill_id, 'skill_id')}", "skill", Skill, operation="GetSkill"
        )

    async def _operation(self, operation: str) -> OperationResult:
        return await self._post({"operationName": operation})

    async def _post(self, body: dict[str, Any]) -> OperationResult:
        return await self._perform(
            "POST", "/me", json_body=body, operation=str(body["operationName"])
        )
