"""The Accelerate driver on 2 gloo CPU ranks, and resumed on another process count, both ways.

Correct schedulers pass every count pair; a broken one fails; the driver's
`global_skip` mistake (a position counted over all processes, used per
process) is caught on 2 ranks and invisible in one process; and a resume on
another count without `split_batches` really changes the prepared
scheduler's pace, so its reference is the plain loop at the new pace.
"""

from __future__ import annotations

import pytest

from conformance.checks.frameworks import check_driver
from conformance.drivers import BY_NAME as DRIVERS
from conformance.drivers.accelerate import expected, train
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.model.verdict import first_divergence
from conformance.targets.builtins import BY_NAME
from conformance.targets.loading import load

DRIVER = DRIVERS["accelerate"]
pytestmark = pytest.mark.skipif(bool(DRIVER.missing()), reason=DRIVER.missing() or "")
SGD = OptimizerSetup("SGD", (0.1, 0.2), {"momentum": 0.9})
STEPLR = Case(SGD, {"step_size": 2, "gamma": 0.5}, Plan(9, (4,)))
PAIRS = [(1, 2), (2, 1), (2, 2)]


def options(processes, resume, split=False, **more):
    return {**DRIVER.example_options, "processes": processes, "resume_processes": resume, "split_batches": split,
            "batches_per_epoch": 5, **more}


@pytest.mark.parametrize("split", [False, True], ids=["per-process batches", "split_batches"])
@pytest.mark.parametrize("processes, resume", PAIRS, ids=[f"{a}_to_{b}" for a, b in PAIRS])
def test_correct_schedulers_pass_on_any_count(processes, resume, split):
    control = load("selftests.controls:StepDecay")[0]
    for target, case in ((BY_NAME["StepLR"], STEPLR), (control, Case(SGD, {}, Plan(9, (4,))))):
        verdict = check_driver(target, case, options(processes, resume, split, gradient_accumulation_steps=2), DRIVER)
        assert verdict.ok, verdict.explain()


@pytest.mark.parametrize("processes, resume", PAIRS, ids=[f"{a}_to_{b}" for a, b in PAIRS])
def test_a_broken_scheduler_fails_on_any_count(processes, resume):
    broken = load("selftests.bestiary:ForgetsStepCount")[0]
    verdict = check_driver(broken, Case(SGD, {}, Plan(9, (4,))), options(processes, resume), DRIVER)
    assert verdict.status == "fail", verdict.explain()


def test_a_position_counted_over_processes_is_caught_only_on_ranks():
    wrong = DRIVER.wrong("global_skip")
    on_ranks = {**DRIVER.example_options, **DRIVER.mistake_options["global_skip"]}
    verdict = check_driver(BY_NAME["StepLR"], STEPLR, on_ranks, wrong)
    assert verdict.status == "fail" and "processes=2" in verdict.message, verdict.explain()
    assert check_driver(BY_NAME["StepLR"], STEPLR, {**on_ranks, "processes": 1, "resume_processes": 1}, wrong).ok


def test_another_count_without_split_batches_changes_the_pace():
    pace = options(2, 1)
    two = train(BY_NAME["StepLR"], STEPLR, pace)  # 2 scheduler steps per optimizer step
    one = train(BY_NAME["StepLR"], STEPLR, {**pace, "processes": 1})
    assert first_divergence(two, one) is not None
    records, what = expected(BY_NAME["StepLR"], STEPLR, pace)
    assert "2 times per optimizer step up to the checkpoint and 1 times after it" in what
    assert first_divergence(two[:4], records[:4]) is None and first_divergence(one[4:], records[4:]) is not None
    assert expected(BY_NAME["StepLR"], STEPLR, options(2, 1, split=True)) is None
    assert expected(BY_NAME["StepLR"], STEPLR, options(2, 2)) is None


def test_a_target_the_ranks_cant_import_runs_in_one_process():
    from hypothesis import given, settings, strategies as st

    from conformance.spec import TargetSpec
    from selftests.controls import StepDecay

    local = TargetSpec("LocalStepDecay", build=lambda optimizer, config: StepDecay(optimizer, **config),
                       source="built in a test")

    @settings(max_examples=25, database=None, derandomize=True)
    @given(st.data())
    def drawn(data):
        options = data.draw(DRIVER.options(local, Case(SGD, {}, Plan(9, (4,)))))
        assert options["processes"] == options["resume_processes"] == 1

    drawn()
    seen = set()

    @settings(max_examples=25, database=None, derandomize=True)
    @given(st.data())
    def importable(data):
        options = data.draw(DRIVER.options(BY_NAME["StepLR"], STEPLR))
        seen.add((options["processes"], options["resume_processes"]))

    importable()
    assert (2, 2) in seen and (1, 2) in seen and (2, 1) in seen
