"""The `recipe.*` family: how a resume is performed.

Supported recipes (`recipe.canonical`, `recipe.last_epoch`,
`recipe.fast_forward`) must reproduce the uninterrupted run exactly, like
`resume.canonical`, each through its own way of rebuilding the scheduler.

Pitfall recipes (`optimizer_first`, `scheduler_only`, `optimizer_only`,
`extra_step`) are shown, not required. A bounded search (`checks.search`)
looks for a case where the pitfall resume differs from the uninterrupted run
*while the canonical recipe reproduces it*, so the divergence belongs to the
pitfall, not to a resume bug of the target. Three outcomes pass, and each is
kept as the target's result: `diverges` (with the first divergent step),
`raises` (the pitfall resume raised where the canonical one ran: loud, not
silent) and `safe` (no counterexample within the budget). The check fails
when the counterexample does not replay to the same divergence, when that
divergence comes before the first resume (the runs are identical there by
construction), or when the target raises in a correct run (`error`).

`last_epoch_without_optimizer` is judged on every drawn case: the target must
raise a KeyError naming 'initial_lr' while being constructed (torch's
behaviour), or else reproduce the run. Any other exception, or a silent
divergence, fails.

The recipes that rebuild the schedule from numbers alone (`last_epoch`,
`last_epoch_without_optimizer`, and the tutorials `epoch_fast_forward` and
`reset_lr_last_epoch`) restore no callable object's attributes. A config
holding a stateful callable (`strategies/callables.py`) is outside them, so
such a case is rejected there (counted, never judged).
"""

from __future__ import annotations

from typing import Any, Optional

from conformance.checks.search import Probe, search
from conformance.harness.errors import Rejected, TargetError
from conformance.harness.oracle import check_resume, guarded, uninterrupted, verdict_for
from conformance.harness.recipes import PITFALLS, SUPPORTED, TUTORIAL, last_epoch_without_optimizer
from conformance.harness.run import reference, resumed
from conformance.model.case import Case
from conformance.model.results import DIVERGES, DRIFTS, RAISES, RECIPES, SAFE, RecipeResult
from conformance.model.trajectory import Value
from conformance.model.verdict import FAIL, PASS, Divergence, Verdict, first_divergence
from conformance.spec import TargetSpec
from conformance.strategies.callables import stateful_in

SEARCH_PITFALLS = ("optimizer_first", "scheduler_only", "optimizer_only", "extra_step")
OUTCOME_OF_STATUS = {PASS: SAFE, FAIL: DIVERGES, "error": RAISES}


def plain(value: Any) -> Any:
    """A JSON-able form of a trajectory value (frozen tensors keep dtype and device)."""
    if isinstance(value, Value):
        return {"tensor": value.number, "dtype": value.dtype, "device": value.device}
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def divergence_dict(div: Optional[Divergence]) -> Optional[dict]:
    if div is None:
        return None
    return {"step": div.step, "group": div.group, "field": div.field, "expected": plain(div.expected),
            "actual": plain(div.actual), "rel_error": div.rel_error, "text": div.describe()}


def short_error(exc: TargetError) -> str:
    return f"{type(exc.exc).__name__}: {str(exc.exc).splitlines()[0] if str(exc.exc) else ''}"


def result(name: str, outcome: str, supported: bool = False, **kw) -> RecipeResult:
    return RecipeResult(RECIPES, name, outcome, supported=supported, **kw)


# --- supported recipes -------------------------------------------------------


# Recipes that rebuild the schedule from numbers alone, never from the checkpoint's scheduler state.
STATELESS_RECIPES = ("last_epoch", "last_epoch_without_optimizer", "epoch_fast_forward", "reset_lr_last_epoch")


def restorable(case: Case, name: str) -> None:
    """`Rejected` when recipe `name` can't restore the config: it holds a stateful callable (outside the recipe)."""
    if name in STATELESS_RECIPES and stateful_in(case.config):
        raise Rejected(f"the {name} recipe restores no callable object's attributes, and this config holds a "
                       "stateful callable", f"a stateful callable, which the {name} recipe can't restore")


