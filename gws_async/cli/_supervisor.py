"""Running a subcommand until it ends, or until a signal or a timer stops it."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any

from ._common import EXIT_INTERRUPTED, EXIT_TERMINATED, error

__all__ = ["Supervisor"]


class Supervisor:
    """Runs a command's coroutine and ends it, by cancellation, on SIGINT, SIGTERM or a
    timer; the exit status then says which."""

    def __init__(self) -> None:
        self._task: asyncio.Task[Any] | None = None
        self._stopped: int | None = None

    def stop(self, code: int) -> None:
        """Cancel the running command; :meth:`run` then returns ``code``."""
        if self._task is None or self._task.done():
            return
        if self._stopped is None:
            self._stopped = code
        self._task.cancel()

    def stop_later(self, delay: float, code: int) -> asyncio.TimerHandle:
        """:meth:`stop` with ``code`` after ``delay`` seconds, unless the handle is cancelled."""
        return asyncio.get_running_loop().call_later(delay, self.stop, code)

    async def run(self, command: Coroutine[Any, Any, int]) -> int:
        """Await ``command`` with SIGINT and SIGTERM handled; its exit status or the stop's."""
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
                error("interrupted")
            elif self._stopped == EXIT_TERMINATED:
                error("terminated")
            return self._stopped
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)
