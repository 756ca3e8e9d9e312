"""A small Bayeux 1.0 long-polling client on a caller's :class:`aiohttp.ClientSession`.

Why not aiocometd: its last release fails on every supported Python, and its forks open
their own HTTP session (no shared cookies, auth, CSRF). This one rides the session it is
given and keeps aiocometd's good ideas (extensions, advice, ``async with``).

What it does:

* handshake, then one ``/meta/connect`` at a time in a background task (on a connection
  of its own where possible: :mod:`gws_async._bayeux_poll`);
* follows the server's ``advice`` (``reconnect``, ``interval``, ``timeout`` plus a
  network allowance); ``402::...`` or ``reconnect: handshake``: handshakes again and
  re-subscribes every channel;
* failures: backoff with jitter, ended early when a refusing server is back; bounded
  advice, spaced empty answers (:mod:`gws_async._bayeux_pacing`); credentials refused 3
  times in a row: it stops; an answer over ``max_response_size`` is refused and counted;
* hands the data messages of each answer, in order, to ``on_batch`` with the deadline
  by which they must be handed over (before the server's ``maxInterval`` expires the
  session), or one by one to ``on_message``; a slow callback delays the next
  ``/meta/connect``, which is how backpressure reaches the server;
* extensions see and may change every outgoing and incoming batch and its headers.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import ssl as ssl_module
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp

from ._backoff import Backoff
from ._bayeux_pacing import DEFAULT_MAX_AUTH_FAILURES, Pacing
from ._bayeux_wire import (
    META_DISCONNECT,
    META_HANDSHAKE,
    META_SUBSCRIBE,
    META_UNSUBSCRIBE,
    Advice,
    BayeuxWire,
    Extension,
    Message,
    SessionLost,
    advised,
    check_connect_reply,
    connect_message,
    deliver_each,
    error_text,
    handshake_message,
    is_unknown_client,
    reply_to,
    split_batch,
)
from ._exceptions import (
    AuthenticationError,
    BayeuxError,
    GwsApiError,
    GwsConnectionError,
    GwsError,
    ResponseTooLargeError,
)
from ._limits import DEFAULT_MAX_RESPONSE_SIZE

__all__ = ["Advice", "BayeuxClient", "Extension", "Message"]

log = logging.getLogger("gws_async.bayeux")

# close() promises to return within a second, whatever the server does.
_DISCONNECT_TIMEOUT = 0.5


class BayeuxClient:
    """Bayeux 1.0 long-polling client.

    Args:
        session: the HTTP session to ride (its cookies and connection pool are shared).
        url: the CometD endpoint, e.g. ``http://gws:8090/api/v2/notifications``.
        on_batch: awaited with the data messages of each answer, in the order received,
            and the event-loop time by which they must be handed over so that the next
            ``/meta/connect`` leaves before the server's ``maxInterval`` expires the session
            (see :attr:`dispatch_budget`). A slow callback delays the next poll: that is
            how backpressure reaches the server.
        on_message: awaited for every data message, in the order received (after
            ``on_batch``); it may read :attr:`dispatch_deadline`.
        extensions: outgoing / incoming hooks, applied in order.
        headers: headers sent with every request (e.g. ``Authorization``).
        backoff: retry delays after connection errors.
        request_timeout: timeout of requests other than ``/meta/connect``.
        network_allowance: added to ``advice.timeout`` for the client-side timeout of a
            ``/meta/connect``, so a held poll is not cut short by the client.
        on_failure: awaited once if the client gives up (``reconnect: none`` advice, a
            handshake refused by the server, or credentials refused too often).
        on_connection_change: awaited with ``(True, None)`` when ``/meta/connect`` starts
            succeeding and ``(False, cause)`` when it stops.
        on_unauthorized: awaited after an HTTP 401 to log in again; the client then
            handshakes anew (a new HTTP session has a new Bayeux session).
        ssl: TLS verification for its requests (``True``, an ``SSLContext`` or ``False``),
            applied even when the session was made with other settings.
        max_response_size: the largest decoded answer body accepted, in bytes (default
            32 MiB); a larger one is a failed answer (``ResponseTooLargeError``).
        max_auth_failures: consecutive refused authentications (an HTTP 401 whose
            re-login is refused too, or any 401 without ``on_unauthorized``) after which
            the client stops with the :class:`AuthenticationError` (default 3).
        dedicated_poll: ``/meta/connect`` on a keep-alive connection of its own: ``None``
            (default) when nothing observes the session's requests (:mod:`._bayeux_poll`).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        on_message: Callable[[Message], Awaitable[None]] | None = None,
        on_batch: Callable[[list[Message], float], Awaitable[None]] | None = None,
        extensions: Sequence[Extension] = (),
        headers: Mapping[str, str] | None = None,
        backoff: Backoff | None = None,
        request_timeout: float = 30.0,
        network_allowance: float = 10.0,
        on_failure: Callable[[BaseException], Awaitable[None]] | None = None,
        on_connection_change: Callable[[bool, BaseException | None], Awaitable[None]] | None = None,
        on_unauthorized: Callable[[], Awaitable[None]] | None = None,
        ssl: ssl_module.SSLContext | bool = True,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        max_auth_failures: int = DEFAULT_MAX_AUTH_FAILURES,
        dedicated_poll: bool | None = None,
    ) -> None:
        self._session = session
        self.url = url
        self._on_message = on_message
        self._on_batch = on_batch
        self._wire = BayeuxWire(
            session,
            url,
            headers=headers or {},
            extensions=extensions,
            ssl=ssl,
            max_response_size=max_response_size,
            dedicated_poll=dedicated_poll,
        )
        probe = self._wire.reachable
        self._pacing = Pacing(backoff or Backoff(), probe, max_auth_failures=max_auth_failures)
        self._request_timeout = request_timeout
        self._network_allowance = network_allowance
        self._on_failure = on_failure
        self._on_connection_change = on_connection_change
        self._on_unauthorized = on_unauthorized
        self._data_received = 0

        self._ids = itertools.count(1)
        self._advice = Advice()
        self._advice_from: Any = None  # the raw advice the current one was last updated by
        self._subscriptions: set[str] = set()
        self._client_id: str | None = None
        self._handshaken = asyncio.Event()
        self._connected = False
        self._closing = False
        self._loop_task: asyncio.Task[None] | None = None
        self._dispatch_lock = asyncio.Lock()
        self._stopped = asyncio.Event()
        self._first_connect = True
        self._dispatch_deadline: float | None = None
        self.handshakes = 0
        """Successful handshakes so far (more than one means the session was re-created)."""
        self.refused_answers = 0  # answers over max_response_size: their events are lost
        self.failure: BaseException | None = None
        """Why the client gave up, if it did."""

    # -- public API -----------------------------------------------------------------------

    @property
    def client_id(self) -> str | None:
        """The Bayeux ``clientId`` of the current session, if handshaken."""
        return self._client_id

    @property
    def connected(self) -> bool:
        """True while the last ``/meta/connect`` succeeded."""
        return self._connected

    @property
    def subscriptions(self) -> frozenset[str]:
        """Channels this client is subscribed to (and re-subscribes after a handshake)."""
        return frozenset(self._subscriptions)

    @property
    def advice(self) -> Advice:
        """The last advice received from the server."""
        return self._advice

    @property
    def dispatch_budget(self) -> float:
        """Seconds one answer's messages may take (:attr:`Advice.dispatch_budget`)."""
        return self._advice.dispatch_budget

    @property
    def dispatch_deadline(self) -> float | None:
        """While ``on_message`` runs: the event-loop time by which the current answer's
        messages must be handed over so the next ``/meta/connect`` leaves in time."""
        return self._dispatch_deadline

    @property
    def running(self) -> bool:
        """True while the connect loop is alive."""
        return self._loop_task is not None and not self._loop_task.done()

    async def start(self) -> None:
        """Handshake and start the connect loop.

        Raises the handshake's error if the first handshake fails; later failures are
        retried in the background.
        """
        if self._loop_task is not None:
            raise RuntimeError("BayeuxClient already started")
        self._closing = False
        self._stopped.clear()
        self.failure = None
        await self._handshake()
        self._loop_task = asyncio.create_task(self._connect_loop(), name=f"bayeux:{self.url}")

    async def subscribe(self, *channels: str) -> None:
        """Subscribe to channels; returns once the server has confirmed every one.

        Raises:
            BayeuxError: the server refused a subscription.
        """
        new = [c for c in dict.fromkeys(channels) if c not in self._subscriptions]
        if not new:
            return
        for channel in new:
            if not channel.startswith("/") or channel.startswith("/meta/"):
                raise ValueError(f"not a subscribable channel: {channel!r}")
        # Remember them first: a handshake that happens meanwhile re-subscribes them too.
        self._subscriptions.update(new)
        try:
            await self._meta_request(META_SUBSCRIBE, {"subscription": new})
        except BaseException:
            self._subscriptions.difference_update(new)
            raise

    async def unsubscribe(self, *channels: str) -> None:
        """Unsubscribe from channels; returns once the server has confirmed."""
        gone = [c for c in dict.fromkeys(channels) if c in self._subscriptions]
        if not gone:
            return
        self._subscriptions.difference_update(gone)
        if self._client_id is not None and not self._closing:
            await self._meta_request(META_UNSUBSCRIBE, {"subscription": gone})

    async def publish(self, channel: str, data: Any) -> None:
        """Publish ``data`` on ``channel`` (for servers that accept client publishes)."""
        await self._meta_request(channel, {"data": data})

    async def close(self) -> None:
        """Stop the connect loop and send ``/meta/disconnect``; returns within a second.

        The held ``/meta/connect`` is cancelled at once; the server gets half a second to
        acknowledge the disconnect, after which it expires the session on its own.
        """
        if self._closing:
            return
        self._closing = True
        self._stopped.set()
        task = self._loop_task
        if task is not None:
            task.cancel()
            # asyncio.wait, not await task: a cancellation aimed at our caller (a timeout,
            # a TaskGroup, Ctrl-C) must reach it, not be taken for the loop's own.
            await asyncio.wait((task,))
            self._loop_task = None
            if not task.cancelled() and task.exception() is not None:
                log.error("the Bayeux connect loop failed", exc_info=task.exception())
        await self._wire.aclose()
        client_id, self._client_id = self._client_id, None
        self._handshaken.clear()
        self._connected = False
        if client_id is not None and not self._session.closed:
            message = {"channel": META_DISCONNECT, "clientId": client_id, "id": self._next_id()}
            try:
                await self._exchange([message], timeout=_DISCONNECT_TIMEOUT)
            except GwsError:
                log.debug("disconnect not acknowledged; the server will expire the session")

    async def __aenter__(self) -> BayeuxClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _next_id(self) -> str:
        return str(next(self._ids))

    async def _handshake(self) -> None:
        self._handshaken.clear()
        self._client_id = None
        message = handshake_message(self._next_id())
        reply = await self._request_reply(message, timeout=self._request_timeout)
        self._advice, self._advice_from = advised(self._advice, self._advice_from, reply)
        client_id = reply.get("clientId")
        if reply.get("successful") is not True or not isinstance(client_id, str):
            raise BayeuxError(META_HANDSHAKE, error_text(reply))
        self._client_id = client_id
        self._first_connect = True
        self.handshakes += 1
        self._handshaken.set()
        log.info("handshake: clientId=%s (handshake #%d)", client_id, self.handshakes)

    async def _resubscribe(self) -> None:
        if self._subscriptions:
            channels = sorted(self._subscriptions)
            await self._meta_request(META_SUBSCRIBE, {"subscription": channels}, wait=False)
            log.info("re-subscribed %d channel(s) after handshake", len(channels))

    async def _meta_request(self, channel: str, fields: Message, *, wait: bool = True) -> Message:
        """Send one message with the current clientId; on ``402`` handshake and retry once."""
        for attempt in (1, 2):
            if wait:
                await self._wait_handshaken(channel)
            if self._client_id is None:
                raise BayeuxError(channel, None, "the client is not handshaken")
            message = {"channel": channel, "clientId": self._client_id, "id": self._next_id()}
            message.update(fields)
            reply = await self._request_reply(message, timeout=self._request_timeout)
            if reply.get("successful") is True:
                return reply
            if is_unknown_client(reply):
                if not wait:
                    raise SessionLost(BayeuxError(channel, error_text(reply)))
                if attempt == 1:
                    # The server dropped the session: let the connect loop handshake (which
                    # re-subscribes everything), then retry this request once.
                    self._session_lost()
                    continue
            raise BayeuxError(channel, error_text(reply))
        raise AssertionError("unreachable")

    async def _wait_handshaken(self, channel: str) -> None:
        if self._handshaken.is_set():
            return
        if self._loop_task is None or self._stopped.is_set():
            reason = self.failure or "the client is not running"
            raise BayeuxError(channel, None, f"cannot send: {reason}")
        handshaken = asyncio.ensure_future(self._handshaken.wait())
        stopped = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait((handshaken, stopped), return_when=asyncio.FIRST_COMPLETED)
        finally:
            handshaken.cancel()
            stopped.cancel()
        if not self._handshaken.is_set():
            raise BayeuxError(channel, None, f"cannot send: {self.failure or 'client closed'}")

    def _session_lost(self) -> None:
        if self._handshaken.is_set():
            log.warning("Bayeux session %s lost; handshaking again", self._client_id)
        self._handshaken.clear()
        self._client_id = None

    async def _request_reply(self, message: Message, *, timeout: float) -> Message:
        return reply_to(message, await self._exchange([message], timeout=timeout))

    async def _connect_loop(self) -> None:
        try:
            await self._poll_loop()
        finally:  # however it ends (a close() itself cancelled), the poll's socket goes
            self._wire.close()

    async def _poll_loop(self) -> None:
        while not self._closing:
            try:
                if not self._handshaken.is_set():
                    if self._advice.interval:
                        await asyncio.sleep(self._advice.interval)
                    await self._handshake()
                    await self._resubscribe()
                sent_at = asyncio.get_running_loop().time()
                prompt = await self._connect_once()
                self._pacing.succeeded()
                await self._set_connected(True)
                await self._pacing.after_answer(self._advice.interval, sent_at, prompt)
            except SessionLost as lost:
                self._session_lost()
                await self._set_connected(False, lost.cause)
                await self._pacing.after_session_lost()
            except AuthenticationError as exc:
                await self._set_connected(False, exc)
                if await self._unauthorized(exc):
                    return
            except ResponseTooLargeError as exc:
                self.refused_answers += 1
                await self._set_connected(False, exc)
                await self._pacing.after_failure(exc, "answer refused, its events are lost")
            except (GwsConnectionError, GwsApiError) as exc:
                await self._set_connected(False, exc)
                await self._pacing.after_failure(exc)
            except BayeuxError as exc:
                await self._set_connected(False, exc)
                if self._advice.reconnect == "none":
                    await self._give_up(exc)
                    return
                await self._pacing.after_failure(exc, "Bayeux protocol error")
            except Exception as exc:
                # Whatever a server (or a bug of ours) does, the listener must not die
                # silently: report it, back off, carry on.
                log.exception("unexpected error in the Bayeux connect loop")
                await self._set_connected(False, exc)
                await self._pacing.after_failure(exc, "unexpected error")

    async def _unauthorized(self, exc: AuthenticationError) -> bool:
        """After an HTTP 401: back off, log in again; True once the client gave up because
        the credentials were refused ``max_auth_failures`` times in a row."""
        await asyncio.sleep(self._pacing.backoff.next_delay())
        refused = exc
        if self._on_unauthorized is not None:
            try:
                await self._on_unauthorized()
            except AuthenticationError as relogin_error:
                refused = relogin_error
            except GwsError as relogin_error:
                log.warning("log in again failed: %s", relogin_error)
                return False
            else:
                self._session_lost()
                return False
        if self._pacing.credentials_refused(refused):
            # A changed password: retrying it for ever would lock the account.
            await self._give_up(refused)
            return True
        if self._on_unauthorized is None:
            self._session_lost()
        return False

    async def _set_connected(self, connected: bool, cause: BaseException | None = None) -> None:
        if connected == self._connected:
            return
        self._connected = connected
        if connected:
            log.info("connected (clientId=%s)", self._client_id)
        else:
            log.warning("connection lost: %s", cause)
        if self._on_connection_change is not None:
            try:
                await self._on_connection_change(connected, cause)
            except Exception:
                log.exception("on_connection_change failed")

    async def _connect_once(self) -> bool:
        """One ``/meta/connect``; True if the next may leave at once (its answer brought
        data, or it was the first connect, which the server answers at once)."""
        first = self._first_connect
        received = self._data_received
        self._first_connect = False
        message = connect_message(self._client_id, self._next_id(), first=first)
        timeout = self._advice.timeout + self._network_allowance
        reply = reply_to(message, await self._exchange([message], timeout=timeout, poll=True))
        self._advice, self._advice_from = advised(self._advice, self._advice_from, reply)
        check_connect_reply(reply, self._advice)
        return first or self._data_received != received

    async def _give_up(self, exc: BaseException) -> None:
        log.error("Bayeux client stopped: %s", exc)
        self.failure = exc
        self._handshaken.clear()
        self._stopped.set()
        if self._on_failure is not None:
            await self._on_failure(exc)

    async def _exchange(
        self, messages: list[Message], *, timeout: float, poll: bool = False
    ) -> list[Message]:
        """POST one batch, hand its data messages forward, return its replies."""
        answer = await self._wire.post(messages, timeout=timeout, poll=poll)
        replies, data = split_batch(answer)
        if data:
            self._data_received += len(data)
            deadline = asyncio.get_running_loop().time() + self.dispatch_budget
            await self._dispatch(data, deadline)
        return replies

    async def _dispatch(self, messages: list[Message], deadline: float) -> None:
        # Two responses (a connect and a subscribe) can carry data at once: keep one order.
        async with self._dispatch_lock:
            if self._on_batch is not None:
                try:
                    await self._on_batch(messages, deadline)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("on_batch failed for %d message(s)", len(messages))
            if self._on_message is not None:
                self._dispatch_deadline = deadline
                try:
                    await deliver_each(self._on_message, messages)
                finally:
                    self._dispatch_deadline = None
