"""The ``gws-async`` command: ``simulator``, ``listen`` and ``demo``.

``gws-async listen`` prints every event of a GWS as it arrives, either as JSON lines
(:func:`event_to_json`, for programs) or as one readable line per event
(:func:`describe_event`, for people), and a summary on standard error when it stops.
Run ``gws-async --help`` and ``gws-async listen --help`` for the options, the
environment variables and the exit statuses.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from . import events as events_module
from ._client import DEFAULT_TOPICS, GwsClient
from ._exceptions import GwsError
from .events import (
    CallStateChangeMessage,
    ChannelStateChange,
    ConnectionLost,
    DeviceStateChangeMessage,
    GwsEvent,
    InteractionStateMessage,
    ListenerConnected,
    ListenerEvent,
    PasswordChangeError,
    PasswordChangeSuccessful,
    Reconnected,
    UnknownEvent,
    UserPasswordChangeError,
    UserPasswordChangeSuccessful,
    WorkbinNotificationResource,
    WorkbinStateChangeMessage,
    WorkbinSubscriptionStateChangeMessage,
    WorkitemStateChangeMessage,
)

__all__ = [
    "ENV_PASSWORD",
    "ENV_URL",
    "ENV_USERNAME",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "describe_event",
    "event_to_json",
    "main",
]

EXIT_OK = 0
"""Success: the command ran to its end (``listen``: ``--count`` or ``--duration`` reached)."""
EXIT_ERROR = 1
"""Login refused, GWS unreachable, the listener gave up, or standard output closed."""
EXIT_USAGE = 2
"""Bad options, or no URL, user name or password to log in with."""
EXIT_INTERRUPTED = 130
"""Stopped by SIGINT (Ctrl-C)."""
EXIT_TERMINATED = 143
"""Stopped by SIGTERM (``kill``, ``docker stop``, systemd)."""

ENV_URL = "GWS_URL"
ENV_USERNAME = "GWS_USERNAME"
ENV_PASSWORD = "GWS_PASSWORD"

_ALL_TYPES: tuple[type[GwsEvent], ...] = (
    *events_module.EVENT_TYPES,
    *events_module.LIFECYCLE_EVENT_TYPES,
    UnknownEvent,
)
_EVENT_TYPES: dict[str, type[GwsEvent]] = {cls.__name__: cls for cls in _ALL_TYPES}

_EPILOG = f"""\
environment variables:
  {ENV_URL}         base URL for 'listen' when none is given on the command line
  {ENV_USERNAME}    user name for 'listen' when --username is not given
  {ENV_PASSWORD}    password for 'listen' (another variable with --password-env); when
                  unset, it is asked for on a terminal. Passwords are never taken from
                  the command line and never printed.

exit status:
  {EXIT_OK}    success: the command ran to its end ('listen': --count or --duration reached)
  {EXIT_ERROR}    error: login refused, GWS unreachable, the listener gave up for good,
       or standard output closed (e.g. piped into 'head')
  {EXIT_USAGE}    usage error: bad option, or no URL, user name or password to log in with
  {EXIT_INTERRUPTED}  interrupted by Ctrl-C (SIGINT)
  {EXIT_TERMINATED}  terminated by SIGTERM ('listen' still prints its summary)
"""

_LISTEN_DESCRIPTION = """\
Log in to a GWS, subscribe to its notification topics and print every event as it
arrives, one line each, until stopped. Losing and regaining the connection are events
too: ListenerConnected, ConnectionLost (with its cause) and Reconnected (with the
downtime, and whether the Bayeux session was renewed: GWS does not replay what was
published meanwhile).

When it stops, for any reason once it was listening, one summary line goes to standard
error: events received by type, how many were printed, reconnects, unknown events and
the time spent listening. Standard output carries only the events.

