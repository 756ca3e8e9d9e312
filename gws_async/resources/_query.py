"""Typed ``fields`` / ``subresources`` options and list parsing ("Request Parameters")."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

from .._base import GwsModel

__all__ = [
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
]

M = TypeVar("M", bound=GwsModel)

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


def parse_items(body: Mapping[str, Any], key: str, model: type[M]) -> list[M]:
    """The ``key`` collection of a ``fields=*`` answer as models."""
    return [model.model_validate(item) for item in body.get(key) or []]


def parse_uris(body: Mapping[str, Any]) -> list[str]:
    """The ``uris`` collection of a list answer."""
    return [str(uri) for uri in body.get("uris") or []]


def parse_one(body: Mapping[str, Any], key: str, model: type[M]) -> M:
    """A singular resource: ``{"<key>": {...}}``, or the object at the top level."""
    value = body.get(key)
    return model.model_validate(value if isinstance(value, Mapping) else body)


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
