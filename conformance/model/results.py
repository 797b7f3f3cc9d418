"""Typed results of the families whose outcome is a fact about the target, not a verdict.

A verdict says whether a check passed. A result says what the target does:
which resume recipes reproduce the run, what a changed constructor argument
does at resume, whether a loop pitfall shows. Each example's verdict may
carry one (`Verdict.result`); the plugin folds the examples of one test into
one result per name (`merged`), and the report reads them back with
`from_json`, never guessing their shape.

One vocabulary for every recipe and pitfall:

- `safe`: the resumed run reproduced the uninterrupted one;
- `drifts`: it differs in the last bits only (relative error below 1e-6);
- `diverges`: it did not (the first divergence is kept);
- `raises`: the resume raised (the error is kept);
- `error` / `nondeterministic`: the target raised in a correct run, or
  could not repeat itself, so nothing can be said about the recipe.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

SAFE, DRIFTS, DIVERGES, RAISES = "safe", "drifts", "diverges", "raises"
RANK = {SAFE: 0, DRIFTS: 1, DIVERGES: 2, RAISES: 2}
ERROR, NONDETERMINISTIC = "error", "nondeterministic"

# mismatch.<param>: what the resumed run follows.
CHECKPOINT, CONSTRUCTOR, HYBRID, UNOBSERVABLE = "checkpoint", "constructor", "hybrid", "unobservable"

RECIPES, MISMATCH, PLACEMENT = "recipes", "mismatch", "placement"


@dataclass
class RecipeResult:
    """What one resume recipe (family `recipes`) or loop pitfall (family `placement`) does.

    `supported` recipes must be safe; pitfalls are expected to diverge or
    raise, and `safe` means the pitfall is harmless for this target.
    """

    family: str
    name: str
    outcome: str
    supported: bool = False
    divergence: Optional[dict] = None  # step, group, field, expected, actual
    resume_step: Optional[int] = None
    error: str = ""
    case: str = ""
    tried: int = 0  # cases searched without a counterexample
    info: dict = field(default_factory=dict)  # family extras, e.g. torch's order warning

    @property
    def safe(self) -> bool:
        return self.outcome == SAFE

    @property
    def bad(self) -> bool:
        """A result the reader must look at: a supported recipe that is not safe."""
        return self.supported and not self.safe

    def describe(self) -> str:
        text = self.outcome
        div = self.divergence or {}
        if div.get("step") is not None:
            rel = div.get("rel_error")
            text += f" (step {div['step']}" + (f", rel. error {rel:.1e})" if isinstance(rel, float) and rel else ")")
        elif self.error and self.outcome == RAISES:
            text += f" ({self.error.split(':')[0]})"
        return ("UNSAFE: " + text) if self.bad else text

    def merged(self, earlier: Optional["RecipeResult"]) -> "RecipeResult":
        """Examples of one test: the worst outcome seen is kept (the first of equal ones)."""
        if earlier is not None and RANK.get(earlier.outcome, 2) >= RANK.get(self.outcome, 2):
            return earlier
        return self


@dataclass
class MismatchResult:
    """`mismatch.<param>`: what the run follows after resuming into a changed constructor.

    `seen` counts the observable examples per outcome (checkpoint,
    constructor, raises, hybrid), in order of first appearance; `outcome`
    joins them ("checkpoint|constructor"). `example`, `change` and
    `evidence` describe the first observable example.
    """

    name: str
    seen: dict = field(default_factory=dict)
    unobservable: int = 0
    example: str = ""
    change: str = ""
    evidence: str = ""
    error: str = ""
    family: str = MISMATCH

    @property
    def outcome(self) -> str:
        return "|".join(self.seen) or UNOBSERVABLE

    @property
    def bad(self) -> bool:
        return HYBRID in self.seen

    def describe(self) -> str:
        return self.outcome

    def merged(self, earlier: Optional["MismatchResult"]) -> "MismatchResult":
        if earlier is None:
            return self
        seen = dict(earlier.seen)
        for outcome, n in self.seen.items():
            seen[outcome] = seen.get(outcome, 0) + n
        first = earlier if earlier.seen else self
        return dataclasses.replace(first, seen=seen, unobservable=earlier.unobservable + self.unobservable)


CONSISTENCY = "consistency"
AGREE, ROUNDING, DISAGREES = "agree", "rounding", "disagrees"


@dataclass
class ConsistencyResult:
    """`consistency.closed_form`: the closed form at step k against k chainable steps.

    Counts the (k, param group) values compared and those that differ, with
    the largest difference in ulps and as a relative error. `disagrees` is a
    difference beyond rounding, or one form raising where the other does not.
    """

    name: str
    compared: int = 0
    differing: int = 0
    max_ulps: float = 0.0
    max_rel: float = 0.0
    worst: str = ""
    disagreement: str = ""
    family: str = CONSISTENCY

    @property
    def outcome(self) -> str:
        return DISAGREES if self.disagreement else ROUNDING if self.differing else AGREE

    @property
    def bad(self) -> bool:
        return bool(self.disagreement)

    def describe(self) -> str:
        if self.disagreement:
            return f"DISAGREES: {self.disagreement}"
        if not self.differing:
            return f"agree ({self.compared} values)"
        return (f"rounding: {self.differing} of {self.compared} values differ, up to {self.max_ulps:g} ulp "
                f"(rel. error {self.max_rel:.1e})")

    def merged(self, earlier: Optional["ConsistencyResult"]) -> "ConsistencyResult":
        if earlier is None:
            return self
        worst = self if self.max_ulps > earlier.max_ulps else earlier
        return dataclasses.replace(
            worst, compared=earlier.compared + self.compared, differing=earlier.differing + self.differing,
            max_ulps=max(earlier.max_ulps, self.max_ulps), max_rel=max(earlier.max_rel, self.max_rel),
            disagreement=earlier.disagreement or self.disagreement)


TYPES = {RECIPES: RecipeResult, PLACEMENT: RecipeResult, MISMATCH: MismatchResult, CONSISTENCY: ConsistencyResult}


def to_json(result: Any) -> dict:
    data = dataclasses.asdict(result)
    data["outcome"] = result.outcome
    return data


def from_json(family: str, data: dict):
    """The typed result of `family` from its JSON form."""
    cls = TYPES[family]
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})
