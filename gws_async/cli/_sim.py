"""``gws-async sim HOOK ...``: drive a running simulator through its control API.

Each hook of the simulator (``gws-async sim --help`` lists them) is a subcommand: its
required parameters are positional, the others options, with the names of the Python
hook's arguments. ``gws-async sim state`` prints the simulator's state as JSON.

The control token comes from ``$GWS_SIMULATOR_TOKEN`` or ``--token-file``, never from the
command line (where it would show in the process list and the shell history).
Exit status: 0 done (the answer, a JSON object, on standard output), 1 the simulator is
unreachable or refused the token, 2 bad arguments (also when the simulator says so:
an unknown agent, workbin or interaction).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import aiohttp
import yarl

from ._common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, error

if TYPE_CHECKING:
    from ..simulator import GwsSimulator

__all__ = [
    "DEFAULT_SIMULATOR_URL",
    "ENV_SIMULATOR_TOKEN",
    "ENV_SIMULATOR_URL",
    "add_sim",
    "announce_control",
    "control_token_for",
    "run_sim",
]

ENV_SIMULATOR_TOKEN = "GWS_SIMULATOR_TOKEN"
"""The environment variable with the simulator's control token."""
ENV_SIMULATOR_URL = "GWS_SIMULATOR_URL"
"""The environment variable with the simulator's address (for ``gws-async sim``)."""
DEFAULT_SIMULATOR_URL = "http://127.0.0.1:8090"
#: Seconds allowed for one control request.
REQUEST_TIMEOUT = 10.0

_PROG = "gws-async sim"
_SUMMARY = "drive a running simulator: ring a call, offer a chat, fail requests..."
_EPILOG = f"""\
The control token is read from ${ENV_SIMULATOR_TOKEN} or --token-file; 'gws-async
simulator' prints it when it starts (or takes it from ${ENV_SIMULATOR_TOKEN}).

examples:
  gws-async sim offer-chat agent1 --nickname Bob --message 'Where is my order?'
  gws-async sim put-in-workbin agent1 TestWorkbin --media email
  gws-async sim push agent1 /v2/me/workbins '{{"messageType": "Odd"}}'
  gws-async sim fail-next 3 --status 503
  gws-async sim state

exit status: 0 done, 1 simulator unreachable or token refused, 2 bad arguments
"""


class _Usage(Exception):
    """A bad argument: one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on standard error, exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Say ``message`` and where the help is; exit with 2."""
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def add_sim(commands: Any) -> None:
    """Add ``sim`` to the ``gws-async`` subcommands; its arguments are parsed by
    :func:`run_sim`, so that other commands do not load the simulator's hook table."""
    sim = commands.add_parser("sim", help=_SUMMARY, add_help=False, prefix_chars="\0")
    sim.add_argument(
        "sim_args",
        nargs=argparse.REMAINDER,
        metavar="HOOK ...",
        help="the hook and its arguments ('gws-async sim --help' lists them)",
    )


# -- the parser -------------------------------------------------------------------------------


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON ({exc})") from None


