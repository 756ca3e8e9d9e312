"""A thin bot layer: handlers per event type, composable filters, hooks, clean shutdown.

::

    from gws_async import InteractionStateMessage
    from gws_async.bot import Bot, Context, F, media

    bot = Bot()

    @bot.on(InteractionStateMessage, media("chat") & (F.state == "Invited"))
    async def accept(chat: InteractionStateMessage, ctx: Context) -> None:
        await ctx.gws.interactions.accept(chat.id, nickname="Ava")

    bot.run("http://gws:8090", "agent1", "secret")  # until SIGINT or SIGTERM

Handlers are typed: one registered for ``InteractionStateMessage`` is checked by mypy as
receiving that type. With :class:`~gws_async.pool.AgentPool` one bot serves many agents;
``ctx.agent`` says whose event it is.
"""

from ._bot import Bot, Context, ErrorHook, Handler, Hook, Router
from .filters import (
    F,
    Filter,
    MagicFilter,
    action,
    call_state,
    interaction_state,
    media,
    workbin,
)

__all__ = [
    "Bot",
    "Context",
    "ErrorHook",
    "F",
    "Filter",
    "Handler",
    "Hook",
    "MagicFilter",
    "Router",
    "action",
    "call_state",
    "interaction_state",
    "media",
    "workbin",
]
