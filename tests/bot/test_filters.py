"""Bot filters: the magic filter F, composition, the helpers that read an event's
fields, and how a filter reads."""

from __future__ import annotations

from typing import Any

import pytest

from gws_async.bot import (
    F,
    Filter,
    action,
    call_state,
    interaction_state,
    media,
    workbin,
)
from tests.bot.events import call, interaction, item


def test_magic_filter_compares_attributes_keys_and_values() -> None:
    added = item("i1", Subject="urgent: refund")
    assert (F.action == "ItemAdded")(added)
    assert not (F.action == "ItemRemoved")(added)
    assert (F.action != "ItemRemoved")(added)
    assert (F.interaction.state == "Queued")(added)
    assert F.id.in_({"wb1", "wb2"})(added)
    assert not F.id.in_({"wb2"})(added)
    assert F.interaction.user_data["Subject"].contains("urgent")(added)
    assert F.interaction.user_data["Subject"].startswith("urgent")(added)
    assert F.is_item_added(added)  # a bare path: the truth value of what it reaches
    assert not F.is_item_removed(added)
    assert F.reference_id.is_(None)(added)
    assert not F.reference_id.is_not(None)(added)
    ringing = call("Ringing", "5551234", "5550000")
    assert (F.call.participants[1] == "5550000")(ringing)
    numbered = interaction("i1", referenceId=7)
    assert (F.reference_id > 5)(numbered)
    assert (F.reference_id >= 7)(numbered)
    assert (F.reference_id < 8)(numbered)
    assert not (F.reference_id <= 6)(numbered)


def test_a_missing_attribute_or_key_is_false_and_never_raises() -> None:
    chat = interaction("i1")  # an interaction event has no `action`, no `call`
    assert not (F.action == "ItemAdded")(chat)
    assert not (F.action != "ItemAdded")(chat)  # absent is not "different" either
    assert not F.call.participants[0].startswith("555")(chat)
    assert not F.interaction.user_data["Nope"].contains("x")(item("i2"))
    assert not (F.reference_id > 3)(chat)  # None > 3 is a TypeError: false
    assert not F.action(chat)
    assert not Filter(lambda e: e.no_such_field == 1)(chat)
    assert not Filter(lambda e: e.user_data["missing"])(chat)
    # Negation is plain logic on the result.
    assert (~(F.action == "ItemAdded"))(chat)


def test_filters_compose_with_and_or_not_and_plain_functions() -> None:
    added, removed = item("i1"), item("i2", action="ItemRemoved")

    def in_wb1(event: Any) -> bool:
        return bool(event.id == "wb1")

    both = (F.action == "ItemAdded") & (F.media == "chat")
    either = (F.action == "ItemAdded") | (F.action == "ItemRemoved")
    assert both(added)
    assert not both(removed)
    assert either(added)
    assert either(removed)
    assert (~both)(removed)
    assert (in_wb1 & F.is_item_added)(added)  # a function on the left
    assert not (F.is_item_added & in_wb1)(removed)  # ...or on the right
    assert (F.is_item_removed | in_wb1)(added)


def test_a_filter_has_no_truth_value() -> None:
    # `and` would silently keep only the second filter.
    with pytest.raises(TypeError, match="&"):
        _ = (F.action == "ItemAdded") and (F.media == "chat")


def test_helpers_read_the_field_wherever_each_event_keeps_it() -> None:
    added, chat = item("i1"), interaction("i1", media="chat")
    email = interaction("i2", "Accepted", media="email")
    assert action("ItemAdded", "ItemRemoved")(added)
    assert not action("ItemAdded")(chat)
    # The media is `media` on workbin events and `channel` on interaction events.
    assert media("chat")(added)
    assert media("chat")(chat)
    assert not media("chat")(email)
    assert media("email", "chat")(email)
    assert workbin("wb1")(added)
    assert not workbin("wb2")(added)
    # An interaction event's `id` is the interaction, not a workbin.
    assert not workbin("i1")(chat)
    assert interaction_state("Invited")(chat)
    assert interaction_state("Queued")(added)  # interaction.state of a workbin event
    assert not interaction_state("Invited")(email)
    assert call_state("Ringing")(call("Ringing", "5551234"))
    assert not call_state("Ringing")(call("Released"))
    assert not call_state("Ringing")(chat)


def test_filters_read_like_the_expression_that_made_them() -> None:
    assert repr(F.interaction.state == "Invited") == "F.interaction.state == 'Invited'"
    combined = (F.action == "ItemAdded") & ~media("chat") | F.interaction.user_data["VIP"]
    assert repr(combined) == (
        "((F.action == 'ItemAdded' & ~media('chat',)) | F.interaction.user_data['VIP'])"
    )
