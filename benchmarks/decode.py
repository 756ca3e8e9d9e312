"""Measure 1: decode rate of typed events, as a ratio to ``orjson.loads`` of the same bytes.

Besides the shipped paths, the same run times the alternatives that were weighed against
them (batch validation, cheaper model config, lazy nested parts), so that their figures
can be reproduced; see :func:`_alternatives`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic_core import SchemaValidator, core_schema

from gws_async.events import UnknownEvent, _decode, _fast, decode_event
from gws_async.events._notifications import bind

from ._common import Row, Section, fixture, fmt_rate, verdict

#: The spec's notification shapes: (fixture, what it is).
SHAPES = (
    ("workbin_item_added_personal", "workbin ItemAdded, full userData"),
    ("interaction_chat_accepted", "chat Accepted, 5 chat_notifications"),
    ("call_state_change", "CallStateChangeMessage"),
)
TARGET = 0.5

#: The nested parts the lazy alternative leaves as received, by fixture.
LAZY = {
    "workbin_item_added_personal": ("user_data",),
    "interaction_chat_accepted": ("chat_notifications", "user_data"),
    "call_state_change": ("call",),
}
#: The nested parts whose share of the fast validation is shown, by fixture: each is timed
#: taken as received, and its share is what that saves.
PARTS = {
    "workbin_item_added_personal": ("interaction", "user_data"),
    "interaction_chat_accepted": ("chat_notifications", "user_data"),
    "call_state_change": ("call", "participants_info", "country"),
}
#: Data messages per Bayeux answer in the batch alternatives.
BATCH = 10

Path = Callable[[], Any]

#: The alternatives' rows: (key, subject, note).
ALTERNATIVES = (
    (
        "own",
        "alt: the class's own validator, no fast path (before)",
        "orjson + validate + bind, no dispatch",
    ),
    (
        "batch-python",
        f"alt 1a: batch of {BATCH}, one validate_python over the answer",
        "callable discriminator; per event, ratio to parsing the same answer",
    ),
    (
        "batch-json",
        f"alt 1b: batch of {BATCH}, validate_json on the bytes",
        "+ a parse for raw; per event, ratio to parsing the same answer",
    ),
    ("ignore", "alt 2: extra='ignore' (loses model_extra)", "orjson + validate + bind"),
    ("lazy", "alt 3: lazy nested parts (lower bound)", ""),
)


def _time_per_call(fn: Path, budget: float) -> float:
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


# -- the alternatives ---------------------------------------------------------------------------


def _edit(schema: Any, extra: str | None, lazy: tuple[str, ...]) -> Any:
    """``schema`` with ``extra`` as every model's extra behaviour, and the fields named in
    ``lazy`` taken as they come (what validating them on first access would cost now)."""
    if isinstance(schema, list):
        return [_edit(item, extra, lazy) for item in schema]
    if not isinstance(schema, dict):
        return schema
    edited: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("cls", "function", "default", "default_factory", "metadata", "ref"):
            edited[key] = value
        elif key == "config" and extra is not None:
            edited[key] = {**value, "extra_fields_behavior": extra}
        elif key == "fields" and schema.get("type") == "model-fields":
            edited[key] = {
                name: {**field, "schema": core_schema.with_default_schema(core_schema.any_schema())}
                if name in lazy
                else _edit(field, extra, lazy)
                for name, field in value.items()
            }
        else:
            edited[key] = _edit(value, extra, lazy)
    return edited


def _validator(schema: Any) -> SchemaValidator:
    """A validator of ``schema`` (a fast schema), its models built from it, not prebuilt."""
    models: set[Any] = set()
    stripped = _fast._strip(schema, models)
    with _fast._not_prebuilt(models):
        return SchemaValidator(stripped)


def _batch_validator() -> SchemaValidator:
    # A list of data objects, each validated as the class its messageType names.
    def message_type(data: Any) -> Any:
        return data.get("messageType") if isinstance(data, dict) else None

    choices = {name: cls.__pydantic_core_schema__ for name, cls in _decode._BY_MESSAGE_TYPE.items()}
    union = core_schema.tagged_union_schema(choices, discriminator=message_type)
    return _validator(core_schema.list_schema(union))


def _alternatives(name: str, topic: str, payload: bytes, cls: Any) -> dict[str, Path]:
    """The alternatives' paths for one shape; each decodes what the shipped path decodes
    (checked), except that ``ignore`` loses extra fields and ``lazy`` the nested parts."""
    import orjson

    data = orjson.loads(payload)
    own = cls.__pydantic_validator__.validate_python
    ignore = _validator(_edit(cls.__pydantic_core_schema__, "ignore", ())).validate_python
    lazy = _validator(_edit(cls.__pydantic_core_schema__, None, LAZY[name])).validate_python
    batch = _batch_validator()
    answer = orjson.dumps([{"channel": topic, "id": str(n), "data": data} for n in range(BATCH)])
    datas = orjson.dumps([data] * BATCH)
    expected = decode_event(topic, data).model_dump()
    if [event.model_dump() for event in batch.validate_python([data] * BATCH)] != [
        expected
    ] * BATCH:
        raise AssertionError(f"{name}: the batch validator decodes otherwise")

    def with_validator(validate: Callable[[Any], Any]) -> Path:
        def path() -> Any:
            data = orjson.loads(payload)
            event = validate(data)
            bind(event, topic, data)
            return event

        return path

    def batch_python() -> Any:
        messages = orjson.loads(answer)
        events = batch.validate_python([message["data"] for message in messages])
        for event, message in zip(events, messages, strict=True):
            bind(event, message["channel"], message["data"])
        return events

    def batch_json() -> Any:
        events = batch.validate_json(datas)
        for event, message in zip(events, orjson.loads(answer), strict=True):
            bind(event, message["channel"], message["data"])
        return events

    return {
        "own": with_validator(own),
        "batch-parse": lambda: orjson.loads(answer),
        "batch-python": batch_python,
        "batch-json": batch_json,
        "ignore": with_validator(ignore),
        "lazy": with_validator(lazy),
    }


# -- the measure --------------------------------------------------------------------------------


def _paths(name: str, topic: str, payload: bytes) -> tuple[dict[str, Path], type[Any]]:
    import orjson

    parsed = json.loads(payload)
    for loads in (json.loads, orjson.loads):
        event = decode_event(topic, loads(payload))
        if isinstance(event, UnknownEvent):
            raise AssertionError(f"{name} did not decode: {event.error}")
    model = type(decode_event(topic, parsed))
    validator = model.__pydantic_validator__
    fast = _fast.fast_validator(model)
    paths: dict[str, Path] = {
        "orjson": lambda: orjson.loads(payload),
        "stdlib": lambda: decode_event(topic, json.loads(payload)),
        "orjson+typed": lambda: decode_event(topic, orjson.loads(payload)),
        "typed": lambda: decode_event(topic, parsed),
        "pydantic": lambda: validator.validate_python(parsed),
        "fast": partial(fast, parsed),
        "pydantic-json": lambda: model.model_validate_json(payload),
    }
    paths.update(_alternatives(name, topic, payload, model))
    for part in PARTS[name]:
        without = _validator(_edit(model.__pydantic_core_schema__, None, (part,)))
        paths["without " + part] = partial(without.validate_python, parsed)
    return paths, model


def _rows(label: str, size: int, best: dict[str, float]) -> list[Row]:
    rate = {key: 1.0 / seconds for key, seconds in best.items()}
    us = {key: f"{seconds * 1e6:.2f} µs" for key, seconds in best.items()}
    ratio_stdlib = rate["stdlib"] / rate["orjson"]
    ratio_orjson = rate["orjson+typed"] / rate["orjson"]
    rows = [
        Row("decode", f"{label}: orjson.loads (baseline)", f"{fmt_rate(rate['orjson'])}/s",
            "1.00", note=f"{size} B, {us['orjson']}"),
        Row("decode", f"{label}: json.loads + decode_event (as shipped)",
            f"{fmt_rate(rate['stdlib'])}/s", f"{ratio_stdlib:.2f}", f">= {TARGET}",
            verdict(ratio_stdlib >= TARGET), us["stdlib"]),
        Row("decode", f"{label}: orjson.loads + decode_event (with proposal)",
            f"{fmt_rate(rate['orjson+typed'])}/s", f"{ratio_orjson:.2f}", f">= {TARGET}",
            verdict(ratio_orjson >= TARGET),
            us["orjson+typed"] + f"; decode_event alone {us['typed']}"),
    ]  # fmt: skip
    for key, subject, note in ALTERNATIVES:
        per_event = best[key] / BATCH if key.startswith("batch") else best[key]
        base = best["batch-parse"] / BATCH if key.startswith("batch") else best["orjson"]
        text = f"{per_event * 1e6:.2f} µs" + (f"; {note}" if note else "")
        rows.append(
            Row("decode", f"{label}: {subject}", f"{fmt_rate(1 / per_event)}/s",
                f"{base / per_event:.2f}", note=text)
        )  # fmt: skip
    return rows


def measure(rounds: int, budget: float) -> Section:
    section = Section(
        "decode",
        "1. Decode: typed events per second per core",
        method=(
            "Each spec sample's `data` object is serialised compactly (as a Bayeux server "
            "sends it) and decoded in one thread from those bytes. The paths are timed "
            "round-robin, " + str(rounds) + " rounds of ~" + f"{budget * 1000:.0f}"
            " ms each, garbage collector on; the best round of each is kept: "
            "`orjson.loads(bytes)` (the parsing limit, the baseline), "
            "`decode_event(topic, json.loads(bytes))` (the listener with the stdlib parser), "
            "`decode_event(topic, orjson.loads(bytes))` (the listener with the `fast` "
            "extra: what ships), and for context `decode_event` alone on an already parsed "
            "dict, pydantic-core's validation alone and `Model.model_validate_json(bytes)`. "
            "Ratio = typed events/s divided by `orjson.loads`/s on the same bytes. The "
            "`alt` rows are the alternatives weighed in the same run: the class's own "
            "validator without the fast path; one validation per Bayeux answer of "
            f"{BATCH} messages (a tagged union whose callable discriminator reads "
            "`messageType`), from the parsed list or from the bytes (a data array; `raw` "
            "then needs a parse of its own); every model with `extra='ignore'` (faster, but "
            "fields of a newer GWS are lost); and lazy nested parts, timed as the nested "
            "part taken as received ("
            + ", ".join(f"{k}: {', '.join(v)}" for k, v in LAZY.items())
            + "), a lower bound of validating it on first access."
        ),
    )
    for name, label in SHAPES:
        message = fixture(name)
        topic = message["channel"]
        payload = json.dumps(message["data"], separators=(",", ":"), ensure_ascii=False).encode()
        paths, model = _paths(name, topic, payload)
        best = dict.fromkeys(paths, float("inf"))
        for _ in range(rounds):
            for key, fn in paths.items():
                best[key] = min(best[key], _time_per_call(fn, budget))
        rate = {key: 1.0 / seconds for key, seconds in best.items()}
        section.raw[name] = {
            "bytes": len(payload),
            "us_per_event": {key: round(seconds * 1e6, 3) for key, seconds in best.items()},
            "ratio_stdlib_path": round(rate["stdlib"] / rate["orjson"], 3),
            "ratio_orjson_path": round(rate["orjson+typed"] / rate["orjson"], 3),
        }
        section.rows += _rows(label, len(payload), best)
        section.details.append(_detail(label, model.__name__, best))
        shares = ", ".join(
            f"`{part}` {(best['fast'] - best['without ' + part]) * 1e6:.2f} µs"
            for part in PARTS[name]
        )
        section.details.append(f"{label}: of the fast validation, {shares}.")
    return section


def _detail(label: str, model: str, best: dict[str, float]) -> str:
    us = {key: f"{seconds * 1e6:.2f} µs" for key, seconds in best.items()}
    budget_us = best["orjson"] * 1e6  # 0.5x means parse + decode <= 2 x parse
    return (
        f"{label}: for 0.5x, `decode_event` may take what `orjson.loads` takes, "
        f"{budget_us:.2f} µs; it takes {us['typed']} on an already parsed dict, of which "
        f"{us['fast']} is pydantic-core validating `{model}` with the fast schema "
        f"({best['fast'] * 1e6 / budget_us:.1f}x the budget on its own; the class's own "
        f"validator takes {us['pydantic']}). `{model}.model_validate_json(bytes)`, parsing "
        f"and validating in one pass, takes {us['pydantic-json']} (and would leave no "
        "`raw` dict)."
    )
