"""`resume.fresh_process`: checkpoint in this interpreter, resume in another one.

Real jobs always resume in a new process. State kept in module globals or
class attributes survives an in-process resume (and the determinism check,
when its value is itself deterministic), but not this one.

Every example resumes in an interpreter of its own that has never run the
target (`conformance/processes/fresh.py`): it finds the target by reference,
resumes from the checkpoint with the canonical recipe and runs the rest of the
case; its records complete the trajectory. A target another interpreter
cannot import is skipped with what to set.
"""

from __future__ import annotations

from conformance.harness.oracle import compare, guarded, nondeterminism
from conformance.harness.run import reference, rest_of_run, resumed
from conformance.model.case import Case
from conformance.model.verdict import Verdict
from conformance.processes.fresh import fresh_run, unreachable, warm
from conformance.spec import TargetSpec

CHECK = "resume.fresh_process"

__all__ = ["CHECK", "check_fresh_process", "unreachable"]


def check_fresh_process(target: TargetSpec, case: Case) -> Verdict:
    """The run resumed in a fresh interpreter equals the uninterrupted run."""

    def body():
        expected = reference(target, case)
        actual = resumed(target, case, hand_over=lambda ckpt: fresh_run(target, case, rest_of_run, checkpoint=ckpt))
        what = ("the run resumed in a fresh Python process (canonical recipe) differs from the "
                "uninterrupted run: state kept outside state_dict(), in module globals or class "
                "attributes, does not survive a new process")
        verdict = compare(target, case, CHECK, expected, actual, what)
        if verdict.ok:
            return verdict
        return nondeterminism(target, case, CHECK, expected) or verdict

    return guarded(target, CHECK, case, body, start=warm)
