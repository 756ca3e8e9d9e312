"""Bayeux on the wire: the message and advice types, extensions, and one exchange (a batch
POSTed, its answer decoded and checked) over the caller's HTTP session."""

from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from . import _json
from ._exceptions import GwsApiError, InvalidResponseError, connection_error, error_from_response
from ._json import decode_body
from ._limits import DEFAULT_MAX_RESPONSE_SIZE, read_body

__all__ = ["Advice", "BayeuxWire", "Extension", "Message"]

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


@dataclass(frozen=True)
class Advice:
    """The server's ``advice``: how and when to reconnect."""

    reconnect: str = "retry"
    interval: float = 0.0
    """Seconds to wait before the next ``/meta/connect``."""
    timeout: float = 30.0
    """Seconds the server may hold a ``/meta/connect``."""
    max_interval: float = 10.0
    """Seconds the server waits for the next ``/meta/connect`` before it expires the
    session (CometD's default is 10 s)."""

    def updated(self, raw: Any) -> Advice:
        """A copy with the fields a server's ``advice`` object sets."""
        if not isinstance(raw, dict):
            return self
        reconnect = raw.get("reconnect", self.reconnect)
        return Advice(
            reconnect=reconnect if reconnect in ("retry", "handshake", "none") else self.reconnect,
            interval=_millis(raw.get("interval"), self.interval),
            timeout=_millis(raw.get("timeout"), self.timeout),
            max_interval=_millis(raw.get("maxInterval"), self.max_interval),
        )


def _millis(value: Any, default: float) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value) / 1000.0
    return default


class BayeuxWire:
    """POSTs batches of Bayeux messages to one endpoint through the extensions."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        headers: Mapping[str, str],
        extensions: Sequence[Extension],
        ssl: ssl_module.SSLContext | bool = True,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        self._session = session
        self.url = url
        try:
            self.path = URL(url).path or "/"
        except ValueError:
            self.path = "<invalid url>"
        self._headers = dict(headers)
        self._extensions = list(extensions)
        self._ssl = ssl
        self._max_response_size = max_response_size

    async def post(self, messages: list[Message], *, timeout: float) -> list[Message]:
        """POST one batch through the extensions; the answer's messages, or the error."""
        headers = {"Content-Type": "application/json;charset=UTF-8", **self._headers}
        for ext in self._extensions:
            await ext.outgoing(messages, headers)
        path = self.path
        try:
            async with self._session.post(
                self.url,
                data=_json.dumps(messages),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
                ssl=self._ssl,
            ) as resp:
                body = await read_body(resp, self._max_response_size, "POST", path)
                status = resp.status
                response_headers = resp.headers
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise connection_error("POST", path, exc, timeout) from exc
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
        batch: list[Message] = [m for m in decoded if isinstance(m, dict)]
        if len(batch) != len(decoded):
            log.warning("dropped %d Bayeux item(s) that are not objects", len(decoded) - len(batch))
        for ext in self._extensions:
            await ext.incoming(batch, response_headers)
        return batch


def is_unknown_client(reply: Message) -> bool:
    """Whether a reply says the server no longer knows the clientId (``402::...``)."""
    error = reply.get("error")
    return isinstance(error, str) and error.startswith("402:")


def error_text(reply: Message) -> str | None:
    """A reply's ``error`` field, if it is text."""
    error = reply.get("error")
    return error if isinstance(error, str) else None
