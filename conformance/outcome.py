"""How a test turns verdicts into pass/fail, and remembers them for the report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from hypothesis import currently_in_test_context, event

from conformance.verdict import Verdict


class ConformanceFailure(AssertionError):
    """A check's verdict was not `pass`; the message explains it in full."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        super().__init__(verdict.explain())


@dataclass
class TestOutcome:
    """What one test saw across its Hypothesis examples."""

    examples: int = 0
    statuses: Counter = field(default_factory=Counter)
    last_bad: Optional[Verdict] = None  # after shrinking, the minimal example
    results: dict = field(default_factory=dict)  # check-specific results, e.g. recipe safety


CURRENT: Optional[TestOutcome] = None


def expect(verdict: Verdict) -> Verdict:
    """Record `verdict` and raise `ConformanceFailure` unless it passed."""
    if CURRENT is not None:
        CURRENT.examples += 1
        CURRENT.statuses[verdict.status] += 1
        if not verdict.ok:
            CURRENT.last_bad = verdict
    if currently_in_test_context():
        event(f"verdict: {verdict.status}")
    if not verdict.ok:
        raise ConformanceFailure(verdict)
    return verdict


def record_result(key: str, name: str, value) -> None:
    """Keep a check-specific result for the report, e.g. ("recipes", "extra_step", "diverges")."""
    if CURRENT is not None:
        CURRENT.results.setdefault(key, {})[name] = value
