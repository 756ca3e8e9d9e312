"""Attachment downloads against a hostile server on loopback: ``download`` stops at the
transport's ``max_response_size``; ``download_to`` streams, capped only by ``max_size``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from gws_async import GwsClient, ResponseTooLargeError
from tests.conftest import API, RestMock

IID = "0000Ja8V814907JM"
LIMIT = 64 * 1024
CHUNK = b"x" * 16 * 1024
CHUNKS = web.AppKey("chunks", dict[str, int])


async def _me(request: web.Request) -> web.Response:
    return web.json_response({"statusCode": 0, "user": {"id": "u1", "userName": "agent1"}})


async def _endless(request: web.Request) -> web.StreamResponse:
    """Chunked, no Content-Length: the body never says how long it is."""
    resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    await resp.prepare(request)
    try:
        for _ in range(request.app[CHUNKS][request.match_info["name"]]):
            await resp.write(CHUNK)
    except (ConnectionResetError, RuntimeError):
        pass  # the client hung up, as it should
    return resp


async def _announced(request: web.Request) -> web.Response:
    """Content-Length says at once that it is too large."""
    return web.Response(body=b"y" * (LIMIT + 1), content_type="application/pdf")


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    root = "/api/v2"
    app.router.add_get(f"{root}/me", _me)
    app[CHUNKS] = {"endless": 1000, "small": 2}
    app.router.add_get(f"{root}/me/interactions/{IID}/attachments/{{name:endless|small}}", _endless)
    app.router.add_get(f"{root}/me/interactions/{IID}/attachments/announced", _announced)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def gws(server: str) -> AsyncIterator[GwsClient]:
    async with GwsClient(server, "agent1", "pw", max_response_size=LIMIT) as client:
        yield client


@pytest.mark.parametrize("attachment", ["endless", "announced"])
async def test_download_stops_at_max_response_size(gws: GwsClient, attachment: str) -> None:
    with pytest.raises(ResponseTooLargeError) as caught:
        await gws.interactions.attachments.download(IID, attachment)
    error = caught.value
    assert error.operation == "GetAttachment"
    assert error.path == f"/api/v2/me/interactions/{IID}/attachments/{attachment}"
    assert str(LIMIT) in error.server_message


async def test_download_within_the_limit_reads_everything(gws: GwsClient) -> None:
    content = await gws.interactions.attachments.download(IID, "small")
    assert content.data == CHUNK * 2
    assert content.mime_type == "application/octet-stream"


async def test_download_to_streams_past_max_response_size(gws: GwsClient, tmp_path: Path) -> None:
    target = tmp_path / "big.bin"
    await gws.interactions.attachments.download_to(IID, "announced", target)
    assert target.stat().st_size == LIMIT + 1


async def test_download_to_max_size_stops_and_removes_the_partial_file(
    gws: GwsClient, tmp_path: Path
) -> None:
    target = tmp_path / "big.bin"
    with pytest.raises(ResponseTooLargeError, match="max_size"):
        await gws.interactions.attachments.download_to(IID, "endless", target, max_size=LIMIT)
    assert not target.exists()


async def test_download_to_max_size_refuses_an_announced_length_before_writing(
    gws: GwsClient, tmp_path: Path
) -> None:
    target = tmp_path / "big.bin"
    with pytest.raises(ResponseTooLargeError):
        await gws.interactions.attachments.download_to(IID, "announced", target, max_size=LIMIT)
    assert not target.exists()


@pytest.mark.parametrize("max_size", [0, -1, True])
async def test_max_size_must_be_a_positive_int(
    gws: GwsClient, tmp_path: Path, max_size: int
) -> None:
    target = tmp_path / "big.bin"
    with pytest.raises(ValueError, match="max_size"):
        await gws.interactions.attachments.download_to(IID, "small", target, max_size=max_size)
    assert not target.exists()


async def test_a_small_json_attachment_is_read_whole(
    mock_gws: GwsClient, mock: RestMock, tmp_path: Path
) -> None:
    # The transport reads a small JSON answer to rule out a failure reply; the attachment
    # must still come through whole, in memory and on disk.
    url = f"{API}/me/interactions/{IID}/attachments/J2"
    mock.get(url, body=b'[{"a": 1}]', content_type="application/json", repeat=True)
    content = await mock_gws.interactions.attachments.download(IID, "J2")
    assert content.data == b'[{"a": 1}]'
    target = tmp_path / "j.json"
    await mock_gws.interactions.attachments.download_to(IID, "J2", target)
    assert target.read_bytes() == b'[{"a": 1}]'
