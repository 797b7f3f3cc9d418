"""Checks `recipe.canonical`, `recipe.last_epoch`, `recipe.fast_forward`: supported recipes.

A supported recipe must reproduce the uninterrupted trajectory exactly, like
`resume.canonical`, but through the recipe's own way of rebuilding the
scheduler. Each outcome is also kept as a result for the report's
"which recipes are safe for this target" table (see `record_recipe`).
"""

from __future__ import annotations

from typing import Any, Optional

from conformance import outcome
from conformance.case import Case
from conformance.oracle import check_resume
from conformance.recipes import SUPPORTED
from conformance.spec import TargetSpec
from conformance.verdict import Divergence, Verdict
from conformance.trajectory import Value


def check_recipe(target: TargetSpec, case: Case, name: str) -> Verdict:
    """The run resumed with the supported recipe `name` equals the uninterrupted one."""
    verdict = check_resume(target, case, f"recipe.{name}", recipe=SUPPORTED[name])
    record_recipe(name, verdict_result(verdict))
    return verdict


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
    return {
        "step": div.step, "group": div.group, "field": div.field,
        "expected": plain(div.expected), "actual": plain(div.actual),
    }


def verdict_result(verdict: Verdict) -> dict:
    """A supported recipe's result: safe when the resumed run reproduced the trajectory."""
    result = {"safe": verdict.ok, "status": verdict.status}
    if not verdict.ok:
        result["first_divergence"] = divergence_dict(verdict.divergence)
        result["message"] = verdict.message.splitlines()[0] if verdict.message else ""
        if verdict.case is not None:
            result["case"] = verdict.case.describe()
    return result


def record_recipe(name: str, result: dict) -> None:
    """Keep `result` for the report, unless an unsafe result for `name` is already kept.

    Hypothesis runs many examples (and replays the failing one last); the
    report must show a divergence if any example had one.
    """
    current = outcome.CURRENT
    kept = current.results.get("recipes", {}).get(name) if current is not None else None
    if kept is not None and not kept.get("safe", True) and result.get("safe", False):
        return
    outcome.record_result("recipes", name, result)
