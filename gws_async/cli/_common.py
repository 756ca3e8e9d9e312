"""What every subcommand shares: exit statuses, environment variable names, errors."""

from __future__ import annotations

import sys

__all__ = [
    "ENV_PASSWORD",
    "ENV_URL",
    "ENV_USERNAME",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "error",
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
