"""Typed ``fields`` / ``subresources`` options and list parsing ("Request Parameters")."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from .._base import GwsModel

__all__ = [
    "AnswerShapeError",
    "Fields",
    "Subresources",
    "b64",
    "change_password_body",
    "fields_param",
    "parse_items",
    "parse_one",
    "parse_uris",
    "require",
    "subresources_param",
    "validated",
]

M = TypeVar("M", bound=GwsModel)

# How much of a validation failure an error message carries: the first few problems, each
# clipped; never the offending values, which may be huge.
_MAX_PROBLEMS = 3
_MAX_PROBLEM_TEXT = 120

#: ``"*"`` for every field, or the names of the wanted fields.
Fields = Literal["*"] | Sequence[str]
#: ``"*"`` for every subresource, or their names (e.g. ``("skills", "devices")``).
Subresources = Literal["*"] | Sequence[str]


def _join(value: Literal["*"] | Sequence[str], name: str) -> str:
    if isinstance(value, str):
        if value != "*":
            raise ValueError(f"{name} must be '*' or a sequence of names, got {value!r}")
        return "*"
    names = list(value)
    if not names:
        raise ValueError(f"{name} is empty")
    for item in names:
        if not isinstance(item, str) or not item.strip() or "," in item:
            raise ValueError(f"invalid {name} entry {item!r}")
    return ",".join(item.strip() for item in names)


def fields_param(fields: Fields) -> dict[str, str]:
    """``{"fields": ...}`` from a typed option."""
    return {"fields": _join(fields, "fields")}


def subresources_param(subresources: Subresources | None) -> dict[str, str]:
    """``{"subresources": ...}``, or nothing for ``None``."""
    if subresources is None:
        return {}
    return {"subresources": _join(subresources, "subresources")}


class AnswerShapeError(ValueError):
    """An answer that does not have the shape its result model needs.

    ``summary`` says what did not fit, in a few short lines and without the values; the
    resource turns it into an :class:`~gws_async.InvalidResponseError` naming the request.
    """

    def __init__(self, summary: str) -> None:
        self.summary = summary
        super().__init__(summary)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_PROBLEM_TEXT else text[: _MAX_PROBLEM_TEXT - 3] + "..."


def _summary(exc: ValidationError, model: type[GwsModel], where: str) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_input=False)[:_MAX_PROBLEMS]:
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        problems.append(_clip(f"{where}{loc}: {error['msg']}"))
    more = exc.error_count() - len(problems)
    tail = f" (and {more} more)" if more > 0 else ""
    return f"the answer did not fit {model.__name__}: " + "; ".join(problems) + tail


def validated(model: type[M], value: Any, where: str = "answer") -> M:
    """``value`` as a ``model``, or :class:`AnswerShapeError` saying what did not fit
    (``where`` names ``value`` in it: ``skills[2]``, ``user``...)."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        summary = _summary(exc, model, where)
    # Raised outside the except block: the ValidationError (and the whole answer it holds)
    # stays out of the new error's context.
    raise AnswerShapeError(summary)


def _collection(body: Mapping[str, Any], key: str) -> list[Any]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise AnswerShapeError(
            f"the answer did not fit: {key} is a JSON {type(value).__name__}, not a list"
        )
    return value


def parse_items(body: Mapping[str, Any], key: str, model: type[M]) -> list[M]:
    """The ``key`` collection of a ``fields=*`` answer as models (none when absent)."""
    return [
        validated(model, item, f"{key}[{index}]")
        for index, item in enumerate(_collection(body, key))
    ]


def parse_uris(body: Mapping[str, Any]) -> list[str]:
    """The ``uris`` collection of a list answer (none when absent)."""
    uris = _collection(body, "uris")
    for index, uri in enumerate(uris):
        if not isinstance(uri, str):
            raise AnswerShapeError(
                f"the answer did not fit: uris[{index}] is a JSON {type(uri).__name__}, "
                "not a string"
            )
    return uris


def parse_one(body: Mapping[str, Any], key: str, model: type[M]) -> M:
    """A singular resource: ``{"<key>": {...}}``, or the object at the top level."""
    value = body.get(key)
    if isinstance(value, Mapping):
        return validated(model, value, key)
    return validated(model, body)


def require(value: str, name: str) -> str:
    """``value`` if it is a non-blank string, else ``ValueError``."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} is empty")
    return value


def b64(password: str, name: str) -> str:
    """A password encoded as the spec wants it (base64 of its UTF-8 bytes)."""
    if not isinstance(password, str) or password == "":
        raise ValueError(f"{name} is empty")
    return base64.b64encode(password.encode("utf-8")).decode("ascii")


def change_password_body(old_password: str, new_password: str) -> dict[str, str]:
    """The ``ChangePassword`` operation, sent on ``/me`` and on ``/users/{id}`` alike."""
    return {
        "operationName": "ChangePassword",
        "oldPassword": b64(old_password, "old_password"),
        "newPassword": b64(new_password, "new_password"),
    }
