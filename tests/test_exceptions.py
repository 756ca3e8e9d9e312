"""The error hierarchy and the one place that maps answers to errors."""

from __future__ import annotations

import asyncio

import pytest

from gws_async import (
    AuthenticationError,
    BayeuxError,
    CsrfTokenError,
    ForbiddenError,
    GwsApiError,
    GwsConnectionError,
    GwsError,
    GwsTimeoutError,
    InternalServerError,
    InvalidResponseError,
    InvalidStateError,
    MissingParameterError,
    NotFoundError,
    PermissionDeniedError,
)
from gws_async._exceptions import error_from_response, parse_bayeux_error

PATH = "/api/v2/me/interactions/0001"


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (1, MissingParameterError),
        (2, InvalidStateError),
        (3, ForbiddenError),
        (4, InternalServerError),
        (5, PermissionDeniedError),
        (6, NotFoundError),
    ],
)
def test_status_code_style_maps_each_code_to_its_class(code: int, cls: type[GwsApiError]) -> None:
    body = {"statusCode": code, "statusMessage": "server says no"}
    error = error_from_response("POST", PATH, 200, body, operation="Accept")
    assert type(error) is cls
    assert error.status_code == code
    assert error.http_status == 200
    assert error.server_message == "server says no"
    assert error.operation == "Accept"
    text = str(error)
    assert text.startswith("Accept: POST /api/v2/me/interactions/0001 -> HTTP 200")
    assert f"statusCode {code}" in text
    assert text.endswith(": server says no")


@pytest.mark.parametrize(
    "body",
    [
        {"statusCode": 0},
        {"statusCode": 0, "referenceId": 16},
        {"status": "ok"},
        {"status": "OK", "replyInteractionId": "00A"},
        {"status": 0},
        {"status": 0, "workbins": []},
        {"devices": []},  # some GETs carry no status at all
    ],
)
def test_success_styles_are_not_errors(body: dict[str, object]) -> None:
    assert error_from_response("GET", PATH, 200, body) is None


def test_status_text_error_style() -> None:
    body = {"status": "error", "errorDescription": "Interaction is not Invited"}
    error = error_from_response("POST", PATH, 200, body)
    assert type(error) is GwsApiError
    assert error.server_message == "Interaction is not Invited"
    assert "Interaction is not Invited" in str(error)


def test_status_number_error_style() -> None:
    error = error_from_response(
        "GET", "/api/v2/me/workbins", 200, {"status": 6, "description": "x"}
    )
    assert isinstance(error, NotFoundError)
    assert error.status_code == 6
    assert error.server_message == "x"


def test_unknown_status_value_is_an_error_not_a_success() -> None:
    error = error_from_response("GET", PATH, 200, {"status": "maybe"})
    assert isinstance(error, GwsApiError)
    assert "maybe" in error.server_message


def test_http_401_is_authentication_error_whatever_the_body() -> None:
    error = error_from_response("GET", "/api/v2/me", 401, {"statusCode": 3})
    assert isinstance(error, AuthenticationError)
    assert error.http_status == 401


def test_http_403_csrf() -> None:
    body = {"statusCode": 3, "statusMessage": "Missing or invalid Csrf token"}
    error = error_from_response("POST", PATH, 403, body)
    assert isinstance(error, CsrfTokenError)
    assert isinstance(error, ForbiddenError)


def test_html_error_page_is_mapped_and_tags_are_stripped() -> None:
    html = "<html><head><title>502</title></head><body><h1>Bad   Gateway</h1></body></html>"
    error = error_from_response("GET", "/api/v2/me", 502, None, html)
    assert isinstance(error, InternalServerError)
    assert error.server_message == "502 Bad Gateway"
    assert error.body is None


def test_html_with_200_is_an_invalid_response() -> None:
    error = error_from_response("GET", "/api/v2/me", 200, None, "<html>login</html>")
    assert isinstance(error, InvalidResponseError)
    assert "not JSON" in str(error)


def test_json_that_is_not_an_object_is_invalid() -> None:
    error = error_from_response("GET", "/api/v2/me", 200, [1, 2])
    assert isinstance(error, InvalidResponseError)
    assert "list" in str(error)


def test_long_server_text_is_clipped() -> None:
    error = error_from_response("GET", PATH, 500, None, "x" * 5000)
    assert error is not None
    assert len(error.server_message) == 300
    assert error.server_message.endswith("...")


def test_http_error_with_status_code_body_prefers_the_code() -> None:
    error = error_from_response("GET", PATH, 404, {"statusCode": 2, "statusMessage": "bad"})
    assert isinstance(error, InvalidStateError)


def test_connection_errors_are_their_own_branch() -> None:
    assert not issubclass(GwsConnectionError, GwsApiError)
    assert issubclass(GwsTimeoutError, GwsConnectionError)
    assert issubclass(GwsTimeoutError, asyncio.TimeoutError)
    error = GwsTimeoutError("GET", "/api/v2/me", "no answer within 5 s")
    assert str(error) == "GET /api/v2/me failed: no answer within 5 s"
    assert isinstance(error, GwsError)


@pytest.mark.parametrize(
    ("raw", "code", "args", "message"),
    [
        ("402::Unknown client", 402, [], "Unknown client"),
        ("403:/meta/x:denied", 403, ["/meta/x"], "denied"),
        ("401:a,b:nope", 401, ["a", "b"], "nope"),
        ("weird", None, [], "weird"),
        (None, None, [], ""),
        ("x:y:z", None, [], "x:y:z"),
    ],
)
def test_bayeux_error_parsing(
    raw: str | None, code: int | None, args: list[str], message: str
) -> None:
    assert parse_bayeux_error(raw) == (code, args, message)
    error = BayeuxError("/meta/connect", raw)
    assert error.code == code
    assert "/meta/connect" in str(error)
