"""The bridge from verdicts to pytest: what one test saw, kept for the report.

`TestOutcome.observe` is the observer the checks' runner hands every verdict
to. It counts the examples and their statuses, keeps the last bad verdict
(after shrinking, the minimal example) and folds the verdicts' typed family
results into one result per name (`conformance.model.results`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from conformance.model.results import to_json
from conformance.model.verdict import REJECTED, Verdict


@dataclass
class TestOutcome:
    """What one test saw across its Hypothesis examples."""

    __test__ = False  # not a pytest test class

    examples: int = 0
    statuses: Counter = field(default_factory=Counter)
    last_bad: Optional[Verdict] = None
    results: dict = field(default_factory=dict)  # family -> name -> typed result
    rejected: int = 0  # generated cases outside the target's domain, never judged
    rejected_kinds: dict = field(default_factory=dict)  # "ZeroDivisionError in step()" -> the first such case

    def observe(self, verdict: Verdict) -> None:
        if verdict.status == REJECTED:
            self.rejected += 1
            config = verdict.case.config if verdict.case is not None else None
            self.rejected_kinds.setdefault(verdict.details.get("kind", ""), f"at {config!r}")
            return
        self.examples += 1
        self.statuses[verdict.status] += 1
        if not verdict.ok:
            self.last_bad = verdict
        result = verdict.result
        if result is not None:
            family = self.results.setdefault(result.family, {})
            family[result.name] = result.merged(family.get(result.name))

    def results_json(self) -> dict:
        return {family: {name: to_json(r) for name, r in named.items()} for family, named in self.results.items()}
