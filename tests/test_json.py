"""gws_async._json: orjson when installed, the standard library otherwise, same answers."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import gws_async._json as installed

SOURCE = Path(installed.__file__)


def _load_copy(name: str, *, block_orjson: bool, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A private copy of the module, loaded with or without orjson importable."""
    if block_orjson:
        # None in sys.modules makes `import orjson` raise ImportError.
        monkeypatch.setitem(sys.modules, "orjson", None)
    spec = importlib.util.spec_from_file_location(name, SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["stdlib", "orjson"])
def impl(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    if request.param == "orjson":
        pytest.importorskip("orjson")
        module = _load_copy("_gws_json_orjson", block_orjson=False, monkeypatch=monkeypatch)
        assert module.ORJSON is True
    else:
        module = _load_copy("_gws_json_stdlib", block_orjson=True, monkeypatch=monkeypatch)
        assert module.ORJSON is False
    return module


BAYEUX_BATCH = [
    {
        "channel": "/v2/me/workbins",
        "data": {
            "messageType": "WorkbinStateChangeMessage",
            "chatStateResourceV2": {"id": "i1", "userData": {"Subject": "Grüße ✓", "n": 1.5}},
            "participants": [],
            "flag": True,
            "none": None,
            "big": 2**62,
            "neg": -17,
        },
        "id": "7",
    },
    {"channel": "/meta/connect", "successful": True, "advice": {"timeout": 30000}},
]


@pytest.mark.parametrize(
    "document",
    [
        json.dumps(BAYEUX_BATCH).encode(),
        json.dumps(BAYEUX_BATCH, ensure_ascii=False).encode(),
        b"[]",
        b'{"a":1,"a":2}',
        b'"text"',
        b"1e308",
    ],
)
def test_loads_agrees_with_the_standard_library(impl: ModuleType, document: bytes) -> None:
    assert impl.loads(document) == json.loads(document)
    assert impl.loads(bytearray(document)) == json.loads(document)
    assert impl.loads(memoryview(document)) == json.loads(document)
    assert impl.loads(document.decode()) == json.loads(document)


@pytest.mark.parametrize(
    "document",
    [
        b"[NaN]",
        b"[1e400]",
        b'"\\ud800"',
        b"\xef\xbb\xbf[1]",
        "[1]".encode("utf-16"),
    ],
    ids=["nan", "infinity", "lone-surrogate", "utf-8-bom", "utf-16"],
)
def test_loads_accepts_what_the_standard_library_accepts(impl: ModuleType, document: bytes) -> None:
    expected = json.loads(document)
    got = impl.loads(document)
    if isinstance(expected, list) and isinstance(expected[0], float) and math.isnan(expected[0]):
        assert math.isnan(got[0])
    else:
        assert got == expected


@pytest.mark.parametrize("document", [b"", b"[1,", b"{'a': 1}", b"<html>502</html>", b"\xff"])
def test_loads_raises_value_error_on_garbage(impl: ModuleType, document: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the one error callers catch
        impl.loads(document)


@pytest.mark.parametrize(
    "value",
    [
        BAYEUX_BATCH,
        {"subscription": ["/v2/me/workbins", "/v2/me/calls"], "id": "3"},
        {"text": "Grüße ✓ \u2028"},
        {1: "int key", "nested": {"list": [1, 2.5, None, False]}},
        {"huge": 2**80},
        [],
    ],
)
def test_dumps_is_compact_json_that_reads_back(impl: ModuleType, value: Any) -> None:
    written = impl.dumps(value)
    assert isinstance(written, bytes)
    assert b": " not in written
    assert b", " not in written
    assert json.loads(written) == json.loads(json.dumps(value))


def test_dumps_raises_type_error_for_what_is_not_json(impl: ModuleType) -> None:
    with pytest.raises(TypeError):
        impl.dumps({"when": object()})


def test_the_installed_module_prefers_orjson_when_present() -> None:
    assert importlib.util.find_spec("orjson") is not None or installed.ORJSON is False
    if importlib.util.find_spec("orjson") is not None:
        assert installed.ORJSON is True
