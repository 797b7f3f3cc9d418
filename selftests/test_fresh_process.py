"""`resume.fresh_process` catches what no in-process check through a file can: state in a module global.

`GlobalCheckpoint` writes its step count into a module-level dict at
state_dict() and reads it back on load. Every in-process check passes (the
global is there when the same interpreter loads), and so does determinism
(uninterrupted runs never checkpoint). Resumed in a fresh interpreter, the
count is gone. Correct schedulers, built-in or loaded by reference, pass.
"""

from __future__ import annotations

import os
import time

import hypothesis.core
import pytest

from conformance.checks.fresh_process import check_fresh_process, unreachable
from conformance.checks.runner import database_key, hypothesis_test
from conformance.checks.table import planned
from conformance.harness.errors import SuiteError
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.model.verdict import ConformanceFailure
from conformance.processes.fresh import POOL
from conformance.processes.spares import collect
from conformance.spec import TargetSpec
from conformance.targets.builtins import BY_NAME
from conformance.targets.loading import load
from selftests.profile_plugin import profile
from selftests.runner import run_suite

FILES = ["conformance/tests/test_targets.py", "conformance/tests/test_checks.py"]
CASE = Case(OptimizerSetup("SGD", (0.1,), {"momentum": 0.9}), {}, Plan(9, (4,)))


@pytest.fixture(scope="session")
def global_checkpoint_run(shared_dir):
    return run_suite(shared_dir, "fresh_process", ["--target=selftests.bestiary:GlobalCheckpoint",
                                                   "--lrc-timeout=0", *FILES])


def test_only_the_fresh_process_check_catches_module_level_state(global_checkpoint_run):
    runs = global_checkpoint_run["tests"]
    tests = {t.split("[")[0]: s for t, (s, _) in runs.items()}
    red = sorted(t for t, s in tests.items() if s in ("failed", "error"))
    assert "test_resume_fresh_process" in red, red
    # The other processes (the ranks) lose the global too; so does a DCP load, which calls the
    # fresh scheduler's state_dict() for its layout and so overwrites the global. Every other
    # check, through a file in this process, passes.
    for test, (status, message) in runs.items():
        if status in ("failed", "error") and not test.startswith(("test_resume_fresh_process", "test_distributed")):
            assert "through dcp" in message, (test, message)
    assert tests["test_determinism"] == "passed" and tests["test_serialization_deepcopy"] == "passed"
    message = global_checkpoint_run["tests"]["test_resume_fresh_process[GlobalCheckpoint]"][1]
    assert "fresh Python process" in message and "first divergence at optimizer step" in message


# Arbitrary, fixed: the self-test gives the same verdict everywhere; benchmarks/seeds.py samples many more.
SEEDS = (20261205, 7, 4242)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ["WarmupFlagGlobal", "WarmupFlagClassAttr"])
def test_state_in_a_global_or_class_attribute_is_caught_under_other_seeds(monkeypatch, seed, name):
    """As under `ci` (the bestiary's run), the suite's own `resume.fresh_process` test catches both under
    `ci-seeded` seeds: whatever examples ran before, each resumes in an interpreter of its own.

    In this process: the check's Hypothesis test under `ci-seeded-detect`, seeded as `--hypothesis-seed`
    seeds it (Hypothesis's pytest plugin sets `core.global_force_seed`)."""
    target = load(f"selftests.bestiary:{name}")[0]
    plan = next(p for p in planned(target) if p.id == "resume.fresh_process")
    verdicts: list = []
    monkeypatch.setattr(hypothesis.core, "global_force_seed", seed)
    with profile("ci-seeded-detect"), pytest.raises(ConformanceFailure):  # raised as the pytest test raises it
        hypothesis_test(plan, target, database_key(target, plan), None, verdicts.append)()
    statuses = [v.status for v in verdicts]
    assert statuses[-1] == "fail" and set(statuses) <= {"pass", "rejected", "fail"}, statuses  # (replayed once)
    assert "fresh Python process" in verdicts[-1].message, verdicts[-1].explain()


def test_correct_schedulers_resume_in_a_fresh_process():
    assert check_fresh_process(load("selftests.controls:StepDecay")[0], CASE).ok
    steplr = Case(OptimizerSetup("SGD", (0.1,), {"momentum": 0.9}), {"step_size": 2, "gamma": 0.5}, Plan(9, (4,)))
    assert check_fresh_process(BY_NAME["StepLR"], steplr).ok


def test_a_target_the_fresh_process_cannot_import_is_skipped():
    local = TargetSpec("Local", build=lambda opt, cfg: None, source="")
    assert "another interpreter can't import it" in unreachable(local)
    assert unreachable(BY_NAME["StepLR"]) is None
    assert unreachable(load("selftests.controls:StepDecay")[0]) is None


@pytest.mark.parametrize("name", ["WarmupFlagGlobal", "WarmupFlagClassAttr"])
def test_every_example_resumes_in_an_interpreter_that_never_ran_the_target(name):
    """An earlier example that stepped through the warmup's end must not make a later one pass.

    The first case resumes before the warmup ends, so its resumed part sets the flag wherever it
    runs; the second resumes after it. A reused worker would still hold the flag: the second
    would pass. In an interpreter of its own, it diverges.
    """
    target = load(f"selftests.bestiary:{name}")[0]
    setup = OptimizerSetup("SGD", (0.1,), {"momentum": 0.9})
    through = Case(setup, {"every": 3, "gamma": 0.5}, Plan(8, (1,)))
    after = Case(setup, {"every": 3, "gamma": 0.5}, Plan(8, (5,)))
    check_fresh_process(target, through)
    verdict = check_fresh_process(target, after)
    assert verdict.status == "fail" and "fresh Python process" in verdict.message, verdict.explain()


def _dies(code: int) -> None:
    os._exit(code)  # a child that dies mid-job: its pipe closes before any answer


def test_a_child_that_dies_is_the_suites_error_naming_the_part_at_once():
    started = time.monotonic()
    spares = POOL.launch([(_dies, (3,))])
    with pytest.raises(SuiteError) as raised:
        collect(spares, ["the fresh process"], "the run in the fresh process")
    assert raised.value.part == "the fresh process" and "exited (code 3) before it answered" in str(raised.value)
    assert time.monotonic() - started < 10  # seconds, not a time limit


def _modules_at_start(names) -> dict:
    import sys
    return {name: name in sys.modules for name in names}


PRELOAD_SCRIPT = """
import sys
from conformance.processes import fresh
from conformance.processes.spares import collect
from conformance.targets.loading import load
from selftests.test_fresh_process import _modules_at_start
targets = load("selftests.bestiary:WarmupFlagGlobal")
print(fresh.preload_modules(targets))
spares = fresh.POOL.launch([(_modules_at_start, (["selftests.bestiary", "selftests.controls"],))])
print(collect(spares, ["the fresh process"], "a probe"))
"""


def test_the_fork_server_imports_the_targets_modules_once_and_never_runs_them():
    """A child starts with the target's module imported (no import per example); running stays the child's:
    the WarmupFlag* tests above, and the bestiary's fresh-process members, are caught with it."""
    import subprocess
    import sys

    from selftests.runner import ROOT

    proc = subprocess.run([sys.executable, "-c", PRELOAD_SCRIPT], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    modules, answer = proc.stdout.strip().splitlines()[-2:]
    assert modules == "['selftests.bestiary']", proc.stdout
    assert "'selftests.bestiary': True" in answer and "'selftests.controls': True" in answer, answer
