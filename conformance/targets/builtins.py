"""The torch built-in schedulers as `TargetSpec` records.

Adding a built-in means adding one record here and one config strategy in
`strategies/schedulers.py`. Its pinned edge cases (`pinned.py`) and known
failures (`known_failures.py`) are attached below, by name.
"""

from __future__ import annotations


from dataclasses import is_dataclass, replace

from torch.optim import lr_scheduler as L
from torch.optim.swa_utils import SWALR

from conformance.spec import Capabilities, OptimizerNeeds, TargetSpec
from conformance.strategies import schedulers as S
from conformance.targets.known import grouped
from conformance.targets.known_failures import KNOWN_FAILURES
from conformance.targets.pinned import PINNED

HORIZON = 200  # plans never run longer than this many scheduler steps


def _multiples(every: int) -> list[int]:
    return list(range(every, HORIZON + 1, max(every, 1))) if every > 0 else []


def _callable_boundaries(fns) -> list[int]:
    out = []
    for f in fns if isinstance(fns, list) else [fns]:
        if not is_dataclass(f):
            # Plain functions carry no boundaries. (A LambdaLR checkpoint of a callable
            # object loaded over a plain function sets attributes on the function itself.)
            continue
        for attr in ("steps", "warmup"):
            if isinstance(getattr(f, attr, None), int):
                out.append(getattr(f, attr))
        for attr in ("every", "n"):
            if isinstance(getattr(f, attr, None), int):
                out += _multiples(getattr(f, attr))
    return out


def _warm_restarts(c) -> list[int]:
    out, period, at = [], c["T_0"], c["T_0"]
    while at <= HORIZON:
        out.append(at)
        period *= c["T_mult"]
        at += period
    return out


def _cyclic(c) -> list[int]:
    up = c["step_size_up"]
    cycle = up + (c["step_size_down"] or up)
    return sorted(set(_multiples(cycle)) | {b - cycle + up for b in _multiples(cycle)})


def _one_cycle(c) -> list[int]:
    n, pct = c["total_steps"], c["pct_start"]
    ends = [int(pct * n) - 1, n - 1]
    if c["three_phase"]:
        ends.append(2 * int(pct * n) - 2)
    return ends


def _cycles_momentum(c) -> OptimizerNeeds:
    return OptimizerNeeds(momentum=bool(c.get("cycle_momentum")))


def _children(optimizer, config):
    return [CLASSES[name](optimizer, **cfg) for name, cfg in config["schedulers"]]


def _children_boundaries(config) -> list[int]:
    out = []
    for name, cfg in config["schedulers"]:
        out += BY_NAME[name].boundaries(cfg)
    return out


RESUMABLE = Capabilities(last_epoch_resume=True)
CYCLES_MOMENTUM = Capabilities(last_epoch_resume=True, cycles_momentum=True)


def _simple(cls, configs, boundaries=lambda c: [], capabilities=RESUMABLE, **extra) -> TargetSpec:
    return TargetSpec(
        name=cls.__name__,
        build=lambda optimizer, config: cls(optimizer, **config),
        configs=configs,
        capabilities=capabilities,
        boundaries=boundaries,
        source="torch",
        **extra,
    )


CLASSES = {
    "StepLR": L.StepLR,
    "MultiStepLR": L.MultiStepLR,
    "ConstantLR": L.ConstantLR,
    "LinearLR": L.LinearLR,
    "ExponentialLR": L.ExponentialLR,
    "CosineAnnealingLR": L.CosineAnnealingLR,
    "PolynomialLR": L.PolynomialLR,
    "LambdaLR": L.LambdaLR,
    "MultiplicativeLR": L.MultiplicativeLR,
}

