"""What the decoder's shortcuts must keep: userData taken as a copy, topic and raw carried
by equality, copies and pickling, the fast validators building exactly what the classes'
own validators build, and bad input still an UnknownEvent."""

from __future__ import annotations

import copy
import json
import pickle
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from pydantic import BaseModel, PrivateAttr, ValidationError

from gws_async import models
from gws_async.events import (
    EVENT_TYPES,
    CallStateChangeMessage,
    DeviceStateChangeMessage,
    GwsEvent,
    InteractionStateMessage,
    UnknownEvent,
    WorkbinStateChangeMessage,
    WorkbinSubscriptionStateChangeMessage,
    _fast,
    decode_event,
)
from gws_async.models import Call, Workitem

TOPIC = "/v2/me/workbins"


def _item_added(user_data: Any) -> dict[str, Any]:
    return {
        "messageType": "WorkbinStateChangeMessage",
        "action": "ItemAdded",
        "id": "wb1",
        "chatStateResourceV2": {"id": "i1", "userData": user_data},
    }


def test_user_data_is_a_copy_of_the_received_object() -> None:
    data = _item_added({"Subject": "Hello", "n": 1, "nested": {"a": [1, 2]}, "none": None})
    event = decode_event(TOPIC, data)
    assert isinstance(event, WorkbinStateChangeMessage)
    user_data = event.interaction.user_data
    received = data["chatStateResourceV2"]["userData"]
    assert user_data == received
    assert user_data is not received
    assert type(user_data) is dict
    assert event.raw is data


def test_user_data_null_reads_as_empty() -> None:
    event = decode_event(TOPIC, _item_added(None))
    assert isinstance(event, WorkbinStateChangeMessage)
    assert event.interaction.user_data == {}


@pytest.mark.parametrize("bad", [[1, 2], "text", 3, True])
def test_user_data_of_the_wrong_type_is_left_out(bad: Any) -> None:
    data = _item_added(bad)
    event = decode_event(TOPIC, data)
    assert isinstance(event, WorkbinStateChangeMessage)
    assert event.interaction.user_data == {}
    assert list(event.dropped_fields) == ["chatStateResourceV2.userData"]
    assert event.raw["chatStateResourceV2"]["userData"] is bad


@pytest.mark.parametrize(
    "mapping",
    [OrderedDict(a=1), MappingProxyType({"a": 1})],
    ids=["dict-subclass", "mapping"],
)
def test_user_data_from_other_mappings_is_still_a_plain_dict(mapping: Any) -> None:
    item = Workitem.model_validate({"id": "w", "userData": mapping})
    assert item.user_data == {"a": 1}
    assert type(item.user_data) is dict


def test_user_data_with_a_key_that_is_not_text_still_fails_from_a_mapping() -> None:
    with pytest.raises(ValidationError):
        Workitem.model_validate({"id": "w", "userData": MappingProxyType({1: "x"})})


def test_topic_and_raw_survive_copies_and_pickling() -> None:
    data = {"messageType": "WorkbinSubscriptionStateChangeMessage", "id": "s1"}
    event = decode_event(TOPIC, data)
    for clone in (copy.copy(event), copy.deepcopy(event), event.model_copy()):
        assert clone.topic == TOPIC
        assert clone.raw == data
        assert clone == event
    restored = pickle.loads(pickle.dumps(event))
    assert restored.topic == TOPIC
    assert restored.raw == data
    assert restored == event


def test_events_from_other_topics_are_not_equal() -> None:
    data = {"messageType": "WorkbinSubscriptionStateChangeMessage", "id": "s1"}
    assert decode_event(TOPIC, data) != decode_event("/v2/me/other", data)
    assert decode_event(TOPIC, data) == decode_event(TOPIC, dict(data))


def test_an_event_built_directly_has_no_topic_and_no_raw() -> None:
    event = WorkbinSubscriptionStateChangeMessage(id="s1")
    assert event.topic == ""
    assert event.raw is None
    assert "topic=''" in repr(event)


def test_a_subclass_keeps_its_own_private_attributes() -> None:
    class Tagged(WorkbinSubscriptionStateChangeMessage):
        _tag: str = PrivateAttr(default="mine")

    event = Tagged.model_validate({"id": "s1"})
    event._bind(TOPIC, {"id": "s1"})
    assert event._tag == "mine"
    assert event.topic == TOPIC
    assert event.raw == {"id": "s1"}


# --- fast validators ----------------------------------------------------------------------

SPEC = Path(__file__).resolve().parent / "fixtures" / "spec"


