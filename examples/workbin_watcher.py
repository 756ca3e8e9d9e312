"""Watch a workbin: print every item that lands in it, then pull it and process it.

With no environment, it runs against the embedded simulator and feeds it a few items.
Against a real GWS::

    GWS_URL=http://gws.example.com:8090 GWS_USERNAME=agent1 GWS_PASSWORD=secret \\
        GWS_WORKBIN=TestWorkbin python examples/workbin_watcher.py
"""

from __future__ import annotations

import asyncio
import os

from gws_async import GwsClient, Topic, WorkbinStateChangeMessage
from gws_async.simulator import GwsSimulator


async def watch(
    url: str,
    username: str,
    password: str,
    workbin_name: str,
    limit: int,
    ready: asyncio.Event | None = None,
) -> int:
    """Pull up to ``limit`` items as they arrive; return how many were processed.

    ``ready`` is set once the workbin is subscribed: items added later are all seen.
    """
    processed = 0
    async with GwsClient(url, username, password) as gws:
        workbins = await gws.workbins.list()
        workbin = next(w.workbin_id for w in workbins if w.workbin_name == workbin_name)
        await gws.subscribe(Topic.WORKBINS, Topic.INTERACTIONS)
        async with gws.events(
            WorkbinStateChangeMessage, check=lambda e: e.id == workbin and e.is_item_added
        ) as stream:
            await gws.workbins.subscribe(workbin)
            print(f"watching {workbin_name} as {username}")
            if ready is not None:
                ready.set()
            async for event in stream:
                item = event.interaction
                print(f"new {event.media} {item.id}: {item.user_data.get('Subject', '')}")
                await gws.workbins.pull(workbin, item.id)
                print(f"pulled {item.id}")
                processed += 1
                if processed == limit:
                    break
    return processed


async def demo() -> None:
    async with GwsSimulator() as sim:
        ready = asyncio.Event()
        watcher = asyncio.create_task(
            watch(sim.url, "agent1", "password1", "TestWorkbin", 3, ready)
        )
        await asyncio.wait_for(ready.wait(), 10)
        workbin = next(w.id for w in sim.state.workbins.values() if w.name == "TestWorkbin")
        for n, media in enumerate(("email", "chat", "workitem")):
            sim.put_in_workbin("agent1", workbin, media=media, user_data={"Subject": f"case {n}"})
        print(f"processed {await asyncio.wait_for(watcher, 10)} item(s)")


def main() -> None:
    url = os.environ.get("GWS_URL")
    if url is None:
        asyncio.run(demo())
        return
    asyncio.run(
        watch(
            url,
            os.environ["GWS_USERNAME"],
            os.environ["GWS_PASSWORD"],
            os.environ.get("GWS_WORKBIN", "TestWorkbin"),
            int(os.environ.get("GWS_LIMIT", "0")) or -1,
        )
    )


if __name__ == "__main__":
    main()
