"""Invitations revoked after agent inactivity (spec "E-mail Revoked", "Chat Revoked").

"After a predetermined period of Agent inactivity, this notifies the Agent that the System
has removed an e-mail interaction from him or her." The spec names no period: the
simulator waits ``revoke_after`` seconds (``DEFAULT_REVOKE_AFTER``, 30) for Accept or
Reject of an e-mail or chat invitation, then sends the Invited interaction back as
``Revoked`` (``capabilities: []``, no ``referenceId``: nobody asked) and puts it back in
its queue, as Reject does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from ._common import SimContext
from ._interaction_common import notify
from ._state import SimInteraction, utcnow

__all__ = ["revoke_invitations", "setup"]

#: The media whose invitations the spec revokes.
_MEDIA = frozenset({"email", "chat"})
# How often the sweeper looks, at most: a tenth of the period keeps it within 10 %.
_MAX_SWEEP_INTERVAL = 1.0


def setup(app: web.Application, ctx: SimContext) -> None:
    """Run the inactivity sweeper while ``app`` runs (unless ``revoke_after`` is None)."""
    if ctx.revoke_after is not None:
        period = ctx.revoke_after

        async def sweeper(app: web.Application) -> AsyncIterator[None]:
            task = asyncio.create_task(_sweep_forever(ctx, period))
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        app.cleanup_ctx.append(sweeper)


def revoke_invitations(
    ctx: SimContext, username: str | None = None, *, older_than: float | None = None
) -> list[str]:
    """Revoke the pending e-mail and chat invitations (of ``username``, or everyone's)
    sent at least ``older_than`` seconds ago (all of them when None); their ids."""
    if username is not None:
        ctx.state.agent(username)  # KeyError for an unknown agent, as the other hooks
    now = utcnow()
    revoked = []
    for interaction in list(ctx.state.interactions.values()):
        owner = interaction.owner
        if interaction.state != "Invited" or interaction.media not in _MEDIA or owner is None:
            continue
        if username is not None and owner != username:
            continue
        if interaction.invited_at is None:
            interaction.invited_at = now  # invited by other means: its period starts now
        if older_than is not None and (now - interaction.invited_at).total_seconds() < older_than:
            continue
        _revoke(ctx, interaction, owner)
        revoked.append(interaction.id)
    return revoked


def _revoke(ctx: SimContext, interaction: SimInteraction, owner: str) -> None:
    # Notified as it was offered (the samples show the Invited interaction, Revoked).
    notify(ctx, owner, interaction, reference_id=None, state="Revoked")
    interaction.owner = None
    interaction.state = "Queued"
    interaction.invited_at = None


async def _sweep_forever(ctx: SimContext, period: float) -> None:
    interval = min(_MAX_SWEEP_INTERVAL, period / 10)
    while True:
        await asyncio.sleep(interval)
        revoke_invitations(ctx, older_than=period)
