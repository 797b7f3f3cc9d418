"""Pitfall recipes: show where each one diverges, or record that it is safe for a target.

What a pitfall test asserts, so that it can fail:

- `optimizer_first`, `scheduler_only`, `optimizer_only`, `extra_step`: a
  bounded `hypothesis.find` over the target's cases looks for a
  counterexample, i.e. a case where the pitfall resume differs from the
  uninterrupted run *while the canonical recipe reproduces it* (so the
  divergence belongs to the pitfall, not to a resume bug of the target).
  Three results are passes, and each is recorded for the report:
  "diverges" (the shrunk counterexample and its first divergent step),
  "raises" (the pitfall resume raised where the canonical one ran: loud, not
  silent) and "safe" (no counterexample within the example budget).
  The test fails when the found counterexample does not replay to the same
  first divergence, when that divergence comes before the first resume
  (the runs are identical there by construction), or when the target raises
  in the canonical resume (an `error` verdict). A case whose uninterrupted
  run raises is no pitfall case and is skipped (`determinism` reports it).
- `last_epoch_without_optimizer` is checked on every drawn case: the target
  must raise a KeyError naming 'initial_lr' while being constructed (torch's
  behaviour), or else reproduce the trajectory (then it is safe). Any other
  exception, a KeyError that does not name 'initial_lr', or a silent
  divergence fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from hypothesis import find
from hypothesis.errors import NoSuchExample

from conformance.budget import search_settings
from conformance.case import Case
from conformance.errors import CheckpointError, TargetError
from conformance.harness import run
from conformance.oracle import guarded
from conformance.recipe_checks import divergence_dict, record_recipe
from conformance.recipes import PITFALLS, last_epoch_without_optimizer
from conformance.spec import TargetSpec
from conformance.verdict import FAIL, PASS, Divergence, Verdict, first_divergence

SEARCH_PITFALLS = ("optimizer_first", "scheduler_only", "optimizer_only", "extra_step")


def resume_step(case: Case) -> int:
    """The optimizer step right after the first interruption."""
    first = min(case.plan.interruptions)
    return sum(1 for it in case.loop.iterations(case.plan.epochs)[:first] if "opt" in it)


def short_error(exc: TargetError) -> str:
    return f"{type(exc.exc).__name__}: {str(exc.exc).splitlines()[0] if str(exc.exc) else ''}"


@dataclass
class Search:
    """The condition `find` searches with, and what it saw along the way."""

    target: TargetSpec
    name: str
    limit: int
    calls: int = 0
    invalid: int = 0  # cases whose uninterrupted run raised
    found: dict = field(default_factory=dict)  # case.describe() -> Divergence
    seen: dict = field(default_factory=dict)  # case.describe() -> diverges?
    loud: Optional[tuple] = None  # (case, TargetError): the pitfall resume raised
    error: Optional[Verdict] = None  # the target raised in the canonical resume

    @property
    def check(self) -> str:
        return f"recipe.{self.name}"

    def diverges(self, case: Case) -> bool:
        """Memoized, so `find`'s replays agree; past the budget, only known cases diverge."""
        key = case.describe()
        if key in self.seen:
            return self.seen[key]
        if self.error is not None or self.calls >= self.limit:
            return False  # out of budget: `find` keeps the smallest one seen so far
        self.calls += 1
        try:
            self.seen[key] = self._diverges(case)
        except (TargetError, CheckpointError) as exc:
            self.error = verdict_for(self.target, self.check, case, exc)
            self.seen[key] = False
        return self.seen[key]

    def _diverges(self, case: Case) -> bool:
        try:
            expected = run(self.target, case, interruptions=())
        except TargetError:
            # The uninterrupted run itself fails (e.g. a config the target rejects):
            # not a pitfall case; `determinism` and `resume.*` report it.
            self.invalid += 1
            return False
        try:
            actual = run(self.target, case, recipe=PITFALLS[self.name])
        except TargetError as exc:
            divergence, raised = None, exc
        else:
            divergence, raised = first_divergence(expected.records, actual.records), None
        if divergence is None and raised is None:
            return False
        canonical = run(self.target, case)
        if first_divergence(expected.records, canonical.records) is not None:
            return False  # the target's own resume bug; resume.canonical reports it
        if raised is not None:
            self.loud = self.loud or (case, raised)
            return False
        self.found[case.describe()] = divergence
        return True


def verdict_for(target: TargetSpec, check: str, case: Case, exc: Exception) -> Verdict:
    """The verdict `oracle.guarded` gives when the target raised `exc`."""

    def body():
        raise exc

    return guarded(target, check, case, body)


def replay(target: TargetSpec, case: Case, name: str) -> Optional[Divergence]:
    expected = run(target, case, interruptions=())
    actual = run(target, case, recipe=PITFALLS[name])
    return first_divergence(expected.records, actual.records)


