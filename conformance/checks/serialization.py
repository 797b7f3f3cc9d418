"""Checks of the `serialization.*` family: what survives the trip through a checkpoint.

- `weights_only`: the state survives torch.save / torch.load(weights_only=True);
- `no_mutation`: load_state_dict leaves the dict it is given unchanged;
- `load_twice`: one checkpoint dict, held in memory, resumes two fresh runs alike;
- `delayed`: a state_dict() serialized some steps after it was taken still resumes right;
- `deepcopy`: an in-memory resume through copy.deepcopy equals the file round trip.
"""

from __future__ import annotations

import io

import torch

from conformance.model.case import Case
from conformance.harness.errors import TargetError, calling, exception_facts
from conformance.harness.run import resumed
from conformance.harness.media import through_deepcopy
from conformance.harness.oracle import compare, guarded
from conformance.harness.recipes import canonical
from conformance.spec import TargetSpec
from conformance.model.statediff import difference
from conformance.model.verdict import FAIL, PASS, Verdict


WEIGHTS_ONLY_HINT = (
    "keep only tensors, numbers, strings, None, and lists, tuples and dicts of them in "
    "state_dict(), or register the extra types with torch.serialization.add_safe_globals"
)


def check_weights_only(target: TargetSpec, case: Case, check: str = "serialization.weights_only") -> Verdict:
    """The scheduler state at each interruption survives torch.save / torch.load(weights_only=True)."""

    def body():
        problems, raised = [], []

        def probe(session, ckpt):
            state = ckpt["scheduler"]
            buffer = io.BytesIO()
            try:
                torch.save(state, buffer)
                buffer.seek(0)
                loaded = torch.load(buffer, weights_only=True)
            except Exception as exc:  # noqa: BLE001 - both refusals are the target's
                raised.append(exception_facts(exc, "checkpoint"))
                problems.append(
                    f"the state_dict at scheduler step {ckpt['sched_steps']} needs unsafe "
                    f"unpickling: {type(exc).__name__}: {str(exc).splitlines()[0]}\n"
                    f"  what to fix: {WEIGHTS_ONLY_HINT}"
                )
                return ckpt
            changed = difference(state, loaded)
            if changed:
                raised.append(None)
                problems.append(f"the state_dict changed in the round trip: {changed}")
            return ckpt

        resumed(target, case, medium="deepcopy", on_checkpoint=probe)
        if problems:
            return Verdict(target.name, check, FAIL, case, message=problems[0],
                           details={"exception": raised[0]} if raised[0] else {})
        return Verdict(target.name, check, PASS, case)

    return guarded(target, check, case, body)


def check_no_mutation(target: TargetSpec, case: Case, check: str = "serialization.no_mutation") -> Verdict:
    """`load_state_dict` leaves the dict it is given unchanged, then and while the run goes on.

    Each resume loads the scheduler state after a deep copy of it is taken;
    the given dict is compared with the copy right after the load, and again
    at the end of the run (a scheduler that keeps the dict's lists and
    changes them in place mutates the checkpoint later).
    """

    def body():
        given, problems = [], []

        def load_and_compare(target_, case_, ckpt):
            before = through_deepcopy(ckpt["scheduler"])
            session = canonical(target_, case_, ckpt)
            changed = difference(before, ckpt["scheduler"])
            if changed:
                problems.append(f"load_state_dict changed the dict it was given (checkpoint at "
                                f"scheduler step {ckpt['sched_steps']}): {changed}")
            given.append((ckpt, before))
            return session

        resumed(target, case, recipe=load_and_compare)
        for ckpt, before in given:
            changed = difference(before, ckpt["scheduler"])
            if changed and not problems:
                problems.append(f"the dict given to load_state_dict (checkpoint at scheduler step "
                                f"{ckpt['sched_steps']}) changed while the resumed run went on: "
                                f"the scheduler keeps its objects and changes them: {changed}")
        if problems:
            return Verdict(target.name, check, FAIL, case, message=problems[0] + f"\n  what to fix: {NO_MUTATION_HINT}")
        return Verdict(target.name, check, PASS, case)

    return guarded(target, check, case, body)


