"""Verdicts and divergences, and their exact comparison of trajectories."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

from conformance.model.trajectory import FIELDS, number

PASS, FAIL, ERROR, NONDETERMINISTIC = "pass", "fail", "error", "nondeterministic"
REJECTED = "rejected"  # a generated case outside the target's domain: counted, never judged


def same(a: Any, b: Any) -> bool:
    """Exact equality; NaN equals NaN, and a float never equals a tensor."""
    if type(a) is not type(b) and not (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
    ):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@dataclass(frozen=True)
class Divergence:
    """The first place two trajectories differ. `step` counts optimizer steps from 0."""

    step: int
    group: Optional[int]
    field: str
    expected: Any
    actual: Any

    @property
    def rel_error(self) -> Optional[float]:
        e, a = number(self.expected), number(self.actual)
        if e is None or a is None:
            return None
        if e == a:
            return 0.0
        return abs(a - e) / abs(e) if e else math.inf

    def describe(self) -> str:
        where = f"optimizer step {self.step}"
        if self.group is not None:
            where += f", param group {self.group}"
        rel = self.rel_error
        info = f" (relative error {rel:.3g})" if rel not in (None, 0.0) else ""
        return (
            f"first divergence at {where}, field {self.field!r}: "
            f"expected {self.expected!r}, got {self.actual!r}{info}"
        )


def first_divergence(expected: list, actual: list) -> Optional[Divergence]:
    """Compare two trajectories record by record, field by field, exactly."""
    for step, (rec_e, rec_a) in enumerate(zip(expected, actual)):
        if len(rec_e) != len(rec_a):
            return Divergence(step, None, "param groups", len(rec_e), len(rec_a))
        for group, (ge, ga) in enumerate(zip(rec_e, rec_a)):
            for name, e, a in zip(FIELDS, ge, ga):
                if not same(e, a):
                    return Divergence(step, group, name, e, a)
    if len(expected) != len(actual):
        step = min(len(expected), len(actual))
        return Divergence(step, None, "optimizer steps taken", len(expected), len(actual))
    return None


@dataclass
class Verdict:
    """The outcome of one check on one example."""

    target: str
    check: str
    status: str
    case: Any = None
    divergence: Optional[Divergence] = None
    message: str = ""
    details: dict = field(default_factory=dict)
    result: Any = None  # a typed family result (`conformance.model.results`), if any

    @property
    def ok(self) -> bool:
        return self.status == PASS

    def explain(self) -> str:
        lines = [f"[{self.status}] target {self.target}, check {self.check}"]
        if self.message:
            lines.append(self.message)
        if self.divergence is not None:
            lines.append(self.divergence.describe())
        if self.case is not None:
            lines.append(self.case.describe())
        return "\n".join(lines)


@dataclass(frozen=True)
class Signature:
    """How a bad verdict failed, as data: what a known failure registers and its replay must show again.

    `kind` is what every failure of one mechanism shares: the status, the phase
    and exception type of a raise, the field of a divergence. The other fields
    pin one example: the divergent step, group and values, or the first line
    of the message of a failure that neither raised nor diverged.
    """

    status: str
    phase: str = ""
    raised: str = ""
    field: str = ""
    step: Optional[int] = None
    group: Optional[int] = None
    expected: Any = None
    actual: Any = None
    detail: str = ""

    @classmethod
    def of(cls, verdict: "Verdict") -> "Signature":
        details = verdict.details or {}
        div = verdict.divergence
        common = dict(status=verdict.status, phase=str(details.get("phase", "")), raised=str(details.get("raised", "")))
        if div is not None:
            return cls(**common, field=div.field, step=div.step, group=div.group, expected=div.expected,
                       actual=div.actual)
        if isinstance(details.get("warning"), dict):  # exact values, and a warning the uninterrupted run lacks
            heard = details["warning"]
            return cls(**common, field="warning", detail=f"{heard['category']}: {heard['message']}")
        return cls(**common, detail=(verdict.message or "").split("\n", 1)[0])

    @property
    def kind(self) -> tuple:
        return (self.status, self.phase, self.raised, self.field)

    def same_as(self, other: "Signature") -> bool:
        """Exactly this failure again: the same kind, step, group, values and detail."""
        return all(same(getattr(self, f), getattr(other, f)) for f in self.__dataclass_fields__)

    def describe(self) -> str:
        if self.field:
            where = f"step {self.step}" + (f", group {self.group}" if self.group is not None else "")
            return f"{self.status}: {self.field!r} at {where}: expected {self.expected!r}, got {self.actual!r}"
        if self.raised:
            return f"{self.status}: {self.raised} in {self.phase or 'the run'}"
        return f"{self.status}: {self.detail}" if self.detail else self.status


class ConformanceFailure(AssertionError):
    """A check's verdict was not `pass`; the message explains it in full."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        super().__init__(verdict.explain())
