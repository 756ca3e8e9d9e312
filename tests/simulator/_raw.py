"""A raw HTTP and Bayeux agent for the simulator tests, and the names they share.

The simulator tests speak to it with plain aiohttp, not with the client, so that they
check the simulator against the spec and not against what the client happens to send.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar, overload

import aiohttp
import pytest

from gws_async.simulator import GwsSimulator

TEST_WORKBIN = base64.b64encode(b"TestWorkbin/PrivateView").decode()
AGENT_GROUP_WORKBIN = "6c715fa9-de16-4d23-b07c-cbcb1caf3e07"
PLACE_GROUP_WORKBIN = "5d487e69-a393-4228-a06f-6a4015ab1b54"
WORKBINS_TOPIC = "/v2/me/workbins"
INTERACTIONS_TOPIC = "/v2/me/interactions"

# Short long polls and session timeouts, so that the tests that wait for them stay quick.
FAST = pytest.mark.simulator(long_poll_timeout=1.0, max_interval=5.0)


class RawAgent:
    """A signed-in agent speaking raw HTTP and Bayeux to the simulator."""

    def __init__(self, sim: GwsSimulator, http: aiohttp.ClientSession, token: str) -> None:
        self.sim = sim
        self.http = http
        self.token = token
        self.client_id = ""
        self._ids = 0

    async def get(self, path: str, **params: str) -> tuple[int, Any]:
        async with self.http.get(self.sim.api_url + path, params=params) as resp:
            return resp.status, await resp.json()

    async def post(self, path: str, body: Any, **params: str) -> tuple[int, Any]:
        headers = {"X-CSRF-TOKEN": self.token}
        url = self.sim.api_url + path
        async with self.http.post(url, json=body, params=params, headers=headers) as resp:
            return resp.status, await resp.json()

    async def bayeux(self, *messages: dict[str, Any], suffix: str = "") -> tuple[int, Any]:
        batch = []
        for message in messages:
            self._ids += 1
            batch.append({"id": str(self._ids), **message})
        headers = {"X-CSRF-TOKEN": self.token}
        url = self.sim.cometd_url + suffix
        async with self.http.post(url, json=batch, headers=headers) as resp:
            return resp.status, await resp.json()

    async def handshake(self, *subscriptions: str) -> None:
        _, replies = await self.bayeux(
            {
                "channel": "/meta/handshake",
                "version": "1.0",
                "supportedConnectionTypes": ["long-polling"],
            }
        )
        self.client_id = replies[0]["clientId"]
        if subscriptions:
            _, replies = await self.bayeux(
                {
                    "channel": "/meta/subscribe",
                    "clientId": self.client_id,
                    "subscription": list(subscriptions),
                }
            )
            assert replies[0]["successful"] is True
        # The first connect after the handshake returns at once.
        _, replies = await self.connect()
        assert replies == [
            {
                "channel": "/meta/connect",
                "id": str(self._ids),
                "successful": True,
                "advice": {"reconnect": "retry", "interval": 0, "timeout": 1000},
            }
        ]

    async def connect(self) -> tuple[int, Any]:
        return await self.bayeux(
            {
                "channel": "/meta/connect",
                "clientId": self.client_id,
                "connectionType": "long-polling",
            }
        )

    async def subscribe_workbin(self, workbin_id: str) -> int:
        status, body = await self.post(f"/me/workbins/{workbin_id}", {"operationName": "Subscribe"})
        assert status == 200
        assert body["status"] == 0
        return int(body["referenceId"])


def basic(username: str, password: str) -> dict[str, str]:
    """An ``Authorization: Basic`` header, built by hand to stay independent of aiohttp."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def data_of(replies: list[dict[str, Any]]) -> list[Any]:
    """The ``data`` of the data messages of a Bayeux reply."""
    return [m["data"] for m in replies if not m["channel"].startswith("/meta/")]


A = TypeVar("A")


@overload
def signed_in(
    sim: GwsSimulator, username: str = ..., password: str = ...
) -> contextlib.AbstractAsyncContextManager[RawAgent]: ...


@overload
def signed_in(
    sim: GwsSimulator,
    username: str = ...,
    password: str = ...,
    *,
    agent: Callable[[GwsSimulator, aiohttp.ClientSession, str], A],
) -> contextlib.AbstractAsyncContextManager[A]: ...


@contextlib.asynccontextmanager
async def signed_in(
    sim: GwsSimulator,
    username: str = "agent1",
    password: str = "password1",
    *,
    agent: Callable[[GwsSimulator, aiohttp.ClientSession, str], Any] = RawAgent,
) -> AsyncIterator[Any]:
    """An agent signed in with ``GET /me``, holding its session cookie and CSRF token;
    ``agent`` builds it from the simulator, the session and the token (a
    :class:`RawAgent` unless a test needs its own requests)."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(headers=basic(username, password), cookie_jar=jar) as http:
        async with http.get(sim.api_url + "/me") as resp:
            assert resp.status == 200
            token = resp.headers["X-CSRF-TOKEN"]
        yield agent(sim, http, token)
