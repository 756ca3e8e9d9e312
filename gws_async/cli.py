"""The ``gws-async`` command: ``simulator``, ``listen`` and ``demo``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from . import events as events_module
from ._client import DEFAULT_TOPICS, GwsClient
from ._exceptions import GwsError
from .events import GwsEvent, UnknownEvent

__all__ = ["event_to_json", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_ALL_TYPES: tuple[type[GwsEvent], ...] = (
    *events_module.EVENT_TYPES,
    *events_module.LIFECYCLE_EVENT_TYPES,
    UnknownEvent,
)
_EVENT_TYPES: dict[str, type[GwsEvent]] = {cls.__name__: cls for cls in _ALL_TYPES}


def event_to_json(event: GwsEvent) -> str:
    """One JSON line for an event: its topic, type and the payload as received."""
    record: dict[str, object] = {"topic": event.topic, "type": type(event).__name__}
    if isinstance(event, UnknownEvent) and event.error:
        record["error"] = event.error
    record["data"] = event.raw
    return json.dumps(record, separators=(",", ":"), default=str)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gws-async",
        description="Asyncio client for Genesys Web Services, with an embedded simulator.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sim = commands.add_parser("simulator", help="run the embedded GWS simulator")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    sim.add_argument("--port", type=int, default=8090, help="port to listen on (8090)")
    sim.add_argument(
        "--agent",
        action="append",
        metavar="USER:PASSWORD",
        help="an agent the simulator accepts (repeatable; default agent1:password1, "
        "agent2:password2)",
    )

    listen = commands.add_parser(
        "listen", help="connect to a GWS and print each event as one JSON line"
    )
    listen.add_argument("url", help="GWS base URL, e.g. http://gws.example:8090")
    listen.add_argument(
        "-u", "--username", default=os.environ.get("GWS_USERNAME"), help="or $GWS_USERNAME"
    )
    listen.add_argument(
        "--password-env",
        default="GWS_PASSWORD",
        metavar="VAR",
        help="environment variable holding the password (GWS_PASSWORD); prompted if unset",
    )
    listen.add_argument(
        "--topic",
        action="append",
        metavar="TOPIC",
        help=f"topic to subscribe to (repeatable; default: {', '.join(DEFAULT_TOPICS)})",
    )
    listen.add_argument(
        "--type",
        action="append",
        metavar="EVENT",
        dest="types",
        help="only print events of this type, e.g. WorkbinStateChangeMessage (repeatable)",
    )
    listen.add_argument("--api-root", default="/api/v2", help="API root path (/api/v2)")
    listen.add_argument(
        "--cometd-path", default=None, help="CometD path (default: {api-root}/notifications)"
    )
    listen.add_argument(
        "--insecure", action="store_true", help="do not verify TLS certificates (not advised)"
    )

    commands.add_parser(
        "demo", help="run a demo agent bot against the embedded simulator, then exit"
    )
    return parser


def _parse_agents(values: Sequence[str] | None) -> list[tuple[str, str]] | None:
    if not values:
        return None
    agents = []
    for value in values:
        user, sep, password = value.partition(":")
        if not sep or not user or not password:
            raise SystemExit(f"gws-async: --agent takes USER:PASSWORD, got {user!r}:...")
        agents.append((user, password))
    return agents


async def _run_simulator(args: argparse.Namespace) -> None:
    from .simulator import SimAgent, serve

    pairs = _parse_agents(args.agent)
    agents = [SimAgent(u, p) for u, p in pairs] if pairs else None
    await serve(args.host, args.port, agents)


async def _listen(args: argparse.Namespace, out: TextIO) -> int:
    types: list[type[GwsEvent]] = []
    for name in args.types or ():
        if name not in _EVENT_TYPES:
            known = ", ".join(sorted(_EVENT_TYPES))
            print(f"gws-async: unknown event type {name!r}; known: {known}", file=sys.stderr)
            return EXIT_USAGE
        types.append(_EVENT_TYPES[name])
    if not args.username:
        print("gws-async: give --username or set GWS_USERNAME", file=sys.stderr)
        return EXIT_USAGE
    password = os.environ.get(args.password_env)
    if password is None:
        if not sys.stdin.isatty():
            print(f"gws-async: set {args.password_env} (no terminal to ask)", file=sys.stderr)
            return EXIT_USAGE
        password = getpass.getpass(f"GWS password for {args.username}: ")
    topics = tuple(args.topic or DEFAULT_TOPICS)
    async with GwsClient(
        args.url,
        args.username,
        password,
        api_root=args.api_root,
        cometd_path=args.cometd_path,
        ssl=not args.insecure,
    ) as gws:
        await gws.subscribe(*topics)
        print(f"gws-async: listening on {', '.join(topics)}", file=sys.stderr)
        async with gws.events(*types, topics=topics) as stream:
            async for event in stream:
                out.write(event_to_json(event) + "\n")
                out.flush()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gws-async`` command; returns the exit status."""
    args = _build_parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "simulator":
        logging.getLogger("gws_async.simulator").setLevel(min(level, logging.INFO))
    try:
        if args.command == "simulator":
            asyncio.run(_run_simulator(args))
            return EXIT_OK
        if args.command == "listen":
            return asyncio.run(_listen(args, sys.stdout))
        from .demo import run_demo

        return asyncio.run(run_demo(sys.stdout))
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            print("gws-async: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Whoever read stdout is gone (`gws-async listen ... | head -1`): stop quietly.
        # stdout now points at devnull, so the interpreter's final flush cannot fail again.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        return EXIT_ERROR
    except GwsError as exc:
        print(f"gws-async: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