BUILTINS: list[TargetSpec] = [
    _simple(L.LambdaLR, S.lambda_lr, lambda c: _callable_boundaries(c["lr_lambda"])),
    _simple(L.MultiplicativeLR, S.multiplicative_lr, lambda c: _callable_boundaries(c["lr_lambda"])),
    _simple(L.StepLR, S.step_lr, lambda c: _multiples(c["step_size"])),
    _simple(L.MultiStepLR, S.multi_step_lr, lambda c: list(c["milestones"])),
    _simple(L.ConstantLR, S.constant_lr, lambda c: [c["total_iters"]]),
    _simple(L.LinearLR, S.linear_lr, lambda c: [c["total_iters"]]),
    _simple(L.ExponentialLR, S.exponential_lr),
    TargetSpec(
        name="SequentialLR",
        build=lambda optimizer, config: L.SequentialLR(
            optimizer, _children(optimizer, config), config["milestones"],
            **{k: v for k, v in config.items() if k == "last_epoch"},
        ),
        configs=S.sequential_lr,
        capabilities=RESUMABLE,
        boundaries=lambda c: list(c["milestones"]) + _children_boundaries(c),
        source="torch",
    ),
    _simple(L.CosineAnnealingLR, S.cosine_annealing_lr, lambda c: _multiples(c["T_max"])),
    TargetSpec(
        name="ChainedScheduler",
        build=lambda optimizer, config: L.ChainedScheduler(_children(optimizer, config), optimizer),
        configs=S.chained_scheduler,
        boundaries=_children_boundaries,
        source="torch",
    ),
    TargetSpec(
        name="ReduceLROnPlateau",
        build=lambda optimizer, config: L.ReduceLROnPlateau(optimizer, **config),
        configs=S.reduce_on_plateau,
        capabilities=Capabilities(metric_driven=True),
        boundaries=lambda c: [c["patience"] + 1, c["patience"] + c["cooldown"] + 2],
        source="torch",
    ),
    _simple(
        L.CyclicLR, S.cyclic_lr, _cyclic, CYCLES_MOMENTUM, needs=_cycles_momentum,
    ),
    _simple(L.CosineAnnealingWarmRestarts, S.cosine_warm_restarts, _warm_restarts),
    _simple(
        L.OneCycleLR, S.one_cycle_lr, _one_cycle, CYCLES_MOMENTUM, needs=_cycles_momentum,
        max_steps=lambda c: c["total_steps"],
    ),
    _simple(L.PolynomialLR, S.polynomial_lr, lambda c: [c["total_iters"]]),
    _simple(SWALR, S.swalr, lambda c: [c["anneal_epochs"]]),
]

BY_NAME = {t.name: t for t in BUILTINS}


# Constructor parameters the `mismatch.*` checks change at resume (plus the
# optimizer's lr as `base_lr`; CyclicLR's own `base_lr` takes that name).
# A composite's `schedulers` is left out: swapping, adding or removing a child
# changes the structure of the schedule, not a hyperparameter, and torch loads
# child states by position into whatever children are there.
HYPERPARAMETERS = {
    "LambdaLR": ("lr_lambda",),
    "MultiplicativeLR": ("lr_lambda",),
    "StepLR": ("step_size", "gamma"),
    "MultiStepLR": ("milestones", "gamma"),
    "ConstantLR": ("factor", "total_iters"),
    "LinearLR": ("start_factor", "end_factor", "total_iters"),
    "ExponentialLR": ("gamma",),
    "SequentialLR": ("milestones",),
    "CosineAnnealingLR": ("T_max", "eta_min"),
    "ChainedScheduler": (),  # its only argument is its children
    "ReduceLROnPlateau": ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown",
                          "min_lr", "eps"),
    "CyclicLR": ("base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma", "scale_fn",
                 "scale_mode", "cycle_momentum", "base_momentum", "max_momentum"),
    "CosineAnnealingWarmRestarts": ("T_0", "T_mult", "eta_min"),
    "OneCycleLR": ("max_lr", "total_steps", "pct_start", "anneal_strategy", "cycle_momentum",
                   "base_momentum", "max_momentum", "div_factor", "final_div_factor", "three_phase"),
    "PolynomialLR": ("total_iters", "power"),
    "SWALR": ("swa_lr", "anneal_epochs", "anneal_strategy"),
}
BUILTINS[:] = [
    replace(
        t,
        hyperparameters=HYPERPARAMETERS.get(t.name, ()),
        known_failures=grouped(k for k in KNOWN_FAILURES if k.target == t.name),
        pinned=tuple(PINNED.get(t.name, ())),
    )
    for t in BUILTINS
]
BY_NAME.update((t.name, t) for t in BUILTINS)