examples:
  gws-async listen http://gws.example:8090 -u agent1     # asks for the password
  gws-async listen --format json --topic /v2/me/workbins | jq .data
  gws-async listen --type WorkbinStateChangeMessage --count 1    # wait for one
"""


# -- output formats ------------------------------------------------------------------------


def event_to_json(event: GwsEvent) -> str:
    """One JSON line for an event: its topic, type and the payload as received.

    Lifecycle events (:class:`~gws_async.events.ListenerEvent`) have no payload on the
    wire; their ``data`` holds their fields, e.g. ``{"cause": ...}`` for a
    :class:`~gws_async.events.ConnectionLost`.
    """
    record: dict[str, object] = {"topic": event.topic, "type": type(event).__name__}
    if isinstance(event, UnknownEvent) and event.error:
        record["error"] = event.error
    if isinstance(event, ListenerEvent) and event.raw is None:
        record["data"] = event.model_dump(mode="json", by_alias=True, exclude={"message_type"})
    else:
        record["data"] = event.raw
    return json.dumps(record, separators=(",", ":"), default=str)


def _value(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    if text and all(c.isprintable() and c not in " \"'=" for c in text):
        return text
    # Quoted, and nothing a terminal would act on (escape sequences from a payload).
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in quoted)


def _pairs(*pairs: tuple[str, object]) -> list[str]:
    """``key=value`` for every pair whose value is not None or empty."""
    return [f"{key}={_value(value)}" for key, value in pairs if value not in (None, "", [])]


def _fields(event: GwsEvent) -> list[str]:
    if isinstance(event, WorkbinStateChangeMessage):
        return _pairs(
            ("action", event.action),
            ("media", event.media),
            ("interaction", event.interaction.id),
            ("workbin", event.id),
            ("agent_group", event.agent_group),
            ("place_group", event.place_group),
            ("ref", event.reference_id),
        )
    if isinstance(event, WorkbinSubscriptionStateChangeMessage):
        return _pairs(
            ("state", event.state_resource), ("workbin", event.id), ("ref", event.reference_id)
        )
    if isinstance(event, WorkbinNotificationResource):
        interaction = event.interaction
        info = event.workbin_info
        return _pairs(
            ("operation", event.operation),
            ("content_operation", event.workbin_content_operation),
            ("media", interaction.channel if interaction else None),
            ("interaction", interaction.id if interaction else None),
            ("workbin", info.workbin_type_id if info else None),
        )
    if isinstance(event, InteractionStateMessage):
        chat = event.chat_notifications
        return _pairs(
            ("state", event.state),
            ("media", event.channel),
            ("interaction", event.id),
            ("type", event.interaction_type),
            ("chat", ",".join(n.message_type or "?" for n in chat) if chat else None),
            ("ref", event.reference_id),
        )
    if isinstance(event, WorkitemStateChangeMessage):
        item = event.workitem
        return _pairs(
            ("notification", event.notification_type),
            ("state", item.state if item else None),
            ("workitem", item.id if item else None),
            ("ref", event.reference_id),
        )
    if isinstance(event, CallStateChangeMessage):
        call = event.call
        return _pairs(
            ("notification", event.notification_type),
            ("state", call.state if call else None),
            ("call", call.id if call else None),
            ("participants", ",".join(call.participants) if call else None),
            ("error", event.error_message),
            ("ref", event.reference_id),
        )
    if isinstance(event, DeviceStateChangeMessage):
        parts: list[str] = []
        for device in event.devices:
            parts += _pairs(
                ("device", device.id),
                ("state", device.device_state),
                ("user_state", device.user_state.state if device.user_state else None),
                ("dnd", device.do_not_disturb),
            )
        return parts + _pairs(("ref", event.reference_id))
    if isinstance(event, ChannelStateChange):
        parts = []
        for channel in event.channels:
            parts += _pairs(
                ("channel", channel.channel),
                ("state", channel.user_state.state if channel.user_state else None),
                ("dnd", channel.dnd_state),
            )
        return parts
    if isinstance(event, (UserPasswordChangeSuccessful, UserPasswordChangeError)):
        error = event if isinstance(event, UserPasswordChangeError) else None
        return _pairs(
            ("user", event.user_id),
            ("error_code", error.error_code if error else None),
            ("error", error.error_message if error else None),
        )
    if isinstance(event, PasswordChangeError):
        return _pairs(("error_code", event.error_code), ("error", event.error_message))
    if isinstance(event, PasswordChangeSuccessful):
        return []
    if isinstance(event, ListenerConnected):
        return _pairs(("client", event.client_id))
    if isinstance(event, ConnectionLost):
        return _pairs(("cause", event.cause))
    if isinstance(event, Reconnected):
        return _pairs(
            ("downtime", f"{event.downtime:.3f}s"),
            ("session", "renewed" if event.session_renewed else "kept"),
            ("client", event.client_id),
        )
    if isinstance(event, UnknownEvent):
        return _pairs(
            ("topic", event.topic), ("message_type", event.message_type), ("error", event.error)
        )
    return _pairs(("topic", event.topic))


def describe_event(event: GwsEvent) -> str:
    """One readable line for an event: its type and its key fields as ``key=value``.

    For example ``WorkbinStateChangeMessage action=ItemAdded media=chat interaction=i1
    workbin=wb``. Values with spaces are quoted; message texts and attached data are
    left out.
    """
    return " ".join([type(event).__name__, *_fields(event)])


def _pretty(event: GwsEvent) -> str:
    stamp = datetime.now().strftime("%H:%M:%S.%f")[:-3]
    return f"{stamp} {describe_event(event)}"


# -- the command line ----------------------------------------------------------------------


def _build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="gws-async",
        description="Asyncio client for Genesys Web Services, with an embedded simulator.",
        epilog=_EPILOG,
        formatter_class=formatter,
        allow_abbrev=False,
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more logging on standard error (-v: info, -vv: debug)",
    )
    commands = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="COMMAND",
        help="what to run; 'gws-async COMMAND --help' describes its options",
    )

    sim = commands.add_parser(
        "simulator",
        help="run the embedded GWS simulator",
        description="Serve the embedded GWS simulator (REST and CometD) until stopped.",
        epilog=_EPILOG,
        formatter_class=formatter,
        allow_abbrev=False,
    )
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
        "listen",
        help="connect to a GWS and print its events",
        description=_LISTEN_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=formatter,
        allow_abbrev=False,
    )
    listen.add_argument(
        "url", nargs="?", help=f"GWS base URL, e.g. http://gws.example:8090 (or ${ENV_URL})"
    )
    listen.add_argument("-u", "--username", help=f"user name to log in with (or ${ENV_USERNAME})")
    listen.add_argument(
        "--password-env",
        default=ENV_PASSWORD,
        metavar="VAR",
        help=f"environment variable holding the password ({ENV_PASSWORD}); prompted for "
        "on a terminal if unset",
    )
    listen.add_argument(
        "-p", "--password", nargs="?", action=_RefusePassword, help=argparse.SUPPRESS
    )
    listen.add_argument(
        "-f",
        "--format",
        choices=("auto", "pretty", "json"),
        default="auto",
        help="json: one JSON object per line, {topic, type, [error], data} with the payload "
        "as received; pretty: time, type and key fields; auto (default): pretty on a "
        "terminal, json otherwise",
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
        help="only print events of this class, e.g. WorkbinStateChangeMessage, "
        "ConnectionLost or UnknownEvent (repeatable; the summary counts every event)",
    )
    listen.add_argument(
        "-n",
        "--count",
        type=_positive_int,
        metavar="N",
        help="stop after printing N events (exit status 0)",
    )
    listen.add_argument(
        "--duration",
        type=_positive_float,
        metavar="SECONDS",
        help="stop after listening for SECONDS (exit status 0)",
    )
    listen.add_argument(
        "--api-root", default="/api/v2", metavar="PATH", help="API root path (/api/v2)"
    )
    listen.add_argument(
        "--cometd-path",
        default=None,
        metavar="PATH",
        help="CometD path, e.g. /genesys/cometd (default: API root + /notifications)",
    )
    listen.add_argument(
        "--insecure", action="store_true", help="do not verify TLS certificates (not advised)"
    )

    commands.add_parser(
        "demo",
        help="run a demo agent bot against the embedded simulator, then exit",
        description="Start the simulator in-process, log in an agent bot, show workbin\n"
        "events arriving and an add-then-pull round trip, then exit 0.",
        epilog=_EPILOG,
        formatter_class=formatter,
        allow_abbrev=False,
    )
    return parser


class _RefusePassword(argparse.Action):
    """``-p`` / ``--password``: refused without repeating the value, which would otherwise
    stay in the shell's history and the process list."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        parser.error(
            f"{option_string} is not accepted: the password is read from ${ENV_PASSWORD} "
            "(see --password-env) or asked for on a terminal"
        )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


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