def _json_object(text: str) -> Any:
    value = _json_value(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError('expected a JSON object, e.g. \'{"key": "value"}\'')
    return value


def _bounded_int(low: int | None, high: int | None) -> Callable[[str], int]:
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {low} to {high}, got {value}")
        return value

    return convert


def _add_param(parser: argparse.ArgumentParser, param: Any) -> None:
    kind: str = param.kind
    convert: Callable[[str], Any] = str
    if kind == "int":
        convert = _bounded_int(param.minimum, param.maximum)
    elif kind == "json":
        convert = _json_value
    elif kind == "object":
        convert = _json_object
    text = param.help
    if not param.required and param.default is not None:
        text += f" ({param.default})"
    if param.required:
        parser.add_argument(param.name, type=convert, metavar=param.name.upper(), help=text)
    else:
        option = "--" + param.name.replace("_", "-")
        parser.add_argument(option, dest=param.name, type=convert, metavar="X", help=text)


class _RefuseToken(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        parser.error(
            f"--token is not accepted: the token is read from ${ENV_SIMULATOR_TOKEN} or "
            "--token-file, which do not show in the process list"
        )


def _build_parser() -> argparse.ArgumentParser:
    # Imported here: only this subcommand needs the hook table.
    from ..simulator._control import HOOKS

    parser = _Parser(
        prog=_PROG,
        description="Call a hook of a running 'gws-async simulator' through its control API.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument(
        "--url",
        default=os.environ.get(ENV_SIMULATOR_URL) or DEFAULT_SIMULATOR_URL,
        help=f"the simulator (${ENV_SIMULATOR_URL}, else {DEFAULT_SIMULATOR_URL})",
    )
    parser.add_argument(
        "--token-file",
        metavar="FILE",
        help=f"read the control token here (not ${ENV_SIMULATOR_TOKEN})",
    )
    parser.add_argument("--token", nargs="?", action=_RefuseToken, help=argparse.SUPPRESS)
    hooks = parser.add_subparsers(
        dest="hook",
        required=True,
        metavar="HOOK",
        parser_class=_Parser,
        help="what to make happen; 'gws-async sim HOOK --help' describes its arguments",
    )
    hooks.add_parser("state", help="print the simulator's state (agents, workbins) as JSON")
    for hook in HOOKS:
        sub = hooks.add_parser(hook.name, help=hook.summary, description=hook.summary + ".")
        for param in hook.params:
            _add_param(sub, param)
        sub.set_defaults(params=[p.name for p in hook.params])
    return parser


# -- the call ---------------------------------------------------------------------------------


def _token(path: str | None) -> str:
    if path is not None:
        try:
            with open(path, encoding="utf-8") as file:
                token = file.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise _Usage(f"cannot read the token file {path}: {reason}") from None
        if not token:
            raise _Usage(f"the token file {path} is empty")
        return token
    token = os.environ.get(ENV_SIMULATOR_TOKEN, "").strip()
    if not token:
        raise _Usage(
            f"no control token: set ${ENV_SIMULATOR_TOKEN} or give --token-file "
            "('gws-async simulator' prints it when it starts)"
        )
    return token


def _base_url(text: str) -> yarl.URL:
    try:
        url = yarl.URL(text)
    except (ValueError, TypeError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise _Usage(f"--url must be an http:// or https:// address, got {text!r}")
    return url.with_path(url.path.rstrip("/"))


async def _request(url: yarl.URL, token: str, body: dict[str, Any] | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        method = "GET" if body is None else "POST"
        async with http.request(method, url, json=body, headers=headers) as response:
            try:
                answer = await response.json(content_type=None)
            except ValueError:
                answer = None
            return response.status, answer


def _failure(hook: str, status: int, answer: Any) -> tuple[int, str]:
    message = answer.get("error") if isinstance(answer, dict) else None
    if status == 401:
        return EXIT_ERROR, "the simulator refused the control token"
    if status in (400, 404, 413) and message:
        return EXIT_USAGE, f"{hook}: {message}"
    return EXIT_ERROR, f"{hook}: HTTP {status}" + (f": {message}" if message else "")


def run_sim(argv: Sequence[str], out: TextIO = sys.stdout) -> int:
    """Run ``gws-async sim`` with ``argv`` (what follows ``sim``); returns the exit status."""
    args = _build_parser().parse_args(list(argv))
    try:
        base = _base_url(args.url)
        token = _token(args.token_file)
    except _Usage as exc:
        error(str(exc))
        return EXIT_USAGE
    if args.hook == "state":
        url, body = base / "control" / "state", None
    else:
        url = base / "control" / "hooks" / args.hook
        body = {name: getattr(args, name) for name in args.params}
        body = {name: value for name, value in body.items() if value is not None}
    try:
        status, answer = asyncio.run(_request(url, token, body))
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        reason = str(exc) or type(exc).__name__
        error(f"cannot reach the simulator at {base}: {reason}")
        return EXIT_ERROR
    if status != 200:
        code, message = _failure(args.hook, status, answer)
        error(message)
        return code
    indent = 2 if args.hook == "state" else None
    print(json.dumps(answer, indent=indent), file=out, flush=True)
    return EXIT_OK


# -- for 'gws-async simulator' ----------------------------------------------------------------


def control_token_for(token_file: str | None) -> str | None:
    """The token a served simulator takes: ``$GWS_SIMULATOR_TOKEN``, else a new random
    one; written to ``token_file`` (mode 0600) when given. ``None`` after saying why not."""
    import secrets

    from ..simulator._control import MIN_TOKEN_LENGTH

    token = os.environ.get(ENV_SIMULATOR_TOKEN, "").strip()
    if token and len(token) < MIN_TOKEN_LENGTH:
        error(f"${ENV_SIMULATOR_TOKEN} is too short: it needs {MIN_TOKEN_LENGTH} characters")
        return None
    token = token or secrets.token_urlsafe(24)
    if token_file is not None:
        try:
            descriptor = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(descriptor, 0o600)  # an existing file keeps its mode otherwise
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(token + "\n")
        except OSError as exc:
            error(f"cannot write the token file {token_file}: {exc.strerror}")
            return None
    return token


def announce_control(sim: GwsSimulator, token_file: str | None) -> None:
    """Say on standard error where the console is and how ``gws-async sim`` gets the
    token; the token itself only when it is nowhere else (neither given nor in a file)."""
    console = f"{sim.url}/console"
    if token_file is not None:
        where = f"the token is in {token_file}: gws-async sim --token-file {token_file} ..."
    elif os.environ.get(ENV_SIMULATOR_TOKEN, "").strip():
        where = f"the token is ${ENV_SIMULATOR_TOKEN}"
    else:
        console += f"#token={sim.control_token}"
        where = f"export {ENV_SIMULATOR_TOKEN}={sim.control_token}"
        if sim.url != DEFAULT_SIMULATOR_URL:
            where += f" {ENV_SIMULATOR_URL}={sim.url}"
        where += "  # for 'gws-async sim'"
    print(f"gws-async: console: {console}", file=sys.stderr, flush=True)
    print(f"gws-async: control API: {sim.url}/control; {where}", file=sys.stderr, flush=True)
