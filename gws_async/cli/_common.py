"""What every subcommand shares: exit statuses, environment variable names, errors."""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn, TextIO

__all__ = [
    "ENV_PASSWORD",
    "ENV_URL",
    "ENV_USERNAME",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "OneLineParser",
    "error",
    "use_colour",
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


def error(text: str) -> None:
    """Say ``text`` on standard error as the command: ``gws-async: text``."""
    print(f"gws-async: {text}", file=sys.stderr)


def use_colour(stream: TextIO) -> bool:
    """Whether to colour what goes to ``stream``: only on a terminal, and never when
    ``NO_COLOR`` is set to anything but the empty string (https://no-color.org) or
    ``TERM`` is ``dumb``."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on standard error, with the
    exit status :data:`EXIT_USAGE`, instead of the usage text and the error."""

    def error(self, message: str) -> NoReturn:
        """Say ``message`` and where the options are described; exit with 2."""
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")
