"""Self-tests of the `placement.*` family: broken schedulers are caught, correct ones pass."""

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, assume, find, given, settings, strategies as st

from conformance.checks.placement import RestartedEpoch, check_loop, search_pitfall as search
from conformance.harness.errors import Rejected
from conformance.model.loop import PER_STEP
from conformance.model.results import DIVERGES, SAFE
from conformance.model.verdict import FAIL, PASS
from conformance.targets.builtins import BY_NAME
from selftests.broken_placement import (
    BatchCountingLR, ConstantLRScheduler, EpochRoundingLR, SilencedLR, mid_epoch_case, spec,
)
from conformance.strategies.loops import LOOP_NAMES, mid_epoch_cases, per_batch_cases, placement_cases, sched_first_cases

FEW = settings(max_examples=4, suppress_health_check=list(HealthCheck))


def test_mid_epoch_resume_catches_a_step_counter_rounded_to_the_epoch():
    # Interrupted after 4 optimizer steps; the broken checkpoint says 3. Epoch 1 ends at
    # step 6 for the original (count 6: lr 0.25) but at count 5 for the resumed (lr 0.5).
    verdict = check_loop(spec(EpochRoundingLR), mid_epoch_case(), "placement.per_epoch")
    assert verdict.status == FAIL, verdict.explain()
    d = verdict.divergence
    assert (d.step, d.field, d.expected, d.actual) == (6, "lr", 0.25, 0.5), verdict.explain()
    assert "interrupted at iterations [4]" in verdict.explain()


def test_the_broken_counter_is_invisible_per_step():
    case = replace(mid_epoch_case(), loop=PER_STEP, plan=replace(mid_epoch_case().plan, epochs=12))
    assert check_loop(spec(EpochRoundingLR), case, "placement.per_step").ok


def test_generated_per_epoch_cases_find_the_broken_counter():
    target = spec(EpochRoundingLR)
    case = find(placement_cases(target, "per_epoch"),
                lambda c: not check_loop(target, c, "placement.per_epoch").ok,
                settings=settings(max_examples=40, database=None, suppress_health_check=list(HealthCheck)))
    assert case.plan.interruptions[0] % case.loop.batches != 0  # mid-epoch


@pytest.mark.parametrize("loop", [n for n in LOOP_NAMES if n != "metric"])
@pytest.mark.parametrize("name", ["BatchCountingLR", "StepLR"])
@FEW
@given(data=st.data())
def test_correct_schedulers_pass_every_loop(name, loop, data):
    target = spec(BatchCountingLR) if name == "BatchCountingLR" else BY_NAME[name]
    case = data.draw(placement_cases(target, loop), label="case")
    try:
        verdict = check_loop(target, case, f"placement.{loop}")
    except Rejected:
        assume(False)
    assert verdict.status == PASS, verdict.explain()


def test_amp_loop_skips_steps_and_checkpoints_the_scaler():
    target = BY_NAME["StepLR"]
    case = find(placement_cases(target, "amp"), lambda c: len(c.plan.skips) >= 2,
                settings=settings(database=None, suppress_health_check=list(HealthCheck)))
    assert check_loop(target, case, "placement.amp").ok


def test_restarted_epoch_repeats_the_batches_done():
    loop = RestartedEpoch(mid_epoch_case().loop, 4)
    assert len(loop.iterations(4)) == 12 + 1  # one batch of epoch 1 is done twice


@pytest.mark.parametrize("pitfall, strategy", [
    ("stepped_per_batch", per_batch_cases), ("restarted_epoch", mid_epoch_cases),
    ("sched_first_order", sched_first_cases),
])
def test_pitfalls_show_on_steplr_and_are_harmless_on_a_constant(pitfall, strategy):
    shown = search(BY_NAME["StepLR"], pitfall, strategy(BY_NAME["StepLR"]), max_examples=6)
    assert shown.ok and shown.result.outcome == DIVERGES, shown.explain()
    assert shown.divergence is not None and shown.result.divergence["step"] == shown.divergence.step
    constant = spec(ConstantLRScheduler)
    harmless = search(constant, pitfall, strategy(constant), max_examples=3)
    assert harmless.ok and harmless.result.outcome == SAFE and harmless.result.tried == 3, harmless.explain()


def test_sched_first_records_the_lr_used_and_torch_warning():
    verdict = search(BY_NAME["StepLR"], "sched_first_order", sched_first_cases(BY_NAME["StepLR"]), 6)
    assert verdict.result.info["warned"] is True
    assert verdict.result.info["lr_used"] == repr(verdict.divergence.actual)


def test_sched_first_fails_when_torch_warning_is_silenced():
    target = spec(SilencedLR)
    verdict = search(target, "sched_first_order", sched_first_cases(target), max_examples=6)
    assert verdict.status == FAIL and "was not emitted" in verdict.explain(), verdict.explain()


def test_restart_pitfall_fails_when_the_correct_resume_diverges_too():
    target = spec(EpochRoundingLR)
    verdict = search(target, "restarted_epoch", mid_epoch_cases(target), max_examples=20)
    assert verdict.status == FAIL, verdict.explain()
    assert "the correctly resumed run (batch position restored) already diverges" in verdict.explain()
