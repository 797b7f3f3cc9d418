"""Known failures replay, they don't hope, and they cover only their own failure.

- every torch record carries its failing example and its signature as data,
  and that example, judged by its own check, still fails with that signature;
- the replay decides xfail even with a budget of one generated example;
- a registered example that passes on a listed version is red (stale record);
  off the listed versions it is a pass, which pytest reports as xpass;
- a fork that fails the registered example differently, or fails generated
  examples another way, is red and names both failures.
"""

from __future__ import annotations

from pathlib import Path

from dataclasses import replace

import pytest
import torch
from torch.optim import lr_scheduler as L

from conformance.checks import runner
from conformance.checks.table import planned
from conformance.corpus import CHECK as CORPUS_CHECK, check_entry, open_corpus
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.model.verdict import FAIL, ConformanceFailure, Verdict
from conformance.targets.builtins import BY_NAME
from conformance.targets.known import KnownFailure, known_failure
from conformance.targets.known_failures import KNOWN_FAILURES
from conformance.targets.framework_failures import BY_CHECK as FRAMEWORK_BY_CHECK
from conformance.checks.frameworks import check_driver
from conformance.drivers import BY_NAME as DRIVERS
from selftests.profile_plugin import profile

FRAMEWORK_FAILURES = [k for records in FRAMEWORK_BY_CHECK.values() for k in records]

ROOT = Path(__file__).resolve().parent.parent


def _plan(target, check_id):
    return next(p for p in planned(target) if p.id == check_id)


def _replayed(record, target):
    if record.check == CORPUS_CHECK:  # the example is a stored corpus entry, "folder:entry id"
        folder, _, entry_id = record.example.partition(":")
        corpus = open_corpus(ROOT / folder)
        entry = next(e for e in corpus.of(record.target) if e.id == entry_id)
        return next(v for v in (check_entry(target, corpus, entry, s) for s in entry.checkpoints) if not v.ok)
    plan = _plan(target, record.check)
    if record in FRAMEWORK_FAILURES:  # judged as it is, not handed to the framework
        run = lambda t, drawn, cid: check_driver(t, *drawn, DRIVERS[record.check.split(".")[1]], attribute=False)
        return runner.replay(plan, target, record, run=run)
    return runner.replay(plan, target, record)


@pytest.mark.parametrize("record", KNOWN_FAILURES + FRAMEWORK_FAILURES, ids=lambda k: f"{k.target}-{k.check}")
def test_every_registered_example_still_fails_with_its_signature(record):
    target = BY_NAME[record.target]
    assert record.example is not None and record.signature is not None, "a record carries its example and signature"
    assert record.reason and record.versions and record.strict(), "the lock's versions are among the record's"
    assert not record.link or record.relation, "a link says whether it is the same bug or a related report"
    verdict = _replayed(record, target)
    assert not verdict.ok, f"{record.target} {record.check}: the registered example passes now:\n{verdict.explain()}"
    assert record.changed(verdict) == "", record.changed(verdict)
    if record not in FRAMEWORK_FAILURES:
        assert record in [replace(r, also=()) for r in known_failure(target, record.check).records]


@pytest.fixture
def one_example():
    with profile("dev", max_examples=1):
        yield


def test_the_replay_decides_xfail_whatever_the_budget(one_example):
    target = BY_NAME["StepLR"]
    record = known_failure(target, "recipe.last_epoch")
    with pytest.raises(ConformanceFailure) as raised:
        runner.run_check(_plan(target, "recipe.last_epoch"), target, record)
    assert raised.value.verdict.case == record.example
    assert "the registered example of this known failure, replayed" in str(raised.value)


def _fixed(versions: str) -> KnownFailure:
    """StepLR's last_epoch record moved to ExponentialLR, which resumes correctly with last_epoch (torch fixed it)."""
    step = known_failure(BY_NAME["StepLR"], "recipe.last_epoch")
    return replace(step, target="ExponentialLR", example=replace(step.example, config={"gamma": 0.5}),
                   versions=versions)


def test_a_fixed_known_failure_on_a_listed_version_is_red(one_example):
    target = BY_NAME["ExponentialLR"]
    with pytest.raises(runner.UnexpectedPass, match="stale known failure: fixed upstream"):
        runner.run_check(_plan(target, "recipe.last_epoch"), target, _fixed(torch.__version__.split("+")[0]))


def test_a_fixed_known_failure_off_its_versions_passes_so_pytest_reports_xpass(one_example):
    target = BY_NAME["ExponentialLR"]
    seen = []
    runner.run_check(_plan(target, "recipe.last_epoch"), target, _fixed("1.0.0"), seen.append)
    assert seen[0].ok and "replayed" in seen[0].message
    assert all(v.ok for v in seen) and len(seen) >= 2  # the replay, then the generated examples


