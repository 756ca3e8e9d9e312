"""The control API (``/control``), the console's state and feed, and their gate: each hook
works over HTTP, each refusal refuses, and the GWS side never sees the control traffic."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from gws_async.simulator import GwsSimulator
from gws_async.simulator._control import HOOKS, TOKEN_HEADER
from tests.simulator._raw import FAST, RawAgent, basic, data_of, signed_in

pytestmark = FAST

TOKEN = "a-test-token-of-some-length"
INTERACTIONS = "/v2/me/interactions"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def call(
    http: aiohttp.ClientSession, sim: GwsSimulator, hook: str, body: Any, token: str | None = None
) -> tuple[int, Any]:
    headers = bearer(sim.control_token if token is None else token)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    url = f"{sim.url}/control/hooks/{hook}"
    async with http.post(url, data=io.BytesIO(raw), headers=headers) as response:
        return response.status, await response.json()


async def get(http: aiohttp.ClientSession, sim: GwsSimulator, path: str) -> tuple[int, Any]:
    async with http.get(sim.url + path, headers=bearer(sim.control_token)) as response:
        return response.status, await response.json()


# -- the gate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/control/hooks"),
        ("GET", "/control/state"),
        ("GET", "/control/feed"),
        ("POST", "/control/hooks/offer-chat"),
    ],
)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer("wrong-token-wrong-token"),
        {"Authorization": f"Basic {TOKEN}"},
        basic("agent1", "password1"),
        {TOKEN_HEADER: TOKEN[:-1]},
    ],
    ids=["none", "wrong", "basic-scheme", "agent-credentials", "prefix"],
)
@pytest.mark.simulator(control_token=TOKEN, long_poll_timeout=1.0, max_interval=5.0)
async def test_control_is_refused_without_the_token(
    sim: GwsSimulator, http: aiohttp.ClientSession, method: str, path: str, headers: Any
) -> None:
    body = json.dumps({"username": "agent1"})
    async with http.request(method, sim.url + path, data=body, headers=headers) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert await response.json() == {"error": "missing or wrong control token"}
    assert sim.state.interactions == {}


@pytest.mark.simulator(control_token=TOKEN, long_poll_timeout=1.0, max_interval=5.0)
@pytest.mark.parametrize("headers", [bearer(TOKEN), {TOKEN_HEADER: TOKEN}])
async def test_the_token_opens_it_in_either_header(
    sim: GwsSimulator, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    assert sim.control_token == TOKEN
    url = f"{sim.url}/control/hooks/offer-chat"
    async with http.post(url, json={"username": "agent2"}, headers=headers) as response:
        assert response.status == 200
        iid = (await response.json())["interaction_id"]
    assert sim.state.interactions[iid].owner == "agent2"


async def test_each_simulator_has_its_own_random_token() -> None:
    first, second = GwsSimulator(), GwsSimulator()
    assert first.control_token != second.control_token
    assert len(first.control_token) >= 32


def test_a_short_token_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 characters"):
        GwsSimulator(control_token="short")


def _outside_address() -> str | None:
    """An address of this machine that is not loopback (none when there is no network)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP: nothing is sent
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


@pytest.mark.parametrize("allow", [False, True])
async def test_control_answers_beyond_loopback_only_when_allowed(
    http: aiohttp.ClientSession, allow: bool
) -> None:
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no address beyond loopback")
    sim = GwsSimulator(host=address, control_token=TOKEN, allow_remote_control=allow)
    async with sim:
        for path in ("/control/state", "/console"):
            async with http.get(sim.url + path, headers=bearer(TOKEN)) as response:
                assert response.status == (200 if allow else 403), path
        # The GWS API itself still answers there.
        async with http.get(sim.api_url + "/me", headers=basic("agent1", "password1")) as r:
            assert r.status == 200


async def test_control_traffic_is_not_recorded_nor_failed_nor_stalled(
    sim: GwsSimulator, http: aiohttp.ClientSession
) -> None:
    assert await call(http, sim, "fail-next", {"count": 2, "status": 503}) == (200, {})
    assert await call(http, sim, "stall-next", {"count": 1, "path_prefix": "/nowhere"}) == (200, {})
    status, _ = await get(http, sim, "/control/state")
    assert status == 200
    assert list(sim.requests) == []
    for _ in range(2):
        async with http.get(sim.api_url + "/me", headers=basic("agent1", "password1")) as r:
            assert r.status == 503
    async with http.get(sim.api_url + "/me", headers=basic("agent1", "password1")) as r:
        assert r.status == 200


# -- every hook -----------------------------------------------------------------------------


async def _offered(sim: GwsSimulator) -> dict[str, Any]:
    return {"interaction_id": sim.offer_chat("agent1", message=None), "text": "Are you there?"}


