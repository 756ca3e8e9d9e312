"""The ``gws-async`` command's usability pieces, in-process: colour in pretty output, when
to colour, the ``--topic`` check, one-line usage errors and the listen options.
``tests/integration/test_cli_usability.py`` runs the command itself."""

from __future__ import annotations

import inspect
import io
import os
import re

import pytest

from gws_async import GwsClient
from gws_async.cli import EXIT_USAGE
from gws_async.cli._common import use_colour
from gws_async.cli._format import describe_event, pretty
from gws_async.cli._listen import DEFAULT_TIMEOUT, KNOWN_TOPICS, is_known_topic
from gws_async.cli._parser import build_parser
from gws_async.events import (
    ConnectionLost,
    GwsEvent,
    ListenerConnected,
    ListenerStopped,
    Reconnected,
    UnknownEvent,
    decode_event,
)
from gws_async.topics import Topic

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ITEM_ADDED = decode_event(
    Topic.WORKBINS,
    {
        "messageType": "WorkbinStateChangeMessage",
        "id": "wb",
        "action": "ItemAdded",
        "chatStateResourceV2": {"id": "i1"},
    },
)


def _painted(text: str) -> list[tuple[str, str]]:
    """The coloured pieces of ``text``: (colour code, text)."""
    return re.findall(r"\x1b\[([0-9;]+)m(.*?)\x1b\[0m", text)


# -- colour in pretty output ----------------------------------------------------------------


def test_without_colour_pretty_is_the_plain_description() -> None:
    line = pretty(ITEM_ADDED)

    assert "\x1b" not in line
    assert line.split(" ", 1)[1] == describe_event(ITEM_ADDED)


@pytest.mark.parametrize(
    ("event", "colour"),
    [
        (ListenerConnected(client_id="c1"), "32"),
        (Reconnected(downtime=1.5, session_renewed=True, client_id="c2"), "32"),
        (ConnectionLost(cause="BayeuxError: gone"), "31"),
        (ListenerStopped(cause="refused"), "31"),
        (UnknownEvent(topic=Topic.ME, message_type="X", error="bad"), "33"),
    ],
)
def test_the_connection_and_undecoded_events_stand_out(event: GwsEvent, colour: str) -> None:
    line = pretty(event, colour=True)

    assert (colour, type(event).__name__) in _painted(line)
    # Without the colour codes, the same line as without colour.
    assert ANSI.sub("", line).split(" ", 1)[1] == describe_event(event)


def test_states_are_coloured_and_errors_are_red() -> None:
    line = pretty(ITEM_ADDED, colour=True)
    assert ("36", "ItemAdded") in _painted(line)
    assert "interaction=i1" in line  # other fields stay plain

    lost = pretty(ConnectionLost(cause="BayeuxError: gone"), colour=True)
    assert ("31", '"BayeuxError: gone"') in _painted(lost)


def test_an_ordinary_notification_name_is_not_coloured() -> None:
    line = pretty(ITEM_ADDED, colour=True)

    assert " WorkbinStateChangeMessage action=" in line


def test_a_payload_cannot_smuggle_escape_sequences_into_a_coloured_line() -> None:
    event = decode_event(
        Topic.WORKBINS,
        {
            "messageType": "WorkbinStateChangeMessage",
            "id": "wb",
            "action": "Item\x1b[2JAdded",
            "chatStateResourceV2": {"id": "i\x1b]0;x\x07"},
        },
    )
    line = pretty(event, colour=True)

    # Only the colour codes we put there, each closed.
    assert ANSI.sub("", line).count("\x1b") == 0
    assert all(code in ("0", "36") for code in re.findall(r"\x1b\[([0-9;]*)m", line))


# -- when to colour -------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")

    assert use_colour(_Terminal())
    assert not use_colour(io.StringIO())


def test_a_closed_stream_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    read_end, write_end = os.pipe()
    os.close(read_end)
    stream = os.fdopen(write_end, "w")
    stream.close()

    assert not use_colour(stream)


@pytest.mark.parametrize("value", ["1", "0", "false", "yes"])
def test_no_color_with_any_value_turns_colour_off(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("NO_COLOR", value)

    assert not use_colour(_Terminal())


def test_an_empty_no_color_is_unset_as_no_color_org_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("NO_COLOR", "")

    assert use_colour(_Terminal())


def test_a_dumb_terminal_gets_no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "dumb")

    assert not use_colour(_Terminal())


# -- topics ---------------------------------------------------------------------------------


def test_known_topics_are_those_of_the_topic_class() -> None:
    assert set(KNOWN_TOPICS) == {
        Topic.ME,
        Topic.CHANNELS,
        Topic.DEVICES,
        Topic.CALLS,
        Topic.INTERACTIONS,
        Topic.WORKBINS,
        Topic.USERS,
    }


@pytest.mark.parametrize(
    ("topic", "known"),
    [
        ("/v2/me/workbins", True),
        ("/v2/me/**", True),
        ("/v2/me/*", True),
        ("/v2/**", True),
        ("/v2/me/nothing", False),
        ("/v2/me/nothing/**", False),
        ("/v3/**", False),
        ("/v2/me/workbinsx", False),
    ],
)
def test_which_topics_are_known(topic: str, known: bool) -> None:
    assert is_known_topic(topic) is known


@pytest.mark.parametrize(
    ("topic", "hint"),
    [("workbins", "did you mean /v2/me/workbins?"), ("calls/", "did you mean /v2/me/calls?")],
)
def test_a_topic_without_a_slash_names_the_likely_one(
    topic: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["listen", "--topic", topic])

    assert exit_info.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert hint in err


def test_a_topic_without_a_slash_and_no_likely_one_lists_the_known(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["listen", "--topic", "everything"])

    err = capsys.readouterr().err
    for topic in KNOWN_TOPICS:
        assert topic in err


# -- one-line usage errors, options ------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["nope"],
        ["listen", "--count", "0"],
        ["simulator", "--agent", "bob:pw"],
        ["simulator", "--port", "70000"],
        ["simulator", "--port", "http"],
        ["demo", "--extra"],
    ],
)
def test_usage_errors_are_one_line_naming_the_help(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)

    assert exit_info.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("gws-async")
    assert "--help'" in err
    assert "pw" not in err


def test_listen_timeout_defaults_to_the_client_default() -> None:
    client_default = inspect.signature(GwsClient).parameters["timeout"].default
    assert build_parser().parse_args(["listen"]).timeout == DEFAULT_TIMEOUT == client_default
    assert build_parser().parse_args(["listen", "--timeout", "2.5"]).timeout == 2.5


def test_simulator_port_0_is_accepted() -> None:
    assert build_parser().parse_args(["simulator", "--port", "0"]).port == 0
