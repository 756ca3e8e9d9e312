"""JSON for the wire: ``orjson`` when it is installed (the ``fast`` extra), else the
standard library.

``loads`` accepts everything :func:`json.loads` accepts: what orjson refuses (``NaN``, a
byte-order mark, UTF-16, lone surrogates, numbers out of double range) is parsed again by
the standard library, which then decides. The one difference left with orjson: an integer
beyond 64 bits comes back as a float.

``dumps`` returns compact UTF-8 bytes. With orjson, text is written as UTF-8 rather than
``\\uXXXX`` escapes and NaN or infinity as ``null`` (the standard library writes ``NaN``,
which is not JSON); anything orjson cannot write (an integer beyond 64 bits, a key that is
not a string, int, float or bool) is written by the standard library instead.
"""

from __future__ import annotations

import importlib
import json
from types import ModuleType
from typing import Any, Final

__all__ = ["ORJSON", "decode_body", "dumps", "loads"]

# How much of a body that is not JSON is kept to describe it in an error.
_TEXT_SHOWN: Final = 2000


def _find_orjson() -> ModuleType | None:
    # Imported by name so that type checking does not depend on the optional package.
    try:
        return importlib.import_module("orjson")
    except ImportError:
        return None


_orjson = _find_orjson()

#: Whether orjson is in use.
ORJSON: Final = _orjson is not None


def _std_loads(data: bytes | bytearray | memoryview | str) -> Any:
    if isinstance(data, memoryview):
        data = data.tobytes()
    return json.loads(data)


def _std_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


if _orjson is not None:
    _orjson_loads = _orjson.loads
    _orjson_dumps = _orjson.dumps
    _OrjsonDecodeError = _orjson.JSONDecodeError
    _DUMPS_OPTIONS: Final = _orjson.OPT_NON_STR_KEYS

    def loads(data: bytes | bytearray | memoryview | str) -> Any:
        """Parse one JSON document; raises ``ValueError`` if it is not JSON."""
        try:
            return _orjson_loads(data)
        except _OrjsonDecodeError:
            return _std_loads(data)

    def dumps(value: Any) -> bytes:
        """Compact UTF-8 JSON; raises ``TypeError`` for what is not serialisable."""
        try:
            written: bytes = _orjson_dumps(value, option=_DUMPS_OPTIONS)
        except TypeError:
            return _std_dumps(value)
        return written

else:

    def loads(data: bytes | bytearray | memoryview | str) -> Any:
        """Parse one JSON document; raises ``ValueError`` if it is not JSON."""
        return _std_loads(data)

    def dumps(value: Any) -> bytes:
        """Compact UTF-8 JSON; raises ``TypeError`` for what is not serialisable."""
        return _std_dumps(value)


def decode_body(raw: bytes) -> tuple[Any, str]:
    """An answer's body as ``(json, "")``, or ``(None, text)`` when it is not JSON (an HTML
    error page, a truncated answer); ``text`` is its start, for the error message."""
    try:
        return loads(raw), ""
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None, raw[:_TEXT_SHOWN].decode("utf-8", "replace")
