"""``python -m benchmarks``: run the measures, print a table, write benchmarks/RESULTS.md.

See ``python -m benchmarks --help`` and benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ._common import BENCH_DIR, NODE_DIR, Row, Section, have_module, machine, table, versions

MEASURES = ("decode", "e2e", "latency", "scale", "rest", "sessions", "fleet")
RESULTS = BENCH_DIR / "RESULTS.md"
NPM_PACKAGES = ("cometd", "cometd-nodejs-client", "cometd-nodejs-server")
SESSIONS_DEFAULT = (200, 1000)  # sessions per client process in the many-sessions measure
SESSIONS_QUICK = (20, 50)
PROFILE_SECONDS = 5.0  # of sampling, per profile of a measure with an unmet target
PROFILE_QUICK = 2.0


def _add_sessions_options(parser: argparse.ArgumentParser) -> None:
    """The options of the many-sessions measure."""
    parser.add_argument(
        "--sessions",
        dest="session_counts",
        type=int,
        nargs="+",
        default=list(SESSIONS_DEFAULT),
        help="sessions held by one client process, one run each (default: 200 1000; "
        "--quick: 20 50)",
    )
    parser.add_argument(
        "--sessions-rate", type=float, default=10.0, help="messages/s per session (default 10)"
    )
    parser.add_argument(
        "--sessions-seconds", type=float, default=20.0, help="measured seconds (default 20)"
    )
    parser.add_argument(
        "--sessions-warmup", type=float, default=3.0, help="warm-up seconds (default 3)"
    )
    parser.add_argument(
        "--sessions-configs",
        default="default,fast,uvloop",
        help="gws-async configurations beside the JS client: default (json, asyncio), fast "
        "(orjson, asyncio), uvloop (orjson, uvloop; when installed and not --no-uvloop)",
    )


def _add_profile_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-profile",
        dest="profile",
        action="store_false",
        help="do not profile the measures whose targets are not met",
    )
    parser.add_argument(
        "--profile-seconds",
        type=float,
        default=PROFILE_SECONDS,
        help=f"seconds of py-spy sampling per profile (default {PROFILE_SECONDS:g}; --quick: "
        f"{PROFILE_QUICK:g})",
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="gws-async against real peers: decode, burst, latency, scale, REST, "
        "many sessions, fleet.",
    )
    parser.add_argument(
        "--only",
        default=",".join(MEASURES),
        help=f"comma-separated measures to run, among {', '.join(MEASURES)} (default: all)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller counts and shorter runs (a smoke test)"
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the Markdown results (default: benchmarks/RESULTS.md when every "
        "measure runs, nowhere otherwise)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--decode-rounds", type=int, default=7)
    parser.add_argument("--burst", type=int, default=20_000, help="messages in the burst")
    parser.add_argument("--reps", type=int, default=3, help="rounds of the burst per client")
    parser.add_argument(
        "--no-uvloop",
        dest="uvloop",
        action="store_false",
        help="skip the run of gws-async on uvloop in the burst (run when uvloop is installed)",
    )
    parser.add_argument("--latency-rate", type=float, default=1000.0)
    parser.add_argument("--latency-seconds", type=float, default=30.0)
    parser.add_argument(
        "--latency-peers",
        choices=("all", "gws"),
        default="all",
        help="measure latency for every client or for gws-async only",
    )
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--scale-rate", type=float, default=10.0, help="events/agent/s")
    parser.add_argument("--scale-seconds", type=float, default=15.0)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument("--rest-seconds", type=float, default=3.0)
    parser.add_argument("--rest-concurrency", type=int, nargs="+", default=[1, 16])
    _add_sessions_options(parser)
    _add_profile_options(parser)
    parser.add_argument(
        "--fleet-agents", type=int, default=500, help="agents in the fleet measure (500; quick: 20)"
    )
    parser.add_argument(
        "--fleet-rate",
        type=float,
        default=20.0,
        help="events/agent/s in the fleet measure (20: with 500 agents, 10,000 events/s "
        "offered, above what one worker carries)",
    )
    parser.add_argument(
        "--fleet-seconds", type=float, default=10.0, help="publishing seconds (10; --quick: 3)"
    )
    parser.add_argument(
        "--fleet-workers", type=int, nargs="+", default=[1, 2, 4], help="worker processes, one "
        "run each (1 2 4)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.only = [m.strip() for m in args.only.split(",") if m.strip()]
    unknown = set(args.only) - set(MEASURES)
    if unknown:
        parser.error(f"unknown measure(s): {', '.join(sorted(unknown))}")
    if args.quick:
        args.decode_rounds = 3
        args.burst = min(args.burst, 5000)
        args.reps = 1
        args.latency_seconds = min(args.latency_seconds, 5.0)
        args.agents = min(args.agents, 200)
        args.scale_seconds = min(args.scale_seconds, 5.0)
        args.idle_seconds = min(args.idle_seconds, 2.0)
        args.rest_seconds = min(args.rest_seconds, 1.0)
        args.fleet_agents = min(args.fleet_agents, 20)
        args.fleet_seconds = min(args.fleet_seconds, 3.0)
        args.profile_seconds = min(args.profile_seconds, PROFILE_QUICK)
    args.profile_seconds = args.profile_seconds if args.profile else 0.0
    _check_sessions_options(parser, args)
    return args


def _check_sessions_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.quick:
        args.session_counts = (
            list(SESSIONS_QUICK)
            if args.session_counts == list(SESSIONS_DEFAULT)
            else [min(n, max(SESSIONS_QUICK)) for n in args.session_counts]
        )
        args.sessions_seconds = min(args.sessions_seconds, 5.0)
        args.sessions_warmup = min(args.sessions_warmup, 1.0)
    configs = [c.strip() for c in args.sessions_configs.split(",") if c.strip()]
    if set(configs) - {"default", "fast", "uvloop"}:
        parser.error(f"unknown configuration(s) in --sessions-configs: {args.sessions_configs}")
    args.sessions_configs = [c for c in configs if c != "uvloop" or args.uvloop]


def ensure_peers(measures: list[str]) -> None:
    """Installs the npm peers from the lock file if needed; checks the Python ones."""
    missing = [m for m in ("orjson",) if "decode" in measures and not have_module(m)]
    if any(m in measures for m in ("e2e", "latency")):
        missing += [m for m in ("aiocometd_ng",) if not have_module(m)]
    if any(m in measures for m in ("e2e", "latency", "sessions")):
        node, npm = shutil.which("node"), shutil.which("npm")
        if node is None or npm is None:
            sys.exit("the burst and latency measures need node and npm")
        installed = all(
            (NODE_DIR / "node_modules" / p / "package.json").exists() for p in NPM_PACKAGES
        )
        if not installed:
            print("installing the npm peers (npm ci in benchmarks/node)...", flush=True)
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=NODE_DIR,
                check=True,
                env={**os.environ, "CI": "true"},
                stdin=subprocess.DEVNULL,
            )
    if missing:
        sys.exit(
            f"missing Python peer(s): {', '.join(missing)}; install them with "
            "`pip install -e '.[bench]'` (or run `bash benchmarks/run`)"
        )


def write_results(
    path: Path, sections: list[Section], started: float, facts: dict[str, Any]
) -> None:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `bash benchmarks/run` ({' '.join(sys.argv[1:]) or 'all measures'}) on "
        f"{when}, in {time.monotonic() - started:.0f} s. Figures are ratios against a "
        "baseline measured in the same run; absolute figures are context only, and move "
        "with the machine and whatever else it runs. How each figure is obtained is under "
        "its section; the commands and the files are described in benchmarks/README.md.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in facts["machine"].items()]
    lines += [
        f"| load average (1 min) before / after | {facts['load_before']:.2f} / "
        f"{facts['load_after']:.2f} |",
        "",
        "## Versions",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in facts["versions"].items()]
    rows = [r for s in sections for r in s.rows]
    lines += ["", "## Targets", "", table([r for r in rows if r.target], markdown=True)]
    lines += ["", "## Summary", "", table(rows, markdown=True)]
    for section in sections:
        lines += ["", f"## {section.title}", "", "**Method.** " + section.method, ""]
        lines += [table(section.rows, markdown=True)]
        for detail in section.details:
            lines += ["", detail]
    lines += [
        "",
        "## Raw figures",
        "",
        "<details><summary>JSON</summary>",
        "",
        "```json",
        json.dumps({s.name: s.raw for s in sections}, indent=1, default=str),
        "```",
        "",
        "</details>",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


async def run(args: argparse.Namespace) -> list[Section]:
    from . import cometd, decode, decode_loop, fleet, scale, sessions

    steps: dict[str, Callable[[], Awaitable[Section]]] = {
        "e2e": lambda: cometd.measure_e2e(args.burst, args.reps, args.uvloop, args.profile_seconds),
        "latency": lambda: cometd.measure_latency(
            args.latency_rate,
            args.latency_seconds,
            args.uvloop,
            args.latency_peers,
            args.profile_seconds,
        ),
        "scale": lambda: scale.measure_scale(
            args.agents,
            args.scale_rate,
            args.scale_seconds,
            args.idle_seconds,
            args.profile_seconds,
        ),
        "rest": lambda: scale.measure_rest(args.rest_seconds, args.rest_concurrency),
        "sessions": lambda: sessions.measure_sessions(
            args.session_counts,
            args.sessions_rate,
            args.sessions_seconds,
            args.sessions_warmup,
            args.sessions_configs,
            args.profile_seconds,
        ),
        "fleet": lambda: fleet.measure_fleet(
            args.fleet_agents, args.fleet_rate, args.fleet_seconds, args.fleet_workers
        ),
    }
    sections: list[Section] = []
    for name in MEASURES:
        if name not in args.only:
            continue
        print(f"== {name} ...", flush=True)
        began = time.monotonic()
        load = os.getloadavg()[0]
        try:
            if name == "decode":
                section = decode.measure(args.decode_rounds, budget=0.05)
                if args.profile_seconds:
                    await decode_loop.profile(section, args.profile_seconds)
            else:
                section = await steps[name]()
        except Exception as exc:  # one failed measure must not lose the others
            traceback.print_exc()
            section = Section(name, f"{name}: FAILED", method=f"`{type(exc).__name__}: {exc}`")
            section.rows.append(Row(name, "FAILED", type(exc).__name__, note=str(exc)[:200]))
        section.details.append(
            f"Took {time.monotonic() - began:.0f} s; load average {load:.2f} before, "
            f"{os.getloadavg()[0]:.2f} after."
        )
        print(table(section.rows, markdown=False), flush=True)
        print(flush=True)
        sections.append(section)
    return sections


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    ensure_peers(args.only)
    started = time.monotonic()
    facts: dict[str, Any] = {
        "machine": machine(),
        "versions": versions(),
        "load_before": os.getloadavg()[0],
    }
    for key, value in {**facts["machine"], **facts["versions"]}.items():
        print(f"{key}: {value}")
    print(flush=True)
    sections = asyncio.run(run(args))
    facts["load_after"] = os.getloadavg()[0]
    print("== summary")
    print(table([r for s in sections for r in s.rows], markdown=False))
    output = args.output
    if output is None and not args.no_write and set(args.only) == set(MEASURES):
        output = RESULTS
    if output is not None and not args.no_write:
        write_results(output, sections, started, facts)
        print(f"\nwritten to {output}")


if __name__ == "__main__":
    main()
