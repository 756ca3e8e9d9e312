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
import logging
import os
import sys
from collections.abc import Sequence

from .._exceptions import GwsError
from ._common import (
    ENV_PASSWORD,
    ENV_URL,
    ENV_USERNAME,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    error,
)
from ._format import describe_event, event_to_json
from ._listen import ListenSettings, listen
from ._parser import build_parser
from ._simulator import run_simulator
from ._supervisor import Supervisor

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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gws-async`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "simulator":
        logging.getLogger("gws_async.simulator").setLevel(min(level, logging.INFO))
    try:
        return _run(args.command, args)
    except KeyboardInterrupt:
        # Ctrl-C where no signal handler could be installed (Windows), or at a prompt.
        with contextlib.suppress(Exception):
            error("interrupted")
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
        error(str(exc))
        return EXIT_ERROR


def _run(command: str, args: argparse.Namespace) -> int:
    supervisor = Supervisor()
    if command == "simulator":
        return asyncio.run(supervisor.run(run_simulator(args)))
    if command == "listen":
        settings = ListenSettings.from_args(args, sys.stdout)
        if isinstance(settings, int):
            return settings
        return asyncio.run(supervisor.run(listen(settings, sys.stdout, supervisor)))
    if command == "sim":
        from ._sim import run_sim

        return run_sim(args.sim_args, sys.stdout)
    if command == "fleet":
        from ._fleet import run_fleet

        return run_fleet(args, sys.stdout)
    # Imported here: only the demo runs the simulator in-process.
    from ._demo import run_demo

    return asyncio.run(supervisor.run(run_demo(sys.stdout)))
