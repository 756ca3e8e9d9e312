"""The demo: an agent bot against the embedded simulator, end to end over loopback."""

from __future__ import annotations

import asyncio
from typing import TextIO

from ._client import GwsClient
from .events import (
    GwsEvent,
    InteractionStateMessage,
    WorkbinStateChangeMessage,
    WorkbinSubscriptionStateChangeMessage,
)
from .simulator import GwsSimulator
from .topics import Topic

__all__ = ["describe", "run_demo"]


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
        return f"{name} {event.state}: {event.channel} {event.id} ref={event.reference_id}"
    return f"{name} on {event.topic}"


async def run_demo(out: TextIO) -> int:
    """Start the simulator, log in as an agent, and show workbin events arriving."""

    def say(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    async with GwsSimulator(long_poll_timeout=10.0) as sim:
        say(f"simulator: {sim.api_url} (CometD at {sim.cometd_url})")
        async with GwsClient(sim.url, "agent1", "password1") as gws:
            me = gws.user
            assert me is not None
            say(f"logged in as {me.user_name} ({me.first_name} {me.last_name})")
            await gws.subscribe(Topic.WORKBINS, Topic.INTERACTIONS)
            say("listening on /v2/me/workbins and /v2/me/interactions")

            workbins = await gws.workbins.list()
            say("workbins: " + ", ".join(w.workbin_name or w.workbin_id for w in workbins))
            workbin = next(w for w in workbins if w.workbin_name == "TestWorkbin").workbin_id

            seen: list[GwsEvent] = []
            async with gws.events() as stream:

                async def show() -> None:
                    async for event in stream:
                        seen.append(event)
                        say(f"  event  {describe(event)}")

                printer = asyncio.create_task(show())
                try:
                    result = await gws.workbins.subscribe(workbin)
                    assert result.reference_id is not None
                    await gws.wait_for_reference(result.reference_id, timeout=5)

                    say("customer side: three items land in TestWorkbin")
                    for n, media in enumerate(("chat", "email", "workitem"), start=1):
                        iid = f"0000DEMO{media.upper()}{n:04d}"
                        arrived = gws.workbins.expect_item("ItemAdded", workbin, iid, timeout=5)
                        sim.put_in_workbin("agent1", workbin, media=media, interaction_id=iid)
                        await arrived
                    content = await gws.workbins.get_content(workbin)
                    say(f"workbin content: {len(content)} item(s)")

                    say("bot: add an interaction it owns, await ItemAdded, then pull it back")
                    owned = sim.create_interaction("agent1", media="chat")
                    added = await gws.workbins.add_and_wait(workbin, owned, timeout=5)
                    say(f"  done   add -> {describe(added)}")
                    removed = await gws.workbins.pull_and_wait(workbin, owned, timeout=5)
                    say(f"  done   pull -> {describe(removed)}")

                    say("bot: the same through the AgentGroup workbin, correlated by referenceId")
                    group_workbin = "6c715fa9-de16-4d23-b07c-cbcb1caf3e07"
                    await gws.workbins.subscribe(group_workbin)
                    other = sim.create_interaction("agent1", media="chat")
                    result = await gws.workbins.add_to_group(
                        group_workbin, other, agent_group="MyAgentGroup", media="chat"
                    )
                    assert result.reference_id is not None
                    event = await gws.wait_for_reference(result.reference_id, timeout=5)
                    say(f"  done   AddChat ref={result.reference_id} -> {describe(event)}")
                    await asyncio.sleep(0.2)  # let the printer catch up
                finally:
                    printer.cancel()
                    await asyncio.gather(printer, return_exceptions=True)
            say(f"received {gws.events_received} event(s); bye")
    return 0
