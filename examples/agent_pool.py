"""Many agents, one process: every agent logs in with its own session over one shared
connection pool, and one bot answers the calls ringing on each agent's own phone.

With no environment, it runs against the embedded simulator with ten agents and rings
each of them once. Against a real GWS, list the agents (Ctrl-C to stop)::

    GWS_URL=http://gws.example.com:8090 GWS_USERNAME=agent1,agent2,agent3 \\
        GWS_PASSWORD=secret1,secret2,secret3 python examples/agent_pool.py

(one password for every agent when GWS_PASSWORD has no comma).
"""

from __future__ import annotations

import asyncio
import os
import sys

from gws_async import CallStateChangeMessage, GwsError
from gws_async.bot import Bot, Context, call_state
from gws_async.pool import AgentPool
from gws_async.simulator import GwsSimulator, SimAgent

bot = Bot()


@bot.on(CallStateChangeMessage, call_state("Ringing"))
async def answer(event: CallStateChangeMessage, ctx: Context) -> None:
    if event.call is None:
        return
    # ctx.gws is the client of the agent whose phone rings: the answer is theirs.
    await ctx.gws.calls.answer(event.call.id)
    print(f"{ctx.agent} answered a call from {', '.join(event.call.participants)}")


async def demo() -> None:
    agents = [(f"agent{n}", f"secret{n}") for n in range(1, 11)]
    async with GwsSimulator([SimAgent(name, password) for name, password in agents]) as sim:
        async with AgentPool(sim.url, agents) as pool, bot.running(pool):
            print(f"{len(pool)} agents logged in over one connection pool")
            answered = []
            for n, name in enumerate(pool, 1):
                call = sim.ring_call(name, from_number=f"55500{n:02d}")
                answered.append(
                    pool[name].wait_for(
                        CallStateChangeMessage,
                        check=lambda e, c=call: (
                            e.call is not None and (e.call.id, e.call.state) == (c, "Established")
                        ),
                        timeout=10,
                    )
                )
            await asyncio.gather(*answered)
        for call in sim.state.calls.values():
            print(f"simulator: the call from {call.ani} is {call.state} on {call.owner}'s phone")


async def serve(url: str, agents: list[tuple[str, str]]) -> None:
    # Said from inside the event loop, whose SIGINT handling covers the logins too.
    names = ",".join(name for name, _ in agents)
    print(f"connecting to {url} as {names} (Ctrl-C to stop)", file=sys.stderr)
    async with AgentPool(url, agents) as pool:
        await bot.run_forever(pool)


def main() -> None:
    url = os.environ.get("GWS_URL")
    if url is None:
        print("GWS_URL is not set: running against the embedded simulator", file=sys.stderr)
        asyncio.run(demo())
        return
    usernames, passwords = os.environ.get("GWS_USERNAME"), os.environ.get("GWS_PASSWORD")
    if not usernames or passwords is None:
        sys.exit("set GWS_USERNAME and GWS_PASSWORD (comma-separated) to log in to GWS_URL")
    names, secrets = usernames.split(","), passwords.split(",")
    if len(secrets) == 1:
        secrets *= len(names)
    if len(secrets) != len(names):
        sys.exit("GWS_PASSWORD needs one password, or one for each name in GWS_USERNAME")
    try:
        asyncio.run(serve(url, list(zip(names, secrets, strict=True))))
    except KeyboardInterrupt:
        pass  # Ctrl-C while logging in, before the bot handles signals: nothing to stop
    except GwsError as exc:
        sys.exit(f"stopped: {exc}")


if __name__ == "__main__":
    main()
