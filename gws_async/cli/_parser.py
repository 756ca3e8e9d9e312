"""The argument parser of ``gws-async``: one small function per subcommand."""

from __future__ import annotations

import argparse
import importlib.metadata
from collections.abc import Sequence
from typing import Any

from ..topics import DEFAULT_TOPICS
from ._common import (
    ENV_PASSWORD,
    ENV_URL,
    ENV_USERNAME,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    OneLineParser,
)
from ._fleet import add_fleet
from ._listen import DEFAULT_TIMEOUT, topic_argument
from ._sim import ENV_SIMULATOR_TOKEN, add_sim
from ._simulator import ENV_SIMULATOR_AGENTS

__all__ = ["build_parser"]

_FORMATTER = argparse.RawDescriptionHelpFormatter

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

_LISTEN_EPILOG = f"""\
environment variables:
  {ENV_URL}         base URL when none is given on the command line
  {ENV_USERNAME}    user name when --username is not given
  {ENV_PASSWORD}    password (another variable with --password-env); when unset, it is
                  prompted for on a terminal. Passwords are never taken from the command
                  line and never printed.

exit status:
  {EXIT_OK}    --count or --duration reached
  {EXIT_ERROR}    login refused, GWS unreachable, the listener gave up for good, or
       standard output closed (e.g. piped into 'head')
  {EXIT_USAGE}    usage error: bad option, or no URL, user name or password to log in with
  {EXIT_INTERRUPTED}  interrupted by Ctrl-C (SIGINT); the summary is still printed
  {EXIT_TERMINATED}  terminated by SIGTERM; the summary is still printed
"""

_SIMULATOR_EPILOG = f"""\
exit status:
  {EXIT_ERROR}    cannot listen: the port is in use or the host cannot be resolved
  {EXIT_USAGE}    usage error: bad option, unreadable agents or scenario, or default
       passwords beyond loopback
  {EXIT_INTERRUPTED}  stopped by Ctrl-C (SIGINT)
  {EXIT_TERMINATED}  stopped by SIGTERM
"""

_DEMO_EPILOG = f"""\
exit status:
  {EXIT_OK}    the demo ran to its end
  {EXIT_ERROR}    the demo failed (the reason is on standard error)
  {EXIT_USAGE}    usage error: bad option
  {EXIT_INTERRUPTED}  interrupted by Ctrl-C (SIGINT)
  {EXIT_TERMINATED}  terminated by SIGTERM
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

# What add_subparsers returns (argparse gives the type no public name).
_Commands = argparse._SubParsersAction


def build_parser() -> argparse.ArgumentParser:
    """The whole ``gws-async`` parser: global options and the three subcommands."""
    parser = OneLineParser(
        prog="gws-async",
        description="Asyncio client for Genesys Web Services, with an embedded simulator.",
        epilog=_EPILOG,
        formatter_class=_FORMATTER,
        allow_abbrev=False,
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more logging on standard error (-v: info, -vv: debug)",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"gws-async {importlib.metadata.version('gws-async')}",
        help="print the version of gws-async and exit",
    )
    commands = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="COMMAND",
        help="what to run; 'gws-async COMMAND --help' describes its options",
    )
    _add_simulator(commands)
    _add_listen(commands)
    _add_demo(commands)
    add_fleet(commands)
    add_sim(commands)
    return parser


_SIMULATOR_DESCRIPTION = f"""\
Serve the embedded GWS simulator (REST and CometD) until stopped. --port 0 takes a
free port; the address it serves on is logged on standard error.

