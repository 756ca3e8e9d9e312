"""Bayeux on the wire: the message and advice types, extensions, and one exchange (a batch
POSTed, its answer decoded and checked) over the caller's HTTP session."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import ssl as ssl_module
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from yarl import URL

from . import _json
from ._bayeux_poll import PollConnection, usable_for
from ._exceptions import (
    BayeuxError,
    GwsApiError,
    GwsConnectionError,
    InvalidResponseError,
    connection_error,
    error_from_response,
)
from ._json import decode_body
from ._limits import DEFAULT_MAX_RESPONSE_SIZE, read_body

__all__ = [
    "Advice",
    "BayeuxWire",
    "Extension",
    "Message",
    "SessionLost",
    "advised",
    "check_connect_reply",
    "connect_message",
    "deliver_each",
    "handshake_message",
    "reply_to",
    "split_batch",
]

log = logging.getLogger("gws_async.bayeux")

#: One Bayeux message, as it is on the wire.
Message = dict[str, Any]

META_HANDSHAKE = "/meta/handshake"
META_CONNECT = "/meta/connect"
META_SUBSCRIBE = "/meta/subscribe"
META_UNSUBSCRIBE = "/meta/unsubscribe"
META_DISCONNECT = "/meta/disconnect"


class Extension:
    """Hooks that see every batch of messages going out or coming in.

    Subclass and override either method; both may change the messages and the headers in
    place (e.g. add an ``ext`` field, a CSRF header, or read a token from a response).
    """

    async def outgoing(self, messages: list[Message], headers: dict[str, str]) -> None:
        """Called before a batch is sent, with the request headers."""

    async def incoming(self, messages: list[Message], headers: Mapping[str, str]) -> None:
        """Called after a batch is received, with the response headers (and with no
        messages for an HTTP error answer, whose headers may matter too)."""


#: Bounds on the server's advice, so that a broken or hostile server cannot park the client
#: (an ``interval`` of a billion seconds), defeat the client-side timeout of a poll, or hold
#: a slow consumer's events for ever (``maxInterval`` bounds the dispatch budget).
MAX_INTERVAL: Final = 60.0
MAX_TIMEOUT: Final = 180.0
MAX_MAX_INTERVAL: Final = 300.0


@dataclass(frozen=True)
class Advice:
    """The server's ``advice``: how and when to reconnect.

    Each number is taken only when it is finite and not negative, and is capped: at most
    60 s for ``interval``, 180 s for ``timeout`` and 300 s for ``maxInterval``. Anything
    else keeps the previous value.
    """

    reconnect: str = "retry"
    interval: float = 0.0
    """Seconds to wait before the next ``/meta/connect`` (at most 60)."""
    timeout: float = 30.0
    """Seconds the server may hold a ``/meta/connect`` (at most 180)."""
    max_interval: float = 10.0
    """Seconds the server waits for the next ``/meta/connect`` before it expires the
    session (CometD's default is 10 s; at most 300)."""

    @property
    def dispatch_budget(self) -> float:
        """Seconds one answer's messages may take to be handed over: ``max_interval`` less
        ``interval`` and a safety margin for the network (a quarter of ``max_interval``, at
        most two seconds)."""
        margin = min(2.0, self.max_interval / 4)
        return max(0.0, self.max_interval - self.interval - margin)

    def updated(self, raw: Any) -> Advice:
        """A copy with the fields a server's ``advice`` object sets, within the bounds."""
        if not isinstance(raw, dict):
            return self
        reconnect = raw.get("reconnect", self.reconnect)
        return Advice(
            reconnect=reconnect if reconnect in ("retry", "handshake", "none") else self.reconnect,
            interval=_millis(raw.get("interval"), self.interval, MAX_INTERVAL),
            timeout=_millis(raw.get("timeout"), self.timeout, MAX_TIMEOUT),
            max_interval=_millis(raw.get("maxInterval"), self.max_interval, MAX_MAX_INTERVAL),
        )


def advised(advice: Advice, last: Any, reply: Message) -> tuple[Advice, Any]:
    """``advice`` updated by a reply's ``advice``, and the raw advice to pass as ``last``
    next time: a server may repeat the same advice on every reply, and one equal to
    ``last`` changes nothing (updating is idempotent), so it is not parsed again."""
    raw = reply.get("advice")
    if raw is None or (type(raw) is dict and raw == last):
        return advice, last
    # True == 1, but only the 1 is taken: an advice holding a bool is never matched.
    plain = type(raw) is dict and bool not in map(type, raw.values())
    return advice.updated(raw), raw if plain else None


def _millis(value: Any, default: float, maximum: float) -> float:
    # NaN and infinities reach us from lenient JSON ("Infinity") or from numbers beyond
    # double range ("1e400"): refused like any other nonsense. An integer too large for a
    # float is capped before it is converted.
    if isinstance(value, int) and not isinstance(value, bool):
        value = min(value, int(maximum * 1000))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value) / 1000.0
        if math.isfinite(seconds) and seconds >= 0:
            return min(seconds, maximum)
    return default


