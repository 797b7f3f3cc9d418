"""pytorch-optimizer's own learning-rate schedulers as targets, named `pytorch_optimizer.<name>`.

Covered: CosineAnnealingWarmupRestarts, REXScheduler, LinearScheduler,
CosineScheduler, PolyScheduler, get_chebyshev_schedule, get_wsd_schedule.
Left out, with the reason: the torch schedulers it re-exports (tested as
built-ins), ProportionScheduler (it schedules SAM's rho from another
scheduler's lr, not an lr), deberta_v3_large_lr_scheduler (it builds param
groups, not a scheduler).
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.model.verdict import ERROR, FAIL, Signature
from conformance.spec import Capabilities, TargetSpec
from conformance.targets.contrib import library, source
from conformance.targets.known import KnownFailure

lrs = st.sampled_from([1e-3, 0.1]) | st.floats(1e-4, 1.0)


@st.composite
def warmup_restarts(draw, groups):
    first = draw(st.integers(2, 100), label="first_cycle_steps")
    top = draw(lrs, label="max_lr")
    return {
        "first_cycle_steps": first,
        "cycle_mult": draw(st.sampled_from([1.0, 1.5, 2.0]), label="cycle_mult"),
        "max_lr": top,
        "min_lr": draw(st.floats(0.0, top), label="min_lr"),
        "warmup_steps": draw(st.integers(0, first - 1), label="warmup_steps"),  # must be < first_cycle_steps
        "gamma": draw(st.floats(0.5, 1.0), label="gamma"),
    }


@st.composite
def rex(draw, groups):
    top = draw(lrs, label="max_lr")
    return {"total_steps": draw(st.integers(1, 220), label="total_steps"), "max_lr": top,
            "min_lr": draw(st.floats(0.0, top), label="min_lr")}


@st.composite
def linear_warmup(draw, groups, poly=False):
    t_max = draw(st.integers(2, 220), label="t_max")
    top = draw(lrs, label="max_lr")
    config = {
        "t_max": t_max,
        "max_lr": top,
        "min_lr": draw(st.floats(0.0, top), label="min_lr"),
        "init_lr": draw(st.floats(0.0, top), label="init_lr"),
        "warmup_steps": draw(st.integers(0, t_max - 1), label="warmup_steps"),  # t_max == warmup divides by 0
    }
    if poly:
        config["poly_order"] = draw(st.sampled_from([0.5, 1.0]) | st.floats(0.1, 2.0), label="poly_order")
    return config


def chebyshev(groups):
    return st.fixed_dictionaries({"num_epochs": st.integers(1, 220), "is_warmup": st.booleans()})


@st.composite
def wsd(draw, groups):
    return {
        "num_warmup_steps": draw(st.integers(0, 60), label="num_warmup_steps"),
        "num_stable_steps": draw(st.integers(0, 80), label="num_stable_steps"),
        "num_decay_steps": draw(st.integers(1, 80), label="num_decay_steps"),
        "min_lr_ratio": draw(st.sampled_from([0.0, 0.1]) | st.floats(0.0, 1.0), label="min_lr_ratio"),
        "num_cycles": draw(st.sampled_from([0.5, 1.0]), label="num_cycles"),
        "cooldown_type": draw(st.sampled_from(["cosine", "1-sqrt", "linear", "1-square"]), label="cooldown_type"),
    }


def _ends(c) -> list:
    keys = ("first_cycle_steps", "total_steps", "t_max", "warmup_steps", "num_epochs", "num_warmup_steps")
    out = [c[k] for k in keys if k in c]
    if "num_decay_steps" in c:
        out += [c["num_warmup_steps"] + c["num_stable_steps"],
                c["num_warmup_steps"] + c["num_stable_steps"] + c["num_decay_steps"]]
    return [b for b in out if b > 0]


# BaseLinearWarmupScheduler has no state_dict()/load_state_dict(): it cannot be checkpointed.
NO_STATE = ("LinearScheduler, CosineScheduler and PolyScheduler (BaseLinearWarmupScheduler) have no "
            "state_dict()/load_state_dict(), so a resumed run restarts the schedule; no upstream issue found")
LAST_EPOCH = ("constructed with last_epoch=k-1 after loading the optimizer state, it resumes at a "
              "different lr: e.g. first_cycle_steps=2, warmup_steps=0, max_lr=1e-3, min_lr=0, resumed "
              "after one step gives 0.0 where the run had 5e-4; no upstream issue found")
# get_chebyshev_lr_lambda returns numpy.float64, so every group lr (and _last_lr) becomes a numpy
# scalar: torch.load(weights_only=True) refuses both the optimizer's and the scheduler's state.
NUMPY_LR = ("get_chebyshev_schedule's lr lambda returns numpy.float64, so the param-group lrs and "
            "_last_lr are numpy scalars that torch.load(weights_only=True) refuses "
            "(Unsupported global numpy._core.multiarray.scalar); no upstream issue found")
VERSION = "pytorch-optimizer 4.1.0"
# The failing examples, as data (each check replays its own first; see targets/known.py).
LINEAR = {"t_max": 4, "max_lr": 1e-3, "min_lr": 0.0, "init_lr": 0.0, "warmup_steps": 1}
EXAMPLES = {
    "LinearScheduler": LINEAR, "CosineScheduler": LINEAR, "PolyScheduler": {**LINEAR, "poly_order": 0.5},
    "chebyshev": {"num_epochs": 1, "is_warmup": False},
}


def _known(name: str, check: str, reason: str, config: dict, signature: Signature) -> KnownFailure:
    example = Case(OptimizerSetup("ASGD", (1.0,)), config, Plan(2, (1,)))
    return KnownFailure(f"pytorch_optimizer.{name}", check, reason, versions=VERSION, example=example,
                        signature=signature)


def _no_state(name: str) -> Signature:
    return Signature(ERROR, phase="state_dict", raised="AttributeError",
                     detail=f"pytorch_optimizer.{name} raised in state_dict(): AttributeError: '{name}' object has "
                     "no attribute 'state_dict'")


# One root cause, one red check: serialization.weights_only. The checks that need a state the
# warmup schedulers don't have are skipped; the numpy lrs go through the trusted medium elsewhere.
ROOT_CHECK = "serialization.weights_only"
KNOWN_FAILURES: dict[str, dict[str, KnownFailure]] = {
    **{name: {ROOT_CHECK: _known(name, ROOT_CHECK, NO_STATE, EXAMPLES[name], _no_state(name))}
       for name in ("LinearScheduler", "CosineScheduler", "PolyScheduler")},
    "chebyshev": {ROOT_CHECK: _known("chebyshev", ROOT_CHECK, NUMPY_LR, EXAMPLES["chebyshev"], Signature(
        FAIL, detail="the state_dict at scheduler step 1 needs unsafe unpickling: UnpicklingError: Weights only load "
        "failed. This file can still be loaded, to do so you have two options, \x1b[1mdo those steps only if you "
        "trust the source of the checkpoint\x1b[0m. "))},
    "CosineAnnealingWarmupRestarts": {"recipe.last_epoch": _known(
        "CosineAnnealingWarmupRestarts", "recipe.last_epoch", LAST_EPOCH,
        {"first_cycle_steps": 2, "cycle_mult": 1.0, "max_lr": 1e-3, "min_lr": 0.0, "warmup_steps": 0,
         "gamma": 1.0}, Signature(FAIL, field="lr", step=1, group=0, expected=0.0005, actual=0.0))},
}

# name -> (attribute, config strategy, takes last_epoch)
SPECS = {
    "CosineAnnealingWarmupRestarts": ("CosineAnnealingWarmupRestarts", warmup_restarts, True),
    "REXScheduler": ("REXScheduler", rex, False),
    "LinearScheduler": ("LinearScheduler", linear_warmup, False),
    "CosineScheduler": ("CosineScheduler", linear_warmup, False),
    "PolyScheduler": ("PolyScheduler", lambda groups: linear_warmup(groups, poly=True), False),
    "chebyshev": ("get_chebyshev_schedule", chebyshev, True),
    "wsd": ("get_wsd_schedule", wsd, True),
}


def _target(name, factory, configs, last_epoch) -> TargetSpec:
    return TargetSpec(
        name=f"pytorch_optimizer.{name}",
        build=lambda optimizer, config: factory(optimizer, **config),
        configs=configs,
        capabilities=Capabilities(last_epoch_resume=last_epoch),
        boundaries=_ends,
        known_failures=KNOWN_FAILURES.get(name, {}),
        source=source(__name__, "pytorch-optimizer"),
    )


pytorch_optimizer, TARGETS = library("pytorch_optimizer", "pytorch-optimizer")  # not installed: a skip
if pytorch_optimizer is not None:
    TARGETS = [
        _target(name, getattr(pytorch_optimizer, attr), configs, last_epoch)
        for name, (attr, configs, last_epoch) in SPECS.items()
        if hasattr(pytorch_optimizer, attr)
    ]
