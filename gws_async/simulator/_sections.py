"""The API sections of the simulator: one module per spec section, each adding its routes
and operations."""

from __future__ import annotations

from types import ModuleType

from aiohttp import web

from . import (
    _attachments,
    _calls,
    _chat,
    _contacts,
    _email,
    _features,
    _interactions,
    _me,
    _presence,
    _provisioning,
    _recordings,
    _settings,
    _skills,
    _users,
    _workbins,
)
from ._common import SimContext

__all__ = ["SECTIONS", "setup"]

#: In the order they add their routes and operations.
SECTIONS: tuple[ModuleType, ...] = (
    _me,
    _workbins,
    _interactions,
    _email,
    _chat,
    _attachments,
    _provisioning,
    _users,
    _skills,
    _contacts,
    _features,
    _settings,
    _recordings,
    _presence,
    _calls,
)


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the routes and operations of every section to ``app``."""
    for section in SECTIONS:
        section.setup(app, ctx)
