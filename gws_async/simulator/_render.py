"""Wire representations that more than one section shows: users, skill ids and interactions,
shaped after the spec's samples."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ._state import SimAgent, SimInteraction, SimWorkbin

__all__ = [
    "interaction_properties",
    "interaction_resource",
    "media_kind",
    "queues",
    "skill_id",
    "state_resource_v2",
    "timestamp",
    "user_resource",
    "user_uri",
    "workbin_content_item",
    "workitem_resource",
]

# The spec names each media family in operation names (AddTweet) and in the
# <kind>StateResourceV2 keys; an interaction's media names it on the wire (twitter).
_KIND_OF_MEDIA = {
    "chat": "chat",
    "email": "email",
    "workitem": "workitem",
    "twitter": "tweet",
    "tweet": "tweet",
    "facebook": "facebook",
    "facebooksession": "facebooksession",
}

_BASE_CAPABILITIES = ["Transfer", "PlaceInQueue", "StopProcessing", "PlaceInWorkbin"]
_CAPABILITIES = {
    "chat": [*_BASE_CAPABILITIES, "UpdateProperties", "Reply"],
    "email": [*_BASE_CAPABILITIES, "UpdateProperties", "Reply", "ReplyAll"],
}
_WORKITEM_CAPABILITIES = [
    "Transfer",
    "AttachUserData",
    "UpdateUserData",
    "DeleteUserData",
    "SetInFocus",
    "Complete",
]


# Interaction Server's in/out queues of the spec's samples, by media family: where the
# interaction may go next. Chat has no out queue in any sample.
_QUEUES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "email": ({"__STOP__": ""}, {"SimpleEmailOutQueue": ""}),
    "chat": ({"SimpleChatTranscriptQueue": ""}, {}),
}
_DEFAULT_QUEUES: tuple[dict[str, str], dict[str, str]] = ({"__STOP__": ""}, {})


def skill_id(name: str) -> str:
    """The id of a default skill, the same in ``/skills``, ``/users/{id}/skills`` and
    ``/me/skills``."""
    return uuid.uuid5(uuid.NAMESPACE_OID, f"skill/{name}").hex


def user_uri(api: str, agent: SimAgent) -> str:
    """The ``uri`` of the agent's user resource under the API root ``api``."""
    return f"{api}/users/{quote(agent.user_id, safe='')}"


def user_resource(
    api: str, agent: SimAgent, *, first_login: bool = False, do_not_disturb: str | None = None
) -> dict[str, Any]:
    """The agent as a user: ``GET /me`` and the Users API show the same fields, except
    that only the Users API has ``doNotDisturb``."""
    user: dict[str, Any] = {
        "id": agent.user_id,
        "userName": agent.username,
        "firstName": agent.first_name,
        "lastName": agent.last_name,
        "employeeId": agent.employee_id,
        "roles": list(agent.roles),
        "enabled": True,
    }
    if do_not_disturb is not None:
        user["doNotDisturb"] = do_not_disturb
    user["changePasswordOnFirstLogin"] = first_login
    user["uri"] = user_uri(api, agent)
    user["path"] = f"/users/{quote(agent.user_id, safe='')}"
    return user


def media_kind(media: str) -> str:
    """The media family of ``media``: chat, email, workitem, tweet, facebook,
    facebooksession, or openmedia for anything else (Genesys' catch-all)."""
    return _KIND_OF_MEDIA.get(media.lower(), "openmedia")