def _error(text: str) -> None:
    print(f"gws-async: {text}", file=sys.stderr)


# -- running until stopped -----------------------------------------------------------------


class _Supervisor:
    """Runs a command's coroutine and ends it, by cancellation, on SIGINT, SIGTERM or a
    timer; the exit status then says which."""

    def __init__(self) -> None:
        self._task: asyncio.Task[Any] | None = None
        self._stopped: int | None = None

    def stop(self, code: int) -> None:
        if self._task is None or self._task.done():
            return
        if self._stopped is None:
            self._stopped = code
        self._task.cancel()

    def stop_later(self, delay: float, code: int) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(delay, self.stop, code)

    async def run(self, command: Coroutine[Any, Any, int]) -> int:
        self._task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        for signum, code in ((signal.SIGINT, EXIT_INTERRUPTED), (signal.SIGTERM, EXIT_TERMINATED)):
            # A signal ignored by whoever started us (nohup, a background job) stays ignored.
            if signal.getsignal(signum) == signal.SIG_IGN:
                continue
            try:
                loop.add_signal_handler(signum, self.stop, code)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # Windows, or not the main thread: KeyboardInterrupt still works
            installed.append(signum)
        try:
            return await command
        except asyncio.CancelledError:
            if self._stopped is None:
                raise
            if self._stopped == EXIT_INTERRUPTED:
                _error("interrupted")
            elif self._stopped == EXIT_TERMINATED:
                _error("terminated")
            return self._stopped
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)


