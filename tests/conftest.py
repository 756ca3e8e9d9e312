"""Shared test setup: leak checks, the aioresponses shim and the fixtures every area uses.

- ``sim``: a running :class:`GwsSimulator` (``long_poll_timeout=2.0``); a module or test
  passes other constructor arguments with ``@pytest.mark.simulator(...)``.
- ``gws``: agent1 logged in on ``sim``; ``@pytest.mark.subscribed(*topics)`` subscribes it.
- ``mock``: aioresponses, with helpers to read back what was sent.
- ``mock_gws``: a client logged in against ``mock`` at :data:`BASE`; a module or test
  picks the login with ``@pytest.mark.mock_login(...)``.
- ``eventually``: polls a condition until it holds or the test fails.

Only installed packages are imported here: test_shutdown runs a copy of this file on its own.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import inspect
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any

import aioresponses.core
import pytest
from aiohttp import ClientResponse
from yarl import URL

from gws_async import GwsClient
from gws_async.simulator import GwsSimulator

# aiohttp 3.14 made ``stream_writer`` a required argument of ClientResponse, and no
# aioresponses release passes it yet (pnuckowski/aioresponses#289). Our tests use
# aioresponses for REST, so give its responses an empty writer until upstream is fixed.
if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:

    class _NoUpload:
        output_size = 0

    class _CompatClientResponse(ClientResponse):
        def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", _NoUpload())
            super().__init__(method, url, **kwargs)

    aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]


# A task garbage-collected while pending, or a session or connector never closed, is only
# *logged* by asyncio (or aiohttp): make it fail the test that left it behind.
LEAK_MARKERS = (
    "Task was destroyed but it is pending",
    "Unclosed client session",
    "Unclosed connector",
    "Unclosed response",
)


class _LeakLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if any(marker in message for marker in LEAK_MARKERS):
            self.found.append(message.splitlines()[0])


_leaks = _LeakLog()
logging.getLogger("asyncio").addHandler(_leaks)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    result = yield
    gc.collect()  # run the __del__ hooks that report leaks now, not in a later test
    found, _leaks.found = _leaks.found, []
    if found:
        raise AssertionError(f"{item.nodeid} leaked: " + "; ".join(found))
    return result


# -- the simulator ----------------------------------------------------------------------------


@pytest.fixture
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[GwsSimulator]:
    """A running simulator; ``@pytest.mark.simulator(...)`` gives GwsSimulator's arguments."""
    marker = request.node.get_closest_marker("simulator")
    # Copies: the simulator changes its agents (passwords, states), and the next test needs
    # them as the marker wrote them.
    args, kwargs = copy.deepcopy((marker.args, marker.kwargs)) if marker else ((), {})
    async with GwsSimulator(*args, **{"long_poll_timeout": 2.0, **kwargs}) as simulator:
        yield simulator


@pytest.fixture
async def gws(sim: GwsSimulator, request: pytest.FixtureRequest) -> AsyncIterator[GwsClient]:
    """agent1 logged in on ``sim``; ``@pytest.mark.subscribed(*topics)`` subscribes it first
    (to the default topics when none are named)."""
    marker = request.node.get_closest_marker("subscribed")
    async with GwsClient(sim.url, "agent1", "password1") as client:
        if marker:
            await client.subscribe(*marker.args)
        yield client


# -- recorded REST answers --------------------------------------------------------------------

BASE = "http://10.0.0.5:8090"
"""The server ``mock_gws`` logs in to; GWS is often reached by IP address."""
API = f"{BASE}/api/v2"
CSRF = {"X-CSRF-HEADER": "X-CSRF-TOKEN", "X-CSRF-TOKEN": "tok-1"}
"""The CSRF headers the mocked login answers with."""


def _any_query_order(url: URL) -> URL:
    return url.with_query(sorted(url.query.items()))


class RestMock(aioresponses.aioresponses):
    """aioresponses that can say which requests the client sent."""

    def sent(self, method: str, url: str) -> list[Any]:
        """The requests sent as ``method url`` (exact path and query)."""
        return self.requests.get((method, URL(url)), [])

    def only_call(self, method: str, url: str, *, any_query_order: bool = False) -> Any:
        """The one request sent as ``method url``; fails unless there is exactly one."""
        if any_query_order:
            wanted = _any_query_order(URL(url))
            calls = [
                call
                for (m, u), recorded in self.requests.items()
                if m == method and _any_query_order(u) == wanted
                for call in recorded
            ]
        else:
            calls = self.sent(method, url)
        assert len(calls) == 1, f"expected one {method} {url}, got {list(self.requests)}"
        return calls[0]

    def count(self) -> int:
        """How many requests were sent so far."""
        return sum(len(calls) for calls in self.requests.values())

    def sent_nothing_but_login(self) -> bool:
        return [key for key in self.requests if key[1].path != "/api/v2/me"] == []


def body_of(call: Any) -> Any:
    """The JSON body of a recorded request, None when it had none."""
    data = call.kwargs.get("data")
    return json.loads(data) if data else None


@pytest.fixture
def mock() -> Iterator[RestMock]:
    with RestMock() as recorded:
        yield recorded


@pytest.fixture
async def mock_gws(mock: RestMock, request: pytest.FixtureRequest) -> AsyncIterator[GwsClient]:
    """A client logged in against ``mock``.

    ``@pytest.mark.mock_login(username="agent1", password="pw", me=None)`` picks the login and
    the ``GET /me`` answer (by default a user named after ``username``).
    """
    marker = request.node.get_closest_marker("mock_login")
    login: dict[str, Any] = {"username": "agent1", "password": "pw", "me": None}
    login.update(marker.kwargs if marker else {})
    me = login["me"] or {"statusCode": 0, "user": {"id": "u1", "userName": login["username"]}}
    mock.get(f"{API}/me", payload=me, headers=CSRF)
    async with GwsClient(BASE, login["username"], login["password"]) as client:
        yield client


# -- waiting ----------------------------------------------------------------------------------

Eventually = Callable[..., Awaitable[float]]
"""The type of the ``eventually`` fixture."""


async def wait_until(
    check: Callable[[], bool] | Callable[[], Awaitable[bool]],
    what: str = "the condition",
    timeout: float = 5.0,
    step: float = 0.01,
) -> float:
    """Polls ``check`` (plain or async) every ``step`` seconds until it is true; fails after
    ``timeout`` seconds. Returns the seconds it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return loop.time() - start
        if loop.time() - start > timeout:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(step)


@pytest.fixture
def eventually() -> Eventually:
    """``await eventually(check, what, timeout=5.0)``: wait until ``check()`` holds."""
    return wait_until
