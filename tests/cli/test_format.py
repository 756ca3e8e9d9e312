"""The ``gws-async`` command's pieces, in-process: the output formats and the options.
``tests/integration/test_cli.py`` runs the command itself."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from gws_async.cli import (
    ENV_PASSWORD,
    ENV_URL,
    ENV_USERNAME,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    describe_event,
    event_to_json,
)
from gws_async.cli._listen import EVENT_TYPES_BY_NAME, Tally, format_duration
from gws_async.cli._parser import build_parser
from gws_async.events import (
    EVENT_TYPES,
    ConnectionLost,
    GwsEvent,
    ListenerConnected,
    Reconnected,
    UnknownEvent,
    decode_event,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spec"
DATA_FILES = sorted(
    path.stem for path in FIXTURES.glob("*.json") if not path.stem.endswith("_response")
)


def fixture(name: str) -> GwsEvent:
    message = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return decode_event(message["channel"], message["data"])


def notification(topic: str, data: dict[str, Any]) -> GwsEvent:
    return decode_event(topic, data)


# -- pretty -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATA_FILES)
def test_every_spec_sample_has_a_one_line_description(name: str) -> None:
    event = fixture(name)
    text = describe_event(event)

    assert text.startswith(type(event).__name__)
    assert "\n" not in text
    assert "None" not in text
    # Key fields only: attached data and message texts stay out of the line.
    assert "userData" not in text
    assert "RStrategyName" not in text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "workbin_item_added_agent_group",
            "WorkbinStateChangeMessage action=ItemAdded media=chat interaction=0001BaBFVPR20035 "
            "workbin=6c715fa9-de16-4d23-b07c-cbcb1caf3e07 agent_group=MyAgentGroup",
        ),
        ("workbin_subscription_subscribed", "WorkbinSubscriptionStateChangeMessage state="),
        (
            "workbin_notification_resource",
            "WorkbinNotificationResource operation=Create content_operation=PlacedIn "
            "media=email interaction=0000Ba8Y08X9001E workbin=TestWorkbin",
        ),
        (
            "interaction_chat_invited",
            "InteractionStateMessage state=Invited media=chat interaction=0000Ja8V814907KS "
            "type=Inbound",
        ),
        ("interaction_chat_message", "chat=NEW_MESSAGE"),
        (
            "call_state_change",
            "CallStateChangeMessage notification=StatusChange state=Dialing "
            "call=010a0229f0cbd001 participants=2",
        ),
        (
            "device_state_change",
            "DeviceStateChangeMessage device=5aceae61-0b5c-4578-9477-cd352d43cb17 "
            "state=Active user_state=Ready",
        ),
        ("channels_ready", "ChannelStateChange channel=chat state=Ready"),
        (
            "password_change_error",
            'PasswordChangeError error_code=1 error="Password does not meet security guidelines"',
        ),
        ("user_password_change_error", "UserPasswordChangeError user=5804abe2"),
        ("workitem_pulled", "WorkitemStateChangeMessage"),
    ],
)
def test_description_names_the_key_fields(name: str, expected: str) -> None:
    assert expected in describe_event(fixture(name))


def test_workbin_item_description() -> None:
    event = notification(
        "/v2/me/workbins",
        {
            "messageType": "WorkbinStateChangeMessage",
            "id": "wb",
            "action": "ItemAdded",
            "referenceId": 7,
            "chatStateResourceV2": {"id": "i1", "userData": {"secret": "s3"}},
        },
    )

    assert describe_event(event) == (
        "WorkbinStateChangeMessage action=ItemAdded media=chat interaction=i1 workbin=wb ref=7"
    )


def test_lifecycle_descriptions() -> None:
    assert describe_event(ListenerConnected.create(client_id="c1")) == (
        "ListenerConnected client=c1"
    )
    assert describe_event(ConnectionLost.create(cause="GwsConnectionError: refused")) == (
        'ConnectionLost cause="GwsConnectionError: refused"'
    )
    assert describe_event(
        Reconnected.create(client_id="c2", downtime=3.25, session_renewed=True)
    ) == ("Reconnected downtime=3.250s session=renewed client=c2")
    assert "session=kept" in describe_event(
        Reconnected.create(client_id="c1", downtime=0.5, session_renewed=False)
    )


def test_unknown_event_description_carries_the_error() -> None:
    invalid = notification("/v2/me/workbins", {"messageType": "WorkbinStateChangeMessage"})
    unrecognised = notification("/v2/me/calls", {"messageType": "SomethingNew"})

    assert isinstance(invalid, UnknownEvent)
    text = describe_event(invalid)
    assert text.startswith("UnknownEvent topic=/v2/me/workbins ")
    assert "message_type=WorkbinStateChangeMessage" in text
    assert 'error="invalid WorkbinStateChangeMessage' in text
    assert describe_event(unrecognised) == (
        "UnknownEvent topic=/v2/me/calls message_type=SomethingNew"
    )


def test_values_with_spaces_or_quotes_are_quoted() -> None:
    event = ConnectionLost.create(cause='a "b" c=d')

    assert describe_event(event) == r'ConnectionLost cause="a \"b\" c=d"'


def test_control_characters_from_a_payload_never_reach_the_terminal() -> None:
    event = notification(
        "/v2/me/workbins",
        {
            "messageType": "WorkbinStateChangeMessage",
            "id": "wb\x1b[2J",
            "action": "ItemAdded",
            "chatStateResourceV2": {"id": "i1\u202e\x9b31m\nX"},
        },
    )

    text = describe_event(event)

    assert text.isprintable()
    assert 'workbin="wb\\u001b[2J"' in text
    assert 'interaction="i1\\u202e\\u009b31m\\nX"' in text


def test_non_ascii_values_stay_readable() -> None:
    assert describe_event(ConnectionLost.create(cause="déjà")) == "ConnectionLost cause=déjà"


# -- json ---------------------------------------------------------------------------------


def test_json_line_of_a_notification_keeps_the_payload() -> None:
    data = {"messageType": "WorkbinSubscriptionStateChangeMessage", "id": "wb"}
    line = event_to_json(notification("/v2/me/workbins", data))

    assert json.loads(line) == {
        "topic": "/v2/me/workbins",
        "type": "WorkbinSubscriptionStateChangeMessage",
        "data": data,
    }


def test_json_line_of_an_unknown_event_carries_the_error() -> None:
    data = {"messageType": "WorkbinStateChangeMessage"}
    record = json.loads(event_to_json(notification("/v2/me/workbins", data)))

    assert record["type"] == "UnknownEvent"
    assert record["error"].startswith("invalid WorkbinStateChangeMessage")
    assert record["data"] == data


def test_json_line_of_a_lifecycle_event_carries_its_fields() -> None:
    lost = json.loads(event_to_json(ConnectionLost.create(cause="refused")))
    back = json.loads(
        event_to_json(
            Reconnected.create(
                client_id="c2", downtime=1.5, session_renewed=True, events_missed=True
            )
        )
    )

    assert lost == {
        "topic": "/meta/connect",
        "type": "ConnectionLost",
        "data": {"cause": "refused"},
    }
    assert back["data"] == {
        "clientId": "c2",
        "downtime": 1.5,
        "sessionRenewed": True,
        "eventsMissed": True,
    }


# -- summary ------------------------------------------------------------------------------


def test_summary_line_counts_by_type_reconnects_and_unknown_events() -> None:
    tally = Tally()
    tally.by_type.update(
        {"WorkbinStateChangeMessage": 3, "UnknownEvent": 1, "Reconnected": 2, "ConnectionLost": 2}
    )
    tally.printed = 3

    line = tally.line()

    assert line.startswith("summary: 8 events in ")
    assert "(WorkbinStateChangeMessage 3, ConnectionLost 2, Reconnected 2, UnknownEvent 1)" in line
    assert line.endswith("; 3 printed, 2 reconnects, 1 unknown")


def test_summary_line_names_events_lost_to_a_slow_output() -> None:
    assert (
        Tally()
        .line(dropped=3)
        .endswith("; 0 printed, 0 reconnects, 0 unknown, 3 dropped (output too slow)")
    )
    assert "dropped" not in Tally().line(dropped=0)


def test_summary_line_with_no_events() -> None:
    assert Tally().line().startswith("summary: 0 events in 0.")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.04, "0.0 s"), (12.34, "12.3 s"), (61, "1 min 01 s"), (3725, "1 h 02 min")],
)
def test_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


# -- options ------------------------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def test_every_option_has_help() -> None:
    parser = build_parser()
    for command in [parser, *_subparsers(parser).values()]:
        for action in command._actions:
            assert action.help, f"{command.prog}: {action.dest} has no help"


def test_epilog_lists_the_environment_and_every_exit_status() -> None:
    epilog = build_parser().epilog or ""

    for variable in (ENV_URL, ENV_USERNAME, ENV_PASSWORD):
        assert variable in epilog
    for code in (EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED):
        assert f"\n  {code} " in epilog


def test_listen_defaults() -> None:
    args = build_parser().parse_args(["listen"])

    assert args.format == "auto"
    assert args.url is None
    assert args.password_env == ENV_PASSWORD
    assert args.count is None
    assert args.duration is None


@pytest.mark.parametrize(
    "argv",
    [
        ["listen", "--format", "xml"],
        ["listen", "--count", "0"],
        ["listen", "--count", "x"],
        ["listen", "--duration", "-1"],
        ["listen", "--duration", "nan"],
        ["listen", "--password", "secret"],
        ["listen", "--password=secret"],
        ["listen", "-psecret"],
        ["listen", "--passw", "secret"],
    ],
)
def test_bad_options_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)

    assert exit_info.value.code == EXIT_USAGE
    assert "secret" not in capsys.readouterr().err


def test_every_event_class_can_be_named_in_type() -> None:
    for cls in (*EVENT_TYPES, ListenerConnected, ConnectionLost, Reconnected, UnknownEvent):
        assert EVENT_TYPES_BY_NAME[cls.__name__] is cls
