"""Resources refuse what the server must not see and fail typed on what they cannot read.

- ids ``.`` and ``..`` (however spelled) never reach the server as path segments;
- an answer that does not fit its result model raises :class:`InvalidResponseError`
  naming the operation, method and path, never a bare pydantic ``ValidationError``;
- what the spec requires (``channels`` of StartContactCenterSession, ``subject``,
  ``text`` and ``fromAddress`` of an outbound e-mail) is required before sending.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from gws_async import GwsClient, InvalidResponseError
from gws_async.resources.interactions import OutboundEmail
from tests.conftest import API, RestMock, body_of

IID = "0000Ja8V814907JM"
Call = Callable[[GwsClient], Awaitable[Any]]


# -- dot segments -----------------------------------------------------------------------------

DOT_CALLS: list[tuple[str, Call]] = [
    ("workbin_dotdot", lambda g: g.workbins.get_content("..")),
    ("workbin_dot", lambda g: g.workbins.get_content_uris(".")),
    ("interaction_encoded", lambda g: g.interactions.get("%2E%2E")),
    ("attachment_of_dotdot", lambda g: g.interactions.attachments.download("..", "D1")),
    ("attachment_dotdot", lambda g: g.interactions.attachments.download(IID, "..")),
    ("user_fullwidth", lambda g: g.users.get("\uff0e\uff0e")),
    ("skill_traversal", lambda g: g.me.get_skill("../../users")),
    ("accept_dot", lambda g: g.interactions.accept(".")),
]


@pytest.mark.parametrize(("name", "call"), DOT_CALLS, ids=[c[0] for c in DOT_CALLS])
async def test_dot_ids_never_reach_the_server(
    mock_gws: GwsClient, mock: RestMock, name: str, call: Call
) -> None:
    with pytest.raises(ValueError, match="dot segment"):
        await call(mock_gws)
    assert mock.sent_nothing_but_login()


# -- answers that do not fit their model ------------------------------------------------------

BAD_ANSWERS: list[tuple[str, Call, str, str, Any, str]] = [
    (
        "one_without_id",
        lambda g: g.skills.get("S1"),
        "GET",
        f"{API}/skills/S1",
        {"skill": {"name": 3}},
        "GetSkill",
    ),
    (
        "list_item_without_id",
        lambda g: g.skills.list(),
        "GET",
        f"{API}/skills?fields=*",
        {"skills": [{"id": "a"}, {"name": "no id"}]},
        "GetSkills",
    ),
    (
        "list_not_a_list",
        lambda g: g.skills.list(),
        "GET",
        f"{API}/skills?fields=*",
        {"skills": {"id": "a"}},
        "GetSkills",
    ),
    (
        "list_item_not_an_object",
        lambda g: g.users.list_skills("U1"),
        "GET",
        f"{API}/users/U1/skills?fields=*",
        {"skills": ["S1"]},
        "GetUserSkills",
    ),
    (
        "uris_a_string",
        lambda g: g.skills.list_uris(),
        "GET",
        f"{API}/skills",
        {"uris": "http://gws/api/v2/skills/S1"},
        "GetSkills",
    ),
    (
        "operation_reference_not_a_number",
        lambda g: g.me.ready(),
        "POST",
        f"{API}/me",
        {"statusCode": 0, "referenceId": "soon"},
        "Ready",
    ),
    (
        "general_settings_not_an_object",
        lambda g: g.settings.general(),
        "GET",
        f"{API}/settings/general-settings",
        {"settings": ["x"]},
        "GetGeneralSettings",
    ),
    (
        "upload_without_document_id",
        lambda g: g.interactions.attachments.upload(IID, b"x", filename="a.txt"),
        "POST",
        f"{API}/me/interactions/{IID}/attachments",
        {"statusCode": 0},
        "AddAttachment",
    ),
]


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


@pytest.mark.parametrize(
    ("name", "call", "method", "url", "answer", "operation"),
    BAD_ANSWERS,
    ids=[a[0] for a in BAD_ANSWERS],
)
async def test_an_answer_that_does_not_fit_raises_invalid_response(
    mock_gws: GwsClient,
    mock: RestMock,
    name: str,
    call: Call,
    method: str,
    url: str,
    answer: Any,
    operation: str,
) -> None:
    mock.add(url, method, payload=answer)
    with pytest.raises(InvalidResponseError) as caught:
        await call(mock_gws)
    error = caught.value
    assert error.operation == operation
    assert error.method == method
    assert error.path == url.removeprefix("http://10.0.0.5:8090")
    assert error.http_status == 200
    assert str(error).startswith(f"{operation}: {method} {error.path}")
    assert "did not" in error.server_message or "no " in error.server_message
    assert not any(isinstance(e, ValidationError) for e in _chain(error))


async def test_the_summary_names_the_field_and_stays_short(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    huge = "x" * 20_000
    mock.get(
        f"{API}/skills?fields=*",
        payload={"skills": [{"id": "a"}, {"id": "b"}, {"id": [huge], "level": {"a": 1}}]},
    )
    with pytest.raises(InvalidResponseError) as caught:
        await mock_gws.skills.list()
    message = str(caught.value)
    assert "skills[2].id" in message
    assert "Skill" in message
    assert huge[:100] not in message
    assert len(message) < 600
    assert caught.value.body is None


# The "Overall User State" sample of the spec ("Query Agent State"), keys quoted: the
# object itself at the top level, no "user" wrapper and no user id.
SPEC_OVERALL_USER_STATE = {
    "devices": [
        {
            "id": "idOne",
            "userState": {
                "state": "NotReady",
                "reason": "Lunch",
                "displayName": "Out to Lunch",
                "workMode": "AuxWork",
            },
        }
    ],
    "channels": [
        {
            "channel": "email",
            "userState": {"state": "NotReady", "reason": "Lunch", "displayName": "Out to Lunch"},
        },
        {
            "channel": "chat",
            "userState": {
                "state": "NotReady",
                "reasonCode": "Lunch",
                "displayName": "Out to Lunch",
            },
        },
    ],
}


async def test_the_spec_overall_user_state_sample_parses(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    mock.get(f"{API}/me?subresources=*", payload=SPEC_OVERALL_USER_STATE)
    user = await mock_gws.me.get(subresources=True)
    assert user.id is None
    assert user.devices[0]["id"] == "idOne"
    assert user.devices[0]["userState"]["workMode"] == "AuxWork"
    assert [c["channel"] for c in user.channels] == ["email", "chat"]
    assert user.channels[1]["userState"]["reasonCode"] == "Lunch"
    assert mock_gws.me.user is user


async def test_overall_user_state_of_the_wrong_shape_is_typed(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    mock.get(f"{API}/me?subresources=*", payload={"devices": {"id": "idOne"}})
    with pytest.raises(InvalidResponseError, match=r"GetMe: GET /api/v2/me\?subresources=\*"):
        await mock_gws.me.get(subresources=True)


# -- what the spec requires -------------------------------------------------------------------


async def test_start_contact_center_session_requires_channels(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    me: Any = mock_gws.me  # calls the type checker would refuse, as a caller may make them
    with pytest.raises(TypeError, match="channels"):
        await me.start_contact_center_session()
    with pytest.raises(TypeError, match="channels"):
        await me.start_contact_center_session(place="Place_1")
    for channels in (None, [], "voice", [" "]):
        with pytest.raises(ValueError, match="channels"):
            await me.start_contact_center_session(place="Place_1", channels=channels)
    assert mock.sent_nothing_but_login()
    mock.post(f"{API}/me", payload={"statusCode": 0})
    await mock_gws.me.start_contact_center_session(channels=["voice"])
    sent = body_of(mock.only_call("POST", f"{API}/me"))
    assert sent == {"operationName": "StartContactCenterSession", "channels": ["voice"]}


@pytest.mark.parametrize("missing", ["subject", "text", "from_address", "to_address"])
def test_outbound_email_requires_what_the_spec_requires(missing: str) -> None:
    fields = {"to_address": "c@example.com", "from_address": "a@example.com"}
    fields.update(subject="Re: hi", text="Hello")
    del fields[missing]
    with pytest.raises(ValueError, match=f"{missing}|{to_camel(missing)}"):
        OutboundEmail(**fields)


@pytest.mark.parametrize("blank", ["from_address", "to_address"])
async def test_send_refuses_a_blank_address(
    mock_gws: GwsClient, mock: RestMock, blank: str
) -> None:
    fields = {"to_address": "c@example.com", "from_address": "a@example.com"}
    fields.update(subject="Re: hi", text="Hello", **{blank: " "})
    with pytest.raises(ValueError, match=blank):
        await mock_gws.interactions.email.send(IID, queue_name="Q", email=OutboundEmail(**fields))
    assert mock.sent_nothing_but_login()


async def test_send_carries_subject_text_and_from_address(
    mock_gws: GwsClient, mock: RestMock
) -> None:
    mock.post(f"{API}/me/interactions/{IID}", payload={"status": "ok"})
    email = OutboundEmail(
        to_address="c@example.com", from_address="a@example.com", subject="", text=""
    )
    await mock_gws.interactions.email.send(IID, queue_name="Q", email=email)
    sent = body_of(mock.only_call("POST", f"{API}/me/interactions/{IID}"))
    assert sent["email_object"] == {
        "toAddress": "c@example.com",
        "fromAddress": "a@example.com",
        "subject": "",
        "text": "",
    }
