"""The decoder's first try: each event class's own schema without the conversions that
only unusual input needs, falling back to the class's own validator.

A fast validator builds the same classes from the same core schema, except that a JSON
``null`` is no longer read as an empty list or object (``NullAsEmptyList``,
``NullAsEmptyDict``, ``UserData``): that conversion is a Python call per list or map
field, paid by every notification although the spec's samples never need it. So the fast
validator either returns exactly what the class's own validator would, or rejects the
input, which is then validated again by the class's own validator (and repaired as
before). A ``null`` list costs one more validation; everything else is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final, get_args

from pydantic import BaseModel, WrapValidator
from pydantic_core import CoreSchema, SchemaValidator, core_schema

from gws_async.models import NullAsEmptyDict, NullAsEmptyList, UserData

__all__ = ["fast_validator"]

Validate = Callable[[Any], Any]

# The functions that read null as empty, found through the public markers.
_NULL_AS_EMPTY: Final = frozenset({NullAsEmptyList.func, NullAsEmptyDict.func})
_USER_DATA: Final = next(m.func for m in get_args(UserData)[1:] if isinstance(m, WrapValidator))
# Schema keys whose values are Python objects (classes, functions, defaults), not schemas.
_OPAQUE: Final = frozenset({"cls", "function", "default", "default_factory", "metadata", "ref"})


def _copy_object(value: Any) -> Any:
    # What the UserData validator does with a JSON object; anything else is for it to judge.
    if type(value) is dict:
        return value.copy()
    raise ValueError("not a JSON object")


_COPY_OBJECT: Final = core_schema.no_info_plain_validator_function(_copy_object)


def _strip(schema: Any, models: set[type[BaseModel]]) -> Any:
    """A copy of ``schema`` without the null-as-empty conversions; the model classes it
    builds are added to ``models``."""
    if isinstance(schema, list):
        return [_strip(item, models) for item in schema]
    if not isinstance(schema, dict):
        return schema
    kind = schema.get("type")
    if kind in ("function-before", "function-wrap"):
        function = schema["function"]["function"]
        if function in _NULL_AS_EMPTY:
            return _strip(schema["schema"], models)
        if function is _USER_DATA:
            return _COPY_OBJECT
    if kind == "model":
        models.add(schema["cls"])
    return {
        key: value if key in _OPAQUE else _strip(value, models) for key, value in schema.items()
    }


@contextmanager
def _not_prebuilt(models: set[type[BaseModel]]) -> Iterator[None]:
    # pydantic-core reuses a complete model's own validator wherever its schema appears,
    # which would bring the conversions back: the classes pass for incomplete meanwhile.
    marked = [cls for cls in models if cls.__dict__.get("__pydantic_complete__") is True]
    for cls in marked:
        cls.__pydantic_complete__ = False
    try:
        yield
    finally:
        for cls in marked:
            cls.__pydantic_complete__ = True


def fast_validator(cls: type[BaseModel]) -> Validate:
    """``validate_python`` of ``cls``'s fast validator (see the module's docstring); the
    class's own when its schema has nothing to leave out or cannot be rebuilt."""
    own: Validate = cls.__pydantic_validator__.validate_python
    schema: CoreSchema = cls.__pydantic_core_schema__
    models: set[type[BaseModel]] = set()
    try:
        stripped = _strip(schema, models)
        if stripped == schema:
            return own
        with _not_prebuilt(models):
            validator = SchemaValidator(stripped, schema.get("config"))
    except Exception:  # a pydantic that writes or builds schemas differently: stay correct
        return own
    fast: Validate = validator.validate_python
    return fast
