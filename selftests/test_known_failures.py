"""Known failures replay, they don't hope: each registered example still fails, whatever the budget.

- every torch record carries its failing example as data, and that example,
  judged by its own check, still fails on this torch;
- the replay decides xfail even with a budget of one generated example;
- a known failure whose example now passes (upstream fixed it) comes out as
  a pass, which pytest reports as xpass.
"""

from __future__ import annotations

from pathlib import Path

from dataclasses import replace

import pytest
from hypothesis import settings

from conformance.checks import runner
from conformance.checks.table import planned
from conformance.corpus import CHECK as CORPUS_CHECK, check_entry, open_corpus
from conformance.model.verdict import ConformanceFailure
from conformance.targets.builtins import BY_NAME
from conformance.targets.known import KnownFailure, known_failure
from conformance.targets.known_failures import KNOWN_FAILURES

ROOT = Path(__file__).resolve().parent.parent


def _plan(target, check_id):
    return next(p for p in planned(target) if p.id == check_id)


@pytest.mark.parametrize("record", KNOWN_FAILURES, ids=lambda k: f"{k.target}-{k.check}")
def test_every_registered_example_still_fails(record):
    target = BY_NAME[record.target]
    assert record.example is not None, "a known failure must carry its failing example"
    assert record.reason and record.versions and record.observed
    if record.check == CORPUS_CHECK:  # the example is a stored corpus entry, "folder:entry id"
        folder, _, entry_id = record.example.partition(":")
        corpus = open_corpus(ROOT / folder)
        entry = next(e for e in corpus.of(record.target) if e.id == entry_id)
        verdicts = [check_entry(target, corpus, entry, stored) for stored in entry.checkpoints]
        assert not all(v.ok for v in verdicts), f"{record.target}: the stored corpus entry resumes exactly now"
        assert known_failure(target, record.check) is record
        return
    plan = _plan(target, record.check)
    verdict = plan.check.run(target, record.example, plan.id)
    assert not verdict.ok, f"{record.target} {record.check}: the registered example passes now:\n{verdict.explain()}"
    assert known_failure(target, plan.id) is record


@pytest.fixture
def one_example():
    previous = settings.get_current_profile_name()
    settings.register_profile("lrc-one-example", settings.get_profile("dev"), max_examples=1)
    settings.load_profile("lrc-one-example")
    yield
    settings.load_profile(previous)


def test_the_replay_decides_xfail_whatever_the_budget(one_example):
    target = BY_NAME["StepLR"]
    record = known_failure(target, "recipe.last_epoch")
    with pytest.raises(ConformanceFailure) as raised:
        runner.run_check(_plan(target, "recipe.last_epoch"), target, record)
    assert raised.value.verdict.case == record.example
    assert "the registered example of this known failure, replayed" in str(raised.value)


def test_a_fixed_known_failure_passes_so_pytest_reports_xpass(one_example):
    """ExponentialLR resumes correctly with last_epoch (torch fixed it): a stale record replays clean."""
    target = BY_NAME["ExponentialLR"]
    step = known_failure(BY_NAME["StepLR"], "recipe.last_epoch")
    fixed = replace(step, target="ExponentialLR", example=replace(step.example, config={"gamma": 0.5}))
    seen = []
    runner.run_check(_plan(target, "recipe.last_epoch"), target, fixed, seen.append)
    assert seen[0].ok and "replayed" in seen[0].message
    assert all(v.ok for v in seen) and len(seen) >= 2  # the replay, then the generated examples


def test_a_record_without_example_runs_the_generated_examples_only():
    target = BY_NAME["ExponentialLR"]
    seen = []
    runner.run_check(_plan(target, "determinism"), target, KnownFailure("ExponentialLR", "determinism", "x"),
                     seen.append)
    assert seen and not any("replayed" in v.message for v in seen)


def _contrib_records():
    from conformance.targets.contrib import pytorch_optimizer, pytorch_warmup
    from conformance.targets.loading import BrokenTarget

    for target in [*pytorch_optimizer.TARGETS, *pytorch_warmup.TARGETS]:
        if isinstance(target, BrokenTarget):
            continue
        for plan in planned(target):
            record = known_failure(target, plan.id)
            if record is not None and not plan.check.search:
                yield pytest.param(target, plan, record, id=f"{target.name}-{plan.id}")


@pytest.mark.parametrize("target, plan, record", list(_contrib_records()))
def test_every_contrib_known_failure_replays_failing(target, plan, record):
    assert record.example is not None, "a known failure must carry its failing example"
    verdict = runner.replay(plan, target, record)
    assert verdict is not None and not verdict.ok, verdict and verdict.explain()


SCOPED = [
    (KnownFailure("StepLR", "resume.canonical", "r", medium="dcp"),
     lambda case, inside: ({}, case.with_plan(medium="dcp" if inside else "file"))),
    (KnownFailure("StepLR", "driver.lightning", "r", options={"save": "epoch_end"}),
     lambda case, inside: ({"options": {"save": "epoch_end" if inside else "steps", "stop": 1}}, case)),
]


@pytest.mark.parametrize("known, example", SCOPED, ids=["medium", "driver options"])
def test_a_failure_outside_a_known_failures_scope_stays_red(known, example):
    """Inside the scope a bad verdict is the known failure (xfail); outside it, an uncovered, real failure."""
    from conformance.model.case import Case, Plan
    from conformance.model.optimizer import OptimizerSetup
    from conformance.model.verdict import FAIL, Verdict

    base = Case(OptimizerSetup("SGD", (0.1,)), {"step_size": 1}, Plan(3, (1,)))
    for inside in (True, False):
        details, case = example(base, inside)
        verdict = Verdict("StepLR", known.check, FAIL, case, details=details)
        with pytest.raises((ConformanceFailure, runner.UncoveredFailure)) as raised:
            runner.expect(verdict, known=known)
        assert isinstance(raised.value, runner.UncoveredFailure) is not inside, raised.value
        assert (known.outside(verdict) == "") is inside
        assert inside or "it covers the" in str(raised.value), "the message must name the known failure's scope"