def _spec_messages() -> Iterator[Any]:
    for path in sorted(SPEC.glob("*.json")):
        message = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(message, dict) and "channel" in message and "data" in message:
            yield pytest.param(message, id=path.stem)


@pytest.mark.parametrize("message", list(_spec_messages()))
def test_the_fast_validator_builds_what_the_class_validator_builds(
    message: dict[str, Any],
) -> None:
    data = message["data"]
    event = decode_event(message["channel"], data)
    cls = type(event)
    assert cls is not UnknownEvent, getattr(event, "error", None)

    fast = _fast.fast_validator(cls)(data)
    own = cls.__pydantic_validator__.validate_python(data)

    # Equality compares the classes, fields and extras of every nested model.
    assert fast == own
    assert fast.model_dump() == own.model_dump()
    assert event.model_dump() == own.model_dump()
    assert event.raw is data


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (CallStateChangeMessage, {"call": {"id": "c1", "capabilities": None}}),
        (CallStateChangeMessage, {"call": {"id": "c1", "userData": None}}),
        (InteractionStateMessage, {"id": "i1", "chat_notifications": None}),
        (DeviceStateChangeMessage, {"devices": None}),
        (DeviceStateChangeMessage, {"devices": [{"id": "d1", "capabilities": None}]}),
    ],
)
def test_null_as_empty_is_left_to_the_class_validator(
    cls: type[GwsEvent], data: dict[str, Any]
) -> None:
    # The fast validator rejects it, nested models included (not their own validators)...
    with pytest.raises(ValidationError):
        _fast.fast_validator(cls)(data)
    # ... and the event is still decoded with the null read as empty, nothing left out.
    message = {"messageType": cls.__name__, **data}
    event = decode_event(cls.TOPIC, message)
    assert type(event) is cls
    assert event.dropped_fields == {}
    assert event.model_dump() == cls.__pydantic_validator__.validate_python(message).model_dump()


def test_a_class_with_nothing_to_leave_out_keeps_its_own_validator() -> None:
    cls = WorkbinSubscriptionStateChangeMessage
    assert _fast.fast_validator(cls) == cls.__pydantic_validator__.validate_python


def test_building_fast_validators_leaves_the_models_as_they_were() -> None:
    for cls in EVENT_TYPES:
        _fast.fast_validator(cls)
    every = [m for m in vars(models).values() if isinstance(m, type) and issubclass(m, BaseModel)]
    for cls in (*EVENT_TYPES, *every):
        assert cls.__dict__.get("__pydantic_complete__") is True, cls
    # The models' own validators still read null as empty.
    assert Call.model_validate({"id": "c1", "participants": None}).participants == []


def test_a_schema_that_cannot_be_rebuilt_keeps_the_class_validator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_args: Any) -> Any:
        raise TypeError("a pydantic-core that builds schemas differently")

    monkeypatch.setattr(_fast, "SchemaValidator", refuse)
    cls = CallStateChangeMessage
    assert _fast.fast_validator(cls) == cls.__pydantic_validator__.validate_python
    assert Call.__pydantic_complete__ is True


def test_a_schema_written_differently_keeps_the_class_validator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreadable(schema: Any, _models: Any) -> Any:
        return schema["function"]["function"]  # as if a function schema had changed shape

    monkeypatch.setattr(_fast, "_strip", unreadable)
    cls = InteractionStateMessage
    assert _fast.fast_validator(cls) == cls.__pydantic_validator__.validate_python


# --- the workbin state resource ---------------------------------------------------------------


def test_a_state_resource_beside_a_field_of_a_newer_gws() -> None:
    data = {
        "messageType": "WorkbinStateChangeMessage",
        "id": "wb",
        "brandNewField": 1,
        "emailStateResourceV2": {"id": "e1"},
    }
    event = decode_event(TOPIC, data)
    assert isinstance(event, WorkbinStateChangeMessage)
    assert event.media == "email"
    assert event.model_extra == {"brandNewField": 1}


@pytest.mark.parametrize(
    ("resources", "found"),
    [
        ({"brandNewField": {"id": "x"}}, "none"),
        ({"chatStateResourceV2": None, "brandNewField": 1}, "none"),
        (
            {"emailStateResourceV2": {"id": "e"}, "chatStateResourceV2": {"id": "c"}},
            "emailStateResourceV2, chatStateResourceV2",
        ),
    ],
)
def test_the_state_resources_found_are_named_in_the_message_order(
    resources: dict[str, Any], found: str
) -> None:
    data = {"messageType": "WorkbinStateChangeMessage", "id": "wb", **resources}
    event = decode_event(TOPIC, data)
    assert isinstance(event, UnknownEvent)
    assert event.error is not None
    assert event.error.endswith(f"key, found {found}")
