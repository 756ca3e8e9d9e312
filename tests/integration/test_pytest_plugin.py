"""The ``gws_simulator`` fixture that the installed pytest plugin gives bot authors."""

from __future__ import annotations

from gws_async import GwsClient, WorkbinStateChangeMessage
from gws_async.simulator import GwsSimulator


async def test_fixture_is_a_running_simulator(gws_simulator: GwsSimulator) -> None:
    assert gws_simulator.url.startswith("http://127.0.0.1:")
    async with GwsClient(gws_simulator.url, "agent1", "password1") as gws:
        await gws.subscribe()
        workbin = (await gws.workbins.list())[0].workbin_id
        await gws.workbins.subscribe(workbin)
        added = gws.wait_for(WorkbinStateChangeMessage, timeout=5)
        iid = gws_simulator.put_in_workbin("agent1", workbin, media="email")
        event = await added
    assert event.is_item_added
    assert event.interaction.id == iid
    assert event.media == "email"
