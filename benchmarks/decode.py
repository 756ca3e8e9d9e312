"""Measure 1: decode rate of typed events, as a ratio to ``orjson.loads`` of the same bytes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from gws_async.events import UnknownEvent, decode_event

from ._common import Row, Section, fixture, fmt_rate, verdict

#: The spec's notification shapes: (fixture, what it is).
SHAPES = (
    ("workbin_item_added_personal", "workbin ItemAdded, full userData"),
    ("interaction_chat_accepted", "chat Accepted, 5 chat_notifications"),
    ("call_state_change", "CallStateChangeMessage"),
)
TARGET = 0.5


def _time_per_call(fn: Callable[[], Any], budget: float) -> float:
    """Seconds per call of ``fn``, over as many calls as fit in ``budget`` seconds."""
    n = 0
    batch = 64
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            fn()
        n += batch
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return elapsed / n


def measure(rounds: int, budget: float) -> Section:
    import orjson

    section = Section(
        "decode",
        "1. Decode: typed events per second per core",
        method=(
            "Each spec sample's `data` object is serialised compactly (as a Bayeux server "
            "sends it) and decoded in one thread from those bytes. Six paths are timed "
            "round-robin, " + str(rounds) + " rounds of ~" + f"{budget * 1000:.0f}"
            " ms each, garbage collector on; the best round of each is kept: "
            "`orjson.loads(bytes)` (the parsing limit, the baseline), "
            "`decode_event(topic, json.loads(bytes))` (what the listener does today: "
            "bayeux.py parses with the stdlib), `decode_event(topic, orjson.loads(bytes))` "
            "(the listener with proposal 01 and the `fast` extra), and for context "
            "`decode_event` alone on an already parsed dict, pydantic-core's validation "
            "alone (`Model.__pydantic_validator__.validate_python(dict)`) and "
            "`Model.model_validate_json(bytes)`. Ratio = typed events/s divided by "
            "`orjson.loads`/s on the same bytes."
        ),
    )
    for name, label in SHAPES:
        message = fixture(name)
        topic = message["channel"]
        payload = json.dumps(message["data"], separators=(",", ":"), ensure_ascii=False).encode()
        parsed = json.loads(payload)
        for loads in (json.loads, orjson.loads):
            event = decode_event(topic, loads(payload))
            if isinstance(event, UnknownEvent):
                raise AssertionError(f"{name} did not decode: {event.error}")

        def orjson_only(payload: bytes = payload) -> Any:
            return orjson.loads(payload)

        def stdlib_typed(payload: bytes = payload, topic: str = topic) -> Any:
            return decode_event(topic, json.loads(payload))

        def orjson_typed(payload: bytes = payload, topic: str = topic) -> Any:
            return decode_event(topic, orjson.loads(payload))

        def typed_only(parsed: Any = parsed, topic: str = topic) -> Any:
            return decode_event(topic, parsed)

        model = type(decode_event(topic, parsed))

        def validate_only(
            parsed: Any = parsed, validator: Any = model.__pydantic_validator__
        ) -> Any:
            return validator.validate_python(parsed)

        def validate_json(payload: bytes = payload, model: Any = model) -> Any:
            return model.model_validate_json(payload)

        paths: dict[str, Callable[[], Any]] = {
            "orjson": orjson_only,
            "stdlib": stdlib_typed,
            "orjson+typed": orjson_typed,
            "typed": typed_only,
            "pydantic": validate_only,
            "pydantic-json": validate_json,
        }
        best = dict.fromkeys(paths, float("inf"))
        for _ in range(rounds):
            for key, fn in paths.items():
                best[key] = min(best[key], _time_per_call(fn, budget))
        rate = {key: 1.0 / seconds for key, seconds in best.items()}
        ratio_stdlib = rate["stdlib"] / rate["orjson"]
        ratio_orjson = rate["orjson+typed"] / rate["orjson"]
        section.raw[name] = {
            "bytes": len(payload),
            "us_per_event": {key: round(seconds * 1e6, 3) for key, seconds in best.items()},
            "ratio_stdlib_path": round(ratio_stdlib, 3),
            "ratio_orjson_path": round(ratio_orjson, 3),
        }
        us = {key: f"{seconds * 1e6:.2f} µs" for key, seconds in best.items()}
        section.rows += [
            Row(
                "decode",
                f"{label}: orjson.loads (baseline)",
                f"{fmt_rate(rate['orjson'])}/s",
                "1.00",
                note=f"{len(payload)} B, {us['orjson']}",
            ),
            Row(
                "decode",
                f"{label}: json.loads + decode_event (as shipped)",
                f"{fmt_rate(rate['stdlib'])}/s",
                f"{ratio_stdlib:.2f}",
                f">= {TARGET}",
                verdict(ratio_stdlib >= TARGET),
                us["stdlib"],
            ),
            Row(
                "decode",
                f"{label}: orjson.loads + decode_event (with proposal)",
                f"{fmt_rate(rate['orjson+typed'])}/s",
                f"{ratio_orjson:.2f}",
                f">= {TARGET}",
                verdict(ratio_orjson >= TARGET),
                us["orjson+typed"] + f"; decode_event alone {us['typed']}",
            ),
        ]
        budget_us = best["orjson"] * 1e6  # 0.5x means parse + decode <= 2 x parse
        section.details.append(
            f"{label}: for 0.5x, `decode_event` may take what `orjson.loads` takes, "
            f"{budget_us:.2f} µs; it takes {us['typed']} on an already parsed dict, of which "
            f"{us['pydantic']} is pydantic-core validating `{model.__name__}` "
            f"({best['pydantic'] * 1e6 / budget_us:.1f}x the budget on its own). "
            f"`{model.__name__}.model_validate_json(bytes)`, parsing and validating in one "
            f"pass, takes {us['pydantic-json']} (and would leave no `raw` dict)."
        )
    return section
