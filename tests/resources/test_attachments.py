"""gws.attachments: upload, download and delete (aioresponses)."""

from __future__ import annotations

import io
from pathlib import Path

import aiohttp
import pytest

from gws_async import (
    GwsClient,
    NotFoundError,
)
from tests.conftest import API, RestMock

IID = "0000Ja8V814907JM"
OP_URL = f"{API}/me/interactions/{IID}"


async def test_upload_sends_multipart_field_attachment(
    mock_gws: GwsClient, mock: RestMock, tmp_path: Path
) -> None:
    url = f"{OP_URL}/attachments"
    mock.post(url, payload={"statusCode": 0, "documentId": "00009a8T8Y13002S"}, repeat=True)
    assert await mock_gws.interactions.attachments.upload(IID, b"%PDF", filename="a.pdf") == (
        "00009a8T8Y13002S"
    )
    file = tmp_path / "notes.txt"
    file.write_bytes(b"hello")
    await mock_gws.interactions.attachments.upload(IID, file)
    await mock_gws.interactions.attachments.upload(IID, io.BytesIO(b"raw"), filename="r.bin")
    calls = mock.sent("POST", url)
    assert len(calls) == 3
    forms = [c.kwargs["data"] for c in calls]
    assert all(isinstance(f, aiohttp.FormData) for f in forms)
    fields = [f._fields[0] for f in forms]
    assert [f[0]["name"] for f in fields] == ["attachment"] * 3
    assert [f[0]["filename"] for f in fields] == ["a.pdf", "notes.txt", "r.bin"]
    assert fields[0][1]["Content-Type"] == "application/pdf"
    assert fields[1][1]["Content-Type"] == "text/plain"
    assert "Content-Type" not in calls[0].kwargs["headers"]


async def test_download_and_delete(mock_gws: GwsClient, mock: RestMock, tmp_path: Path) -> None:
    url = f"{OP_URL}/attachments/D1"
    headers = {"Content-Disposition": 'attachment; filename="report.pdf"'}
    mock.get(url, body=b"%PDF-1.4", content_type="application/pdf", headers=headers, repeat=True)
    mock.delete(url, payload={"statusCode": 0})
    content = await mock_gws.interactions.attachments.download(IID, "D1")
    assert (content.data, content.mime_type, content.file_name) == (
        b"%PDF-1.4",
        "application/pdf",
        "report.pdf",
    )
    target = tmp_path / "out.pdf"
    streamed = await mock_gws.interactions.attachments.download_to(IID, "D1", target)
    assert target.read_bytes() == b"%PDF-1.4"
    assert streamed.file_name == "report.pdf"
    buffer = io.BytesIO()
    await mock_gws.interactions.attachments.download_to(IID, "D1", buffer)
    assert buffer.getvalue() == b"%PDF-1.4"
    await mock_gws.interactions.attachments.delete(IID, "D1")
    assert len(mock.sent("DELETE", url)) == 1


async def test_download_failure_is_typed_and_writes_nothing(
    mock_gws: GwsClient, mock: RestMock, tmp_path: Path
) -> None:
    url = f"{OP_URL}/attachments/D9"
    mock.get(url, status=404, payload={"statusCode": 6, "statusMessage": "no document"})
    target = tmp_path / "never.bin"
    with pytest.raises(NotFoundError, match="no document"):
        await mock_gws.interactions.attachments.download_to(IID, "D9", target)
    assert not target.exists()


async def test_json_attachment_is_content_not_an_error(mock_gws: GwsClient, mock: RestMock) -> None:
    url = f"{OP_URL}/attachments/J1"
    mock.get(url, body=b"[1, 2]", content_type="application/json")
    content = await mock_gws.interactions.attachments.download(IID, "J1")
    assert content.data == b"[1, 2]"
