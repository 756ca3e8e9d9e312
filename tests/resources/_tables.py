"""Table-driven checks shared by the per-resource request tests.

Each resource's test module lists its cases in three tables and makes its tests with
``post_test``, ``get_test`` and ``bad_test``, so the assertions live in one place:

- ``Post``: (id, operation, path with query, JSON body expected, answer);
- ``Get``: (id, operation, path with query, answer, check of the result);
- ``Bad``: (id, operation, text the ``ValueError`` must contain).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import pytest
from _pytest.mark import ParameterSet

from gws_async import GwsClient, OperationResult
from tests.conftest import API, RestMock, body_of

Op = Callable[[GwsClient], Awaitable[Any]]
Post = tuple[str, Op, str, dict[str, Any], dict[str, Any]]
Get = tuple[str, Op, str, dict[str, Any], Callable[[Any], bool]]
Bad = tuple[str, Op, str]
Case = TypeVar("Case", Post, Get, Bad)
Check = Callable[[GwsClient, RestMock, Case], Awaitable[None]]

# Answers and bodies more than one resource's tables use.
OK = {"status": "ok"}
REF = {"statusCode": 0, "referenceId": 7}
DEV = "5aceae61-0b5c-4578-9477-cd352d43cb17"
DEVICE = {"id": DEV, "deviceState": "Active", "doNotDisturb": "Off", "e164Number": "1"}
CHANNEL = {"channel": "chat", "userState": {"state": "Ready"}, "dndState": "Off"}


def cases(table: Sequence[tuple[Any, ...]]) -> list[ParameterSet]:
    """One pytest parameter per row, named by the row's id (its first item)."""
    return [pytest.param(case, id=case[0]) for case in table]


async def sends_the_documented_post(gws: GwsClient, mock: RestMock, case: Post) -> None:
    """The operation POSTs exactly the expected body, with CSRF token and JSON type."""
    _, operation, path, expected, answer = case
    url = f"{API}{path}"
    mock.post(url, payload=answer)
    result = await operation(gws)
    assert isinstance(result, OperationResult)
    assert result.reference_id == answer.get("referenceId")
    call = mock.only_call("POST", url)
    assert body_of(call) == expected
    assert call.kwargs["headers"]["X-CSRF-TOKEN"] == "tok-1"
    assert call.kwargs["headers"]["Content-Type"] == "application/json"


async def sends_the_documented_get(gws: GwsClient, mock: RestMock, case: Get) -> None:
    """The read GETs exactly the path and query, without a body, and decodes the answer."""
    _, operation, path, answer, check = case
    url = f"{API}{path}"
    mock.get(url, payload=answer)
    result = await operation(gws)
    assert check(result)
    if path != "/me":  # the login already sent one GET /me
        call = mock.only_call("GET", url)
        assert body_of(call) is None


async def is_refused_before_sending(gws: GwsClient, mock: RestMock, case: Bad) -> None:
    """The operation raises ``ValueError`` naming the bad input and sends nothing."""
    _, operation, message = case
    before = mock.count()
    with pytest.raises(ValueError, match=message):
        await operation(gws)
    assert mock.count() == before


def _table_test(check: Check[Case], table: Sequence[Case]) -> Check[Case]:
    """A test running ``check`` on each row of ``table``; bind it to a ``test_`` name."""

    @pytest.mark.parametrize("case", cases(table))
    async def test(mock_gws: GwsClient, mock: RestMock, case: Case) -> None:
        await check(mock_gws, mock, case)

    return test


def post_test(table: Sequence[Post]) -> Check[Post]:
    """The test of a ``Post`` table: each row through ``sends_the_documented_post``."""
    return _table_test(sends_the_documented_post, table)


def get_test(table: Sequence[Get]) -> Check[Get]:
    """The test of a ``Get`` table: each row through ``sends_the_documented_get``."""
    return _table_test(sends_the_documented_get, table)


def bad_test(table: Sequence[Bad]) -> Check[Bad]:
    """The test of a ``Bad`` table: each row through ``is_refused_before_sending``."""
    return _table_test(is_refused_before_sending, table)
