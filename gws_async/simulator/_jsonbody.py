"""Request bodies as JSON, with a bound on how deeply they nest.

Python's parser gives up on deep nesting with a ``RecursionError``, and a body that parses
just below that bound can still fail when it is written back out inside a reply or a
notification. Both are refused here as malformed instead, so that a hostile body gets a
400 and never a 500 with a logged traceback.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "parse_json"]

#: How deeply arrays and objects may nest in a JSON request body (REST and Bayeux); a
#: deeper one is answered 400, like a malformed body. Real bodies nest a few levels.
MAX_JSON_DEPTH = 64


def parse_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of ``raw``; ``ValueError`` when it is malformed or nests deeper
    than ``max_depth`` arrays and objects."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ValueError(f"nested deeper than {max_depth} levels") from None
    if _depth_exceeds(value, max_depth):
        raise ValueError(f"nested deeper than {max_depth} levels")
    return value


def _depth_exceeds(value: Any, max_depth: int) -> bool:
    # Iterative, so that checking cannot itself run out of stack.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
