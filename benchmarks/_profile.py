"""Where the time goes: py-spy samples of a gws-async process, as two short Markdown tables.

A measure with an unmet target runs its scenario once more with py-spy attached to the
gws-async process (``attach``) and appends ``Profile.markdown()`` to its section. py-spy
reads the process from outside, pausing it for a few microseconds per sample. It sees
Python frames only: its ``--native`` mode fails to unwind a good part of the samples taken
inside pydantic-core and drops them, which hid most of the validation time. A C call's time
is therefore charged to the Python line that made it, and that line's area is taken from
what it calls (``validate_python`` -> pydantic, ``loads`` -> json). The garbage collector
is invisible to the sampler; the profiled process times it with ``gc.callbacks``
(``GcTimer``) and the table shows it as a share of the process's CPU time.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import linecache
import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._common import Row

RATE = 100  # samples per second
ATTACH_SECONDS = 0.5  # py-spy needs this long to attach before the workload should start
TOP = 12
LINE_CHARS = 60
NOTE = "profile below"

# Areas, innermost match first; a frame is "function (file:line)" or "function (library)".
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gws_async", ("gws_async/",)),
    ("pydantic / pydantic-core", ("pydantic/", "pydantic_core/")),
    ("json / orjson", ("json/", "_json.c", "orjson")),
    ("aiohttp (+ yarl, multidict)", ("aiohttp/", "yarl/", "multidict/", "propcache/")),
    ("asyncio / selectors / socket", ("asyncio/", "selectors.py", "socket.py", "uvloop/")),
    ("benchmark harness", ("benchmarks/",)),
)
# A leaf line that calls into a C extension: its samples belong to the extension's area.
# A guess from the line's text (a pydantic-core validator is called `fast(data)` as well),
# which is why the self table shows each line.
C_CALLS = (
    (re.compile(r"validat|model_construct|\bfast\("), 1),
    (re.compile(r"loads\(|dumps\("), 2),
)
# Waits that py-spy does not always see as idle: the event loop's epoll (its syscall cost
# under load goes with it) and a thread pool's idle worker.
IDLE = re.compile(r"self\._selector\.poll\(|work_queue\.get\(")
OTHER = "other"


def py_spy() -> str | None:
    """py-spy from PATH or beside this Python (the ``bench`` extra installs it there)."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or (str(beside) if os.access(beside, os.X_OK) else None)


def _split(frame: str) -> tuple[str, str]:
    """``"f (file:12)"`` -> ``("f", "file:12")``."""
    name, _, where = frame.rpartition(" (")
    return (name, where[:-1]) if name else (frame, "")


def area(frame: str) -> str:
    _, where = _split(frame)
    for label, marks in AREAS:
        if any(mark in where for mark in marks):
            return label
    return OTHER


def code_cell(where: str) -> str:
    """The source line at ``file:line``, shortened, as a Markdown table cell."""
    code = source(f"x ({where})").replace("|", "\\|").replace("`", "'")
    code = code if len(code) <= LINE_CHARS else code[: LINE_CHARS - 3] + "..."
    return f"`{code}`" if code else ""


def source(frame: str) -> str:
    file, _, line = _split(frame)[1].rpartition(":")
    return linecache.getline(file, int(line)).strip() if line.isdigit() else ""


def leaf_area(frame: str) -> str:
    """The area of a sample's innermost frame, or of the C extension its line calls."""
    line = source(frame)
    for pattern, index in C_CALLS:
        if pattern.search(line):
            return AREAS[index][0]
    return area(frame)


