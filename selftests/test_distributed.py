"""`distributed.*` catches what one process cannot: state that differs per rank.

`RankZeroState` gives its state on rank 0 only ("only the main process
saves"). One process is rank 0, so every single-process check passes; on
2 ranks, rank 1's DCP load restores nothing. Only `distributed.ranks` and
`distributed.1_to_2` (a load on 2 ranks) go red; `2_to_1` loads in one
process and passes. `ShrinkRescales` scales its step count up when it
resumes on fewer ranks than it saved on: only `distributed.2_to_1` goes
red (`distributed.world_size`, a result, records the hybrid).
Correct schedulers pass every distributed check.
"""

from __future__ import annotations

import time

import pytest

from conformance.checks import distributed
from conformance.checks.probe import probe
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.targets.builtins import BY_NAME
from conformance.targets.loading import load
from selftests.runner import run_suite

FILES = ["conformance/tests/test_targets.py", "conformance/tests/test_checks.py"]
CASE = Case(OptimizerSetup("SGD", (0.1, 0.2), {"momentum": 0.9}), {}, Plan(9, (4,)))


@pytest.fixture(scope="session")
def rank_zero_run(shared_dir):
    return run_suite(shared_dir, "distributed", ["--target=selftests.bestiary:RankZeroState",
                                                 "--target=selftests.bestiary:ShrinkRescales", "--lrc-timeout=0",
                                                 "-k", "resume or serialization or distributed", *FILES])


def _tests_of(run, name: str) -> dict:
    return {t.split("[")[0]: s for t, (s, _) in run["tests"].items() if t.endswith(f"[{name}]")}


def test_only_the_loads_on_two_ranks_go_red(rank_zero_run):
    tests = _tests_of(rank_zero_run, "RankZeroState")
    red = sorted(t for t, s in tests.items() if s in ("failed", "error"))
    assert red == ["test_distributed_1_to_2", "test_distributed_ranks"], red
    assert tests["test_distributed_2_to_1"] == "passed" and tests["test_resume_canonical"] == "passed"
    message = rank_zero_run["tests"]["test_distributed_ranks[RankZeroState]"][1]
    assert "rank 1 of 2" in message and "first divergence at optimizer step" in message


def test_only_the_resumes_on_fewer_ranks_go_red(rank_zero_run):
    """`ShrinkRescales` scales its step count when a checkpoint of 2 ranks resumes in 1 process: only
    `distributed.2_to_1` goes red (`distributed.world_size`, a result, records the hybrid)."""
    tests = _tests_of(rank_zero_run, "ShrinkRescales")
    red = sorted(t for t, s in tests.items() if s in ("failed", "error"))
    assert red == ["test_distributed_2_to_1"], red
    assert tests["test_distributed_ranks"] == "passed" and tests["test_distributed_1_to_2"] == "passed"
    assert tests["test_resume_canonical"] == "passed" and tests["test_resume_fresh_process"] == "passed"


def test_the_broken_scheduler_fails_on_one_case_directly():
    broken = load("selftests.bestiary:RankZeroState")[0]
    verdict = distributed.check_ranks(broken, CASE)
    assert verdict.status == "fail" and "rank 1 of 2" in verdict.message, verdict.explain()
    assert distributed.check_reshard(broken, CASE, "2_to_1").ok


@pytest.mark.parametrize("name", ["StepLR", "CyclicLR", "ReduceLROnPlateau", "OneCycleLR"])
def test_correct_schedulers_pass_every_distributed_check(name):
    target = BY_NAME[name]
    case = probe(target).case
    case = case.with_plan(interruptions=(max(1, case.plan.epochs // 2),))
    for verdict in (distributed.check_ranks(target, case), distributed.check_reshard(target, case, "2_to_1"),
                    distributed.check_reshard(target, case, "1_to_2")):
        assert verdict.ok, verdict.explain()
    world = distributed.check_world_size(target, case)
    assert world.result.outcome in ("checkpoint", "unobservable"), world.explain()


def test_the_control_passes_on_two_ranks():
    control = load("selftests.controls:StepDecay")[0]
    assert distributed.check_ranks(control, CASE).ok
    assert distributed.check_reshard(control, CASE, "1_to_2").ok


@pytest.mark.parametrize("name", ["WarmupFlagGlobal", "WarmupFlagClassAttr"])
@pytest.mark.parametrize("way", ["2_to_1", "1_to_2"])
def test_a_resumed_world_never_ran_the_part_before_its_checkpoint(name, way):
    """State kept in a global or class attribute is lost on a resumed world, even when this process set it."""
    target = load(f"selftests.bestiary:{name}")[0]
    setup = OptimizerSetup("SGD", (0.1,), {"momentum": 0.9})
    distributed.check_reshard(target, Case(setup, {"every": 3, "gamma": 0.5}, Plan(8, (1,))), way)
    verdict = distributed.check_reshard(target, Case(setup, {"every": 3, "gamma": 0.5}, Plan(8, (5,))), way)
    assert verdict.status == "fail" and "first divergence" in verdict.explain(), verdict.explain()


def needs_a_missing_package(target, case, **kwargs):
    """A rank job whose own code needs a package that is not installed (as DCP's rank path once needed numpy)."""
    import lrc_package_that_is_not_installed  # noqa: F401


def test_a_rank_that_cannot_import_is_the_suites_error_within_seconds():
    from conformance.harness.oracle import TIMED_OUT, guarded
    from conformance.processes.fresh import warm
    from conformance.processes.ranks import group

    target = BY_NAME["StepLR"]
    case = Case(OptimizerSetup("SGD", (0.1,)), {"step_size": 2, "gamma": 0.5}, Plan(4, (2,)))
    started = time.monotonic()
    verdict = guarded(target, "distributed.ranks", case,
                      lambda: group().run(target, case, run=needs_a_missing_package), start=warm)
    assert time.monotonic() - started < 30, "a rank's import error must be reported at once, not after a timeout"
    assert verdict.status == "error" and verdict.details["suite"].startswith("rank "), verdict.explain()
    assert "ModuleNotFoundError" in verdict.message and "lrc_package_that_is_not_installed" in verdict.message
    assert "not StepLR" in verdict.message and "timed out" not in verdict.message
    assert target.name not in TIMED_OUT
    assert distributed.check_ranks(target, case).ok  # the target's other examples and checks still run