def check_recipe(target: TargetSpec, case: Case, name: str) -> Verdict:
    """The run resumed with the supported recipe `name` equals the uninterrupted one."""
    restorable(case, name)
    verdict = check_resume(target, case, f"recipe.{name}", recipe=SUPPORTED[name])
    outcome = OUTCOME_OF_STATUS.get(verdict.status, verdict.status)
    verdict.result = result(
        name, outcome, supported=True, divergence=divergence_dict(verdict.divergence),
        error=verdict.message.splitlines()[0] if verdict.message and not verdict.ok else "",
        case="" if verdict.ok or verdict.case is None else verdict.case.describe(),
    )
    return verdict


# --- the recipes tutorials teach -------------------------------------------------

DRIFT = 1e-6  # below this relative error a difference is rounding drift; above, the recipe is wrong
TORCH_DOCS = {  # where torch's own docs recommend against a recipe
    "epoch_argument": "https://docs.pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate "
                      "(step(epoch) is deprecated: 'Please use scheduler.step()')",
    "epoch_fast_forward": "https://docs.pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate "
                          "(step(epoch) is deprecated: 'Please use scheduler.step()')",
}


def check_tutorial(target: TargetSpec, case: Case, name: str) -> Verdict:
    """A tutorial recipe's outcome for this target: safe, drifts, diverges or raises (always a result).

    `epoch_argument` runs with `step(epoch)` throughout and is compared with
    the uninterrupted run of that same loop; the others resume a plain
    `step()` run and are compared with it.
    """
    check = f"recipe.{name}"
    stepping = name == "epoch_argument"
    docs = TORCH_DOCS.get(name, "")
    restorable(case, name)

    def body():
        try:
            expected = reference(target, case, epoch_stepping=stepping)
            actual = resumed(target, case, recipe=TUTORIAL[name], epoch_stepping=stepping)
        except TargetError as exc:
            found = result(name, RAISES, error=short_error(exc), case=case.describe(), info={"docs": docs})
            return Verdict(target.name, check, PASS, case, message=f"the {name} recipe raises {found.error}",
                           result=found)
        div = first_divergence(expected.records, actual.records)
        if div is None:
            return Verdict(target.name, check, PASS, case, result=result(name, SAFE, info={"docs": docs}))
        rel = div.rel_error
        outcome = DRIFTS if rel is not None and rel < DRIFT else DIVERGES
        found = result(name, outcome, divergence=divergence_dict(div), resume_step=resume_step(case),
                       case=case.describe(), info={"docs": docs})
        return Verdict(target.name, check, PASS, case, div, message=f"the {name} recipe {outcome}", result=found)

    return guarded(target, check, case, body)


# --- pitfall recipes ---------------------------------------------------------


def resume_step(case: Case) -> int:
    """The optimizer step right after the first interruption."""
    first = min(case.plan.interruptions)
    return sum(1 for it in case.loop.iterations(case.plan.epochs)[:first] if "opt" in it)


def _probe(target: TargetSpec, name: str):
    def probe(case: Case) -> Probe:
        expected = uninterrupted(target, case)
        try:
            actual = resumed(target, case, recipe=PITFALLS[name])
        except TargetError as exc:
            divergence, raised = None, short_error(exc)
        else:
            divergence, raised = first_divergence(expected.records, actual.records), ""
        if divergence is None and not raised:
            return Probe()
        if first_divergence(expected.records, resumed(target, case).records) is not None:
            return Probe()  # the target's own resume bug; resume.canonical reports it
        return Probe(divergence, raised)

    return probe


