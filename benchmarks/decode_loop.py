"""The decode measure's typed paths in a loop of their own process, for a profiler to watch.

``python -m benchmarks.decode_loop --path stdlib|orjson --shapes NAME[,NAME...] --seconds S``

Prints ``READY`` once the samples are loaded and the validators built, waits for a line on
stdin, then decodes the shapes round-robin for S seconds exactly as the decode measure's
``json.loads + decode_event`` (``stdlib``) or ``orjson.loads + decode_event`` (``orjson``)
path does, and prints ``RESULT {json}``: events decoded and the garbage collector's share
of the CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from gws_async.events import decode_event

from ._common import STARTUP_TIMEOUT, Section, fixture, peer, python_argv
from ._profile import ATTACH_SECONDS, GcTimer, Profile, attach, mark, unmet


def _loads(path: str) -> Callable[[bytes], Any]:
    if path == "orjson":
        import orjson

        return orjson.loads
    return json.loads


def main(args: argparse.Namespace) -> dict[str, Any]:
    loads = _loads(args.path)
    timer = GcTimer()
    samples = []
    for name in args.shapes.split(","):
        message = fixture(name)
        payload = json.dumps(message["data"], separators=(",", ":"), ensure_ascii=False)
        samples.append((message["channel"], payload.encode()))
        decode_event(message["channel"], loads(samples[-1][1]))  # builds the validators
    print("READY", flush=True)
    sys.stdin.readline()
    timer.reset()
    count = 0
    stop = time.perf_counter() + args.seconds
    while time.perf_counter() < stop:
        for topic, payload in samples:
            for _ in range(100):
                # Two lines, so that a sample on the first is parsing, on the second decoding.
                data = loads(payload)
                decode_event(topic, data)
        count += 100 * len(samples)
    return {"events": count, "gcShare": timer.share()}


PATHS = (
    ("stdlib", "ratio_stdlib_path", "json.loads + decode_event (as shipped)"),
    ("orjson", "ratio_orjson_path", "orjson.loads + decode_event (with proposal)"),
)


async def profile(section: Section, seconds: float) -> None:
    """For each typed path below its target: a process looping over the shapes that miss
    it, under py-spy; the profile goes under the decode section."""
    from .decode import SHAPES, TARGET

    rows = unmet(section.rows)
    if not rows:
        return
    for path, key, label in PATHS:
        shapes = [name for name, _ in SHAPES if section.raw.get(name, {}).get(key, 1.0) < TARGET]
        if not shapes:
            continue
        argv = python_argv("benchmarks.decode_loop", "--path", path)
        argv += ["--shapes", ",".join(shapes), "--seconds", str(seconds + ATTACH_SECONDS)]
        what = f"{label}, looping over {', '.join(shapes)} in a process of its own"
        async with peer("decode loop", argv) as proc:
            await proc.expect("READY", STARTUP_TIMEOUT)
            sampling = asyncio.create_task(attach(proc.process.pid, seconds, what))
            await asyncio.sleep(ATTACH_SECONDS)
            proc.send("GO")
            result = await proc.result(seconds + 30)
            taken = Profile(what)
            taken.take(await sampling, result)
            section.details.append(taken.markdown())
    mark(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.decode_loop")
    parser.add_argument("--path", choices=("stdlib", "orjson"), required=True)
    parser.add_argument("--shapes", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    print("RESULT " + json.dumps(main(parser.parse_args())), flush=True)
