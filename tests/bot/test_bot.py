"""The bot: registration, dispatch, hooks and stopping, on a client logged in on the
simulator (events published straight into its hub)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from gws_async import (
    GwsClient,
    GwsEvent,
    InteractionStateMessage,
    Reconnected,
    StreamClosed,
    WorkbinStateChangeMessage,
)
from gws_async.bot import (
    Bot,
    Context,
    F,
    Filter,
    Router,
    interaction_state,
    media,
)
from tests.bot.events import WB, interaction, item


async def publish(gws: GwsClient, *events: GwsEvent) -> None:
    for event in events:
        await gws._listener.hub.publish(event)


def started(bot: Bot) -> asyncio.Future[None]:
    """Completes once the bot has started on a client (add before starting it)."""
    done = asyncio.get_running_loop().create_future()

    @bot.on_startup
    async def mark(ctx: Context) -> None:
        done.set_result(None)

    return asyncio.ensure_future(asyncio.wait_for(done, 5))


def test_registration_checks_types_and_handlers() -> None:
    bot = Bot()
    with pytest.raises(TypeError, match="GwsEvent"):
        bot.on(dict)  # type: ignore[type-var]

    def not_async(event: GwsEvent, ctx: Context) -> None:
        pass

    with pytest.raises(TypeError, match="async"):
        bot.on(GwsEvent)(not_async)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="concurrency"):
        Bot(concurrency=0)


def test_routers_include_in_order_and_refuse_cycles() -> None:
    bot, chats, emails = Bot(), Router(), Router()

    async def a(event: GwsEvent, ctx: Context) -> None: ...
    async def b(event: GwsEvent, ctx: Context) -> None: ...
    async def c(event: GwsEvent, ctx: Context) -> None: ...

    chats.on(GwsEvent)(b)
    emails.on(GwsEvent)(c)
    bot.include(chats)
    chats.include(emails)
    bot.on(GwsEvent)(a)
    assert [reg.handler for reg in bot._registrations()] == [a, b, c]
    with pytest.raises(ValueError, match="already included"):
        bot.include(emails)
    with pytest.raises(ValueError, match="already included"):
        emails.include(bot)


async def test_each_handler_gets_its_type_and_filters_with_the_context(gws: GwsClient) -> None:
    bot = Bot()
    seen: list[tuple[str, str, Context]] = []

    @bot.on(WorkbinStateChangeMessage, F.action == "ItemAdded")
    async def added(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        seen.append(("added", event.interaction.id, ctx))

    @bot.on(InteractionStateMessage, media("chat"), interaction_state("Invited"))
    async def invited(event: InteractionStateMessage, ctx: Context) -> None:
        seen.append(("invited", event.id, ctx))

    async with bot.running(gws):
        await publish(
            gws,
            item("i1"),
            item("i2", action="ItemRemoved"),
            interaction("i3"),
            interaction("i4", media="email"),
            interaction("i5", "Accepted"),
        )
        await bot.wait_idle(timeout=5)
    assert [(kind, iid) for kind, iid, _ in seen] == [("added", "i1"), ("invited", "i3")]
    ctx = seen[0][2]
    assert ctx.gws is gws
    assert ctx.agent == "agent1"
    assert ctx.bot is bot


async def test_every_matching_handler_runs_in_registration_order(gws: GwsClient) -> None:
    bot, other = Bot(), Router()
    calls: list[str] = []

    @bot.on(GwsEvent, F.topic == WB)
    async def audit(event: GwsEvent, ctx: Context) -> None:
        await asyncio.sleep(0.01)  # the next handler still waits for this one
        calls.append("audit")

    @other.on(WorkbinStateChangeMessage)
    async def act(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        calls.append("act")

    bot.include(other)
    async with bot.running(gws):
        await publish(gws, item("i1"))
        await bot.wait_idle(timeout=5)
    assert calls == ["audit", "act"]


async def test_events_are_taken_in_order(gws: GwsClient) -> None:
    bot = Bot(concurrency=1)
    order: list[str] = []

    @bot.on(WorkbinStateChangeMessage)
    async def record(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        await asyncio.sleep(0)
        order.append(event.interaction.id)

    async with bot.running(gws):
        await publish(gws, *(item(f"i{n}") for n in range(30)))
        await bot.wait_idle(timeout=5)
    assert order == [f"i{n}" for n in range(30)]


async def test_concurrency_is_bounded_and_a_full_bot_holds_the_listener_back(
    gws: GwsClient,
) -> None:
    bot = Bot(concurrency=2, buffer=1)
    release = asyncio.Event()
    running = 0
    most = 0
    handled: list[str] = []

    @bot.on(WorkbinStateChangeMessage)
    async def slow(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await release.wait()
        running -= 1
        handled.append(event.interaction.id)

    async with bot.running(gws):
        await publish(gws, item("i1"), item("i2"))  # both taken, both handlers running
        await asyncio.sleep(0.05)
        assert running == 2
        await publish(gws, item("i3"))  # not taken: it waits in the one-event buffer
        blocked = asyncio.create_task(publish(gws, item("i4")))
        await asyncio.sleep(0.1)
        # The bot stopped taking events, so the listener's publish waits (backpressure).
        assert not blocked.done()
        assert running == 2
        release.set()
        await asyncio.wait_for(blocked, 5)
        await bot.wait_idle(timeout=5)
    assert most == 2
    assert sorted(handled) == ["i1", "i2", "i3", "i4"]


async def test_a_failing_handler_is_logged_and_stops_nothing_else(
    gws: GwsClient, caplog: pytest.LogCaptureFixture
) -> None:
    bot = Bot()
    ok: list[str] = []
    errors: list[tuple[str, str, str]] = []

    @bot.on(WorkbinStateChangeMessage)
    async def broken(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        if event.interaction.id == "bad":
            raise RuntimeError("boom")

    @bot.on(WorkbinStateChangeMessage)
    async def fine(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        ok.append(event.interaction.id)

    @bot.on_error
    async def record(event: GwsEvent, error: Exception, ctx: Context) -> None:
        assert isinstance(event, WorkbinStateChangeMessage)
        errors.append((event.interaction.id, str(error), ctx.agent))

    @bot.on_error
    async def broken_hook(event: GwsEvent, error: Exception, ctx: Context) -> None:
        raise ValueError("the hook fails too")

    with caplog.at_level(logging.ERROR, logger="gws_async.bot"):
        async with bot.running(gws):
            await publish(gws, item("good1"), item("bad"), item("good2"))
            await bot.wait_idle(timeout=5)
    assert ok == ["good1", "bad", "good2"]  # the other handler ran even on "bad"
    assert errors == [("bad", "boom", "agent1")]
    failure = next(r for r in caplog.records if "handler" in r.getMessage())
    assert "broken" in failure.getMessage()
    assert "'bad'" in failure.getMessage()  # the event is in the log line
    assert failure.exc_info is not None
    assert isinstance(failure.exc_info[1], RuntimeError)
    assert any("error hook" in r.getMessage() for r in caplog.records)


async def test_a_failing_filter_skips_only_its_handler(
    gws: GwsClient, caplog: pytest.LogCaptureFixture
) -> None:
    bot = Bot()
    ran: list[str] = []

    @bot.on(WorkbinStateChangeMessage, Filter(lambda e: 1 / 0))
    async def never(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        ran.append("never")

    @bot.on(WorkbinStateChangeMessage)
    async def always(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        ran.append("always")

    with caplog.at_level(logging.ERROR, logger="gws_async.bot"):
        async with bot.running(gws):
            await publish(gws, item("i1"))
            await bot.wait_idle(timeout=5)
    assert ran == ["always"]
    assert any("a filter of" in r.getMessage() for r in caplog.records)


async def test_typed_lambda_filters(gws: GwsClient) -> None:
    bot = Bot()
    got: list[str] = []

    @bot.on(WorkbinStateChangeMessage, lambda e: e.interaction.id.startswith("vip"))
    async def vip(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        got.append(event.interaction.id)

    async with bot.running(gws):
        await publish(gws, item("vip1"), item("std1"), interaction("vip2"))
        await bot.wait_idle(timeout=5)
    assert got == ["vip1"]


async def test_startup_runs_before_events_and_shutdown_after_handlers(gws: GwsClient) -> None:
    bot = Bot()
    log: list[str] = []

    @bot.on_startup
    async def startup(ctx: Context) -> None:
        # The stream is open already: an event published now is handled afterwards.
        await publish(ctx.gws, item("early"))
        await asyncio.sleep(0.02)
        log.append(f"startup {ctx.agent}")

    @bot.on(WorkbinStateChangeMessage)
    async def handle(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        await asyncio.sleep(0.05)
        log.append(f"handled {event.interaction.id}")

    @bot.on_shutdown
    async def shutdown(ctx: Context) -> None:
        assert ctx.gws.session is not None  # still open
        log.append(f"shutdown {ctx.agent}")

    await bot.start(gws)
    await publish(gws, item("late"))
    await asyncio.sleep(0.01)
    await bot.stop()
    assert log == ["startup agent1", "handled early", "handled late", "shutdown agent1"]


async def test_a_failing_startup_hook_fails_the_start_and_leaves_nothing_open(
    gws: GwsClient,
) -> None:
    bot = Bot()

    @bot.on(GwsEvent)
    async def handle(event: GwsEvent, ctx: Context) -> None: ...

    @bot.on_startup
    async def startup(ctx: Context) -> None:
        raise LookupError("no such workbin")

    with pytest.raises(LookupError):
        await bot.start(gws)
    assert bot.agents == []
    assert gws.stats.streams == 0


async def test_the_reconnect_hook_gets_the_event(gws: GwsClient) -> None:
    bot = Bot()
    got: list[Reconnected] = []

    @bot.on_reconnect
    async def reconnected(event: Reconnected, ctx: Context) -> None:
        got.append(event)

    @bot.on(WorkbinStateChangeMessage)
    async def handle(event: WorkbinStateChangeMessage, ctx: Context) -> None: ...

    async with bot.running(gws):
        await publish(
            gws,
            item("i1"),
            Reconnected.create(client_id="c2", downtime=1.5, session_renewed=True),
        )
        await bot.wait_idle(timeout=5)
    assert len(got) == 1
    assert got[0].session_renewed


async def test_stop_lets_running_handlers_finish_within_the_grace(gws: GwsClient) -> None:
    bot = Bot(shutdown_grace=5)
    finished: list[str] = []
    started = asyncio.Event()

    @bot.on(WorkbinStateChangeMessage)
    async def slow(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        started.set()
        await asyncio.sleep(0.1)
        finished.append(event.interaction.id)

    await bot.start(gws)
    await publish(gws, item("i1"))
    await asyncio.wait_for(started.wait(), 5)
    await bot.stop()
    assert finished == ["i1"]


async def test_stop_cancels_handlers_still_running_after_the_grace(
    gws: GwsClient, caplog: pytest.LogCaptureFixture
) -> None:
    bot = Bot()
    started = asyncio.Event()
    cancelled: list[str] = []

    @bot.on(WorkbinStateChangeMessage)
    async def stuck(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(event.interaction.id)
            raise

    await bot.start(gws)
    await publish(gws, item("i1"))
    await asyncio.wait_for(started.wait(), 5)
    loop = asyncio.get_running_loop()
    began = loop.time()
    with caplog.at_level(logging.WARNING, logger="gws_async.bot"):
        await bot.stop(grace=0.2)
    assert 0.15 <= loop.time() - began < 2
    assert cancelled == ["i1"]
    assert any("cancelling 1 handler" in r.getMessage() for r in caplog.records)


async def test_stop_takes_no_new_event_and_closes_the_stream(gws: GwsClient) -> None:
    bot = Bot(concurrency=1)
    release = asyncio.Event()
    handled: list[str] = []

    @bot.on(WorkbinStateChangeMessage)
    async def slow(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        await release.wait()
        handled.append(event.interaction.id)

    await bot.start(gws)
    await publish(gws, item("i1"), item("i2"))  # i1 taken, i2 buffered
    await asyncio.sleep(0.05)
    stopping = asyncio.create_task(bot.stop(grace=5))
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert handled == ["i1"]
    assert gws.stats.streams == 0
    assert bot.agents == []


async def test_stop_from_a_handler_is_refused(gws: GwsClient) -> None:
    bot = Bot()
    errors: list[Exception] = []

    @bot.on(WorkbinStateChangeMessage)
    async def handle(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        await ctx.bot.stop()

    @bot.on_error
    async def record(event: GwsEvent, error: Exception, ctx: Context) -> None:
        errors.append(error)

    async with bot.running(gws):
        await publish(gws, item("i1"))
        await bot.wait_idle(timeout=5)
    assert len(errors) == 1
    assert "request_stop" in str(errors[0])


async def test_request_stop_from_a_handler_ends_run_forever(gws: GwsClient) -> None:
    bot = Bot()

    @bot.on(WorkbinStateChangeMessage, F.interaction.id == "last")
    async def last(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        ctx.bot.request_stop()

    ready = started(bot)
    runner = asyncio.create_task(bot.run_forever(gws, handle_signals=False))
    await ready
    await publish(gws, item("first"), item("last"))
    await asyncio.wait_for(runner, 5)
    assert bot.agents == []


async def test_run_forever_raises_when_the_listener_gives_up(gws: GwsClient) -> None:
    bot = Bot()

    @bot.on(WorkbinStateChangeMessage)
    async def handle(event: WorkbinStateChangeMessage, ctx: Context) -> None: ...

    ready = started(bot)
    runner = asyncio.create_task(bot.run_forever(gws, handle_signals=False))
    await ready
    gws._listener.hub.close(ConnectionError("advice: none"))
    with pytest.raises(StreamClosed, match="advice: none"):
        await asyncio.wait_for(runner, 5)


async def test_start_is_refused_without_handlers_or_twice_on_a_client(gws: GwsClient) -> None:
    bot = Bot()
    with pytest.raises(RuntimeError, match="no handler"):
        await bot.start(gws)

    @bot.on(GwsEvent)
    async def handle(event: GwsEvent, ctx: Context) -> None: ...

    async with bot.running(gws):
        with pytest.raises(RuntimeError, match="already runs"):
            await bot.start(gws)
        assert bot.agents == ["agent1"]


async def test_a_bot_can_run_again_after_a_stop(gws: GwsClient) -> None:
    bot = Bot()
    got: list[str] = []

    @bot.on(WorkbinStateChangeMessage)
    async def handle(event: WorkbinStateChangeMessage, ctx: Context) -> None:
        got.append(event.interaction.id)

    for n in range(2):
        async with bot.running(gws):
            await publish(gws, item(f"i{n}"))
            await bot.wait_idle(timeout=5)
    assert got == ["i0", "i1"]
