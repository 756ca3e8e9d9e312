"""When the Bayeux connect loop sends again, and how long it bears refused credentials.

* after an answer: the advised ``interval``, and for an empty answer that came back at
  once, at least :data:`MIN_CONNECT_SPACING` since the request left;
* after a failure: exponential backoff, ended early (by a cheap TCP probe) as soon as a
  server that refused connections accepts them again;
* after refused credentials: :data:`DEFAULT_MAX_AUTH_FAILURES` in a row, then it stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from ._backoff import Backoff, sleep_until_back
from ._exceptions import GwsConnectionError, GwsTimeoutError

__all__ = ["DEFAULT_MAX_AUTH_FAILURES", "MIN_CONNECT_SPACING", "Pacing"]

log = logging.getLogger("gws_async.bayeux")

#: The least time between two ``/meta/connect`` requests when the first came back empty
#: at once: at most four a second from a server that holds nothing (``interval`` 0).
MIN_CONNECT_SPACING: Final = 0.25

#: Consecutive refused authentications (an HTTP 401, then a refused re-login) after which
#: the client stops instead of risking the account's lockout.
DEFAULT_MAX_AUTH_FAILURES: Final = 3


class Pacing:
    """The connect loop's waits and its count of refused authentications.

    Args:
        backoff: the delays after failures.
        probe: whether the server accepts connections now (see
            :meth:`~gws_async._bayeux_wire.BayeuxWire.reachable`).
        max_auth_failures: refused authentications in a row that make the client stop.
    """

    def __init__(
        self,
        backoff: Backoff,
        probe: Callable[[], Awaitable[bool]],
        *,
        max_auth_failures: int = DEFAULT_MAX_AUTH_FAILURES,
    ) -> None:
        if max_auth_failures < 1:
            raise ValueError("max_auth_failures must be at least 1")
        self.backoff = backoff
        self.max_auth_failures = max_auth_failures
        self.auth_failures = 0
        """Refused authentications since the last successful ``/meta/connect``."""
        self._probe = probe
        self._lost_streak = 0

    def succeeded(self) -> None:
        """A ``/meta/connect`` succeeded: forget the failures before it."""
        self.backoff.reset()
        self.auth_failures = 0
        self._lost_streak = 0

    async def after_answer(self, interval: float, sent_at: float, prompt: bool) -> None:
        """Wait before the next ``/meta/connect``: ``interval`` (the advice), and unless
        the answer may be followed at once (``prompt``: it brought data, or it was the
        first connect), until :data:`MIN_CONNECT_SPACING` after ``sent_at`` (loop time)."""
        pause = interval
        if not prompt:
            pause = max(pause, sent_at + MIN_CONNECT_SPACING - asyncio.get_running_loop().time())
        if pause > 0:
            await asyncio.sleep(pause)

    async def after_session_lost(self) -> None:
        """Wait before handshaking again: at once the first time, then with backoff, so a
        server that forgets every new session at once does not make us spin."""
        if self._lost_streak:
            await asyncio.sleep(self.backoff.next_delay())
        self._lost_streak += 1

    async def after_failure(self, exc: BaseException, what: str = "Bayeux request failed") -> None:
        """Back off after a failed request; after a refused or cut connection, come back
        within :data:`~gws_async._backoff.PROBE_EVERY` of the server accepting again."""
        delay = self.backoff.next_delay()
        log.warning("%s (%s); retrying in %.2f s", what, exc, delay)
        if isinstance(exc, GwsConnectionError) and not isinstance(exc, GwsTimeoutError):
            await sleep_until_back(delay, self._probe)
        else:
            await asyncio.sleep(delay)

    def credentials_refused(self, exc: BaseException) -> bool:
        """Count one refused authentication; True when the client must stop."""
        self.auth_failures += 1
        if self.auth_failures >= self.max_auth_failures:
            return True
        log.warning(
            "credentials refused (%d of %d): %s", self.auth_failures, self.max_auth_failures, exc
        )
        return False
