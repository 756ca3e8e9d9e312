"""``gws-async demo``: an agent bot against the embedded simulator, end to end over
loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TextIO

from .. import EventStream, GwsClient
from ..events import (
    GwsEvent,
    InteractionStateMessage,
    WorkbinStateChangeMessage,
    WorkbinSubscriptionStateChangeMessage,
)
from ..simulator import GwsSimulator
from ..topics import Topic

__all__ = ["describe", "run_demo"]

_Say = Callable[[str], None]

_AGENT_GROUP_WORKBIN = "6c715fa9-de16-4d23-b07c-cbcb1caf3e07"


def describe(event: GwsEvent) -> str:
    """A one-line, human-readable summary of an event."""
    name = type(event).__name__
    if isinstance(event, WorkbinStateChangeMessage):
        group = event.agent_group or event.place_group
        where = f"workbin={event.id}" + (f" group={group}" if group else "")
        return f"{name} {event.action}: {event.media} {event.interaction.id} {where}"
    if isinstance(event, WorkbinSubscriptionStateChangeMessage):
        return f"{name} {event.state_resource}: workbin={event.id} ref={event.reference_id}"
    if isinstance(event, InteractionStateMessage):
        state, media = event.interaction_state, event.media
        return f"{name} {state}: {media} {event.id} ref={event.reference_id}"
    return f"{name} on {event.topic}"


async def run_demo(out: TextIO) -> int:
    """Start the simulator, log in as an agent, and show workbin events arriving."""

    def say(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    async with GwsSimulator(long_poll_timeout=10.0) as sim:
        say(f"simulator: {sim.api_url} (CometD at {sim.cometd_url})")
        async with GwsClient(sim.url, "agent1", "password1") as gws:
            workbin = await _log_in(gws, say)
            async with gws.events() as stream:
                printer = asyncio.create_task(_print_events(stream, say))
                try:
                    result = await gws.workbins.subscribe(workbin)
                    assert result.reference_id is not None
                    await gws.wait_for_reference(result.reference_id, timeout=5)
                    await _fill_workbin(gws, sim, workbin, say)
                    await _add_then_pull(gws, sim, workbin, say)
                    await _through_the_group_workbin(gws, sim, say)
                    await asyncio.sleep(0.2)  # let the printer catch up
                finally:
                    printer.cancel()
                    await asyncio.gather(printer, return_exceptions=True)
            say(f"received {gws.events_received} event(s); bye")
    return 0


async def _log_in(gws: GwsClient, say: _Say) -> str:
    """Subscribe to the agent's topics and return the id of ``TestWorkbin``."""
    me = gws.user
    assert me is not None
    say(f"logged in as {me.user_name} ({me.first_name} {me.last_name})")
    await gws.subscribe(Topic.WORKBINS, Topic.INTERACTIONS)
    say("listening on /v2/me/workbins and /v2/me/interactions")
    workbins = await gws.workbins.list()
    say("workbins: " + ", ".join(w.workbin_name or w.workbin_id for w in workbins))
    return next(w for w in workbins if w.workbin_name == "TestWorkbin").workbin_id


async def _print_events(stream: EventStream[GwsEvent], say: _Say) -> None:
    async for event in stream:
        say(f"  event  {describe(event)}")


async def _fill_workbin(gws: GwsClient, sim: GwsSimulator, workbin: str, say: _Say) -> None:
    say("customer side: three items land in TestWorkbin")
    for n, media in enumerate(("chat", "email", "workitem"), start=1):
        iid = f"0000DEMO{media.upper()}{n:04d}"
        arrived = gws.workbins.expect_item("ItemAdded", workbin, iid, timeout=5)
        sim.put_in_workbin("agent1", workbin, media=media, interaction_id=iid)
        await arrived
    content = await gws.workbins.get_content(workbin)
    say(f"workbin content: {len(content)} item(s)")


async def _add_then_pull(gws: GwsClient, sim: GwsSimulator, workbin: str, say: _Say) -> None:
    say("bot: add an interaction it owns, await ItemAdded, then pull it back")
    owned = sim.create_interaction("agent1", media="chat")
    added = await gws.workbins.add_and_wait(workbin, owned, timeout=5)
    say(f"  done   add -> {describe(added)}")
    removed = await gws.workbins.pull_and_wait(workbin, owned, timeout=5)
    say(f"  done   pull -> {describe(removed)}")


async def _through_the_group_workbin(gws: GwsClient, sim: GwsSimulator, say: _Say) -> None:
    say("bot: the same through the AgentGroup workbin, correlated by referenceId")
    await gws.workbins.subscribe(_AGENT_GROUP_WORKBIN)
    other = sim.create_interaction("agent1", media="chat")
    result = await gws.workbins.add_to_group(
        _AGENT_GROUP_WORKBIN, other, agent_group="MyAgentGroup", media="chat"
    )
    assert result.reference_id is not None
    event = await gws.wait_for_reference(result.reference_id, timeout=5)
    say(f"  done   AddChat ref={result.reference_id} -> {describe(event)}")
