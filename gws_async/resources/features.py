"""Features of the system and of the contact center (spec section "Features")."""

from __future__ import annotations

import builtins

from ..results import Feature, OperationResult
from ._base import Resource, segment
from ._query import Fields, fields_param

__all__ = ["FeaturesResource"]


class FeaturesResource(Resource):
    """``/features`` (assigned to this contact center) and ``/system/features`` (all)."""

    async def list(self, *, fields: Fields = "*") -> builtins.list[Feature]:
        """The features of the contact center (``GET /features?fields=*``)."""
        return await self._list(
            "/features", "features", Feature, params=fields_param(fields), operation="GetFeatures"
        )

    async def list_uris(self) -> builtins.list[str]:
        """The URIs of the contact center's features (``GET /features``)."""
        return await self._uris("/features", operation="GetFeatures")

    async def get(self, feature_id: str) -> Feature:
        """One feature (``GET /features/{id}``)."""
        return await self._one(
            f"/features/{segment(feature_id, 'feature_id')}",
            "feature",
            Feature,
            operation="GetFeature",
        )

    async def delete(self, feature_id: str) -> OperationResult:
        """Remove a feature from the contact center (``DELETE /features/{id}``)."""
        return await self._perform(
            "DELETE", f"/features/{segment(feature_id, 'feature_id')}", operation="DeleteFeature"
        )

    async def system_features(self, *, fields: Fields = "*") -> builtins.list[Feature]:
        """Every feature the system offers (``GET /system/features?fields=*``, admins)."""
        return await self._list(
            "/system/features",
            "features",
            Feature,
            params=fields_param(fields),
            operation="GetSystemFeatures",
        )

    async def system_feature_uris(self) -> builtins.list[str]:
        """The URIs of every feature the system offers (``GET /system/features``)."""
        return await self._uris("/system/features", operation="GetSystemFeatures")