# -- simulator -----------------------------------------------------------------------------


async def _run_simulator(args: argparse.Namespace) -> int:
    from .simulator import SimAgent, serve

    pairs = _parse_agents(args.agent)
    agents = [SimAgent(u, p) for u, p in pairs] if pairs else None
    await serve(args.host, args.port, agents)
    return EXIT_OK


# -- listen --------------------------------------------------------------------------------


@dataclass
class _Listen:
    url: str
    username: str
    password: str = field(repr=False)
    topics: tuple[str, ...]
    types: tuple[type[GwsEvent], ...]
    pretty: bool
    count: int | None
    duration: float | None
    api_root: str
    cometd_path: str | None
    insecure: bool


def _listen_settings(args: argparse.Namespace, out: TextIO) -> _Listen | int:
    """The settings of ``listen``, or an exit status after saying what is missing."""
    types: list[type[GwsEvent]] = []
    for name in args.types or ():
        if name not in _EVENT_TYPES:
            known = ", ".join(sorted(_EVENT_TYPES))
            _error(f"unknown event type {name!r}; known: {known}")
            return EXIT_USAGE
        types.append(_EVENT_TYPES[name])
    url = args.url or os.environ.get(ENV_URL)
    if not url:
        _error(f"give the GWS URL or set {ENV_URL}")
        return EXIT_USAGE
    username = args.username or os.environ.get(ENV_USERNAME)
    if not username:
        _error(f"give --username or set {ENV_USERNAME}")
        return EXIT_USAGE
    password = os.environ.get(args.password_env)
    if password is None:
        if not sys.stdin.isatty():
            _error(f"set {args.password_env} (no terminal to ask for the password)")
            return EXIT_USAGE
        password = getpass.getpass(f"GWS password for {username}: ")
    pretty = args.format == "pretty" or (args.format == "auto" and _is_terminal(out))
    return _Listen(
        url=url,
        username=username,
        password=password,
        topics=tuple(dict.fromkeys(args.topic or DEFAULT_TOPICS)),
        types=tuple(types),
        pretty=pretty,
        count=args.count,
        duration=args.duration,
        api_root=args.api_root,
        cometd_path=args.cometd_path,
        insecure=args.insecure,
    )


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Tally:
    """What ``listen`` saw, for the summary line."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.by_type: Counter[str] = Counter()
        self.printed = 0

    def line(self, dropped: int = 0) -> str:
        total = sum(self.by_type.values())
        kinds = sorted(self.by_type.items(), key=lambda item: (-item[1], item[0]))
        detail = f" ({', '.join(f'{name} {n}' for name, n in kinds)})" if kinds else ""
        elapsed = _duration(time.monotonic() - self.started)
        return (
            f"summary: {total} event{'s' if total != 1 else ''} in {elapsed}{detail}; "
            f"{self.printed} printed, {self.by_type[Reconnected.__name__]} reconnects, "
            f"{self.by_type[UnknownEvent.__name__]} unknown"
            + (f", {dropped} dropped (output too slow)" if dropped else "")
        )


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


async def _listen(settings: _Listen, out: TextIO, supervisor: _Supervisor) -> int:
    try:
        gws = GwsClient(
            settings.url,
            settings.username,
            settings.password,
            api_root=settings.api_root,
            cometd_path=settings.cometd_path,
            ssl=not settings.insecure,
        )
    except ValueError as exc:
        _error(str(exc))
        return EXIT_USAGE
    render = _pretty if settings.pretty else event_to_json
    async with (
        gws,
        # One stream, so the lifecycle events come in their place among the notifications.
        gws.events(topics=[*settings.topics, ListenerEvent.TOPIC]) as stream,
    ):
        _error(f"listening on {', '.join(settings.topics)}")
        tally = _Tally()
        timer = None
        if settings.duration is not None:
            timer = supervisor.stop_later(settings.duration, EXIT_OK)
        try:
            async for event in stream:
                tally.by_type[type(event).__name__] += 1
                if settings.types and not isinstance(event, settings.types):
                    continue
                out.write(render(event) + "\n")
                out.flush()
                tally.printed += 1
                if settings.count is not None and tally.printed >= settings.count:
                    break
        finally:
            if timer is not None:
                timer.cancel()
            _error(tally.line(dropped=stream.dropped))
    return EXIT_OK


# -- entry point ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gws-async`` command; returns the exit status."""
    args = _build_parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "simulator":
        logging.getLogger("gws_async.simulator").setLevel(min(level, logging.INFO))
    supervisor = _Supervisor()
    try:
        if args.command == "simulator":
            return asyncio.run(supervisor.run(_run_simulator(args)))
        if args.command == "listen":
            settings = _listen_settings(args, sys.stdout)
            if isinstance(settings, int):
                return settings
            return asyncio.run(supervisor.run(_listen(settings, sys.stdout, supervisor)))
        from .demo import run_demo

        return asyncio.run(supervisor.run(run_demo(sys.stdout)))
    except KeyboardInterrupt:
        # Ctrl-C where no signal handler could be installed (Windows), or at a prompt.
        with contextlib.suppress(Exception):
            _error("interrupted")
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
        _error(str(exc))
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