NO_MUTATION_HINT = (
    "copy what load_state_dict needs out of the given dict instead of popping keys from it "
    "or keeping its lists and tensors"
)


def check_load_twice(target: TargetSpec, case: Case, check: str = "serialization.load_twice") -> Verdict:
    """The same checkpoint dicts, held in memory, resume two fresh runs identically.

    This is resuming again after a second crash from a dict already loaded
    once. The first resumed run is the expected one.
    """

    def body():
        first = resumed(target, case)
        held = list(first.checkpoints)
        loads = iter(held)

        def from_held(target_, case_, _ckpt):
            return canonical(target_, case_, next(loads))

        try:
            second = resumed(target, case, recipe=from_held)
        except TargetError as exc:
            if exc.phase != "load_state_dict":
                raise
            return Verdict(
                target.name, check, FAIL, case,
                message=f"loading the same checkpoint dict a second time raised {type(exc.exc).__name__}: "
                f"{exc.exc}\n  the first load_state_dict changed the dict (see serialization.no_mutation)"
                f"\n  the target's traceback:\n{exc.trace}",
                details=exc.facts(),
            )
        return compare(target, case, check, first, second,
                       "resuming a second time from the same checkpoint dict, held in memory, "
                       "gives a different run than the first resume from it")

    return guarded(target, check, case, body)


def check_delayed(target: TargetSpec, case: Case, delay: int, check: str = "serialization.delayed") -> Verdict:
    """A scheduler state taken, then serialized only after `delay` more steps, resumes the same.

    This is asynchronous checkpointing: `state_dict()` is taken, the original
    keeps stepping, and only then is the state written. The expected run
    resumes from a deep copy taken at once; the model and optimizer parts are
    copied at once in both runs, so only the scheduler's state is delayed.
    """

    def body():
        changes = []

        def immediate(session, ckpt):
            return through_deepcopy(ckpt)

        def delayed(session, ckpt):
            sched_state = ckpt["scheduler"]
            taken = through_deepcopy(sched_state)
            ckpt = {**through_deepcopy({k: v for k, v in ckpt.items() if k != "scheduler"}),
                    "scheduler": sched_state}
            _keep_stepping(target, case, session, ckpt["sched_steps"], delay)
            changed = difference(taken, sched_state)
            if changed:
                changes.append(f"the state_dict taken at scheduler step {ckpt['sched_steps']} changed "
                               f"while the original took {delay} more steps: {changed}")
            return ckpt

        expected = resumed(target, case, on_checkpoint=immediate)
        actual = resumed(target, case, on_checkpoint=delayed)
        what = (f"the state_dict() was written {delay} scheduler steps after it was taken; the run "
                "resumed from it differs from the one resumed from a copy taken at once")
        if changes:
            what += "\n  " + changes[0] + f"\n  what to fix: {DELAYED_HINT}"
        return compare(target, case, check, expected, actual, what)

    return guarded(target, check, case, body)


DELAYED_HINT = "state_dict() must return copies of mutable state (lists, dicts, tensors), not the live objects"


def _keep_stepping(target: TargetSpec, case: Case, session, done: int, delay: int) -> None:
    """Step the original scheduler `delay` more times, as training would go on."""
    cap = target.max_steps(case.config)
    steps = delay if cap is None else max(0, min(delay, cap - done - 1))
    metrics = case.plan.metrics
    for j in range(steps):
        metric = None
        if target.capabilities.metric_driven:
            metric = metrics[min(done + j, len(metrics) - 1)]
        with calling("step"):
            target.adapter.step(session.scheduler, metric)


def check_deepcopy(target: TargetSpec, case: Case, check: str = "serialization.deepcopy") -> Verdict:
    """A resume through `copy.deepcopy` in memory equals the resume through a file."""

    def body():
        expected = resumed(target, case, medium="file")
        actual = resumed(target, case, medium="deepcopy")
        return compare(target, case, check, expected, actual,
                       "the run resumed from an in-memory copy.deepcopy of the checkpoint differs from "
                       "the run resumed through a file (torch.save, torch.load(weights_only=True))")

    return guarded(target, check, case, body)
