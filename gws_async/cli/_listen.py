"""``gws-async listen``: log in, print every event as it arrives, summarise on exit."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

from .. import GwsClient
from ..events import (
    EVENT_TYPES,
    LIFECYCLE_EVENT_TYPES,
    GwsEvent,
    ListenerEvent,
    Reconnected,
    UnknownEvent,
)
from ..topics import DEFAULT_TOPICS, Topic
from ._common import ENV_URL, ENV_USERNAME, EXIT_OK, EXIT_USAGE, error, use_colour
from ._format import event_to_json, pretty
from ._supervisor import Supervisor

__all__ = [
    "DEFAULT_TIMEOUT",
    "EVENT_TYPES_BY_NAME",
    "KNOWN_TOPICS",
    "ListenSettings",
    "Tally",
    "format_duration",
    "is_known_topic",
    "listen",
    "topic_argument",
]

DEFAULT_TIMEOUT = 30.0
"""Seconds allowed for each REST request of ``listen`` (``--timeout``), the login included."""

KNOWN_TOPICS: tuple[str, ...] = tuple(
    value for name, value in vars(Topic).items() if name.isupper() and isinstance(value, str)
)
"""The topics GWS is known to publish on (:class:`~gws_async.topics.Topic`)."""

_ALL_TYPES: tuple[type[GwsEvent], ...] = (*EVENT_TYPES, *LIFECYCLE_EVENT_TYPES, UnknownEvent)

EVENT_TYPES_BY_NAME: dict[str, type[GwsEvent]] = {cls.__name__: cls for cls in _ALL_TYPES}
"""What ``--type`` accepts: every event class, by name."""


def topic_argument(text: str) -> str:
    """``--topic``: a channel name, which starts with ``/``; anything else is a usage error
    that names the known topic it most likely meant (``workbins``: ``/v2/me/workbins``)."""
    if text.startswith("/"):
        return text
    word = text.strip().strip("/").lower()
    meant = [topic for topic in KNOWN_TOPICS if topic.rsplit("/", 1)[-1] == word]
    hint = f"did you mean {meant[0]}?" if meant else f"known: {', '.join(KNOWN_TOPICS)}"
    raise argparse.ArgumentTypeError(f"a topic starts with '/', got {text!r}; {hint}")


def is_known_topic(topic: str) -> bool:
    """Whether GWS is known to publish on ``topic``: one of :data:`KNOWN_TOPICS`, or a
    Bayeux wildcard (``/*``, ``/**``) that covers one of them."""
    if topic in KNOWN_TOPICS:
        return True
    stem, _, last = topic.rpartition("/")
    return last in ("*", "**") and any(known.startswith(stem + "/") for known in KNOWN_TOPICS)


@dataclass
class ListenSettings:
    """The options of ``listen`` once checked and completed from the environment."""

    url: str
    username: str
    password: str = field(repr=False)
    topics: tuple[str, ...]
    types: tuple[type[GwsEvent], ...]
    pretty: bool
    count: int | None
    duration: float | None
    api_root: str
    cometd_path: str | None
    insecure: bool
    timeout: float = DEFAULT_TIMEOUT
    colour: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace, out: TextIO) -> ListenSettings | int:
        """The settings, or an exit status after saying what is missing."""
        types: list[type[GwsEvent]] = []
        for name in args.types or ():
            if name not in EVENT_TYPES_BY_NAME:
                known = ", ".join(sorted(EVENT_TYPES_BY_NAME))
                error(f"unknown event type {name!r}; known: {known}")
                return EXIT_USAGE
            types.append(EVENT_TYPES_BY_NAME[name])
        url = args.url or os.environ.get(ENV_URL)
        if not url:
            error(f"give the GWS URL or set {ENV_URL}")
            return EXIT_USAGE
        username = args.username or os.environ.get(ENV_USERNAME)
        if not username:
            error(f"give --username or set {ENV_USERNAME}")
            return EXIT_USAGE
        password = os.environ.get(args.password_env)
        if password is None:
            if not sys.stdin.isatty():
                error(f"set {args.password_env} (no terminal to ask for the password)")
                return EXIT_USAGE
            password = getpass.getpass(f"GWS password for {username}: ")
        topics = tuple(dict.fromkeys(args.topic or DEFAULT_TOPICS))
        for topic in topics:
            if not is_known_topic(topic):
                # Warned, not refused: a later GWS may publish on topics this one does not know.
                error(
                    f"warning: GWS is not known to publish on {topic} (known: "
                    f"{', '.join(KNOWN_TOPICS)}); subscribing anyway"
                )
        is_pretty = args.format == "pretty" or (args.format == "auto" and _is_terminal(out))
        return cls(
            url=url,
            username=username,
            password=password,
            topics=topics,
            types=tuple(types),
            pretty=is_pretty,
            count=args.count,
            duration=args.duration,
            api_root=args.api_root,
            cometd_path=args.cometd_path,
            insecure=args.insecure,
            timeout=args.timeout,
            colour=is_pretty and use_colour(out),
        )


def _whom(gws: GwsClient) -> str:
    """``agent1 (Ava Smith)``: the user name and, when GWS gave one, the person's name."""
    me = gws.user
    if me is None:
        return gws.username
    name = " ".join(part for part in (me.first_name, me.last_name) if part)
    return f"{me.user_name or gws.username}" + (f" ({name})" if name else "")


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Tally:
    """What ``listen`` saw, for the summary line."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.by_type: Counter[str] = Counter()
        self.printed = 0

    def line(self, dropped: int = 0) -> str:
        """The summary: events by type, printed, reconnects, unknown, dropped."""
        total = sum(self.by_type.values())
        kinds = sorted(self.by_type.items(), key=lambda item: (-item[1], item[0]))
        detail = f" ({', '.join(f'{name} {n}' for name, n in kinds)})" if kinds else ""
        elapsed = format_duration(time.monotonic() - self.started)
        return (
            f"summary: {total} event{'s' if total != 1 else ''} in {elapsed}{detail}; "
            f"{self.printed} printed, {self.by_type[Reconnected.__name__]} reconnects, "
            f"{self.by_type[UnknownEvent.__name__]} unknown"
            + (f", {dropped} dropped (output too slow)" if dropped else "")
        )


def format_duration(seconds: float) -> str:
    """``12.3 s``, ``1 min 01 s`` or ``1 h 02 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


async def listen(settings: ListenSettings, out: TextIO, supervisor: Supervisor) -> int:
    """Log in and print events to ``out`` until ``--count``, ``--duration`` or a stop."""
    try:
        gws = GwsClient(
            settings.url,
            settings.username,
            settings.password,
            api_root=settings.api_root,
            cometd_path=settings.cometd_path,
            ssl=not settings.insecure,
            timeout=settings.timeout,
        )
    except ValueError as exc:
        error(str(exc))
        return EXIT_USAGE

    def render(event: GwsEvent) -> str:
        return pretty(event, colour=settings.colour) if settings.pretty else event_to_json(event)

    error(f"connecting to {settings.url} as {settings.username}...")
    async with (
        gws,
        # One stream, so the lifecycle events come in their place among the notifications.
        gws.events(topics=[*settings.topics, ListenerEvent.TOPIC]) as stream,
    ):
        error(f"logged in as {_whom(gws)}")
        error(f"listening on {', '.join(settings.topics)}")
        tally = Tally()
        timer = None
        if settings.duration is not None:
            timer = supervisor.stop_later(settings.duration, EXIT_OK)
        try:
            async for event in stream:
                tally.by_type[type(event).__name__] += 1
                if settings.types and not isinstance(event, settings.types):
                    continue
                out.write(render(event) + "\n")
                out.flush()
                tally.printed += 1
                if settings.count is not None and tally.printed >= settings.count:
                    break
        finally:
            if timer is not None:
                timer.cancel()
            error(tally.line(dropped=stream.dropped))
    return EXIT_OK