# Distinct request timeouts whose ClientTimeout is kept (the connect's, the other requests').
_TIMEOUTS_KEPT: Final = 8


class BayeuxWire:
    """POSTs batches of Bayeux messages to one endpoint through the extensions.

    The long-polls (``post(..., poll=True)``) ride a connection of their own
    (:mod:`gws_async._bayeux_poll`) when ``dedicated_poll`` is True, or when it is None (the
    default) and nothing would be lost by leaving aiohttp (see ``usable_for``); every other
    request, and every poll when ``dedicated_poll`` is False, goes through the session.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        headers: Mapping[str, str],
        extensions: Sequence[Extension],
        ssl: ssl_module.SSLContext | bool = True,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        dedicated_poll: bool | None = None,
    ) -> None:
        self._session = session
        self.url = url
        self._address: tuple[str, int] | None = None
        # What every request shares is built once: the parsed URL (aiohttp parses a str
        # per request), the headers, and one ClientTimeout per distinct timeout.
        self._target: URL | str = url
        try:
            parsed = URL(url)
        except ValueError:
            self.path = "<invalid url>"
        else:
            self._target = parsed
            self.path = parsed.path or "/"
            if parsed.host is not None and parsed.port is not None:
                self._address = (parsed.host, parsed.port)
        self._headers = {"Content-Type": "application/json;charset=UTF-8", **headers}
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}
        self._extensions = list(extensions)
        self._ssl = ssl
        self._max_response_size = max_response_size
        self._poll: PollConnection | None = None
        target = self._target
        if isinstance(target, URL) and (
            dedicated_poll or (dedicated_poll is None and usable_for(session, target))
        ):
            self._poll = PollConnection(
                session, target, ssl=ssl, max_response_size=max_response_size
            )

    async def reachable(self) -> bool:
        """Whether the endpoint's host accepts a TCP connection now (closed at once; no
        request, no credentials): a cheap probe while waiting for a server to come back."""
        if self._address is None:
            return False
        try:
            _, writer = await asyncio.open_connection(*self._address)
        except (OSError, ValueError):  # refused, unreachable, unresolvable: not back yet
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    @property
    def dedicated_poll(self) -> bool:
        """Whether the long-polls ride a connection of their own."""
        return self._poll is not None

    def close(self) -> None:
        """Close the long-poll's own connection, if any."""
        if self._poll is not None:
            self._poll.close()

    async def aclose(self) -> None:
        """Close the long-poll's own connection, if any, and wait until it is."""
        if self._poll is not None:
            await self._poll.aclose()

    async def post(
        self, messages: list[Message], *, timeout: float, poll: bool = False
    ) -> list[Message]:
        """POST one batch through the extensions; the answer's messages, or the error.

        ``poll``: it is a ``/meta/connect``, which may ride the dedicated connection.
        """
        headers = self._headers.copy()
        for ext in self._extensions:
            await ext.outgoing(messages, headers)
        path = self.path
        if poll and self._poll is not None:
            status, response_headers, body = await self._poll.post(
                _json.dumps(messages), headers, timeout=timeout, path=path
            )
            return await self._answer(status, response_headers, body)
        client_timeout = self._timeouts.get(timeout)
        if client_timeout is None:
            if len(self._timeouts) >= _TIMEOUTS_KEPT:  # the advice changed often: start over
                self._timeouts.clear()
            client_timeout = self._timeouts[timeout] = aiohttp.ClientTimeout(total=timeout)
        failure: GwsConnectionError | None = None
        try:
            # GWS does not redirect its API: a redirect (maybe to another origin, maybe to
            # plain http) is a failed answer, and our headers and body go nowhere else.
            async with self._session.post(
                self._target,
                data=_json.dumps(messages),
                headers=headers,
                timeout=client_timeout,
                ssl=self._ssl,
                allow_redirects=False,
            ) as resp:
                body = await read_body(resp, self._max_response_size, "POST", path)
                status = resp.status
                response_headers = resp.headers
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            failure = connection_error("POST", path, exc, timeout)
        if failure is not None:
            # Raised outside the handler, so neither __cause__ nor __context__ holds
            # aiohttp's error: its request_info carries the Authorization header.
            raise failure
        return await self._answer(status, response_headers, body)

    async def _answer(
        self, status: int, response_headers: Mapping[str, str], body: bytes
    ) -> list[Message]:
        """The messages of an answer, checked and through the extensions; or the error."""
        path = self.path
        if 300 <= status < 400:
            raise GwsApiError(
                "POST",
                path,
                status,
                server_message="a redirect, not followed (GWS does not redirect its API)",
            )
        decoded, text = decode_body(body)
        if status >= 300:
            # The hooks see an error's headers too: a 403 for a stale CSRF token carries
            # the fresh one, and the retry must use it.
            for ext in self._extensions:
                await ext.incoming([], response_headers)
            error = error_from_response("POST", path, status, decoded, text)
            raise error or GwsApiError("POST", path, status)
        if isinstance(decoded, dict):
            decoded = [decoded]
        if not isinstance(decoded, list):
            shape = "not JSON" if decoded is None else f"a JSON {type(decoded).__name__}"
            raise InvalidResponseError(
                "POST", path, status, server_message=f"Bayeux answer is {shape}, not an array"
            )
        batch: list[Message] = decoded
        for item in decoded:
            if not isinstance(item, dict):  # copied only when there is something to drop
                batch = [m for m in decoded if isinstance(m, dict)]
                log.warning(
                    "dropped %d Bayeux item(s) that are not objects", len(decoded) - len(batch)
                )
                break
        for ext in self._extensions:
            await ext.incoming(batch, response_headers)
        return batch


