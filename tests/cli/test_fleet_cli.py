"""The fleet commands own their process: the collector is tuned there (like ``Bot.run``),
unless ``--no-gc-tuning``, which a ``--processes`` parent passes on to its workers."""

from __future__ import annotations

import gc

import pytest

from gws_async.bot._gc import GC_GEN0_THRESHOLD
from gws_async.cli._fleet import _child_argv, _run_async
from gws_async.cli._parser import build_parser

WORKER = ["fleet", "worker", "http://127.0.0.1:1", "--agents", "agents.txt"]


async def _threshold() -> int:
    return gc.get_threshold()[0]


@pytest.mark.parametrize("tuning", [True, False])
def test_a_fleet_process_tunes_the_collector_unless_told_not_to(tuning: bool) -> None:
    before = gc.get_threshold()
    inside = _run_async(_threshold(), gc_tuning=tuning)
    assert inside == (GC_GEN0_THRESHOLD if tuning else before[0])
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("flag", [[], ["--no-gc-tuning"]])
def test_worker_processes_inherit_the_choice(flag: list[str]) -> None:
    args = build_parser().parse_args([*WORKER, "--processes", "2", *flag])
    assert args.no_gc_tuning is bool(flag)
    assert ("--no-gc-tuning" in _child_argv(args)) is bool(flag)


def test_the_consumer_takes_the_option_too() -> None:
    args = build_parser().parse_args(["fleet", "consume", "--group", "g", "--no-gc-tuning"])
    assert args.no_gc_tuning
