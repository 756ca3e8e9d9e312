"""The collector tuning of a process the bot runs (gws_async.bot._gc)."""

from __future__ import annotations

import gc

from gws_async.bot._gc import GC_GEN0_THRESHOLD, gc_tuned


def test_tuned_within_and_restored_after() -> None:
    before = gc.get_threshold()
    with gc_tuned():
        assert gc.get_threshold() == (GC_GEN0_THRESHOLD, before[1], before[2])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_restored_after_an_error() -> None:
    before = gc.get_threshold()
    try:
        with gc_tuned():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_opt_out_changes_nothing() -> None:
    before = gc.get_threshold()
    with gc_tuned(False):
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0
