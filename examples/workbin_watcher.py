"""Watch a workbin: print every item that lands in it, then pull it and process it.

With no environment, it runs against the embedded simulator and feeds it a few items.
Against a real GWS::

    GWS_URL=http://gws.example.com:8090 GWS_USERNAME=agent1 GWS_PASSWORD=secret \\
        GWS_WORKBIN=TestWorkbin python examples/workbin_watcher.py
"""

from __future__ import annotations

import asyncio
import os
import sys

from gws_async import GwsClient, GwsError, Topic, WorkbinStateChangeMessage
from gws_async.simulator import GwsSimulator


async def watch(
    url: str,
    username: str,
    password: str,
    workbin_name: str,
    limit: int,
    ready: asyncio.Event | None = None,
    *,
    announce: bool = False,
) -> int:
    """Pull up to ``limit`` items as they arrive; return how many were processed.

    ``ready`` is set once the workbin is subscribed: items added later are all seen.
    ``announce`` says on standard error where it connects, from inside the event loop,
    whose SIGINT handling covers the login too.
    """
    if announce:
        print(f"connecting to {url} as {username} (Ctrl-C to stop)", file=sys.stderr)
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
        print("GWS_URL is not set: running against the embedded simulator", file=sys.stderr)
        asyncio.run(demo())
        return
    username, password = os.environ.get("GWS_USERNAME"), os.environ.get("GWS_PASSWORD")
    if not username or password is None:
        sys.exit("set GWS_USERNAME and GWS_PASSWORD to log in to GWS_URL")
    workbin = os.environ.get("GWS_WORKBIN", "TestWorkbin")
    limit = int(os.environ.get("GWS_LIMIT", "0")) or -1
    try:
        asyncio.run(watch(url, username, password, workbin, limit, announce=True))
    except KeyboardInterrupt:
        pass  # asyncio.run cancelled watch(): the client has logged out
    except GwsError as exc:
        sys.exit(f"stopped: {exc}")


if __name__ == "__main__":
    main()
