"""The `dcp` medium catches what torch.save cannot: state the fresh object's layout lacks.

`LazyDecays` fills a dict as it decays. torch.save carries the dict, so every
check through a file passes; DCP loads into the fresh scheduler's own (empty)
dict and drops the saved entries. Only examples through DCP go red, and each
says what DCP dropped. Correct schedulers resume through DCP exactly.
"""

from __future__ import annotations

import pytest

from conformance.checks.probe import probe
from conformance.harness.oracle import check_resume
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.targets.builtins import BY_NAME
from conformance.targets.loading import load
from selftests.runner import run_suite

FILES = ["conformance/tests/test_targets.py", "conformance/tests/test_checks.py"]
SGD = OptimizerSetup("SGD", (0.1, 0.2), {"momentum": 0.9})


@pytest.fixture(scope="session")
def lazy_decays_run(shared_dir):
    return run_suite(shared_dir, "dcp", ["--target=selftests.bestiary:LazyDecays", "--lrc-timeout=0",
                                         "-k", "resume or serialization or mismatch", *FILES])


def test_only_examples_through_dcp_go_red(lazy_decays_run):
    tests = lazy_decays_run["tests"]
    red = {t: message for t, (s, message) in tests.items() if s in ("failed", "error")}
    assert "test_resume_canonical[LazyDecays]" in red, sorted(red)
    for test, message in red.items():
        assert "through dcp" in message, (test, message)
        assert "keys [" in message and "are in only one of them" in message, (test, message)  # what DCP dropped
    passed = {t for t, (s, _) in tests.items() if s == "passed"}
    assert {"test_serialization_weights_only[LazyDecays]", "test_serialization_deepcopy[LazyDecays]",
            "test_resume_fresh_process[LazyDecays]", "test_mismatch[LazyDecays-base_lr]"} <= passed


def test_the_file_medium_passes_and_dcp_fails_on_one_case():
    lazy = load("selftests.bestiary:LazyDecays")[0]
    case = Case(SGD, {}, Plan(8, (4,)))
    assert check_resume(lazy, case, "resume.canonical").ok
    verdict = check_resume(lazy, case.with_plan(medium="dcp"), "resume.canonical")
    assert verdict.status == "fail" and verdict.divergence.step == 4, verdict.explain()
    assert "dcp: the scheduler state DCP handed to load_state_dict differs" in verdict.message


@pytest.mark.parametrize("name", ["StepLR", "LambdaLR", "CyclicLR", "OneCycleLR", "ReduceLROnPlateau"])
def test_correct_schedulers_resume_through_dcp(name):
    target = BY_NAME[name]
    case = probe(target).case
    iterations = len(case.loop.iterations(case.plan.epochs))
    for at in range(1, iterations):
        verdict = check_resume(target, case.with_plan(interruptions=(at,), medium="dcp"), "resume.canonical")
        assert verdict.ok, verdict.explain()


def test_stepdecay_control_resumes_through_dcp_twice():
    control = load("selftests.controls:StepDecay")[0]
    verdict = check_resume(control, Case(SGD, {}, Plan(10, (3, 7), medium="dcp")), "resume.multi")
    assert verdict.ok, verdict.explain()


@pytest.fixture(scope="session")
def milestone_factors_run(shared_dir):
    return run_suite(shared_dir, "dcp-mismatch", ["--target=selftests.bestiary:MILESTONE_FACTORS", "--lrc-timeout=0",
                                                  *FILES])


def test_only_the_dcp_mismatch_catches_a_layout_taken_from_the_new_config(milestone_factors_run):
    """`MilestoneFactors` keeps a factor per milestone: through a file a resume into other milestones takes the
    checkpoint's (a `checkpoint` result); DCP loads into the new object's milestones with the checkpoint's
    factors, a hybrid. Of the whole suite, only `mismatch.dcp.factors` goes red."""
    tests = milestone_factors_run["tests"]
    red = {t for t, (s, _) in tests.items() if s in ("failed", "error")}
    assert red == {"test_mismatch[MilestoneFactors-dcp.factors]"}, sorted(red)
    message = tests["test_mismatch[MilestoneFactors-dcp.factors]"][1]
    assert "hybrid" in message and "note: dcp:" in message, message
    assert tests["test_mismatch[MilestoneFactors-factors]"][0] == "passed"
    assert sum(s == "passed" for s, _ in tests.values()) >= 25  # the rest of the suite ran, and passed
