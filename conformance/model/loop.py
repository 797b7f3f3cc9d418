"""Training-loop shapes: how optimizer and scheduler steps interleave.

A loop is a list of iterations; each iteration is a tuple of actions:

- ``"micro"``: forward and backward only (gradient accumulation);
- ``"opt"``: forward, backward and `optimizer.step()` (through the GradScaler
  when the loop has one);
- ``"sched"``: one scheduler step (with the next metric when metric-driven).

A checkpoint can only fall between iterations, where a training script
would save one. Interruption points are iteration indices.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Loop:
    name: str
    batches: int = 1  # optimizer steps per scheduler step (per-epoch loops)
    accumulate: int = 1  # micro-batches per optimizer step
    sched_first: bool = False  # the pitfall: scheduler.step() before optimizer.step()
    scaler: bool = False  # AMP GradScaler on CPU, with some steps skipped

    def iterations(self, epochs: int) -> list[tuple[str, ...]]:
        """The iterations for `epochs` scheduler steps."""
        opt = ("micro",) * (self.accumulate - 1) + ("opt",)
        its = []
        for _ in range(epochs):
            for b in range(self.batches):
                last = b == self.batches - 1
                if not last:
                    its.append(opt)
                elif self.sched_first:
                    its.append(("sched",) + opt)
                else:
                    its.append(opt + ("sched",))
        return its

    def after_sched_steps(self, steps: int) -> int:
        """The iteration index right after `steps` scheduler steps."""
        return steps * self.batches

    def describe(self) -> str:
        parts = [self.name]
        if self.batches > 1:
            parts.append(f"{self.batches} batches per scheduler step")
        if self.accumulate > 1:
            parts.append(f"{self.accumulate} micro-batches per optimizer step")
        if self.scaler:
            parts.append("GradScaler")
        return ", ".join(parts)


PER_STEP = Loop("per_step")
