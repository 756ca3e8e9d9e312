"""The console: a live page of the simulator's state and of what it publishes.

- ``GET /console`` (and its ``console.js`` / ``console.css``): the static page, shipped
  in ``console/`` beside this module; no build step, nothing fetched from elsewhere.
- ``GET /control/state``: agents (channels, device, calls, interactions), workbins and
  their items, as JSON.
- ``GET /control/feed``: server-sent events, one per notification the simulator
  publishes (``event: notification``), newest last; a reconnecting reader sends
  ``Last-Event-ID`` and gets what it missed from the backlog.

Every notification passes through :class:`FeedingBayeux`, the simulator's Bayeux server
with a tap on its two delivery paths. Limits: the backlog keeps the last
:data:`BACKLOG` notifications (200); each reader has a queue of :data:`READER_QUEUE`
(256): a reader that falls further behind loses the oldest ones, and is told how many
with an ``event: dropped`` message, so a slow browser never grows the server's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aiohttp import hdrs, web

from ._bayeux import BayeuxServer
from ._control import CONSOLE_PREFIX, CONTROL_PREFIX, setup_hooks
from ._state import SimInteraction, SimState

__all__ = ["BACKLOG", "READER_QUEUE", "Feed", "FeedingBayeux", "setup_console", "snapshot"]

#: Notifications kept for a console that connects (or reconnects) later.
BACKLOG = 200
#: Notifications queued for one feed reader before the oldest are dropped.
READER_QUEUE = 256
#: Seconds between keep-alive comments on an idle feed.
KEEPALIVE = 15.0

_STATIC = Path(__file__).resolve().parent / "console"
_FILES = {
    "index.html": "text/html",
    "console.js": "text/javascript",
    "console.css": "text/css",
}
# The page loads only its own files and talks only to its own origin.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


# -- the feed -------------------------------------------------------------------------------


@dataclass(eq=False)
class _Reader:
    """One feed reader: its queue and how many it lost to a full queue."""

    queue: deque[dict[str, Any]] = field(default_factory=deque)
    dropped: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Feed:
    """The notifications the simulator published, for the console's readers."""

    def __init__(self, *, backlog: int = BACKLOG, reader_queue: int = READER_QUEUE) -> None:
        self.backlog: deque[dict[str, Any]] = deque(maxlen=backlog)
        self._reader_queue = reader_queue
        self._readers: set[_Reader] = set()
        self._seq = itertools.count(1)
        self.closed = False

    def publish(
        self, username: str, channel: str | None, data: Any, sessions: int, *, raw: bool
    ) -> None:
        """Record one delivery (``sessions`` is how many Bayeux sessions got it)."""
        record = {
            "seq": next(self._seq),
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "username": username,
            "channel": channel,
            "sessions": sessions,
            "raw": raw,
            "data": data,
        }
        self.backlog.append(record)
        for reader in self._readers:
            if len(reader.queue) >= self._reader_queue:
                reader.queue.popleft()
                reader.dropped += 1
            reader.queue.append(record)
            reader.wake.set()

    @contextlib.contextmanager
    def reader(self) -> Iterator[_Reader]:
        """A reader registered for as long as the ``with`` block runs."""
        reader = _Reader()
        self._readers.add(reader)
        try:
            yield reader
        finally:
            self._readers.discard(reader)

    def open(self) -> None:
        """Accept readers again (a restarted simulator)."""
        self.closed = False

    def close(self) -> None:
        """End every reader's stream (the simulator stops)."""
        self.closed = True
        for reader in self._readers:
            reader.wake.set()


class FeedingBayeux(BayeuxServer):
    """The simulator's Bayeux server, also telling :attr:`feed` of every delivery."""

    def __init__(
        self, long_poll_timeout: float, max_interval: float, feed: Feed | None = None
    ) -> None:
        super().__init__(long_poll_timeout=long_poll_timeout, max_interval=max_interval)
        self.feed = Feed() if feed is None else feed

    def deliver(self, username: str, channel: str, data: Any) -> int:
        """Deliver as :class:`BayeuxServer` does, and record it in the feed."""
        count = super().deliver(username, channel, data)
        self.feed.publish(username, channel, data, count, raw=False)
        return count

    def deliver_raw(self, username: str, message: Any) -> int:
        """Deliver as :class:`BayeuxServer` does, and record it in the feed."""
        count = super().deliver_raw(username, message)
        channel = message.get("channel") if isinstance(message, dict) else None
        self.feed.publish(
            username, channel if isinstance(channel, str) else None, message, count, raw=True
        )
        return count


# -- the state ------------------------------------------------------------------------------


def _interaction(interaction: SimInteraction) -> dict[str, Any]:
    return {
        "id": interaction.id,
        "media": interaction.media,
        "state": interaction.state,
        "subject": interaction.email.get("Subject") or interaction.user_data.get("Subject"),
        "messages": len(interaction.transcript),
        "user_data": interaction.user_data,
    }


