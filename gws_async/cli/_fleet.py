"""``gws-async fleet worker`` and ``gws-async fleet consume``: a fleet of agents on Redis.

The parser half imports nothing of :mod:`gws_async.fleet`, so the command works (and
``--help`` answers) without the optional ``fleet`` extra installed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
from typing import Any, TextIO

from ._common import ENV_URL, EXIT_ERROR, EXIT_OK, EXIT_USAGE, error

__all__ = ["ENV_REDIS_URL", "ENV_SECRETS", "add_fleet", "run_fleet"]

ENV_REDIS_URL = "GWS_REDIS_URL"
ENV_SECRETS = "GWS_FLEET_SECRETS"

_ENVIRONMENT = f"""\
environment variables:
  {ENV_URL}             the GWS base URL when none is given on the command line
  {ENV_REDIS_URL}       the Redis URL when --redis is not given (keeps a Redis password
                    off the command line): redis://[:password@]host:port/db
  {ENV_SECRETS}   the secrets file when --secrets is not given
  GWS_PASSWORD_<NAME>  the password of agent <NAME> (upper case; every character other
                    than a letter or digit becomes _), when the secrets file has none
  GWS_PASSWORD        the password of every agent that has none of its own
"""

_WORKER_DESCRIPTION = f"""\
Run a fleet worker: it shares the agents of --agents with every other worker on the
same Redis (and --prefix), logs in the ones it owns, appends their events to the Redis
streams and runs --bot's handlers for them. Stop it with SIGINT or SIGTERM: it hands its
agents over at once. A worker that dies loses its agents to the others within --ttl
seconds; one that loses Redis stops its agents before its leases can lapse.