class GcTimer:
    """Time spent in the garbage collector, from ``gc.callbacks``; for a profiled process."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._began = 0.0
        self._cpu0 = time.process_time()
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._began

    def reset(self) -> None:
        self.seconds, self._cpu0 = 0.0, time.process_time()

    def share(self) -> float:
        """Collector seconds / CPU seconds since the last reset."""
        return self.seconds / max(1e-9, time.process_time() - self._cpu0)


@dataclass
class Profile:
    """Samples of one process: stacks (root first) and how often each was seen."""

    what: str
    limit: float = 0.0  # the most to sample, when handed to a run
    seconds: float = 0.0  # sampled
    stacks: Counter[tuple[str, ...]] = field(default_factory=Counter)
    error: str = ""
    gc_share: float | None = None  # of the process's CPU time, from its GcTimer

    def take(self, other: Profile, result: dict[str, Any]) -> None:
        """Adds the samples of ``attach`` and the ``gcShare`` of the profiled peer's result."""
        share = result.get("gcShare")
        if share is not None:
            weight = self.seconds if self.gc_share is not None else 0.0
            total = max(1e-9, weight + other.seconds)
            self.gc_share = ((self.gc_share or 0.0) * weight + share * other.seconds) / total
        self.seconds += other.seconds
        self.stacks.update(other.stacks)
        self.error = self.error or other.error

    @property
    def samples(self) -> int:
        return sum(self.stacks.values())

    def markdown(self) -> str:
        if self.error or not self.stacks:
            why = self.error or "py-spy recorded no sample of the busy process"
            return f"**Profile: {self.what}.** Not taken: {why}."
        n = self.samples
        # py-spy starts sampling a little after it is asked to: the share is rough.
        busy = min(100.0, n / (RATE * self.seconds) * 100) if self.seconds else float("nan")
        head = (
            f"**Profile: {self.what}.** `py-spy record --rate {RATE}`: {n:,} samples over "
            f"{self.seconds:.1f} s, busy in about {busy:.0f}% of the ticks (waits, the event "
            "loop's epoll included, are left out). Self = the innermost Python frame, with "
            "the C it calls, by function and its busiest line. Area: self = that frame's "
            "area, or the C extension its line calls; inclusive = anywhere on the stack."
        )
        return "\n\n".join([head, self._self_table(n), self._area_table(n)])

    def _self_table(self, n: int) -> str:
        by_function: Counter[tuple[str, str]] = Counter()
        lines: dict[tuple[str, str], Counter[str]] = {}
        for stack, count in self.stacks.items():
            name, where = _split(stack[-1])
            key = (name, where.rpartition(":")[0] or where)
            by_function[key] += count
            lines.setdefault(key, Counter())[where] += count
        rows = ["| self % | function | where | busiest line |", "|---:|---|---|---|"]
        for key, count in by_function.most_common(TOP):
            where = lines[key].most_common(1)[0][0]
            rows.append(
                f"| {count / n * 100:.1f} | `{key[0]}` | {short_path(where)} | {code_cell(where)} |"
            )
        return "\n".join(rows)

    def _area_table(self, n: int) -> str:
        own: Counter[str] = Counter()
        anywhere: Counter[str] = Counter()
        for stack, count in self.stacks.items():
            own[leaf_area(stack[-1])] += count
            for label in {area(frame) for frame in stack} | {leaf_area(stack[-1])}:
                anywhere[label] += count
        labels = [label for label, _ in AREAS] + [OTHER]
        rows = ["| area | self % | inclusive % |", "|---|---:|---:|"]
        rows += [
            f"| {label} | {own[label] / n * 100:.1f} | {anywhere[label] / n * 100:.1f} |"
            for label in sorted(labels, key=lambda label: -own[label])
        ]
        if self.gc_share is not None:
            rows.append(
                f"| gc (`gc.callbacks`; inside the rows above) | {self.gc_share * 100:.1f} "
                "of CPU time | |"
            )
        return "\n".join(rows)


def short_path(where: str) -> str:
    """A path from its package (or the standard library's module) on."""
    for root in (*sys.path[1:], str(Path(__file__).resolve().parent.parent)):
        if root and where.startswith(root.rstrip("/") + "/"):
            return where[len(root.rstrip("/")) + 1 :]
    return "/".join(where.split("/")[-3:])


def parse_raw(text: str) -> Counter[tuple[str, ...]]:
    """py-spy's raw format: one ``frame;frame;...;frame count`` line per distinct stack."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            frames = tuple(stack.split(";"))
            if not IDLE.search(source(frames[-1])):
                stacks[frames] += int(count)
    return stacks


async def attach(pid: int, seconds: float, what: str) -> Profile:
    """Samples ``pid`` for ``seconds`` (or until it exits); errors become the profile's note."""
    profile = Profile(what)
    spy = py_spy()
    if spy is None:
        profile.error = "py-spy is not installed (it comes with the `bench` extra)"
        return profile
    duration = max(1, math.ceil(seconds))
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gws-bench-profile-") as tmp:
        out = Path(tmp) / "samples.txt"
        argv = [spy, "record", "--pid", str(pid), "--full-filenames", "--rate", str(RATE)]
        argv += ["--duration", str(duration), "--format", "raw", "--output", str(out)]
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        try:
            _, err = await asyncio.wait_for(process.communicate(), duration + 30)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            err = b"py-spy did not finish"
        if not out.exists():
            text = err.decode(errors="replace").strip().splitlines()
            profile.error = "`py-spy record` failed: " + (text[0] if text else "no output")
            if "ermission" in profile.error or "ptrace" in profile.error:
                profile.error += " (it needs ptrace: root or CAP_SYS_PTRACE)"
            return profile
        linecache.checkcache()  # the source as it is now, closest to what was sampled
        profile.stacks = parse_raw(out.read_text(errors="replace"))
    # The profiled process may end before the duration: its samples cover less.
    profile.seconds = min(seconds, time.monotonic() - began - ATTACH_SECONDS)
    return profile


async def start(pid: int, profile: Profile | None) -> asyncio.Task[Profile] | None:
    """Starts sampling ``pid`` for ``profile``, once py-spy has had time to attach."""
    if profile is None:
        return None
    sampling = asyncio.create_task(attach(pid, profile.limit, profile.what))
    await asyncio.sleep(ATTACH_SECONDS)
    return sampling


async def finish(
    sampling: asyncio.Task[Profile] | None, profile: Profile | None, result: dict[str, Any]
) -> None:
    """Adds what ``start`` sampled, and the peer's ``gcShare``, to ``profile``."""
    if sampling is not None and profile is not None:
        profile.take(await sampling, result)


def unmet(rows: Iterable[Row]) -> list[Row]:
    return [r for r in rows if r.target and r.met == "NO"]


def mark(rows: Sequence[Row]) -> None:
    """Points each unmet target's note at the profile under its section."""
    for row in rows:
        row.note = f"{row.note}; {NOTE}" if row.note else NOTE
