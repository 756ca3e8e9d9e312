"""Call monitor: print every change of the agent's calls, with who is on the line.

With no environment, it runs against the embedded simulator: a customer calls, the agent
answers, brings a colleague in, holds, retrieves and hangs up. Against a real GWS it
prints the agent's calls until Ctrl-C::

    GWS_URL=http://gws.example.com:8090 GWS_USERNAME=agent1 GWS_PASSWORD=secret \\
        python examples/call_monitor.py
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable

from gws_async import CallStateChangeMessage, GwsClient, GwsError, OperationResult
from gws_async.bot import Bot, Context
from gws_async.simulator import GwsSimulator

bot = Bot(concurrency=1)  # one at a time: the lines come out in the order of the changes


@bot.on(CallStateChangeMessage)
async def show(event: CallStateChangeMessage, ctx: Context) -> None:
    call = event.call
    if call is None:  # a call operation failed: GWS says why
        print(f"{event.notification_type}: {event.error_message}")
        return
    people = ", ".join(call.participants) or "nobody"
    print(f"{event.notification_type:<19} call {call.id} {call.state:<11} with {people}")


async def demo() -> None:
    async with GwsSimulator() as sim, GwsClient(sim.url, "agent1", "password1") as gws:

        async def step(operation: Awaitable[OperationResult]) -> None:
            # As a phone would: wait for the notification of each operation.
            result = await operation
            if result.reference_id is not None:
                await gws.wait_for_reference(result.reference_id, timeout=10)

        async with bot.running(gws):
            call = sim.ring_call("agent1", from_number="5551234")
            await step(gws.calls.answer(call))
            await step(gws.calls.single_step_conference(call, "5550000"))
            await step(gws.calls.hold(call))
            await step(gws.calls.retrieve(call))
            await step(gws.calls.hangup(call))
            await bot.wait_idle(timeout=10)  # every change received is printed


async def serve(url: str, username: str, password: str) -> None:
    # Said from inside the event loop, whose SIGINT handling covers the login too.
    print(f"connecting to {url} as {username} (Ctrl-C to stop)", file=sys.stderr)
    async with GwsClient(url, username, password) as gws:
        await bot.run_forever(gws)  # until Ctrl-C or SIGTERM, then stops the bot cleanly


def main() -> None:
    url = os.environ.get("GWS_URL")
    if url is None:
        print("GWS_URL is not set: running against the embedded simulator", file=sys.stderr)
        asyncio.run(demo())
        return
    username, password = os.environ.get("GWS_USERNAME"), os.environ.get("GWS_PASSWORD")
    if not username or password is None:
        sys.exit("set GWS_USERNAME and GWS_PASSWORD to log in to GWS_URL")
    try:
        asyncio.run(serve(url, username, password))
    except KeyboardInterrupt:
        pass  # Ctrl-C while logging in, before the bot handles signals: nothing to stop
    except GwsError as exc:
        sys.exit(f"stopped: {exc}")


if __name__ == "__main__":
    main()
