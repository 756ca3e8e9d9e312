"""Shared test setup."""

from __future__ import annotations

import inspect
from typing import Any

import aioresponses.core
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