def _personal_id(sim: GwsSimulator, name: str) -> str:
    return next(wb.id for wb in sim.state.workbins.values() if wb.name == name)


async def test_every_hook_has_its_test_here() -> None:
    tested = {
        "put-in-workbin", "create-interaction", "ring-call", "offer-chat", "customer-says",
        "deliver-email", "push", "push-raw", "expire-bayeux-sessions",
        "disconnect-bayeux-sessions", "revoke-invitations", "stall-next", "fail-next",
    }  # fmt: skip
    assert {hook.name for hook in HOOKS} == tested


async def test_put_in_workbin_by_name_and_by_id(sim: GwsSimulator, http: Any) -> None:
    body = {"username": "agent1", "workbin_id": "TestWorkbin", "media": "email"}
    status, answer = await call(http, sim, "put-in-workbin", {**body, "user_data": {"k": "v"}})
    assert status == 200
    item = sim.state.interactions[answer["interaction_id"]]
    assert (item.workbin_id, item.workbin_owner) == (_personal_id(sim, "TestWorkbin"), "agent1")
    assert (item.media, item.user_data) == ("email", {"k": "v"})
    by_id = {**body, "workbin_id": item.workbin_id, "interaction_id": "0001FIXEDID00001"}
    assert await call(http, sim, "put-in-workbin", by_id) == (
        200,
        {"interaction_id": "0001FIXEDID00001"},
    )


async def test_create_interaction(sim: GwsSimulator, http: Any) -> None:
    body = {"username": "agent2", "media": "workitem", "state": "Accepted"}
    status, answer = await call(http, sim, "create-interaction", body)
    assert status == 200
    created = sim.state.interactions[answer["interaction_id"]]
    assert (created.owner, created.media, created.state) == ("agent2", "workitem", "Accepted")


async def test_ring_call(sim: GwsSimulator, http: Any) -> None:
    status, answer = await call(http, sim, "ring-call", {"username": "agent1", "from_number": "42"})
    assert status == 200
    ringing = sim.state.calls[answer["call_id"]]
    assert (ringing.owner, ringing.state, ringing.ani) == ("agent1", "Ringing", "42")


async def test_offer_chat_reaches_the_subscribed_session(
    sim: GwsSimulator, http: Any, agent1: RawAgent
) -> None:
    await agent1.handshake(INTERACTIONS)
    body = {"username": "agent1", "nickname": "Bob", "message": "Hi there"}
    status, answer = await call(http, sim, "offer-chat", body)
    assert status == 200
    _, replies = await agent1.connect()
    (data,) = data_of(replies)
    assert (data["id"], data["state"]) == (answer["interaction_id"], "Invited")


async def test_customer_says(sim: GwsSimulator, http: Any) -> None:
    body = await _offered(sim)
    assert await call(http, sim, "customer-says", body) == (200, {})
    transcript = sim.state.interactions[body["interaction_id"]].transcript
    assert transcript[-1]["MessageText"] == "Are you there?"


async def test_deliver_email(sim: GwsSimulator, http: Any) -> None:
    body = {"username": "agent1", "subject": "Order 42", "text": "Where?", "from_address": "b@x"}
    status, answer = await call(http, sim, "deliver-email", body)
    assert status == 200
    email = sim.state.interactions[answer["interaction_id"]]
    assert (email.media, email.state, email.email["Subject"]) == ("email", "Invited", "Order 42")


async def test_push_and_push_raw(sim: GwsSimulator, http: Any, agent1: RawAgent) -> None:
    await agent1.handshake("/v2/me/workbins")
    push = {"username": "agent1", "topic": "/v2/me/workbins", "data": [1, {"odd": True}]}
    assert await call(http, sim, "push", push) == (200, {"delivered": 1})
    raw = {"username": "agent1", "message": {"channel": "/v2/me/x", "data": "raw!"}}
    assert await call(http, sim, "push-raw", raw) == (200, {"delivered": 1})
    _, replies = await agent1.connect()
    assert data_of(replies) == [[1, {"odd": True}], "raw!"]


@pytest.mark.parametrize(
    ("hook", "answer"),
    [
        ("expire-bayeux-sessions", [{"error": "402::Unknown client"}]),
        ("disconnect-bayeux-sessions", [{"advice": {"reconnect": "none", "interval": 0}}]),
    ],
)
async def test_expire_and_disconnect_sessions(
    sim: GwsSimulator, http: Any, agent1: RawAgent, hook: str, answer: list[dict[str, Any]]
) -> None:
    await agent1.handshake()
    async with signed_in(sim, "agent2", "password2") as agent2:
        await agent2.handshake()
        assert await call(http, sim, hook, {"username": "agent1"}) == (200, {"sessions": 1})
        assert len(sim._bayeux.sessions) == (1 if hook.startswith("expire") else 2)
        _, replies = await agent1.connect()
        assert replies[0].items() >= answer[0].items()
        assert await call(http, sim, hook, {}) == (200, {"sessions": 1})