def check_pitfall(target: TargetSpec, name: str, cases, max_examples: int) -> Verdict:
    """Search `cases` for a case where the pitfall recipe `name` diverges; see the module doc."""
    check = f"recipe.{name}"
    found = search(cases, _probe(target, name), max_examples,
                   on_error=lambda case, exc: verdict_for(target, check, case, exc),
                   wanted=lambda probe: probe.divergence is not None)
    if found.probe is not None and found.probe.problem is not None:
        problem = found.probe.problem
        problem.result = result(name, OUTCOME_OF_STATUS.get(problem.status, problem.status),
                                error=problem.message.splitlines()[0])
        return problem
    if found.case is None:
        if found.loud is not None:
            case, probe = found.loud
            return Verdict(target.name, check, PASS, case, message=f"the {name} resume raises {probe.raised}",
                           result=result(name, RAISES, error=probe.raised, case=case.describe()))
        return Verdict(target.name, check, PASS,
                       message=f"no counterexample in {found.tried} cases: {name} is safe here",
                       result=result(name, SAFE, tried=found.tried))
    return _counterexample(target, check, name, found.case, found.probe.divergence)


def _counterexample(target: TargetSpec, check: str, name: str, case: Case, seen: Divergence) -> Verdict:
    def body():
        expected = reference(target, case)
        again = first_divergence(expected.records, resumed(target, case, recipe=PITFALLS[name]).records)
        if repr(again) != repr(seen):
            return Verdict(target.name, check, FAIL, case, seen,
                           message=f"the {name} counterexample does not replay: the search saw the "
                           f"divergence below, the replay saw {again.describe() if again else 'none'}")
        if seen.step < resume_step(case):
            return Verdict(target.name, check, FAIL, case, seen,
                           message=f"the {name} run diverged at optimizer step {seen.step}, before the "
                           f"first resume (step {resume_step(case)}): the target does not repeat itself")
        found = result(name, DIVERGES, divergence=divergence_dict(seen), resume_step=resume_step(case),
                       case=case.describe())
        return Verdict(target.name, check, PASS, case, seen, message=f"the {name} pitfall diverges", result=found)

    return guarded(target, check, case, body)


# --- last_epoch without optimizer state ---------------------------------------

KEY_ERROR_HINT = (
    "a scheduler constructed with last_epoch >= 0 on an optimizer that never had a "
    "scheduler must raise a KeyError naming 'initial_lr' (as torch's do), or resume correctly"
)
NO_OPTIMIZER = "last_epoch_without_optimizer"


def check_last_epoch_without_optimizer(target: TargetSpec, case: Case) -> Verdict:
    """Construct with `last_epoch=k-1` on a fresh optimizer: a KeyError naming 'initial_lr'."""
    check = f"recipe.{NO_OPTIMIZER}"
    restorable(case, NO_OPTIMIZER)

    def body():
        expected = reference(target, case)
        try:
            actual = resumed(target, case, recipe=last_epoch_without_optimizer)
        except TargetError as exc:
            return _judge_error(target, case, check, exc)
        div = first_divergence(expected.records, actual.records)
        if div is None:
            return Verdict(target.name, check, PASS, case, result=result(NO_OPTIMIZER, SAFE))
        return Verdict(
            target.name, check, FAIL, case, div,
            message="constructed with last_epoch=k-1 on an optimizer without 'initial_lr', the "
            f"target neither raised nor resumed correctly: it diverges silently\n  what to fix: {KEY_ERROR_HINT}",
            result=result(NO_OPTIMIZER, DIVERGES, divergence=divergence_dict(div), case=case.describe()),
        )

    return guarded(target, check, case, body)


def _judge_error(target, case, check, exc: TargetError) -> Verdict:
    if exc.phase == "build" and isinstance(exc.exc, KeyError) and "initial_lr" in str(exc.exc):
        return Verdict(target.name, check, PASS, case, message=short_error(exc),
                       result=result(NO_OPTIMIZER, RAISES, error=short_error(exc)))
    message = (
        f"expected a KeyError naming 'initial_lr' from the constructor, but {target.name} raised "
        f"in {exc.phase}(): {type(exc.exc).__name__}: {exc.exc}\n  what to fix: {KEY_ERROR_HINT}"
        f"\n  the target's traceback:\n{exc.trace}"
    )
    return Verdict(target.name, check, FAIL, case, message=message, details=exc.facts(),
                   result=result(NO_OPTIMIZER, RAISES, error="wrong error: " + short_error(exc),
                                 case=case.describe()))
