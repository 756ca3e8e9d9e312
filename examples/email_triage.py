"""E-mail triage: accept each e-mail offered to the agent, reply with an acknowledgement
chosen by its subject above the quoted original, send it, and finish the original.

With no environment, it runs against the embedded simulator, which delivers three
e-mails and shows the outbox afterwards. Against a real GWS (Ctrl-C to stop)::

    GWS_URL=http://gws.example.com:8090 GWS_USERNAME=agent1 GWS_PASSWORD=secret \\
        GWS_QUEUE=EmailOutbound python examples/email_triage.py
"""

from __future__ import annotations

import asyncio
import os
import sys

from gws_async import GwsClient, GwsError, InteractionStateMessage, OutboundEmail
from gws_async.bot import Bot, Context, F, interaction_state, media
from gws_async.simulator import GwsSimulator

QUEUE = os.environ.get("GWS_QUEUE", "EmailOutbound")  # holds drafts, then takes replies
ANSWERS = {
    "refund": "Your refund request is with our billing team: expect news within two days.",
    "urgent": "We have flagged your message as urgent: we will call you within the hour.",
}
DEFAULT_ANSWER = "Thank you for your message: we will answer within one working day."

bot = Bot()


def acknowledgement(subject: str) -> str:
    """The answer for the first keyword found in the subject."""
    words = subject.lower()
    return next((text for word, text in ANSWERS.items() if word in words), DEFAULT_ANSWER)


@bot.on_startup
async def ready(ctx: Context) -> None:
    await ctx.gws.channels.ready("email")


@bot.on(InteractionStateMessage, media("email") & interaction_state("Invited"))
async def accept_and_reply(email: InteractionStateMessage, ctx: Context) -> None:
    gws = ctx.gws
    accepted = gws.wait_for(
        InteractionStateMessage,
        check=lambda e: e.id == email.id and e.state == "Accepted",
        timeout=10,
    )
    await gws.interactions.accept(email.id)
    original = (await accepted).email_object
    sender = original.from_address if original else "the customer"
    # GWS builds the draft (addresses, "Re:" subject, quoted text); it comes back as a
    # ReplyCreated notification, handled below.
    await gws.interactions.email.reply(
        email.id,
        queue_name=QUEUE,
        subject_prefix="Re: ",
        reply_to_start_line=f"{sender} wrote:",
        indent_character="> ",
        quote_original=True,
    )
    print(f"accepted {email.id} from {sender}")


@bot.on(
    InteractionStateMessage,
    media("email")
    & interaction_state("ReplyCreated")
    & (F.interaction_sub_type == "OutboundReply"),
)
async def send_reply(draft: InteractionStateMessage, ctx: Context) -> None:
    mail = draft.email_object
    if mail is None or mail.to_address is None or mail.from_address is None:
        return
    reply = OutboundEmail(
        to_address=mail.to_address,
        from_address=mail.from_address,  # the server's choice, from the draft
        subject=mail.subject or "",
        text=f"{acknowledgement(mail.subject or '')}\n\n{mail.text or ''}",
    )
    await ctx.gws.interactions.email.send(draft.id, queue_name=QUEUE, email=reply)
    if draft.parent_id:
        await ctx.gws.interactions.stop_processing(draft.parent_id)
    print(f"sent reply {draft.id} to {mail.to_address}: {mail.subject}")


async def demo() -> None:
    inbox = [
        ("ann@example.com", "Refund for order 1234", "I was charged twice.\nPlease refund one."),
        ("bob@example.com", "URGENT: cannot log in", "My account is locked."),
        ("cid@example.com", "Opening hours", "Are you open on Sunday?"),
    ]
    async with GwsSimulator() as sim, GwsClient(sim.url, "agent1", "password1") as gws:
        async with bot.running(gws):
            finished = []
            for sender, subject, text in inbox:
                iid = sim.deliver_email("agent1", subject=subject, text=text, from_address=sender)
                # The bot's last step, StopProcessing on the original, sends a Revoked.
                finished.append(
                    gws.wait_for(
                        InteractionStateMessage,
                        check=lambda e, iid=iid: e.id == iid and e.state == "Revoked",
                        timeout=10,
                    )
                )
            await asyncio.gather(*finished)
        for sent in (i for i in sim.state.interactions.values() if i.state == "Sent"):
            print(f"outbox: to {sent.email['ToAddress']}: {sent.email['Subject']}")
            for line in sent.email["Text"].splitlines():
                print(f"    {line}".rstrip())


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
