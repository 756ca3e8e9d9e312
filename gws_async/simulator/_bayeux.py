"""A Bayeux 1.0 long-polling server, the CometD side of the simulator.

It speaks only the ``long-polling`` transport, which is what GWS offers to HTTP clients.
Sessions belong to the agent that authenticated the handshake request; messages for an
agent go to every one of its sessions subscribed to a matching channel.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import logging
import secrets
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._jsonbody import parse_json

__all__ = ["BayeuxServer", "BayeuxSession", "channel_matches"]

logger = logging.getLogger("gws_async.simulator.bayeux")

# Bound on messages waiting for a client that stopped polling; the sweeper drops such
# sessions after max_interval anyway, this only caps a burst.
_MAX_QUEUE = 10_000


class _Wake(enum.Enum):
    """Why a held ``/meta/connect`` returned."""

    MESSAGE = "message"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    DISCONNECTED = "disconnected"
    CLOSED = "closed"


def channel_matches(pattern: str, channel: str) -> bool:
    """Bayeux channel globbing: ``/a/*`` matches one more segment, ``/a/**`` any number."""
    if pattern == channel:
        return True
    if pattern.endswith("/**"):
        prefix = pattern[:-2]
        return channel.startswith(prefix) and len(channel) > len(prefix)
    if pattern.endswith("/*"):
        prefix = pattern[:-1]
        rest = channel[len(prefix) :]
        return channel.startswith(prefix) and bool(rest) and "/" not in rest
    return False


@dataclass(eq=False)
class BayeuxSession:
    """One Bayeux client (one ``clientId``)."""

    client_id: str
    username: str
    last_seen: float
    subscriptions: set[str] = field(default_factory=set)
    queue: deque[Any] = field(default_factory=lambda: deque(maxlen=_MAX_QUEUE))
    connected: bool = False
    held: asyncio.Future[_Wake] | None = None
    disconnected: bool = False
    """Disconnected by the server: the next connect is told ``reconnect: none``."""

    def wake(self, reason: _Wake) -> None:
        """Make the held ``/meta/connect``, if any, return now."""
        if self.held is not None and not self.held.done():
            self.held.set_result(reason)

    def wants(self, channel: str) -> bool:
        """Whether a subscription of this session matches ``channel``."""
        return any(channel_matches(pattern, channel) for pattern in self.subscriptions)


class BayeuxServer:
    """Sessions, subscriptions and the long-poll protocol; transport-agnostic apart from
    :meth:`handle`, which answers one HTTP request for an already authenticated agent."""

    def __init__(self, *, long_poll_timeout: float, max_interval: float) -> None:
        self.long_poll_timeout = long_poll_timeout
        self.max_interval = max_interval
        self.sessions: dict[str, BayeuxSession] = {}
        # clientIds by user name, so that a delivery does not scan every session; a
        # session leaves it when it leaves ``sessions`` (memory stays bounded by the live
        # sessions however many come and go).
        self._client_ids: dict[str, dict[str, None]] = {}
        self._message_ids = itertools.count(1)
        self._closing = False

    # -- advice ---------------------------------------------------------------------------

    @property
    def _timeout_ms(self) -> int:
        return round(self.long_poll_timeout * 1000)

    def _retry_advice(self) -> dict[str, Any]:
        return {"reconnect": "retry", "interval": 0, "timeout": self._timeout_ms}

    # -- hooks used by the simulator -----------------------------------------------------

    def open(self) -> None:
        """Accept long-polls again (after :meth:`close`, for a restarted simulator)."""
        self._closing = False

    def close(self) -> None:
        """Answer every held connect now and stop holding new ones (server shutdown)."""
        self._closing = True
        for session in self.sessions.values():
            session.wake(_Wake.CLOSED)

    def deliver(self, username: str, channel: str, data: Any) -> int:
        """Queue ``data`` on ``channel`` for the agent's sessions subscribed to it."""
        count = 0
        for session in self._sessions_of(username):
            if session.wants(channel):
                message = {"channel": channel, "data": data, "id": str(next(self._message_ids))}
                self._enqueue(session, message)
                count += 1
        return count

    def deliver_raw(self, username: str, message: Any) -> int:
        """Queue one message object as-is for every session of the agent."""
        sessions = list(self._sessions_of(username))
        for session in sessions:
            self._enqueue(session, message)
        return len(sessions)

    def expire(self, username: str | None = None) -> int:
        """Forget sessions (all, or one agent's) as a server-side timeout would."""
        victims = [s for s in self.sessions.values() if username is None or s.username == username]
        for session in victims:
            self._drop(session, _Wake.EXPIRED)
        return len(victims)

    def disconnect(self, username: str | None = None) -> int:
        """Disconnect sessions server-side: their connect (held now, or the next one) is
        answered with advice ``reconnect: none``; returns how many."""
        victims = [s for s in self.sessions.values() if username is None or s.username == username]
        for session in victims:
            session.disconnected = True
            if session.held is not None:
                self._drop(session, _Wake.DISCONNECTED)
        return len(victims)

    def sweep(self, now: float) -> int:
        """Expire sessions that have not polled for longer than ``max_interval``."""
        stale = [
            s
            for s in self.sessions.values()
            if s.held is None and now - s.last_seen > self.max_interval
        ]
        for session in stale:
            logger.debug("expiring idle Bayeux session of %s", session.username)
            self._drop(session, _Wake.EXPIRED)
        return len(stale)

    async def sweep_forever(self) -> None:
        """Run :meth:`sweep` periodically until cancelled."""
        loop = asyncio.get_running_loop()
        period = max(0.05, min(1.0, self.max_interval / 4))
        while True:
            await asyncio.sleep(period)
            self.sweep(loop.time())

    def _sessions_of(self, username: str) -> Iterable[BayeuxSession]:
        client_ids = self._client_ids.get(username, {})
        sessions = (self.sessions.get(client_id) for client_id in client_ids)
        return [session for session in sessions if session is not None]

    @property
    def indexed_client_ids(self) -> int:
        """How many clientIds the per-agent index holds (equal to ``len(sessions)``)."""
        return sum(len(ids) for ids in self._client_ids.values())

    @staticmethod
    def _enqueue(session: BayeuxSession, message: Any) -> None:
        session.queue.append(message)
        session.wake(_Wake.MESSAGE)

    def _drop(self, session: BayeuxSession, reason: _Wake) -> None:
        """Forget ``session`` everywhere, then wake its held connect with ``reason``."""
        if self.sessions.pop(session.client_id, None) is not None:
            client_ids = self._client_ids.get(session.username)
            if client_ids is not None:
                client_ids.pop(session.client_id, None)
                if not client_ids:
                    del self._client_ids[session.username]
        session.wake(reason)

    # -- HTTP ----------------------------------------------------------------------------

    async def handle(self, request: web.Request, username: str) -> web.Response:
        """Answer one Bayeux POST: a JSON array of messages (or a single object)."""
        try:
            payload = parse_json(await request.read())
        except ValueError:
            return self._bad_request([])
        messages: list[Any] = [payload] if isinstance(payload, dict) else payload
        if (
            not isinstance(messages, list)
            or not messages
            or not all(isinstance(m, dict) and isinstance(m.get("channel"), str) for m in messages)
        ):
            return self._bad_request(messages if isinstance(messages, list) else [])

        deliveries: list[Any] = []
        replies: list[dict[str, Any]] = []
        for message in messages:
            reply, delivered = await self._process(message, username)
            deliveries.extend(delivered)
            replies.append(reply)
        # Data messages go first, as CometD does, so a client sees them before the
        # /meta/connect reply that tells it to poll again.
        return web.json_response(deliveries + replies)

    @staticmethod
    def _bad_request(messages: list[Any]) -> web.Response:
        replies: list[dict[str, Any]] = []
        for message in messages or [None]:
            reply: dict[str, Any] = {"successful": False, "error": "400::bad message"}
            if isinstance(message, dict):
                if isinstance(message.get("channel"), str):
                    reply["channel"] = message["channel"]
                if "id" in message:
                    reply["id"] = message["id"]
            replies.append(reply)
        return web.json_response(replies, status=400)

    async def _process(
        self, message: dict[str, Any], username: str
    ) -> tuple[dict[str, Any], list[Any]]:
        channel: str = message["channel"]
        if channel == "/meta/handshake":
            return self._handshake(message, username), []
        if channel == "/meta/connect":
            return await self._connect(message, username)
        if channel == "/meta/subscribe":
            return self._subscribe(message, username, subscribe=True), []
        if channel == "/meta/unsubscribe":
            return self._subscribe(message, username, subscribe=False), []
        if channel == "/meta/disconnect":
            return self._disconnect(message, username), []
        if channel.startswith("/meta/"):
            return _reply(
                message, successful=False, error=f"400:{channel}:unknown meta channel"
            ), []
        # GWS only pushes; it never accepts a client publish.
        return _reply(message, successful=False, error="403::Publish denied"), []

    def _session(self, message: dict[str, Any], username: str) -> BayeuxSession | None:
        client_id = message.get("clientId")
        session = self.sessions.get(client_id) if isinstance(client_id, str) else None
        # Another agent presenting someone's clientId is treated as an unknown client.
        if session is None or session.username != username:
            return None
        return session

    @staticmethod
    def _unknown_client(message: dict[str, Any]) -> dict[str, Any]:
        return _reply(
            message,
            successful=False,
            error="402::Unknown client",
            advice={"reconnect": "handshake", "interval": 0},
        )

    def _handshake(self, message: dict[str, Any], username: str) -> dict[str, Any]:
        client_id = secrets.token_hex(12)
        loop = asyncio.get_running_loop()
        self.sessions[client_id] = BayeuxSession(client_id, username, last_seen=loop.time())
        self._client_ids.setdefault(username, {})[client_id] = None
        logger.debug("Bayeux handshake of %s", username)
        return _reply(
            message,
            successful=True,
            version="1.0",
            clientId=client_id,
            supportedConnectionTypes=["long-polling"],
            advice={
                "reconnect": "retry",
                "interval": 0,
                "timeout": self._timeout_ms,
                "maxInterval": round(self.max_interval * 1000),
            },
        )

    async def _connect(
        self, message: dict[str, Any], username: str
    ) -> tuple[dict[str, Any], list[Any]]:
        session = self._session(message, username)
        if session is None:
            return self._unknown_client(message), []
        connection_type = message.get("connectionType", "long-polling")
        if connection_type != "long-polling":
            error = f"400:{connection_type}:unsupported connection type"
            return _reply(message, successful=False, error=error), []
        if session.disconnected:
            self._drop(session, _Wake.DISCONNECTED)
            advice = {"reconnect": "none", "interval": 0}
            return _reply(message, successful=True, advice=advice), []
        # A new connect supersedes a held one; the old one returns empty-handed and the
        # queued messages wait for this one.
        session.wake(_Wake.SUPERSEDED)
        loop = asyncio.get_running_loop()
        reason = _Wake.MESSAGE
        if session.connected and not session.queue and not self._closing:
            future: asyncio.Future[_Wake] = loop.create_future()
            session.held = future
            try:
                reason = await asyncio.wait_for(future, self.long_poll_timeout)
            except asyncio.TimeoutError:
                reason = _Wake.MESSAGE
            finally:
                if session.held is future:
                    session.held = None
        session.connected = True
        session.last_seen = loop.time()
        if reason is _Wake.SUPERSEDED:
            return _reply(message, successful=True, advice=self._retry_advice()), []
        if reason is _Wake.EXPIRED:
            return self._unknown_client(message), []
        if reason is _Wake.DISCONNECTED:
            advice = {"reconnect": "none", "interval": 0}
            return _reply(message, successful=True, advice=advice), []
        delivered = list(session.queue)
        session.queue.clear()
        return _reply(message, successful=True, advice=self._retry_advice()), delivered

    def _subscribe(
        self, message: dict[str, Any], username: str, *, subscribe: bool
    ) -> dict[str, Any]:
        session = self._session(message, username)
        if session is None:
            return self._unknown_client(message)
        subscription = message.get("subscription")
        channels = [subscription] if isinstance(subscription, str) else subscription
        extra = {"subscription": subscription}
        if (
            not isinstance(channels, list)
            or not channels
            or not all(isinstance(c, str) for c in channels)
        ):
            return _reply(message, successful=False, error="403::subscription_missing", **extra)
        for channel in channels:
            if not channel.startswith("/") or "//" in channel:
                error = f"400:{channel}:invalid channel"
                return _reply(message, successful=False, error=error, **extra)
            if channel.startswith("/meta/"):
                return _reply(message, successful=False, error=f"403:{channel}:denied", **extra)
        if subscribe:
            session.subscriptions.update(channels)
        else:
            session.subscriptions.difference_update(channels)
        return _reply(message, successful=True, **extra)

    def _disconnect(self, message: dict[str, Any], username: str) -> dict[str, Any]:
        session = self._session(message, username)
        if session is None:
            return self._unknown_client(message)
        self._drop(session, _Wake.DISCONNECTED)
        return _reply(message, successful=True)


def _reply(message: dict[str, Any], **fields: Any) -> dict[str, Any]:
    reply: dict[str, Any] = {"channel": message["channel"]}
    if "id" in message:
        reply["id"] = message["id"]
    reply.update(fields)
    return reply
