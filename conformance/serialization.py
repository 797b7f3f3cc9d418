"""Checks of the `serialization.*` family: what survives the trip through a checkpoint."""

from __future__ import annotations

import io

import torch

from conformance.case import Case
from conformance.harness import run
from conformance.oracle import guarded
from conformance.spec import TargetSpec
from conformance.statediff import difference
from conformance.verdict import FAIL, PASS, Verdict


WEIGHTS_ONLY_HINT = (
    "keep only tensors, numbers, strings, None, and lists, tuples and dicts of them in "
    "state_dict(), or register the extra types with torch.serialization.add_safe_globals"
)


def check_weights_only(target: TargetSpec, case: Case, check: str = "serialization.weights_only") -> Verdict:
    """The scheduler state at each interruption survives torch.save / torch.load(weights_only=True)."""

    def body():
        problems = []

        def probe(session, ckpt):
            state = ckpt["scheduler"]
            buffer = io.BytesIO()
            try:
                torch.save(state, buffer)
                buffer.seek(0)
                loaded = torch.load(buffer, weights_only=True)
            except Exception as exc:  # noqa: BLE001 - both refusals are the target's
                problems.append(
                    f"the state_dict at scheduler step {ckpt['sched_steps']} needs unsafe "
                    f"unpickling: {type(exc).__name__}: {str(exc).splitlines()[0]}\n"
                    f"  what to fix: {WEIGHTS_ONLY_HINT}"
                )
                return ckpt
            changed = difference(state, loaded)
            if changed:
                problems.append(f"the state_dict changed in the round trip: {changed}")
            return ckpt

        run(target, case, medium="deepcopy", on_checkpoint=probe)
        if problems:
            return Verdict(target.name, check, FAIL, case, message=problems[0])
        return Verdict(target.name, check, PASS, case)

    return guarded(target, check, case, body)
