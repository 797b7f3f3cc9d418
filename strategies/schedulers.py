"""Config strategies for the torch built-in schedulers, one per target.

Each takes the number of param groups (for per-group lists) and returns a
strategy of config dicts, i.e. constructor kwargs minus the optimizer.
Composite schedulers (SequentialLR, ChainedScheduler) hold child configs as
`(name, config)` pairs. Rules that exclude part of the space say why.
"""

from __future__ import annotations

from hypothesis import assume, strategies as st

from conformance.strategies import callables as fn

factors = st.floats(0.05, 1.0)  # decay factors; 0 would zero the lr for good
gammas = st.floats(0.5, 1.0) | st.sampled_from([0.1, 0.5, 0.9, 1.0])
lr_like = st.floats(1e-4, 1.0) | st.sampled_from([1e-3, 0.1])


def per_group(groups: int, values: st.SearchStrategy) -> st.SearchStrategy:
    """One value for all groups, or a list with one per group."""
    return values | st.lists(values, min_size=groups, max_size=groups)


def lambda_lr(groups):
    one = st.sampled_from([fn.linear_to_zero_at_300, fn.cosine_300]) | st.builds(
        fn.Warmup, st.integers(1, 30)
    ) | st.builds(fn.StepDecay, st.integers(1, 30), gammas) | st.builds(
        fn.InverseSqrt, st.integers(1, 30)
    ) | st.builds(fn.CountingWarmup, st.integers(1, 30))
    return st.fixed_dictionaries({"lr_lambda": per_group(groups, one)})


def multiplicative_lr(groups):
    one = st.sampled_from([fn.decay_0_99, fn.halve_every_7]) | st.builds(
        fn.ConstantFactor, st.floats(0.9, 1.0)
    ) | st.builds(fn.EveryN, st.integers(1, 20), factors) | st.builds(
        fn.AdaptiveFactor, st.floats(0.9, 1.0), st.floats(0.5, 0.99)
    )
    return st.fixed_dictionaries({"lr_lambda": per_group(groups, one)})


def step_lr(groups):
    return st.fixed_dictionaries({"step_size": st.integers(1, 60), "gamma": gammas})


def multi_step_lr(groups):
    # Repeated milestones are valid: the gamma applies once per repeat.
    milestones = st.lists(st.integers(1, 200), min_size=1, max_size=6).map(sorted)
    return st.fixed_dictionaries({"milestones": milestones, "gamma": gammas})


def constant_lr(groups):
    # factor=0 is excluded: torch accepts it, then divides by it at total_iters
    # (pytorch/pytorch#185006). The pinned case `factor_zero` keeps it visible.
    # Near-zero factors are the same bug (torch 2.13.0): 1/factor overflows, so the lr becomes
    # nan or inf at total_iters (float lr: factor=5e-324; float32 tensor lr: factor=1e-40), so >= 1e-3.
    return st.fixed_dictionaries(
        {"factor": st.floats(1e-3, 1.0), "total_iters": st.integers(0, 60)}
    )


def linear_lr(groups):
    # start_factor must be in (0, 1]; end_factor in [0, 1].
    return st.fixed_dictionaries(
        {
            "start_factor": st.floats(1e-3, 1.0),
            "end_factor": st.floats(0.0, 1.0),
            "total_iters": st.integers(1, 60),
        }
    )


def exponential_lr(groups):
    return st.fixed_dictionaries({"gamma": st.floats(0.9, 1.02) | gammas})


def cosine_annealing_lr(groups):
    return st.fixed_dictionaries(
        {"T_max": st.integers(1, 120), "eta_min": st.just(0.0) | st.floats(0.0, 1e-3)}
    )


def polynomial_lr(groups):
    return st.fixed_dictionaries(
        {"total_iters": st.integers(1, 120), "power": st.floats(0.25, 3.0) | st.just(1.0)}
    )


def cosine_warm_restarts(groups):
    return st.fixed_dictionaries(
        {
            "T_0": st.integers(1, 40),
            "T_mult": st.integers(1, 3),
            "eta_min": st.just(0.0) | st.floats(0.0, 1e-3),
        }
    )


def swalr(groups):
    return st.fixed_dictionaries(
        {
            "swa_lr": per_group(groups, lr_like),
            "anneal_epochs": st.integers(0, 40),
            "anneal_strategy": st.sampled_from(["cos", "linear"]),
        }
    )


@st.composite
def momentum_pair(draw, groups):
    """(base_momentum, max_momentum) with base <= max, per the schedulers' docs."""
    base = draw(st.floats(0.5, 0.9), label="base_momentum")
    top = draw(st.floats(base, 0.99), label="max_momentum")
    return base, top


