"""A case: one optimizer setup, one target config, one loop and one plan."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from conformance.model.loop import PER_STEP, Loop
from conformance.model.optimizer import OptimizerSetup

# The names of the checkpoint media (`harness.media.THROUGH` carries them). DCP loads into the
# fresh objects' own layout, so it is drawn only where that means something (`checks/table.py`).
MEDIA_NAMES = ("file", "memory", "deepcopy")
DCP = "dcp"


@dataclass(frozen=True)
class Plan:
    """How long to run and where to interrupt.

    `epochs` counts scheduler steps; `interruptions` are iteration indices of
    the loop (0 < i < number of iterations), each followed by a checkpoint
    round trip through `medium` into fresh objects. `metrics` holds one value
    per scheduler step for metric-driven targets. `skips` lists optimizer-step
    indices whose gradients are made infinite (GradScaler loops).
    """

    epochs: int
    interruptions: tuple[int, ...] = ()
    metrics: tuple[float, ...] = ()
    medium: str = "file"
    skips: frozenset = frozenset()

    def describe(self) -> str:
        text = f"{self.epochs} scheduler steps, interrupted at iterations {list(self.interruptions)}"
        text += f" through {self.medium}"
        if self.metrics:
            text += f", metrics {list(self.metrics)}"
        if self.skips:
            text += f", skipped optimizer steps {sorted(self.skips)}"
        return text


@dataclass(frozen=True)
class Case:
    setup: OptimizerSetup
    config: dict = field(hash=False)
    plan: Plan
    loop: Loop = PER_STEP

    def with_plan(self, **changes: Any) -> "Case":
        return replace(self, plan=replace(self.plan, **changes))

    def describe(self) -> str:
        return "\n".join(
            [
                f"  config:    {self.config!r}",
                f"  optimizer: {self.setup!r}",
                f"  loop:      {self.loop.describe()}",
                f"  plan:      {self.plan.describe()}",
            ]
        )
