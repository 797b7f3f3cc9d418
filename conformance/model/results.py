"""Typed results of the families whose outcome is a fact about the target, not a verdict.

A verdict says whether a check passed. A result says what the target does:
which resume recipes reproduce the run, what a changed constructor argument
does at resume, whether a loop pitfall shows. Each example's verdict may
carry one (`Verdict.result`); the plugin folds the examples of one test into
one result per name (`merged`), and the report reads them back with
`from_json`, never guessing their shape.

One vocabulary for every recipe and pitfall:

- `safe`: the resumed run reproduced the uninterrupted one;
- `diverges`: it did not (the first divergence is kept);
- `raises`: the resume raised (the error is kept);
- `error` / `nondeterministic`: the target raised in a correct run, or
  could not repeat itself, so nothing can be said about the recipe.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

SAFE, DIVERGES, RAISES = "safe", "diverges", "raises"
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
        if self.divergence and self.divergence.get("step") is not None:
            text += f" (step {self.divergence['step']})"
        elif self.error and self.outcome == RAISES:
            text += f" ({self.error.split(':')[0]})"
        return ("UNSAFE: " + text) if self.bad else text

    def merged(self, earlier: Optional["RecipeResult"]) -> "RecipeResult":
        """Examples of one test: an unsafe result, once seen, is kept."""
        if earlier is not None and not earlier.safe and self.safe:
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


TYPES = {RECIPES: RecipeResult, PLACEMENT: RecipeResult, MISMATCH: MismatchResult}


def to_json(result: Any) -> dict:
    data = dataclasses.asdict(result)
    data["outcome"] = result.outcome
    return data


def from_json(family: str, data: dict):
    """The typed result of `family` from its JSON form."""
    cls = TYPES[family]
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})