def timestamp(moment: datetime | None) -> str | None:
    """Interaction Server property time: ``2013-07-20T00:41:33Z``."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _received_date(moment: datetime) -> str:
    # The group workbin samples print "2016-04-08 15:05:57.000+0300".
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def capabilities(interaction: SimInteraction) -> list[str]:
    """What the owning agent may do next, by state and media."""
    if interaction.state == "Invited":
        return ["Accept", "Reject"]
    if interaction.owner is None:
        return []
    if media_kind(interaction.media) == "workitem":
        return list(_WORKITEM_CAPABILITIES)
    return list(_CAPABILITIES.get(interaction.media, [*_BASE_CAPABILITIES, "UpdateProperties"]))


def queues(media: str) -> tuple[dict[str, str], dict[str, str]]:
    """``(inQueues, outQueues)`` of an interaction of ``media``."""
    in_queues, out_queues = _QUEUES.get(media_kind(media), _DEFAULT_QUEUES)
    return dict(in_queues), dict(out_queues)


def interaction_resource(interaction: SimInteraction) -> dict[str, Any]:
    """The interaction as ``/v2/me/interactions`` and ``GET /me/interactions`` show it
    (an InteractionStateMessage without ``messageType``).

    Once an inbound e-mail or chat is the agent's (accepted, pulled...) it shows its
    ``inQueues`` and ``outQueues`` (those not empty, as the samples do); an e-mail out
    of its invitation shows ``receivedAt``.
    """
    resource: dict[str, Any] = {
        "id": interaction.id,
        "channel": interaction.media,
        "state": interaction.state,
        "interactionType": interaction.interaction_type,
        "interactionSubType": interaction.interaction_subtype,
        "capabilities": capabilities(interaction),
        "userData": dict(interaction.user_data),
        "currentQueue": interaction.queue,
    }
    if interaction.parent_id is not None:
        resource["parentId"] = interaction.parent_id
    taken = interaction.state != "Invited" and interaction.owner is not None
    if taken and interaction.media in _QUEUES and interaction.interaction_type == "Inbound":
        in_queues, out_queues = queues(interaction.media)
        resource["inQueues"] = in_queues
        if out_queues:
            resource["outQueues"] = out_queues
    if interaction.media == "email" and interaction.state != "Invited":
        resource["receivedAt"] = timestamp(interaction.received_at)
    if interaction.media == "email":
        resource["email_object"] = {**interaction.email, "interactionId": interaction.id}
    elif interaction.media == "chat":
        resource["sessionId"] = interaction.id
    return resource


def interaction_properties(
    interaction: SimInteraction, workbin: SimWorkbin | None, owner: SimAgent | None
) -> dict[str, Any]:
    """Interaction Server properties (PascalCase), as merged into workbin content."""
    props: dict[str, Any] = {
        "InteractionId": interaction.id,
        "MediaType": interaction.media,
        "InteractionType": interaction.interaction_type,
        "InteractionSubtype": interaction.interaction_subtype,
        "ReceivedAt": timestamp(interaction.received_at),
        "SubmittedAt": timestamp(interaction.received_at),
        "SubmittedBy": "gws_simulator",
        "TenantId": 1,
        "IsHeld": 0,
        "IsLocked": 0,
        "IsOnline": 0,
        "InteractionState": 0,
    }
    if workbin is not None:
        props["Workbin"] = workbin.name
        props["Queue"] = workbin.queue_name
        placed = timestamp(interaction.placed_in_workbin_at)
        props["PlacedInQueueAt"] = placed
        props["MovedToQueueAt"] = placed
        if workbin.agent_group is not None:
            props["WorkbinGroupId"] = workbin.agent_group
        elif workbin.place_group is not None:
            props["WorkbinPlaceGroupId"] = workbin.place_group
        elif owner is not None:
            props["WorkbinAgentId"] = owner.employee_id
        props["DeliveredAt"] = placed
        props["PlaceInQueueSeq"] = str(interaction.place_in_queue_seq)
    props["SubmitSeq"] = str(interaction.submit_seq)
    props["InQueues"], props["OutQueues"] = queues(interaction.media)
    if interaction.assigned_to is not None:
        props["AssignedTo"] = interaction.assigned_to
        props["AssignedAt"] = timestamp(interaction.assigned_at or interaction.received_at)
    return props


def workbin_content_item(
    interaction: SimInteraction, workbin: SimWorkbin, owner: SimAgent | None
) -> dict[str, Any]:
    """One entry of GetWorkbinContent: user data merged with the properties."""
    # Properties win over user data with the same key, as in Interaction Server.
    return {**interaction.user_data, **interaction_properties(interaction, workbin, owner)}


def state_resource_v2(interaction: SimInteraction) -> tuple[str, dict[str, Any]]:
    """``("<kind>StateResourceV2", {...})`` for WorkbinStateChangeMessage."""
    kind = media_kind(interaction.media)
    resource: dict[str, Any] = {
        "capabilities": [],
        f"{kind}Type": interaction.interaction_type,
        "id": interaction.id,
        "participants": [],
        "receivedDate": _received_date(interaction.received_at),
        "userData": dict(interaction.user_data),
    }
    return f"{kind}StateResourceV2", resource


def workitem_resource(
    interaction: SimInteraction, workbin: SimWorkbin | None, owner: SimAgent | None
) -> dict[str, Any]:
    """The ``workitem`` object of a WorkitemStateChangeMessage."""
    user_data = {**interaction.user_data, **interaction_properties(interaction, workbin, owner)}
    return {
        "id": interaction.id,
        "state": interaction.state,
        "userData": user_data,
        "capabilities": capabilities(interaction),
    }
