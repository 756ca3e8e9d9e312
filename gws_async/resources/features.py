"""Features of the system and of the contact center (spec section "Features")."""

from __future__ import annotations

import builtins

from ..results import Feature, OperationResult
from ._base import Resource, segment
from ._query import Fields, fields_param, parse_items, parse_one, parse_uris

__all__ = ["FeaturesResource"]


class FeaturesResource(Resource):
    """``/features`` (assigned to this contact center) and ``/system/features`` (all)."""

    async def list(self, *, fields: Fields = "*") -> builtins.list[Feature]:
        """The features of the contact center (``GET /features?fields=*``)."""
        body = await self._transport.request(
            "GET", "/features", params=fields_param(fields), operation="GetFeatures"
        )
        return parse_items(body, "features", Feature)

    async def list_uris(self) -> builtins.list[str]:
        """The URIs of the contact center's features (``GET /features``)."""
        body = await self._transport.request("GET", "/features", operation="GetFeatures")
        return parse_uris(body)

    async def get(self, feature_id: str) -> Feature:
        """One feature (``GET /features/{id}``)."""
        body = await self._transport.request(
            "GET", f"/features/{segment(feature_id, 'feature_id')}", operation="GetFeature"
        )
        return parse_one(body, "feature", Feature)

    async def delete(self, feature_id: str) -> OperationResult:
        """Remove a feature from the contact center (``DELETE /features/{id}``)."""
        answer = await self._transport.request(
            "DELETE", f"/features/{segment(feature_id, 'feature_id')}", operation="DeleteFeature"
        )
        return OperationResult.model_validate(answer)

    async def system_features(self, *, fields: Fields = "*") -> builtins.list[Feature]:
        """Every feature the system offers (``GET /system/features?fields=*``, admins)."""
        body = await self._transport.request(
            "GET", "/system/features", params=fields_param(fields), operation="GetSystemFeatures"
        )
        return parse_items(body, "features", Feature)

    async def system_feature_uris(self) -> builtins.list[str]:
        """The URIs of every feature the system offers (``GET /system/features``)."""
        body = await self._transport.request(
            "GET", "/system/features", operation="GetSystemFeatures"
        )
        return parse_uris(body)