async def test_revoke_invitations_revokes_what_is_pending(sim: GwsSimulator, http: Any) -> None:
    chat = sim.offer_chat("agent1")
    email = sim.deliver_email("agent2", subject="Hi", text="Hello", from_address="c@example.com")
    status, answer = await call(http, sim, "revoke-invitations", {"username": "agent1"})
    assert (status, answer) == (200, {"revoked": [chat]})
    assert await call(http, sim, "revoke-invitations", {}) == (200, {"revoked": [email]})
    assert await call(http, sim, "revoke-invitations", {}) == (200, {"revoked": []})
    status, answer = await call(http, sim, "revoke-invitations", {"username": "nobody"})
    assert status == 404  # like every hook given an unknown agent


async def test_stall_next_holds_the_next_gws_request(sim: GwsSimulator, http: Any) -> None:
    assert await call(http, sim, "stall-next", {"count": 1, "path_prefix": "/api"}) == (200, {})
    stalled = asyncio.ensure_future(http.get(sim.api_url + "/me"))
    await asyncio.sleep(0.3)
    assert not stalled.done()
    stalled.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stalled


async def test_fail_next_answers_the_given_failure(sim: GwsSimulator, http: Any) -> None:
    body = {"count": 1, "status": 502, "body": "down", "content_type": "text/plain"}
    assert await call(http, sim, "fail-next", body) == (200, {})
    async with http.get(sim.api_url + "/me") as response:
        assert (response.status, await response.text()) == (502, "down")


# -- bad calls ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hook", "body", "status", "error"),
    [
        ("offer-chat", {}, 400, "offer-chat needs username"),
        ("offer-chat", {"username": "nobody"}, 404, "unknown agent 'nobody'"),
        ("offer-chat", {"username": "agent1", "colour": 1}, 400, "no parameter 'colour'"),
        ("offer-chat", {"username": 7}, 400, "username must be a string"),
        ("put-in-workbin", {"username": "agent1", "workbin_id": "Nope"}, 404, "unknown workbin"),
        ("customer-says", {"interaction_id": "X", "text": "t"}, 404, "unknown interaction 'X'"),
        ("fail-next", {"count": 0}, 400, "count must be between 1 and 10000"),
        ("fail-next", {"count": 1, "status": 99}, 400, "status must be between 100 and 599"),
        ("fail-next", {"count": True}, 400, "count must be a whole number"),
        ("create-interaction", {"username": "agent1", "user_data": []}, 400, "JSON object"),
        ("offer-chat", b"{not json", 400, "malformed JSON body"),
        ("offer-chat", b"[1]", 400, "must be a JSON object"),
        ("offer-chat", b"{" + b" " * (1024 * 1024) + b"}", 413, "larger than"),
        ("no-such-hook", {}, 404, "no hook 'no-such-hook'"),
    ],
)
async def test_a_bad_call_says_what_is_wrong(
    sim: GwsSimulator, http: Any, hook: str, body: Any, status: int, error: str
) -> None:
    got_status, answer = await call(http, sim, hook, body)
    assert got_status == status
    assert error in answer["error"]
    assert sim.state.interactions == {}


async def test_a_refused_hook_argument_is_a_400(sim: GwsSimulator, http: Any) -> None:
    sim.create_interaction("agent1", interaction_id="0001TAKEN0000001")
    body = {"username": "agent1", "interaction_id": "0001TAKEN0000001"}
    status, answer = await call(http, sim, "create-interaction", body)
    assert status == 400
    assert "already exists" in answer["error"]


async def test_hooks_describe_themselves(sim: GwsSimulator, http: Any) -> None:
    status, answer = await get(http, sim, "/control/hooks")
    assert status == 200
    offer = next(h for h in answer["hooks"] if h["name"] == "offer-chat")
    assert offer["method"] == "offer_chat"
    assert offer["result"] == "interaction_id"
    assert offer["params"][0] == {
        "name": "username",
        "kind": "agent",
        "help": "the agent (user name)",
        "required": True,
    }


# -- the console's state, feed and page -----------------------------------------------------