Its agents come from --agents-file, else from ${ENV_SIMULATOR_AGENTS}, else the
defaults agent1/password1 and agent2/password2. Passwords are never taken from the
command line. An agents file holds one USER:PASSWORD per line (the password is the rest
of the line; blank lines and lines starting with # are skipped); ${ENV_SIMULATOR_AGENTS}
holds USER:PASSWORD entries separated by whitespace.

--scenario FILE serves a whole contact center instead, described in TOML: agents
with their passwords, agent and place groups, skills, workbins with queued items, and
traffic (calls, chats and e-mails per minute per agent group, with made-up customers).
See examples/scenario.toml; a malformed file is refused naming the line and the key.

The default passwords are known to everyone: with them (or any agent given one of
them, or one of the example scenario's) a --host other than loopback (127.0.0.1, ::1,
localhost) is refused unless --allow-default-passwords is given.

examples:
  gws-async simulator --port 8090
  gws-async simulator --scenario examples/scenario.toml
  {ENV_SIMULATOR_AGENTS}='alice:s3cret bob:0ther' gws-async simulator
  gws-async simulator --host 0.0.0.0 --agents-file agents.txt
"""


def _add_simulator(commands: _Commands[OneLineParser]) -> None:
    sim = commands.add_parser(
        "simulator",
        help="run the embedded GWS simulator",
        description=_SIMULATOR_DESCRIPTION,
        epilog=_SIMULATOR_EPILOG,
        formatter_class=_FORMATTER,
        allow_abbrev=False,
    )
    sim.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (127.0.0.1); beyond loopback only with your own agents",
    )
    sim.add_argument(
        "--port", type=_port, default=8090, help="port to listen on (8090; 0: any free port)"
    )
    sim.add_argument(
        "--agents-file",
        metavar="FILE",
        help=f"the agents the simulator accepts, one USER:PASSWORD per line (default: "
        f"${ENV_SIMULATOR_AGENTS}, else agent1 and agent2 with the default passwords)",
    )
    sim.add_argument(
        "--scenario",
        metavar="FILE",
        help="a TOML scenario: agents, groups, skills, workbins with queued items and "
        "traffic (see examples/scenario.toml); not with --agents-file",
    )
    sim.add_argument(
        "--allow-default-passwords",
        action="store_true",
        help="listen beyond loopback even with the well-known default passwords (anyone "
        "who reaches the port can log in; not advised)",
    )
    sim.add_argument(
        "--token-file",
        metavar="FILE",
        help=f"write the control token here, readable by you only, for 'gws-async sim "
        f"--token-file FILE' (the token is ${ENV_SIMULATOR_TOKEN}, else a random one)",
    )
    sim.add_argument(
        "--allow-remote-control",
        action="store_true",
        help="answer the control API and the console beyond loopback too (with the token)",
    )
    sim.add_argument("--agent", nargs="?", action=_RefuseAgent, help=argparse.SUPPRESS)


def _add_listen(commands: _Commands[OneLineParser]) -> None:
    listen = commands.add_parser(
        "listen",
        help="connect to a GWS and print its events",
        description=_LISTEN_DESCRIPTION,
        epilog=_LISTEN_EPILOG,
        formatter_class=_FORMATTER,
        allow_abbrev=False,
    )
    _add_login_options(listen)
    _add_output_options(listen)
    _add_connection_options(listen)


def _add_login_options(listen: argparse.ArgumentParser) -> None:
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


def _add_output_options(listen: argparse.ArgumentParser) -> None:
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
        type=topic_argument,
        metavar="TOPIC",
        help=f"topic to subscribe to, starting with / (repeatable; default: "
        f"{', '.join(DEFAULT_TOPICS)}); one GWS is not known to publish on is warned about",
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


def _add_connection_options(listen: argparse.ArgumentParser) -> None:
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
    listen.add_argument(
        "--timeout",
        type=_positive_float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds allowed for each REST request, the login included ({DEFAULT_TIMEOUT:g})",
    )


def _add_demo(commands: _Commands[OneLineParser]) -> None:
    commands.add_parser(
        "demo",
        help="run a demo agent bot against the embedded simulator, then exit",
        description="Start the simulator in-process, log in an agent bot, show workbin\n"
        "events arriving and an add-then-pull round trip, then exit 0.",
        epilog=_DEMO_EPILOG,
        formatter_class=_FORMATTER,
        allow_abbrev=False,
    )


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


class _RefuseAgent(argparse.Action):
    """``--agent USER:PASSWORD``: refused without repeating the value, which would
    otherwise stay in the shell's history and the process list."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        parser.error(
            f"{option_string} is not accepted: passwords on the command line show in the "
            f"process list; give the agents with --agents-file FILE or ${ENV_SIMULATOR_AGENTS}"
        )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value
