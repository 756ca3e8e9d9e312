"""Recordings: the call recordings of the contact center, filtered and paged (spec
section "Request Parameters" of ``/recordings``).
"""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from ._common import SimContext, api_url, fail
from ._provisioning import ok, provisioning_of

__all__ = ["setup"]


def setup(app: web.Application, ctx: SimContext) -> None:
    """Add the ``/recordings`` route."""
    app.router.add_get(f"{ctx.api_root}/recordings", _get_recordings)


def _query_time(request: web.Request, key: str) -> datetime | None:
    value = request.query.get(key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(2, f"{key} must be an ISO 8601 time")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _query_int(request: web.Request, key: str, default: int | None) -> int | None:
    value = request.query.get(key)
    if value is None:
        return default
    if not value.isdigit():
        fail(2, f"{key} must be a non-negative integer")
    return int(value)


async def _get_recordings(request: web.Request) -> web.Response:
    """GET /recordings, filtered by the spec's query parameters."""
    start = _query_time(request, "startTime")
    end = _query_time(request, "endTime")
    offset = _query_int(request, "offset", 0) or 0
    limit = _query_int(request, "limit", None)
    exact = {
        k: request.query[k]
        for k in ("callerPhoneNumber", "dialedPhoneNumber", "userName")
        if k in request.query
    }
    found = []
    for recording in provisioning_of(request).recordings:
        started = datetime.fromisoformat(recording["startTime"].replace("Z", "+00:00"))
        ended = datetime.fromisoformat(recording["endTime"].replace("Z", "+00:00"))
        if start is not None and started < start:
            continue
        if end is not None and ended > end:
            continue
        if any(recording.get(k) != v for k, v in exact.items()):
            continue
        found.append(recording)
    page = found[offset:] if limit is None else found[offset : offset + limit]
    api = api_url(request)
    resources = [
        {
            **r,
            "mediaUri": f"{api}/recordings/{r['id']}/media",
            "uri": f"{api}/recordings/{r['id']}",
        }
        for r in page
    ]
    return ok(recordings=resources)