@st.composite
def cyclic_lr(draw, groups):
    base = draw(lr_like, label="base_lr")
    top = draw(st.floats(base, 2.0), label="max_lr")
    config = {
        "base_lr": base,
        "max_lr": top,
        "step_size_up": draw(st.integers(1, 40), label="step_size_up"),
        "step_size_down": draw(st.none() | st.integers(1, 40), label="step_size_down"),
        "mode": draw(st.sampled_from(["triangular", "triangular2", "exp_range"]), label="mode"),
        "gamma": draw(st.floats(0.9, 1.0), label="gamma"),
        "cycle_momentum": draw(st.booleans(), label="cycle_momentum"),
    }
    custom = draw(
        st.none() | st.just(fn.triangular_halving) | st.builds(fn.ExpScale, st.floats(0.9, 1.0))
        | st.builds(fn.DampedScale, st.floats(0.9, 1.0), st.floats(0.95, 1.0)),
        label="scale_fn",
    )
    if custom is not None:
        config["scale_fn"] = custom
        config["scale_mode"] = draw(st.sampled_from(["cycle", "iterations"]), label="scale_mode")
    if config["cycle_momentum"]:
        config["base_momentum"], config["max_momentum"] = draw(momentum_pair(groups))
    return config


@st.composite
def one_cycle_lr(draw, groups):
    config = {
        "max_lr": draw(per_group(groups, lr_like), label="max_lr"),
        "total_steps": draw(st.integers(2, 200), label="total_steps"),
        "pct_start": draw(st.floats(0.05, 0.95), label="pct_start"),
        "anneal_strategy": draw(st.sampled_from(["cos", "linear"]), label="anneal_strategy"),
        "cycle_momentum": draw(st.booleans(), label="cycle_momentum"),
        "div_factor": draw(st.floats(1.0, 100.0) | st.just(25.0), label="div_factor"),
        "final_div_factor": draw(st.floats(1.0, 1e4) | st.just(1e4), label="final_div_factor"),
        "three_phase": draw(st.booleans(), label="three_phase"),
    }
    # Every phase must span at least one step: torch divides by the phase length
    # and raises ZeroDivisionError at build (e.g. total_steps=2, pct_start=0.5).
    n, pct = config["total_steps"], config["pct_start"]
    assume(pct * n > 1 and (not config["three_phase"] or n + 1 > 2 * pct * n))
    if config["cycle_momentum"]:
        config["base_momentum"], config["max_momentum"] = draw(momentum_pair(groups))
    return config


def reduce_on_plateau(groups):
    return st.fixed_dictionaries(
        {
            "mode": st.sampled_from(["min", "max"]),
            "factor": st.floats(0.1, 0.9),
            "patience": st.integers(0, 6),
            "threshold": st.sampled_from([0.0, 1e-4, 0.01, 0.1]),
            "threshold_mode": st.sampled_from(["rel", "abs"]),
            "cooldown": st.integers(0, 4),
            "min_lr": per_group(groups, st.sampled_from([0.0, 1e-5, 1e-3])),
            "eps": st.sampled_from([1e-8, 0.0, 1e-3]),
        }
    )


# Children for the composites: closed-form and chainable schedulers that take
# no per-group lists and have no momentum, so any optimizer setup fits.
CHILDREN = {
    "StepLR": step_lr,
    "MultiStepLR": multi_step_lr,
    "ConstantLR": constant_lr,
    "LinearLR": linear_lr,
    "ExponentialLR": exponential_lr,
    "CosineAnnealingLR": cosine_annealing_lr,
    "PolynomialLR": polynomial_lr,
    "LambdaLR": lambda_lr,
    "MultiplicativeLR": multiplicative_lr,
}


@st.composite
def child(draw, groups):
    name = draw(st.sampled_from(sorted(CHILDREN)), label="child scheduler")
    return name, draw(CHILDREN[name](groups), label=f"{name} config")


@st.composite
def sequential_lr(draw, groups):
    children = draw(st.lists(child(groups), min_size=2, max_size=3), label="schedulers")
    milestones = draw(
        st.lists(st.integers(1, 150), min_size=len(children) - 1, max_size=len(children) - 1,
                 unique=True).map(sorted),
        label="milestones",
    )
    return {"schedulers": children, "milestones": milestones}


def chained_scheduler(groups):
    return st.fixed_dictionaries({"schedulers": st.lists(child(groups), min_size=1, max_size=3)})
