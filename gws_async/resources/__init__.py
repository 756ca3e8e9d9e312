"""REST resources, one module per section of the spec."""

from ._base import Resource, segment

__all__ = ["Resource", "segment"]
