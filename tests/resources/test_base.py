"""resources._base.segment: path segments escaped, dot segments refused."""

from __future__ import annotations

import pytest

from gws_async.resources._base import segment


@pytest.mark.parametrize(
    "value",
    [
        ".",
        "..",
        " .. ",
        "%2E%2E",
        "%2e.",
        "%252E%252E",  # decoded twice by a proxy, then a server
        "\uff0e\uff0e",  # fullwidth dots: NFKC makes them ".."
        "../interactions",
        "a/../b",
        "a\\..",
        "%2E%2E%2Fme",
        "./x",
    ],
)
def test_dot_segments_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="workbin_id"):
        segment(value, "workbin_id")


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("...", "..."),
        ("a.b", "a.b"),
        ("a..b", "a..b"),
        ("..a", "..a"),
        ("ab/+c=", "ab%2F+c="),
        ("x y", "x%20y"),
        ("50%", "50%25"),
        ("q?#", "q%3F%23"),
    ],
)
def test_other_ids_are_escaped(value: str, escaped: str) -> None:
    assert segment(value) == escaped


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_ids_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="skill_id is empty"):
        segment(value, "skill_id")