def _agent(state: SimState, bayeux: BayeuxServer, username: str) -> dict[str, Any]:
    agent = state.agents[username]
    presence = state.presence[username]
    return {
        "username": username,
        "name": f"{agent.first_name} {agent.last_name}",
        "place": presence.session_place or agent.place,
        "roles": agent.roles,
        "logged_in": presence.session_active,
        "bayeux_sessions": sum(1 for s in bayeux.sessions.values() if s.username == username),
        "channels": [
            {"name": name, "state": value, "dnd": presence.dnd.get(name, False)}
            for name, value in presence.user_states.items()
        ],
        "device": {
            "id": presence.device_id,
            "phone_number": presence.phone_number,
            "dnd": presence.dnd.get("voice", False),
            "forward_to": presence.forward_to,
        },
        "calls": [
            {"id": c.id, "state": c.state, "ani": c.ani, "participants": c.participants}
            for c in state.calls.values()
            if c.owner == username
        ],
        "interactions": [_interaction(i) for i in state.owned_by(username)],
    }


def snapshot(state: SimState, bayeux: BayeuxServer) -> dict[str, Any]:
    """The simulator's state as the console shows it."""
    workbins = []
    for workbin in state.workbins.values():
        items = [
            {**_interaction(i), "owner": i.workbin_owner}
            for i in state.interactions.values()
            if i.workbin_id == workbin.id
        ]
        kind = (
            "agent group"
            if workbin.agent_group
            else "place group"
            if workbin.place_group
            else "personal"
        )
        workbins.append({"id": workbin.id, "name": workbin.name, "kind": kind, "items": items})
    return {
        "agents": [_agent(state, bayeux, username) for username in state.agents],
        "workbins": workbins,
    }


# -- HTTP -----------------------------------------------------------------------------------


def _sse(event: str, data: Any, seq: int | None = None) -> bytes:
    lines = [f"event: {event}"]
    if seq is not None:
        lines.append(f"id: {seq}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), default=str))
    return ("\n".join(lines) + "\n\n").encode()


def _last_event_id(request: web.Request) -> int:
    try:
        return int(request.headers.get("Last-Event-ID", "0"))
    except ValueError:
        return 0


async def _stream(feed: Feed, request: web.Request) -> web.StreamResponse:
    """Write the backlog after ``Last-Event-ID``, then every new notification."""
    response = web.StreamResponse(
        headers={hdrs.CONTENT_TYPE: "text/event-stream", "Cache-Control": "no-store"}
    )
    await response.prepare(request)
    with feed.reader() as reader:
        # Registered before reading the backlog, so nothing falls between the two.
        sent = _last_event_id(request)
        try:
            for record in [r for r in feed.backlog if r["seq"] > sent]:
                await response.write(_sse("notification", record, record["seq"]))
                sent = record["seq"]
            while not feed.closed:
                if not reader.queue:
                    reader.wake.clear()
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(reader.wake.wait(), KEEPALIVE)
                    if not reader.queue and not feed.closed:
                        await response.write(b": keep-alive\n\n")
                if reader.dropped:
                    await response.write(_sse("dropped", {"dropped": reader.dropped}))
                    reader.dropped = 0
                while reader.queue:
                    record = reader.queue.popleft()
                    if record["seq"] > sent:
                        await response.write(_sse("notification", record, record["seq"]))
                        sent = record["seq"]
        except (ConnectionResetError, RuntimeError):
            pass  # the browser went away (RuntimeError: writing to a closed transport)
    return response


async def _static(request: web.Request) -> web.StreamResponse:
    name = request.match_info.get("file") or "index.html"
    if name not in _FILES:
        raise web.HTTPNotFound()
    body = (_STATIC / name).read_bytes()
    return web.Response(
        body=body, content_type=_FILES[name], charset="utf-8", headers=_SECURITY_HEADERS
    )


def setup_console(
    app: web.Application, simulator: Any, state: SimState, bayeux: FeedingBayeux
) -> None:
    """Add the control API's hooks (calling ``simulator``'s methods), the console page,
    ``/control/state`` and ``/control/feed``."""
    setup_hooks(app, simulator, state)
    feed = bayeux.feed

    async def get_state(request: web.Request) -> web.Response:
        return web.json_response(snapshot(state, bayeux))

    async def get_feed(request: web.Request) -> web.StreamResponse:
        return await _stream(feed, request)

    async def on_startup(app: web.Application) -> None:
        feed.open()

    async def on_shutdown(app: web.Application) -> None:
        feed.close()

    app.router.add_get(CONSOLE_PREFIX, _static)
    app.router.add_get(CONSOLE_PREFIX + "/", _static)
    app.router.add_get(CONSOLE_PREFIX + "/{file}", _static)
    app.router.add_get(f"{CONTROL_PREFIX}/state", get_state)
    app.router.add_get(f"{CONTROL_PREFIX}/feed", get_feed)
    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