async def test_state_shows_agents_interactions_calls_and_workbin_items(
    sim: GwsSimulator, http: Any
) -> None:
    chat = sim.offer_chat("agent1")
    call_id = sim.ring_call("agent1")
    item = sim.put_in_workbin("agent2", _personal_id(sim, "TestWorkbin"), media="email")
    status, state = await get(http, sim, "/control/state")
    assert status == 200
    agent1, agent2 = state["agents"]
    assert agent1["username"] == "agent1"
    assert [(i["id"], i["state"], i["media"]) for i in agent1["interactions"]] == [
        (chat, "Invited", "chat")
    ]
    assert [(c["id"], c["state"]) for c in agent1["calls"]] == [(call_id, "Ringing")]
    assert {c["name"]: c["state"] for c in agent1["channels"]} == {
        "voice": "NotReady",
        "chat": "NotReady",
        "email": "NotReady",
    }
    assert agent1["device"]["phone_number"] == "5001"
    assert agent2["interactions"] == []
    workbin = next(w for w in state["workbins"] if w["name"] == "TestWorkbin")
    assert [(i["id"], i["owner"]) for i in workbin["items"]] == [(item, "agent2")]


@contextlib.asynccontextmanager
async def feed(
    http: aiohttp.ClientSession, sim: GwsSimulator, last: int | None = None
) -> AsyncIterator[aiohttp.ClientResponse]:
    headers = bearer(sim.control_token)
    if last is not None:
        headers["Last-Event-ID"] = str(last)
    async with http.get(sim.url + "/control/feed", headers=headers) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/event-stream"
        yield response


async def next_event(response: aiohttp.ClientResponse) -> tuple[str, Any]:
    """The next event of a server-sent-events stream: its type and its data."""
    block = (await asyncio.wait_for(response.content.readuntil(b"\n\n"), 5)).decode()
    fields = dict(line.split(": ", 1) for line in block.strip().splitlines())
    return fields["event"], json.loads(fields["data"])


async def test_the_feed_carries_every_notification_published(
    sim: GwsSimulator, http: Any, agent1: RawAgent
) -> None:
    await agent1.handshake(INTERACTIONS)
    async with feed(http, sim) as stream:
        chat = sim.offer_chat("agent1")
        event, record = await next_event(stream)
        assert event == "notification"
        assert (record["username"], record["channel"]) == ("agent1", INTERACTIONS)
        assert (record["sessions"], record["raw"]) == (1, False)
        assert (record["data"]["id"], record["data"]["state"]) == (chat, "Invited")
        # Published to nobody: still shown, with 0 sessions.
        sim.push("agent2", "/v2/me/workbins", {"x": 1})
        event, record = await next_event(stream)
        assert (record["username"], record["sessions"], record["data"]) == ("agent2", 0, {"x": 1})
        sim.push_raw("agent1", {"channel": "/odd", "data": None})
        _, record = await next_event(stream)
        assert (record["channel"], record["raw"]) == ("/odd", True)


async def test_a_returning_reader_gets_what_it_missed(sim: GwsSimulator, http: Any) -> None:
    for n in range(3):
        sim.push("agent1", "/v2/me/workbins", n)
    async with feed(http, sim, last=1) as stream:
        assert [(await next_event(stream))[1]["data"] for _ in range(2)] == [1, 2]
        sim.push("agent1", "/v2/me/workbins", 3)
        assert (await next_event(stream))[1]["seq"] == 4


async def test_the_feed_ends_when_the_simulator_stops(http: Any) -> None:
    sim = GwsSimulator(long_poll_timeout=1.0)
    await sim.start()
    try:
        async with feed(http, sim) as stream:
            await sim.stop()
            assert await asyncio.wait_for(stream.content.read(), 5) == b""
    finally:
        await sim.stop()


def test_a_slow_reader_loses_the_oldest_and_is_told() -> None:
    from gws_async.simulator._console import Feed

    notifications = Feed(backlog=3, reader_queue=2)
    with notifications.reader() as reader:
        for n in range(5):
            notifications.publish("agent1", "/t", n, 1, raw=False)
        assert [r["data"] for r in reader.queue] == [3, 4]
        assert reader.dropped == 3
    assert [r["data"] for r in notifications.backlog] == [2, 3, 4]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/console", "text/html"),
        ("/console/", "text/html"),
        ("/console/index.html", "text/html"),
        ("/console/console.js", "text/javascript"),
        ("/console/console.css", "text/css"),
    ],
)
async def test_the_page_is_served_with_a_strict_policy(
    sim: GwsSimulator, http: Any, path: str, kind: str
) -> None:
    async with http.get(sim.url + path) as response:
        assert response.status == 200
        assert response.content_type == kind
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
        text = await response.text()
    # Nothing fetched from elsewhere: the page works offline.
    assert "http://" not in text
    assert "https://" not in text


async def test_the_page_has_nothing_else(sim: GwsSimulator, http: Any) -> None:
    for path in ("/console/_console.py", "/console/..%2f_server.py", "/console/x/y"):
        async with http.get(sim.url + path) as response:
            assert response.status == 404, path