class SessionLost(Exception):
    """The server no longer knows our clientId: handshake again."""

    def __init__(self, cause: BaseException | None = None) -> None:
        super().__init__(str(cause) if cause else "session lost")
        self.cause = cause or BayeuxError(META_CONNECT, "402::session lost")


def handshake_message(message_id: str) -> Message:
    """A ``/meta/handshake`` for Bayeux 1.0 long-polling."""
    return {
        "channel": META_HANDSHAKE,
        "version": "1.0",
        "minimumVersion": "1.0",
        "supportedConnectionTypes": ["long-polling"],
        "id": message_id,
    }


def connect_message(client_id: str | None, message_id: str, *, first: bool) -> Message:
    """A long-polling ``/meta/connect``; the ``first`` after a handshake asks to be
    answered at once (like CometD's own clients), so "connected" is known without
    waiting out a whole long-poll."""
    message: Message = {
        "channel": META_CONNECT,
        "clientId": client_id,
        "connectionType": "long-polling",
        "id": message_id,
    }
    if first:
        message["advice"] = {"timeout": 0}
    return message


def check_connect_reply(reply: Message, advice: Advice) -> None:
    """Raise unless a ``/meta/connect`` reply (and the advice now in force) says: carry on.

    Raises:
        SessionLost: the server forgot the session (``402``) or advised a handshake.
        BayeuxError: any other refusal, or ``reconnect: none``.
    """
    if reply.get("successful") is not True:
        if is_unknown_client(reply):
            raise SessionLost(BayeuxError(META_CONNECT, error_text(reply)))
        raise BayeuxError(META_CONNECT, error_text(reply))
    if advice.reconnect == "handshake":
        raise SessionLost(BayeuxError(META_CONNECT, None, "the server advised handshake"))
    if advice.reconnect == "none":
        raise BayeuxError(META_CONNECT, None, "the server advised reconnect: none")


def reply_to(message: Message, replies: list[Message]) -> Message:
    """The reply to ``message`` among an answer's replies (by ``id``, else by channel).

    Raises:
        BayeuxError: the answer holds no reply to it.
    """
    for reply in replies:
        if reply.get("id") == message["id"] or (
            "id" not in reply and reply.get("channel") == message["channel"]
        ):
            return reply
    raise BayeuxError(message["channel"], None, "the server sent no reply to this message")


def is_unknown_client(reply: Message) -> bool:
    """Whether a reply says the server no longer knows the clientId (``402::...``)."""
    error = reply.get("error")
    return isinstance(error, str) and error.startswith("402:")


def error_text(reply: Message) -> str | None:
    """A reply's ``error`` field, if it is text."""
    error = reply.get("error")
    return error if isinstance(error, str) else None


async def deliver_each(
    on_message: Callable[[Message], Awaitable[None]], messages: list[Message]
) -> None:
    """Await ``on_message`` for each message in turn; its failure is logged, not raised."""
    for message in messages:
        try:
            await on_message(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("on_message failed for a message on %r", message.get("channel"))


def split_batch(batch: list[Message]) -> tuple[list[Message], list[Message]]:
    """An answer's messages as ``(replies, data)``: the replies to our requests (meta
    channels, and a client publish's acknowledgement) apart from the data messages."""
    replies: list[Message] = []
    data: list[Message] = []
    for message in batch:
        channel = message.get("channel")
        if isinstance(channel, str) and channel.startswith("/meta/"):
            replies.append(message)
        elif "data" in message or "successful" not in message:
            data.append(message)
        else:
            replies.append(message)  # the reply to a client publish
    return replies, data
