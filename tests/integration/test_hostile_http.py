"""The real client against small hostile or broken HTTP servers on 127.0.0.1.

Each test starts a GWS look-alike (a login that sets a session cookie and a CSRF token)
whose other answers misbehave: bodies too large to hold, redirects to another origin,
CSRF header names that would overwrite the credentials, connections that break. None may
crash the client, be taken for GWS's answer, or leave a credential in an error.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from gws_async import (
    GwsApiError,
    GwsClient,
    GwsConnectionError,
    GwsError,
    GwsTimeoutError,
    ResponseTooLargeError,
    UnexpectedRedirectError,
)
from gws_async._exceptions import connection_error
from gws_async.simulator import GwsSimulator

USER = "agent1"
PASSWORD = "Hostile-Pa55-w0rd"
COOKIE = "JSESSION-secret-cookie-value"
TOKEN = "csrf-secret-token-value"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
SECRETS = (PASSWORD, COOKIE, TOKEN, BASIC)
ME = {"statusCode": 0, "user": {"id": "u1", "userName": USER}}
CAP = 64 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Server:
    """A GWS look-alike: ``GET /api/v2/me`` logs in; other routes are the test's."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.seen: list[web.Request] = []
        self.bodies: list[bytes] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(request)
        self.bodies.append(await request.read())
        handler = self.routes.get((request.method, request.path))
        if handler is not None:
            return await handler(request)
        if (request.method, request.path) == ("GET", "/api/v2/me"):
            resp = web.json_response(
                ME, headers={"X-CSRF-HEADER": "X-CSRF-TOKEN", "X-CSRF-TOKEN": TOKEN}
            )
            resp.set_cookie("JSESSIONID", COOKIE)
            return resp
        return web.json_response({"statusCode": 0})


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def other() -> AsyncIterator[Server]:
    """A second server: another origin (another port)."""
    srv = Server()
    await srv.start()
    yield srv
    await srv.stop()


def chain_text(exc: BaseException) -> str:
    """repr and str of every error object reachable from ``exc``: its cause and context,
    the exceptions in its args and attributes, recursively, with all their args and
    attribute values."""
    parts: list[str] = []
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        err = todo.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        parts += [repr(err), str(err)]
        values = [*err.args, *vars(err).values()]
        parts += [repr(value) for value in values]
        todo += [v for v in values if isinstance(v, BaseException)]
        todo += [e for e in (err.__cause__, err.__context__) if e is not None]
    return "\n".join(parts)


def assert_no_secret(exc: BaseException) -> None:
    text = chain_text(exc)
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} is reachable from {exc!r}"


# -- size limits (REST) -----------------------------------------------------------------------