The agents file holds one user name per line (blank lines and # comments skipped).
Passwords are never taken from the command line: the secrets file holds
username:password lines, or see the environment variables below. A bad line or an agent
without a password is reported on standard error and left out; a wrong password is
reported when the agent is tried, and the other agents carry on.

{_ENVIRONMENT}
examples:
  GWS_PASSWORD=secret gws-async fleet worker http://gws:8090 --agents agents.txt \\
      --redis redis://127.0.0.1:6379 --processes 2
  gws-async fleet worker http://gws:8090 --agents agents.txt --secrets secrets.txt \\
      --bot mybots:bot
"""

_CONSUME_DESCRIPTION = f"""\
Read the fleet's events from Redis as a member of a consumer group and print each as a
JSON line: {{"agent", "topic", "type", "data", "receivedAt", "resync"}}. Members of one
group share the events (each agent's events in order, each event printed by one
member); an event is acknowledged once printed. A new group starts from the oldest
event Redis still holds.

{_ENVIRONMENT}
examples:
  gws-async fleet consume --redis redis://127.0.0.1:6379 --group crm
  gws-async fleet consume --group audit --type InteractionStateMessage | jq .agent
"""


def add_fleet(commands: Any) -> None:
    """Add ``fleet worker`` and ``fleet consume`` to the ``gws-async`` parser."""
    fleet = commands.add_parser(
        "fleet",
        help="run agents over worker processes and hosts, events fanned out on Redis",
        description="A fleet of agents on Redis: 'worker' runs them, 'consume' reads events.",
    )
    sub = fleet.add_subparsers(
        dest="fleet_command", required=True, metavar="FLEET_COMMAND",
        help="'worker' or 'consume'; 'gws-async fleet FLEET_COMMAND --help' for their options",
    )  # fmt: skip
    fmt = argparse.RawDescriptionHelpFormatter
    worker = sub.add_parser(
        "worker", help="run a worker", description=_WORKER_DESCRIPTION, formatter_class=fmt
    )
    worker.add_argument("url", nargs="?", help=f"GWS base URL (default: ${ENV_URL})")
    worker.add_argument("--agents", required=True, metavar="FILE", help="the agents file")
    worker.add_argument("--secrets", metavar="FILE", help=f"the secrets file (${ENV_SECRETS})")
    worker.add_argument("--bot", metavar="MODULE:ATTR", help="a gws_async.bot.Bot to run")
    worker.add_argument(
        "--processes", type=_positive, default=1, metavar="N", help="workers on this host (1)"
    )
    worker.add_argument("--id", dest="worker_id", help="worker name in Redis (host-pid-random)")
    worker.add_argument(
        "--ttl", type=float, default=10.0, help="lease time in seconds (10): a dead worker's "
        "agents move after at most this long",
    )  # fmt: skip
    worker.add_argument("--margin", type=float, default=3.0, help="seconds before a lease "
                        "lapses by which a worker without Redis stops its agents (3)")  # fmt: skip
    worker.add_argument("--tick", type=float, default=1.0, help="seconds between renewals (1)")
    worker.add_argument("--buffer", type=_positive, default=10_000, metavar="N",
                        help="events held while Redis is unreachable (10000)")  # fmt: skip
    worker.add_argument("--maxlen", type=_positive, default=100_000, metavar="N",
                        help="entries kept per stream shard (100000)")  # fmt: skip
    _add_redis_options(worker)
    consume = sub.add_parser(
        "consume", help="print the fleet's events", description=_CONSUME_DESCRIPTION,
        formatter_class=fmt,
    )  # fmt: skip
    consume.add_argument("--group", required=True, help="the consumer group")
    consume.add_argument("--consumer", help="this member's name (host-pid-random)")
    consume.add_argument("--type", action="append", default=[], metavar="TYPE",
                         help="only events of this class (repeatable)")  # fmt: skip
    consume.add_argument("--count", type=_positive, metavar="N", help="stop after N events")
    consume.add_argument("--ttl", type=float, default=10.0,
                         help="lease time of a shard, in seconds (10)")  # fmt: skip
    consume.add_argument("--margin", type=float, default=3.0, help="as for 'worker' (3)")
    consume.add_argument("--tick", type=float, default=1.0, help="as for 'worker' (1)")
    _add_redis_options(consume)


def _add_redis_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-gc-tuning", action="store_true",
        help="leave Python's garbage collector as it is (by default this process freezes "
        "what start-up built and collects young objects every 50,000 allocations)",
    )  # fmt: skip
    parser.add_argument("--redis", metavar="URL", help=f"the Redis URL (default: ${ENV_REDIS_URL})")
    parser.add_argument("--prefix", default="gws:", help="prefix of every Redis key (gws:)")
    parser.add_argument(
        "--shards", type=_positive, default=16, metavar="N",
        help="event stream shards, the same for workers and consumers (16)",
    )  # fmt: skip


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def run_fleet(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``fleet worker`` or ``fleet consume``; returns the exit status."""
    redis_url = args.redis or os.environ.get(ENV_REDIS_URL)
    if not redis_url:
        error(f"no Redis URL: give --redis or set {ENV_REDIS_URL}")
        return EXIT_USAGE
    try:
        import gws_async.fleet  # noqa: F401
    except ImportError as exc:
        error(str(exc))
        return EXIT_ERROR
    tuning = not args.no_gc_tuning
    if args.fleet_command == "consume":
        return _run_async(_consume(args, redis_url, out), gc_tuning=tuning)
    if args.processes > 1:
        return _spawn(args)
    return _run_async(_worker(args, redis_url), gc_tuning=tuning)


def _run_async(coro: Any, *, gc_tuning: bool) -> int:
    """Run ``coro`` in a process gws-async owns: the collector tuned like ``Bot.run``'s."""
    from ..bot._gc import gc_tuned
    from ._supervisor import Supervisor

    with gc_tuned(gc_tuning):
        return asyncio.run(Supervisor().run(coro))


def _settings(args: argparse.Namespace) -> Any:
    from ..fleet import BalancerSettings

    return BalancerSettings(ttl=args.ttl, margin=args.margin, tick=args.tick)


def _load_bot(spec: str) -> Any:
    from ..bot import Bot

    module_name, _, attribute = spec.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in (attribute or "bot").split("."):
        target = getattr(target, part)
    if not isinstance(target, Bot):
        raise TypeError(f"{spec} is a {type(target).__name__}, not a gws_async.bot.Bot")
    return target


async def _worker(args: argparse.Namespace, redis_url: str) -> int:
    from ..fleet import FleetError, FleetWorker, load_agents

    url = args.url or os.environ.get(ENV_URL)
    if not url:
        error(f"no GWS URL: give it on the command line or set {ENV_URL}")
        return EXIT_USAGE
    try:
        bot = _load_bot(args.bot) if args.bot else None
        settings = _settings(args)
        loaded = load_agents(args.agents, secrets_file=args.secrets or os.environ.get(ENV_SECRETS))
    except (ImportError, AttributeError, TypeError, ValueError, FleetError) as exc:
        error(str(exc))
        return EXIT_USAGE
    for problem in loaded.problems:
        error(problem)
    worker = FleetWorker(
        url, loaded.agents, redis_url, bot=bot, worker_id=args.worker_id, prefix=args.prefix,
        shards=args.shards, maxlen=args.maxlen, buffer=args.buffer, settings=settings,
    )  # fmt: skip
    try:
        await worker.start()
    except FleetError as exc:
        error(str(exc))
        return EXIT_ERROR
    try:
        await worker.wait_closed()
    finally:
        await _finish(worker.close())
    return EXIT_OK


async def _finish(closing: Any) -> None:
    """Await ``closing`` to its end even through further signals: a worker's hand-over
    is bounded (a few seconds) and cutting it short would leave agents logged in until
    their leases lapse."""
    task = asyncio.ensure_future(closing)
    while not task.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(task)
    task.result()


async def _consume(args: argparse.Namespace, redis_url: str, out: TextIO) -> int:
    from ..events import EVENT_TYPES, GwsEvent, UnknownEvent
    from ..fleet import FleetError, fleet_events

    classes: tuple[type[GwsEvent], ...] = (*EVENT_TYPES, UnknownEvent)
    known = {cls.__name__: cls for cls in classes}
    unknown = [name for name in args.type if name not in known]
    if unknown:
        error(f"unknown event type(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return EXIT_USAGE
    types = tuple(known[name] for name in args.type)
    stream = fleet_events(
        redis_url, *types, group=args.group, consumer=args.consumer, prefix=args.prefix,
        shards=args.shards, settings=_settings(args),
    )  # fmt: skip
    printed = 0
    try:
        async with stream:
            async for event in stream:
                meta = stream.current
                assert meta is not None
                record = {
                    "agent": meta.agent,
                    "topic": event.topic,
                    "type": type(event).__name__,
                    "data": event.raw,
                    "receivedAt": meta.received_at,
                    "resync": meta.resync,
                }
                out.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
                out.flush()
                printed += 1
                if args.count and printed >= args.count:
                    break
    except FleetError as exc:
        error(str(exc))
        return EXIT_ERROR
    return EXIT_OK


def _child_argv(args: argparse.Namespace) -> list[str]:
    argv = ["-v"] * args.verbose + ["fleet", "worker"]
    if args.url:
        argv.append(args.url)
    options = {"--agents": args.agents, "--secrets": args.secrets, "--bot": args.bot,
               "--ttl": args.ttl, "--margin": args.margin, "--tick": args.tick,
               "--buffer": args.buffer, "--maxlen": args.maxlen, "--redis": args.redis,
               "--prefix": args.prefix, "--shards": args.shards}  # fmt: skip
    for option, value in options.items():
        if value is not None:
            argv += [option, str(value)]
    return argv + (["--no-gc-tuning"] if args.no_gc_tuning else [])


def _spawn(args: argparse.Namespace) -> int:
    """Run ``--processes`` workers as child processes with the same options and return
    the worst exit status. SIGTERM is passed on to them; SIGINT is not, as Ctrl-C in a
    terminal already reaches the whole process group and a second signal would cut
    their hand-over short."""
    command = [sys.executable, "-m", "gws_async", *_child_argv(args)]
    children = [subprocess.Popen(command) for _ in range(args.processes)]

    def forward(signum: int, frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    codes = [child.wait() for child in children]
    return max(codes, key=abs)
