"""Call recordings (``/recordings``, spec section "Request Parameters")."""

from __future__ import annotations

import builtins
from datetime import datetime, timezone

from ..results import Recording
from ._base import Resource

__all__ = ["RecordingsResource", "format_time"]


def format_time(value: datetime | str, name: str) -> str:
    """A query time: ISO 8601 in UTC with milliseconds (``2024-05-01T12:00:00.000Z``).

    Naive datetimes are taken as UTC; strings are sent as given.
    """
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"{name} is empty")
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class RecordingsResource(Resource):
    """Search call recordings."""

    async def list(
        self,
        *,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        caller_phone_number: str | None = None,
        dialed_phone_number: str | None = None,
        user_name: str | None = None,
        offset: int | None = None,
        limit: int | None = None,
    ) -> builtins.list[Recording]:
        """The recordings matching the filters (``GET /recordings``), ``offset`` / ``limit``
        paging through them."""
        if (
            isinstance(start_time, datetime)
            and isinstance(end_time, datetime)
            and (start_time.tzinfo is None) == (end_time.tzinfo is None)
            and start_time > end_time
        ):
            raise ValueError("start_time is after end_time")
        if offset is not None and (isinstance(offset, bool) or offset < 0):
            raise ValueError("offset must be a non-negative int")
        if limit is not None and (isinstance(limit, bool) or limit < 1):
            raise ValueError("limit must be a positive int")
        params: dict[str, str] = {}
        if start_time is not None:
            params["startTime"] = format_time(start_time, "start_time")
        if end_time is not None:
            params["endTime"] = format_time(end_time, "end_time")
        for key, value, name in (
            ("callerPhoneNumber", caller_phone_number, "caller_phone_number"),
            ("dialedPhoneNumber", dialed_phone_number, "dialed_phone_number"),
            ("userName", user_name, "user_name"),
        ):
            if value is not None:
                if not value.strip():
                    raise ValueError(f"{name} is empty")
                params[key] = value
        if offset is not None:
            params["offset"] = str(offset)
        if limit is not None:
            params["limit"] = str(limit)
        return await self._list(
            "/recordings", "recordings", Recording, params=params or None, operation="GetRecordings"
        )