def _gzip_bomb(request: web.Request) -> Awaitable[web.StreamResponse]:
    async def answer() -> web.StreamResponse:
        body = gzip.compress(b"[" + b" " * (8 * 1024 * 1024) + b"]")
        return web.Response(
            body=body,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    return answer()


async def _huge_length(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(
        headers={"Content-Length": str(10**12), "Content-Type": "application/json"}
    )
    await resp.prepare(request)
    await resp.write(b"{")
    return resp


async def _endless(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    chunk = b" " * 65536
    try:
        while True:
            await resp.write(chunk)
    except (ConnectionError, RuntimeError):
        pass
    return resp


@pytest.mark.parametrize("handler", [_gzip_bomb, _huge_length, _endless])
async def test_an_oversized_answer_is_refused_at_the_cap(server: Server, handler: Handler) -> None:
    server.routes[("GET", "/api/v2/me/workbins")] = handler
    async with GwsClient(server.url, USER, PASSWORD, max_response_size=CAP) as gws:
        async with asyncio.timeout(10):
            with pytest.raises(ResponseTooLargeError) as info:
                await gws.workbins.list()
        # The client stays usable after the refusal.
        assert (await gws.me.get()).user_name == USER
    assert info.value.operation == "GetWorkbinTypesInfo"
    assert "GetWorkbinTypesInfo: GET /api/v2/me/workbins" in str(info.value)
    assert f"larger than {CAP} bytes" in str(info.value)


async def test_the_default_cap_refuses_a_gzip_bomb(server: Server) -> None:
    async def bomb(request: web.Request) -> web.StreamResponse:
        body = gzip.compress(b"[" + b" " * (40 * 1024 * 1024) + b"]")
        return web.Response(
            body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )

    server.routes[("GET", "/api/v2/me/workbins")] = bomb
    async with GwsClient(server.url, USER, PASSWORD) as gws:
        with pytest.raises(ResponseTooLargeError, match="33554432 bytes"):
            await gws.workbins.list()


# -- redirects --------------------------------------------------------------------------------


async def test_a_redirect_to_another_origin_is_not_followed(server: Server, other: Server) -> None:
    async def away(request: web.Request) -> web.StreamResponse:
        raise web.HTTPTemporaryRedirect(f"{other.url}/steal?x=1")

    server.routes[("POST", "/api/v2/me")] = away
    async with GwsClient(server.url, USER, PASSWORD) as gws:
        with pytest.raises(UnexpectedRedirectError) as info:
            await gws.me.change_password("old-Secret-1", "new-Secret-2")
    assert other.seen == []  # neither the passwords nor the CSRF token went there
    error = info.value
    assert isinstance(error, GwsApiError)
    assert error.operation == "ChangePassword"
    assert error.http_status == 307
    assert error.location == other.url
    assert f"redirected to {other.url}" in str(error)
    assert "steal" not in str(error)
    assert_no_secret(error)


async def test_a_redirected_download_is_refused(server: Server, other: Server) -> None:
    async def away(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(f"{other.url}/file.pdf")

    server.routes[("GET", "/api/v2/me/interactions/i1/attachments/a1")] = away
    async with GwsClient(server.url, USER, PASSWORD) as gws:
        with pytest.raises(UnexpectedRedirectError, match="GetAttachment: GET") as info:
            await gws.interactions.attachments.download("i1", "a1")
    assert info.value.location == other.url
    assert other.seen == []


async def test_a_redirect_target_cannot_set_the_csrf_header_name(
    server: Server, other: Server
) -> None:
    async def away(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"{other.url}/api/v2/me/workbins")

    async def evil(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"statusCode": 0, "workbins": []},
            headers={"X-CSRF-HEADER": "Authorization", "X-CSRF-TOKEN": "Basic ZXZpbDpldmls"},
        )

    server.routes[("GET", "/api/v2/me/workbins")] = away
    other.routes[("GET", "/api/v2/me/workbins")] = evil
    async with GwsClient(server.url, USER, PASSWORD) as gws:
        with pytest.raises(UnexpectedRedirectError):
            await gws.workbins.list()
        await gws.workbins.subscribe("wb1")
    write = server.seen[-1]
    assert write.method == "POST"
    assert write.headers["Authorization"] == f"Basic {BASIC}"
    assert write.headers["X-CSRF-TOKEN"] == TOKEN


async def test_a_redirect_loop_leaves_no_secret_in_the_error(server: Server) -> None:
    async def loop(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/api/v2/me/calls")

    server.routes[("GET", "/api/v2/me/calls")] = loop
    async with GwsClient(server.url, USER, PASSWORD) as gws:
        with pytest.raises(GwsError) as info:
            await gws.calls.list()
    assert isinstance(info.value, UnexpectedRedirectError)
    assert_no_secret(info.value)


# -- no credential in any error's chain -------------------------------------------------------


async def test_aiohttp_errors_mapped_by_connection_error_carry_no_secret(server: Server) -> None:
    """The Bayeux wire maps its failures with the same function: an aiohttp error raised
    while following redirects (request headers, response headers with Set-Cookie) is
    cleaned before it becomes the cause."""

    async def loop(request: web.Request) -> web.StreamResponse:
        resp = web.HTTPFound("/loop")
        resp.set_cookie("JSESSIONID", COOKIE)
        resp.headers["X-CSRF-TOKEN"] = TOKEN
        raise resp

    server.routes[("GET", "/loop")] = loop
    headers = {"Authorization": f"Basic {BASIC}", "X-CSRF-TOKEN": TOKEN}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        session.cookie_jar.update_cookies({"JSESSIONID": COOKIE}, response_url=URL(server.url))
        with pytest.raises(aiohttp.TooManyRedirects) as raw:
            async with session.get(f"{server.url}/loop", headers=headers, max_redirects=3):
                pass
    assert BASIC in repr(raw.value)  # the raw error does carry it
    with pytest.raises(GwsConnectionError) as mapped:
        raise connection_error("POST", "/cometd", raw.value, 5.0) from raw.value
    error = mapped.value
    assert "TooManyRedirects" in str(error)
    assert_no_secret(error)


async def test_a_reset_connection_leaves_no_secret_in_the_error(server: Server) -> None:
    async def reset(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()
        return web.Response()

    server.routes[("GET", "/api/v2/me/calls")] = reset
    async with GwsClient(server.url, USER, PASSWORD) as gws:
        with pytest.raises(GwsConnectionError) as info:
            await gws.calls.list()
    assert "GetCalls" in str(info.value) or "/api/v2/me/calls" in str(info.value)
    assert_no_secret(info.value)


async def test_a_timeout_leaves_no_secret_in_the_error(server: Server) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.Response()

    server.routes[("GET", "/api/v2/me/calls")] = slow
    async with GwsClient(server.url, USER, PASSWORD, timeout=0.3) as gws:
        with pytest.raises(GwsTimeoutError) as info:
            await gws.calls.list()
    assert_no_secret(info.value)


# -- a context path ---------------------------------------------------------------------------


@pytest.mark.simulator(api_root="/gws/api/v2", cometd_path="/gws/api/v2/notifications")
async def test_a_base_url_path_is_the_deployments_context_path(sim: GwsSimulator) -> None:
    async with GwsClient(f"{sim.url}/gws/", "agent1", "password1") as gws:
        assert str(gws.api_url) == f"{sim.url}/gws/api/v2"
        assert str(gws.cometd_url) == f"{sim.url}/gws/api/v2/notifications"
        assert gws.user is not None
        await gws.subscribe()
        assert (await gws.me.get()).user_name == "agent1"
