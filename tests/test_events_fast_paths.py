"""What the decoder's shortcuts must keep: userData taken as a copy, topic and raw carried
by equality, copies and pickling, and bad input still an UnknownEvent."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict
from types import MappingProxyType
from typing import Any

import pytest
from pydantic import PrivateAttr, ValidationError

from gws_async.events import (
    WorkbinStateChangeMessage,
    WorkbinSubscriptionStateChangeMessage,
    decode_event,
)
from gws_async.models import Workitem

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
