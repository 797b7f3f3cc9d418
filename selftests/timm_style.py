"""Schedulers with timm's API, for testing timm's schedulers without timm.

timm's schedulers (`timm.scheduler`) are told the position: `step(epoch,
metric=None)` after each epoch, `step_update(num_updates, metric=None)` after
each optimizer update; `t_in_epochs` says which of the two moves the lr. Their
`state_dict()` is the scheduler's `__dict__` without the optimizer, and
`load_state_dict` updates `__dict__` with it. timm itself cannot be imported
here (`import timm.scheduler` imports `timm.layers`, which needs torchvision),
so these hand-written ones stand in; the suite drives them through
`conformance.adapters.counter`: `counter("step")` per epoch,
`counter("step_update")` per update (see the README's "Contrib targets").

- `TimmStepDecay`: a linear warmup, then the lr multiplied by `decay_rate`
  each `decay_t` steps, applied as it goes (the decayed values are state):
  resumable.
- `TimmForgetsValues`: the same, but its `state_dict()` leaves the decayed
  values out, so a resumed run goes back to the undecayed lr while its decay
  count says the decays are done.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.adapters import counter
from conformance.spec import TargetSpec


class TimmStepDecay:
    """timm's API: a warmup, then a step decay applied as the count passes each multiple of decay_t."""

    def __init__(self, optimizer, decay_t=5, decay_rate=0.5, warmup_t=0, warmup_lr_init=0.0, t_in_epochs=True):
        self.optimizer = optimizer
        self.decay_t, self.decay_rate, self.t_in_epochs = decay_t, decay_rate, t_in_epochs
        self.warmup_t, self.warmup_lr_init = warmup_t, warmup_lr_init
        self.base_values = [float(group["lr"]) for group in optimizer.param_groups]
        self.values = list(self.base_values)  # decayed so far
        self.decays = 0
        self._update(0)

    def _update(self, t: int) -> None:
        while (self.decays + 1) * self.decay_t <= t:
            self.decays += 1
            self.values = [v * self.decay_rate for v in self.values]
        if t < self.warmup_t:
            lrs = [self.warmup_lr_init + t * (v - self.warmup_lr_init) / self.warmup_t for v in self.values]
        else:
            lrs = self.values
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr

    def step(self, epoch: int, metric=None) -> None:
        if self.t_in_epochs:
            self._update(epoch)

    def step_update(self, num_updates: int, metric=None) -> None:
        if not self.t_in_epochs:
            self._update(num_updates)

    def state_dict(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state: dict) -> None:
        self.__dict__.update(state)


class TimmForgetsValues(TimmStepDecay):
    """Leaves its decayed values out of state_dict(): a resumed run restarts from the undecayed lr."""

    def state_dict(self) -> dict:
        return {key: value for key, value in super().state_dict().items() if key != "values"}


@st.composite
def configs(draw, groups):
    warmup = draw(st.integers(0, 4), label="warmup_t")
    return {
        "decay_t": draw(st.integers(1, 8), label="decay_t"),
        "decay_rate": draw(st.sampled_from([0.5, 0.9]) | st.floats(0.1, 0.99), label="decay_rate"),
        "warmup_t": warmup,
        "warmup_lr_init": draw(st.sampled_from([0.0, 1e-4]), label="warmup_lr_init"),
    }


def _boundaries(c) -> list:
    return [b for b in [c["warmup_t"], *range(c["decay_t"], 201, c["decay_t"])] if b > 0]


def _target(cls, per: str) -> TargetSpec:
    epochs = per == "epoch"
    return TargetSpec(
        name=f"{cls.__name__}.per_{per}",
        build=lambda optimizer, config: cls(optimizer, **config, t_in_epochs=epochs),
        configs=configs,
        adapter=counter("step" if epochs else "step_update"),  # told 1, 2, ... as timm's training loop does
        boundaries=_boundaries,
        source="selftests.timm_style:TARGETS",  # importable: the fresh-process and rank checks run too
        hyperparameters=("decay_t", "decay_rate"),
    )


TARGETS = [_target(cls, per) for cls in (TimmStepDecay, TimmForgetsValues) for per in ("epoch", "update")]
