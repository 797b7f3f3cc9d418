"""Correct custom schedulers: the suite must pass every check each one declares.

Plain classes and factories go through `--target selftests.controls:NAME`
as a user's would; the non-standard APIs come as `TargetSpec`s with the
adapters of `conformance/adapters.py`. `CONTROLS` lists them all.
"""

from __future__ import annotations

import math

import torch
from hypothesis import strategies as st
from torch.optim.lr_scheduler import LambdaLR

from conformance.adapters import Wrapped, counter, handler, wrapped
from conformance.model.optimizer import momentum_of
from conformance.spec import Capabilities, OptimizerNeeds, TargetSpec


class StepDecay:
    """lr = initial_lr * gamma ** (t // every); resumable by state or by `last_epoch`."""

    def __init__(self, optimizer, every=3, gamma=0.5, last_epoch=-1):
        self.optimizer, self.every, self.gamma = optimizer, every, gamma
        for group in optimizer.param_groups:
            if last_epoch == -1:
                lr = group["lr"]  # a copy of a tensor lr: DCP loads in place, so an alias would be overwritten
                group["initial_lr"] = lr.clone() if isinstance(lr, torch.Tensor) else lr
            elif "initial_lr" not in group:
                raise KeyError("resuming with last_epoch needs 'initial_lr' in every param group")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.t = last_epoch + 1
        self._apply()

    def _values(self):
        return [base * self.gamma ** (self.t // self.every) for base in self.base_lrs]

    def _apply(self):
        for group, value in zip(self.optimizer.param_groups, self._values()):
            group["lr"] = value
        self._last = self._values()

    def step(self):
        self.t += 1
        self._apply()

    def get_last_lr(self):
        return list(self._last)

    def state_dict(self):
        return {"t": self.t, "every": self.every, "gamma": self.gamma, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state):
        self.t, self.every, self.gamma = state["t"], state["every"], state["gamma"]
        self.base_lrs = list(state["base_lrs"])
        self._last = self._values()


class MetricHalving:
    """Metric-driven: halves every lr after `patience` steps without a new best."""

    factor = 0.5

    def __init__(self, optimizer, patience=2):
        self.optimizer, self.patience = optimizer, patience
        self.best, self.bad = None, 0
        self._last = [group["lr"] for group in optimizer.param_groups]

    def step(self, metric):
        metric = float(metric)
        if self.best is None or metric < self.best:
            self.best, self.bad = metric, 0
        else:
            self.bad += 1
        if self.bad > self.patience:
            for group in self.optimizer.param_groups:
                group["lr"] = group["lr"] * self.factor
            self.bad = 0
        self._last = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self._last)

    def state_dict(self):
        return {"best": self.best, "bad": self.bad, "last": list(self._last)}

    def load_state_dict(self, state):
        self.best, self.bad, self._last = state["best"], state["bad"], list(state["last"])


class NoLastLrDecay:
    """A linear decay to 0 over 50 steps, with no get_last_lr at all."""

    def __init__(self, optimizer):
        self.optimizer, self.t = optimizer, 0
        self.base = [group["lr"] for group in optimizer.param_groups]

    def step(self):
        self.t += 1
        for group, base in zip(self.optimizer.param_groups, self.base):
            group["lr"] = base * max(0.0, 1.0 - self.t / 50)

    def state_dict(self):
        return {"t": self.t, "base": list(self.base)}

    def load_state_dict(self, state):
        self.t, self.base = state["t"], list(state["base"])


class SeededJitter(StepDecay):
    """Random lr jitter from its own generator, whose state is saved: resumable."""

    def __init__(self, optimizer):
        self.gen = torch.Generator().manual_seed(1234)
        self.jitter = 1.0
        super().__init__(optimizer)

    def _values(self):
        return [v * self.jitter for v in super()._values()]

    def step(self):
        self.jitter = 1.0 + 0.1 * torch.rand((), generator=self.gen).item()
        super().step()

    def state_dict(self):
        return {**super().state_dict(), "rng": self.gen.get_state(), "jitter": self.jitter}

    def load_state_dict(self, state):
        self.gen.set_state(state["rng"])
        self.jitter = state["jitter"]
        super().load_state_dict(state)


def halving_lambda(optimizer):
    """A factory: torch's LambdaLR with a picklable callable object."""
    return LambdaLR(optimizer, Halve(7))


class Halve:
    def __init__(self, every):
        self.every = every

    def __call__(self, t):
        return 0.5 ** (t // self.every)


class UpdateCounter(StepDecay):
    """timm-style: `step_update(num_updates)` sets the lr for that update count."""

    def step(self):
        raise TypeError("UpdateCounter is stepped with step_update(num_updates)")

    def step_update(self, num_updates):
        self.t = num_updates
        self._apply()


class IterationHandler(StepDecay):
    """ignite-style: a handler called once per iteration as `handler(engine)`."""

    def __call__(self, engine):
        StepDecay.step(self)


class Warmup:
    """pytorch-warmup style: dampens the lr after the inner scheduler's step, inside `dampening()`."""

    def __init__(self, optimizer, period=5):
        self.optimizer, self.period, self.t = optimizer, period, 0
        self.lrs = [group["lr"] for group in optimizer.param_groups]
        self._dampen()

    def _dampen(self):
        for group, lr in zip(self.optimizer.param_groups, self.lrs):
            group["lr"] = lr * min(1.0, (self.t + 1) / self.period)

    def dampening(self):
        import contextlib

        @contextlib.contextmanager
        def ctx():
            for group, lr in zip(self.optimizer.param_groups, self.lrs):
                group["lr"] = lr
            yield
            self.lrs = [group["lr"] for group in self.optimizer.param_groups]
            self.t += 1
            self._dampen()

        return ctx()

    def state_dict(self):
        return {"t": self.t, "lrs": list(self.lrs)}

    def load_state_dict(self, state):
        self.t, self.lrs = state["t"], list(state["lrs"])


class MomentumCycle(StepDecay):
    """Cycles momentum (or betas[0]) between 0.85 and 0.95 with the lr counter; needs momentum."""

    def __init__(self, optimizer, every=3, gamma=0.5, last_epoch=-1):
        if not all(momentum_of(g) for g in optimizer.param_groups):
            raise ValueError("MomentumCycle needs an optimizer with momentum or betas")
        super().__init__(optimizer, every, gamma, last_epoch)

    def _apply(self):
        super()._apply()
        m = 0.85 + 0.05 * (self.t % 3)
        for group in self.optimizer.param_groups:
            if "betas" in group:
                group["betas"] = (m, group["betas"][1])
            else:
                group["momentum"] = m


class WarmupCosine(StepDecay):
    """Linear warmup over `warmup` steps, then cosine to 0 at `total`: correct, with a narrow, unvalidated
    domain (warmup >= total divides by zero in step(), as many real schedules do)."""

    def __init__(self, optimizer, warmup=4, total=40):
        self.warmup, self.total = warmup, total
        super().__init__(optimizer)

    def _values(self):
        if self.t < self.warmup:
            factor = (self.t + 1) / self.warmup
        else:
            progress = (self.t - self.warmup) / (self.total - self.warmup)
            factor = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        return [base * factor for base in self.base_lrs]

    def state_dict(self):
        return {**super().state_dict(), "warmup": self.warmup, "total": self.total}

    def load_state_dict(self, state):
        self.warmup, self.total = state["warmup"], state["total"]
        super().load_state_dict(state)


class BetaCycle(StepDecay):
    """Cycles momentum (or betas[0]) between `low` and `high`: correct; a `high` of 1 or more is outside the
    domain of Adam-like optimizers, whose step then divides by zero (1 - beta1 ** t)."""

    def __init__(self, optimizer, every=3, gamma=0.5, low=0.85, high=0.95, last_epoch=-1):
        self.low, self.high = low, high
        super().__init__(optimizer, every, gamma, last_epoch)

    def _apply(self):
        super()._apply()
        m = self.low + (self.high - self.low) * (self.t % 3) / 2
        for group in self.optimizer.param_groups:
            if "betas" in group:
                group["betas"] = (m, group["betas"][1])
            elif "momentum" in group:
                group["momentum"] = m

    def state_dict(self):
        return {**super().state_dict(), "low": self.low, "high": self.high}

    def load_state_dict(self, state):
        self.low, self.high = state["low"], state["high"]
        super().load_state_dict(state)


def _every_gamma(groups):
    return st.fixed_dictionaries({"every": st.integers(1, 20), "gamma": st.sampled_from([0.5, 0.9]) | st.floats(0.1, 1.0)})


def _boundaries(c):
    return list(range(c["every"], 201, c["every"]))


COUNTED = TargetSpec("UpdateCounter", lambda opt, c: UpdateCounter(opt, **c), _every_gamma,
                     adapter=counter("step_update"), boundaries=_boundaries, source="selftests.controls")
HANDLER = TargetSpec("IterationHandler", lambda opt, c: IterationHandler(opt, **c), _every_gamma,
                     adapter=handler(), boundaries=_boundaries, source="selftests.controls")
WARMUP = TargetSpec(
    "WarmupWrapper",
    lambda opt, c: Wrapped(StepDecay(opt, c["every"], c["gamma"]), Warmup(opt, c["period"])),
    lambda groups: st.fixed_dictionaries({"every": st.integers(1, 20), "gamma": st.floats(0.1, 1.0),
                                          "period": st.integers(1, 30)}),
    adapter=wrapped("dampening"), boundaries=lambda c: [c["period"]] + _boundaries(c),
    source="selftests.controls",
)
MOMENTUM = TargetSpec(
    "MomentumCycle", lambda opt, c: MomentumCycle(opt, **c), _every_gamma,
    capabilities=Capabilities(last_epoch_resume=True, cycles_momentum=True),
    needs=lambda c: OptimizerNeeds(momentum=True), boundaries=_boundaries, source="selftests.controls",
)
# Plain classes and factories are loaded through --target (their capabilities are detected).
PLAIN = ["StepDecay", "MetricHalving", "NoLastLrDecay", "SeededJitter", "halving_lambda", "WarmupCosine",
         "BetaCycle"]
SPECS = [COUNTED, HANDLER, WARMUP, MOMENTUM]
CONTROLS = [StepDecay, MetricHalving, NoLastLrDecay, SeededJitter, halving_lambda, WarmupCosine, BetaCycle, *SPECS]
