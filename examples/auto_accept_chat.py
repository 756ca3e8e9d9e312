"""Auto-accept chats: take every chat offered to the agent, greet the customer, finish.

With no environment, it runs against the embedded simulator, where three customers start
a chat. Against a real GWS (Ctrl-C to stop)::

    GWS_URL=http://gws.example.com:8090 GWS_USERNAME=agent1 GWS_PASSWORD=secret \\
        GWS_NICKNAME=Ava python examples/auto_accept_chat.py
"""

from __future__ import annotations

import asyncio
import os
import sys

from gws_async import GwsClient, GwsError, InteractionStateMessage
from gws_async.bot import Bot, Context, interaction_state, media
from gws_async.simulator import GwsSimulator

NICKNAME = os.environ.get("GWS_NICKNAME", "Ava")
GREETING = f"Hello, this is {NICKNAME}. Thank you for writing: we will answer by e-mail today."

bot = Bot()


@bot.on_startup
async def ready(ctx: Context) -> None:
    await ctx.gws.channels.ready("chat")  # GWS offers chats only to agents Ready on chat
    print(f"{ctx.agent} is ready for chats as {NICKNAME}")


@bot.on(InteractionStateMessage, media("chat") & interaction_state("Invited"))
async def greet(chat: InteractionStateMessage, ctx: Context) -> None:
    gws = ctx.gws
    # Registered before the Accept, so its confirmation cannot slip past.
    accepted = gws.wait_for(
        InteractionStateMessage,
        check=lambda e: e.id == chat.id and e.state == "Accepted",
        timeout=10,
    )
    await gws.interactions.accept(chat.id, nickname=NICKNAME)
    await accepted
    await gws.interactions.chat.send_message(chat.id, GREETING)
    await gws.interactions.stop_processing(chat.id)
    print(f"greeted chat {chat.id}")


@bot.on_shutdown
async def not_ready(ctx: Context) -> None:
    await ctx.gws.channels.not_ready("chat")


async def demo() -> None:
    async with GwsSimulator() as sim, GwsClient(sim.url, "agent1", "password1") as gws:
        async with bot.running(gws):
            chats = {}
            for name in ("Alice", "Bob", "Carol"):
                iid = sim.offer_chat("agent1", nickname=name, message=f"Hi, {name} here")
                chats[iid] = sim.state.interactions[iid]  # kept: the simulator forgets it
            # The bot's last step, StopProcessing, sends a Revoked for each chat.
            await asyncio.gather(
                *(
                    gws.wait_for(
                        InteractionStateMessage,
                        check=lambda e, iid=iid: e.id == iid and e.state == "Revoked",
                        timeout=10,
                    )
                    for iid in chats
                )
            )
        for iid, chat in chats.items():
            lines = [
                f"{e['MessageType']} {e['NickName'] or e['MessageText']}" for e in chat.transcript
            ]
            print(f"transcript of {iid}: {' | '.join(lines)}")


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
