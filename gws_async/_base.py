"""The pydantic base shared by every wire model (events and REST resources), and the
annotated type of identifiers."""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, GetPydanticSchema
from pydantic.alias_generators import to_camel
from pydantic_core import core_schema

__all__ = ["IDENTIFIER_ERROR", "GwsModel", "Id"]

IDENTIFIER_ERROR: Final = "identifier_type"
"""The pydantic error type of an :data:`Id` that is not a JSON string."""


def _identifier_schema(_source: Any, _handler: Any) -> core_schema.CoreSchema:
    # Its own error type lets the lenient decoder tell an identifier (never converted)
    # from a text field (a boolean there may be converted).
    return core_schema.custom_error_schema(
        core_schema.str_schema(strict=True),
        custom_error_type=IDENTIFIER_ERROR,
        custom_error_message="Input should be a string: identifiers are never converted",
    )


Id = Annotated[str, GetPydanticSchema(_identifier_schema)]
"""An identifier (``id``, ``userId``, a channel's name...): a JSON string, taken exactly.

Unlike other text fields, a number is not converted to its text: what identifies an
object must be what the server meant, not a guess."""


class GwsModel(BaseModel):
    """Frozen wire model: snake_case attributes aliased to the wire's camelCase.

    ``extra="allow"`` keeps every field a newer GWS sends, so a server upgrade never
    breaks a caller; such fields are reachable through ``model_extra``.

    Values are converted where nothing is lost (pydantic's lax mode plus
    ``coerce_numbers_to_str``): a JSON number in a text field becomes its text (``12`` ->
    ``"12"``, ``1.5`` -> ``"1.5"``), numeric text in a number field becomes the number
    (``"12"`` -> ``12``), ``"true"``/``"false"`` in a boolean field the boolean. An
    :data:`Id` is never converted.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
        coerce_numbers_to_str=True,
    )
