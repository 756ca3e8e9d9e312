"""The pydantic base shared by every wire model (events and REST resources)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["GwsModel"]


class GwsModel(BaseModel):
    """Frozen wire model: snake_case attributes aliased to the wire's camelCase.

    ``extra="allow"`` keeps every field a newer GWS sends, so a server upgrade never
    breaks a caller; such fields are reachable through ``model_extra``.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
    )