class _Twice(L.StepLR):
    """StepLR whose last_epoch resume applies gamma twice more: the registered example fails with other values."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        super().__init__(optimizer, step_size, gamma, last_epoch)
        if last_epoch >= 0:
            for group in optimizer.param_groups:
                group["lr"] *= gamma


class _Refuses(L.StepLR):
    """StepLR that raises when built with last_epoch: the registered divergence became an exception."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if last_epoch >= 0:
            raise RuntimeError("no resume through last_epoch")
        super().__init__(optimizer, step_size, gamma, last_epoch)


class _OtherLrsRaise(L.StepLR):
    """StepLR failing the registered example (lr 1.0) as registered, and raising when resumed with other lrs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if last_epoch >= 0 and optimizer.param_groups[0]["initial_lr"] != 1.0:
            raise ValueError("cannot resume from this lr")
        super().__init__(optimizer, step_size, gamma, last_epoch)


def _fork(cls):
    base = BY_NAME["StepLR"]
    record = known_failure(base, "recipe.last_epoch")
    target = replace(base, name=cls.__name__, build=lambda optimizer, config: cls(optimizer, **config),
                     known_failures={"recipe.last_epoch": replace(record, target=cls.__name__)})
    return target, target.known_failures["recipe.last_epoch"]


@pytest.mark.parametrize("cls, now", [(_Twice, "'lr' at step 1, group 0: expected 0.5, got 0.125"),
                                      (_Refuses, "error: RuntimeError in build")])
def test_a_known_failure_that_fails_differently_is_red_naming_both(cls, now):
    target, record = _fork(cls)
    with pytest.raises(runner.KnownFailureChanged) as raised:
        runner.run_check(_plan(target, "recipe.last_epoch"), target, record)
    message = str(raised.value)
    assert "known failure changed: registered fail: 'lr' at step 1, group 0: expected 0.5, got 0.25" in message
    assert now in message, message


def test_a_generated_failure_of_another_kind_is_red_next_to_the_known_one():
    target, record = _fork(_OtherLrsRaise)
    with pytest.raises(runner.UncoveredFailure) as raised:
        runner.run_check(_plan(target, "recipe.last_epoch"), target, record)
    message = str(raised.value)
    assert "another kind of failure: registered fail: 'lr' at step 1" in message
    assert "now error: ValueError in build" in message, message
    assert record.reason in message


def test_a_record_without_example_runs_the_generated_examples_only():
    target = BY_NAME["ExponentialLR"]
    seen = []
    runner.run_check(_plan(target, "determinism"), target, KnownFailure("ExponentialLR", "determinism", "x"),
                     seen.append)
    assert seen and not any("replayed" in v.message for v in seen)


def _contrib_records():
    from conformance.targets.contrib import pytorch_optimizer, pytorch_warmup, transformers
    from conformance.targets.loading import BrokenTarget

    for target in [*pytorch_optimizer.TARGETS, *pytorch_warmup.TARGETS, *transformers.TARGETS]:
        if isinstance(target, BrokenTarget):
            continue
        for plan in planned(target):
            record = known_failure(target, plan.id)
            if record is not None and not plan.check.search:
                yield pytest.param(target, plan, record, id=f"{target.name}-{plan.id}")


@pytest.mark.parametrize("target, plan, record", list(_contrib_records()))
def test_every_contrib_known_failure_replays_with_its_signature(target, plan, record):
    for one in record.records:
        assert one.example is not None and one.signature is not None, "a record carries its example and signature"
        verdict = runner.replay(plan, target, one)
        assert verdict is not None and not verdict.ok, verdict and verdict.explain()
        assert one.changed(verdict) == "", one.changed(verdict)


SCOPED = [
    (KnownFailure("StepLR", "resume.canonical", "r", medium="dcp"),
     lambda case, inside: ({}, case.with_plan(medium="dcp" if inside else "file"))),
    (KnownFailure("StepLR", "driver.lightning", "r", options={"save": "epoch_end"}),
     lambda case, inside: ({"options": {"save": "epoch_end" if inside else "steps", "stop": 1}}, case)),
]


@pytest.mark.parametrize("known, example", SCOPED, ids=["medium", "driver options"])
def test_a_failure_outside_a_known_failures_scope_stays_red(known, example):
    """Inside the scope a bad verdict is the known failure (counted to the xfail); outside it, a real failure."""
    base = Case(OptimizerSetup("SGD", (0.1,)), {"step_size": 1}, Plan(3, (1,)))
    for inside in (True, False):
        details, case = example(base, inside)
        verdict = Verdict("StepLR", known.check, FAIL, case, details=details)
        assert (known.outside(verdict) == "") is inside
        if inside:
            assert runner.expect(verdict, known=known) is verdict  # covered: the caller counts it
            continue
        with pytest.raises(runner.UncoveredFailure, match="it covers the"):
            runner.expect(verdict, known=known)