def check_pitfall(target: TargetSpec, name: str, cases, max_examples: int) -> Verdict:
    """Search `cases` for a case where the pitfall recipe `name` diverges; see the module doc."""
    search = Search(target, name, limit=max_examples)
    try:
        case = find(cases, search.diverges, settings=search_settings(max_examples))
    except NoSuchExample:
        case = None
    if search.error is not None:
        record_recipe(name, {"safe": False, "status": search.error.status,
                             "message": search.error.message.splitlines()[0]})
        return search.error
    if case is None:
        return _no_counterexample(target, search)
    return _counterexample(target, search, case)


def _no_counterexample(target: TargetSpec, search: Search) -> Verdict:
    if search.loud is not None:
        case, exc = search.loud
        record_recipe(search.name, {"safe": False, "outcome": "raises", "error": short_error(exc),
                                    "case": case.describe()})
        return Verdict(target.name, search.check, PASS, case,
                       message=f"the {search.name} resume raises {short_error(exc)}")
    record_recipe(search.name, {"safe": True, "outcome": "safe", "examples": search.calls - search.invalid})
    return Verdict(target.name, search.check, PASS,
                   message=f"no counterexample in {search.calls} cases: {search.name} is safe here")


def _counterexample(target: TargetSpec, search: Search, case: Case) -> Verdict:
    seen = search.found[case.describe()]
    check = search.check
    try:
        again = replay(target, case, search.name)
    except (TargetError, CheckpointError) as exc:
        return verdict_for(target, check, case, exc)
    if repr(again) != repr(seen):
        return Verdict(
            target.name, check, FAIL, case, seen,
            message=f"the {search.name} counterexample does not replay: the search saw the "
            f"divergence below, the replay saw {again.describe() if again else 'none'}",
        )
    if seen.step < resume_step(case):
        return Verdict(
            target.name, check, FAIL, case, seen,
            message=f"the {search.name} run diverged at optimizer step {seen.step}, before the "
            f"first resume (step {resume_step(case)}): the target does not repeat itself",
        )
    result = {"safe": False, "outcome": "diverges", "first_divergence": divergence_dict(seen),
              "resume_step": resume_step(case), "case": case.describe()}
    record_recipe(search.name, result)
    return Verdict(target.name, check, PASS, case, seen,
                   message=f"the {search.name} pitfall diverges", details={"result": result})


KEY_ERROR_HINT = (
    "a scheduler constructed with last_epoch >= 0 on an optimizer that never had a "
    "scheduler must raise a KeyError naming 'initial_lr' (as torch's do), or resume correctly"
)


def check_last_epoch_without_optimizer(target: TargetSpec, case: Case) -> Verdict:
    """Construct with `last_epoch=k-1` on a fresh optimizer: a KeyError naming 'initial_lr'."""
    check = "recipe.last_epoch_without_optimizer"
    name = "last_epoch_without_optimizer"

    def body():
        expected = run(target, case, interruptions=())
        try:
            actual = run(target, case, recipe=last_epoch_without_optimizer)
        except TargetError as exc:
            return _judge_error(target, case, check, exc)
        div = first_divergence(expected.records, actual.records)
        if div is None:
            record_recipe(name, {"safe": True, "outcome": "safe"})
            return Verdict(target.name, check, PASS, case)
        record_recipe(name, {"safe": False, "outcome": "silent", "first_divergence": divergence_dict(div),
                             "case": case.describe()})
        return Verdict(
            target.name, check, FAIL, case, div,
            message="constructed with last_epoch=k-1 on an optimizer without 'initial_lr', the "
            f"target neither raised nor resumed correctly: it diverges silently\n  what to fix: {KEY_ERROR_HINT}",
        )

    return guarded(target, check, case, body)


def _judge_error(target, case, check, exc: TargetError) -> Verdict:
    if exc.phase == "build" and isinstance(exc.exc, KeyError) and "initial_lr" in str(exc.exc):
        record_recipe("last_epoch_without_optimizer",
                      {"safe": False, "outcome": "raises", "error": short_error(exc)})
        return Verdict(target.name, check, PASS, case, message=short_error(exc))
    message = (
        f"expected a KeyError naming 'initial_lr' from the constructor, but {target.name} raised "
        f"in {exc.phase}(): {type(exc.exc).__name__}: {exc.exc}\n  what to fix: {KEY_ERROR_HINT}"
        f"\n  the target's traceback:\n{exc.trace}"
    )
    record_recipe("last_epoch_without_optimizer",
                  {"safe": False, "outcome": "wrong error", "error": short_error(exc),
                   "case": case.describe()})
    return Verdict(target.name, check, FAIL, case, message=message, details={"phase": exc.phase})

