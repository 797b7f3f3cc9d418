"""Checks `placement.*`: resuming inside each loop shape, and the placement pitfalls."""

import pytest
from hypothesis import assume, given, strategies as st

from conformance.budget import scaled
from conformance.outcome import expect, record_result
from conformance.placement import Rejected, check_loop, search
from strategies.loops import LOOP_NAMES, mid_epoch_cases, per_batch_cases, placement_cases, sched_first_cases


def _loop_param(name):
    marks = [pytest.mark.check(f"placement.{name}")]
    if name == "metric":
        marks.append(pytest.mark.requires("metric_driven"))
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("loop", [_loop_param(n) for n in LOOP_NAMES])
@scaled(0.25)
@given(data=st.data())
def test_placement(target, loop, data):
    """The run resumed 1-3 times anywhere in `loop` equals the uninterrupted run of that loop."""
    case = data.draw(placement_cases(target, loop), label="case")
    try:
        verdict = check_loop(target, case, f"placement.{loop}")
    except Rejected:
        assume(False)  # the uninterrupted run raised: `determinism` reports such configs
    expect(verdict)


def _pitfall(target, name, strategy):
    verdict = expect(search(target, name, strategy, max_examples=scaled(0.25).max_examples))
    record_result("placement", name, verdict.details)
    return verdict


@pytest.mark.check("placement.stepped_per_batch")
def test_pitfall_stepped_per_batch(target):
    """Pitfall: a per-epoch scheduler stepped after every batch (metric-driven: the stale metric).

    Passes with the shrunk counterexample recorded (first divergence, or the
    error the pitfall provokes, e.g. OneCycleLR stepping past total_steps), or
    with "harmless" recorded. Fails when the target errors in the correct
    per-epoch run, or when that run is not deterministic (then the
    counterexample would prove nothing).
    """
    _pitfall(target, "stepped_per_batch", per_batch_cases(target))


@pytest.mark.check("placement.restarted_epoch")
def test_pitfall_restarted_epoch(target):
    """Pitfall: a mid-epoch resume that restarts the epoch at batch 0 (position not restored).

    Passes with the counterexample recorded (the lr the optimizer sees
    diverges from the uninterrupted run), or "harmless". Fails when the same
    case resumed correctly (position restored) also diverges: the divergence is
    then the target's own, and the counterexample is unsound.
    """
    _pitfall(target, "restarted_epoch", mid_epoch_cases(target))


@pytest.mark.check("placement.sched_first_order")
def test_pitfall_sched_first_order(target):
    """Pitfall: scheduler.step() before optimizer.step() against the canonical order.

    Records the first step where the lr the optimizer used differs from the
    canonical loop's, and whether torch warned. Fails when the pitfall shows
    on a scheduler whose `step` is torch's `LRScheduler.step` (the method that
    holds the check) and torch's "Detected call of `lr_scheduler.step()`
    before `optimizer.step()`" warning was not emitted.
    """
    _pitfall(target, "sched_first_order", sched_first_cases(target))
