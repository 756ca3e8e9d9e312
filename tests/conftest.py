"""Shared test setup."""

from __future__ import annotations

import gc
import inspect
import logging
from collections.abc import Generator
from typing import Any

import aioresponses.core
import pytest
from aiohttp import ClientResponse

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
