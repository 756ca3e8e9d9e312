"""Bot events built the way the listener decodes them, for the bot and filter tests."""

from __future__ import annotations

from typing import Any

from gws_async import decode_event

WB = "/v2/me/workbins"
IX = "/v2/me/interactions"
CALLS = "/v2/me/calls"


def item(iid: str, *, action: str = "ItemAdded", workbin_id: str = "wb1", **user: Any) -> Any:
    return decode_event(
        WB,
        {
            "messageType": "WorkbinStateChangeMessage",
            "action": action,
            "id": workbin_id,
            "chatStateResourceV2": {"id": iid, "state": "Queued", "userData": user},
        },
    )


def interaction(iid: str, state: str = "Invited", media: str = "chat", **extra: Any) -> Any:
    data = {"messageType": "InteractionStateMessage", "id": iid, "state": state, "channel": media}
    return decode_event(IX, {**data, **extra})


def call(state: str, *participants: str) -> Any:
    data = {
        "messageType": "CallStateChangeMessage",
        "notificationType": "StatusChange",
        "call": {"id": "c1", "state": state, "participants": list(participants)},
    }
    return decode_event(CALLS, data)
