"""transformers' scheduler factories (`transformers.optimization`) as targets.

One target per `get_scheduler` name that exists in the installed version,
named `transformers.<name>`. Each config strategy covers the factory's
arguments; warmup and training lengths are drawn within the suite's 200-step
horizon so plans cross their boundaries. Known failures carry the reason and
the finding (see reports/contrib-findings.md).
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.model.case import Case, Plan
from conformance.model.change import Change
from conformance.model.optimizer import OptimizerSetup
from conformance.model.verdict import FAIL, Signature
from conformance.spec import Capabilities, TargetSpec
from conformance.targets.known import KnownFailure
from conformance.strategies.schedulers import reduce_on_plateau
from conformance.targets.contrib import library, source

steps = st.integers(0, 60)
total = st.integers(1, 220)


@st.composite
def warmup_total(draw, groups):
    """num_warmup_steps <= num_training_steps, both in the plan horizon."""
    warm = draw(steps, label="num_warmup_steps")
    return {"num_warmup_steps": warm,
            "num_training_steps": draw(st.integers(max(warm, 1), 220), label="num_training_steps")}


@st.composite
def cosine(draw, groups):
    cycles = st.sampled_from([0.5, 1.0, 2.0]) | st.floats(0.1, 3.0)
    return {**draw(warmup_total(groups)), "num_cycles": draw(cycles, label="num_cycles")}


@st.composite
def hard_restarts(draw, groups):
    return {**draw(warmup_total(groups)), "num_cycles": draw(st.integers(1, 5), label="num_cycles")}


@st.composite
def polynomial(draw, groups):
    # lr_end must be below optimizer.defaults["lr"] (>= 1e-3 for every drawn optimizer).
    warm = draw(steps, label="num_warmup_steps")
    # num_warmup_steps < num_training_steps: at equality transformers 5.24.0 divides by
    # decay_steps = 0 in step() once warmup ends (ZeroDivisionError; reports/contrib-findings.md).
    return {
        "num_warmup_steps": warm,
        "num_training_steps": draw(st.integers(warm + 1, 220), label="num_training_steps"),
        "lr_end": draw(st.sampled_from([0.0, 1e-7, 1e-5]), label="lr_end"),
        "power": draw(st.sampled_from([1.0, 2.0]) | st.floats(0.25, 3.0), label="power"),
    }


def constant_with_warmup(groups):
    return st.fixed_dictionaries({"num_warmup_steps": steps})


def inverse_sqrt(groups):
    return st.fixed_dictionaries({"num_warmup_steps": steps, "timescale": st.none() | st.integers(1, 100)})


@st.composite
def min_lr(draw, groups, with_rate=False):
    """Exactly one of min_lr and min_lr_rate, as the factory requires."""
    config = draw(cosine(groups))
    if draw(st.booleans(), label="absolute min_lr"):
        config["min_lr"] = draw(st.sampled_from([0.0, 1e-5]) | st.floats(0.0, 1e-3), label="min_lr")
    else:
        config["min_lr_rate"] = draw(st.floats(0.0, 0.5), label="min_lr_rate")
    if with_rate:
        config["warmup_lr_rate"] = draw(st.none() | st.floats(0.0, 0.9), label="warmup_lr_rate")
    return config


@st.composite
def wsd(draw, groups):
    shape = st.sampled_from(["linear", "cosine", "1-sqrt"])
    config = {
        "num_warmup_steps": draw(steps, label="num_warmup_steps"),
        "num_decay_steps": draw(st.integers(1, 80), label="num_decay_steps"),
        "warmup_type": draw(shape, label="warmup_type"),
        "decay_type": draw(shape, label="decay_type"),
        "min_lr_ratio": draw(st.sampled_from([0.0, 0.1]) | st.floats(0.0, 1.0), label="min_lr_ratio"),
        "num_cycles": draw(st.sampled_from([0.5, 1.0]), label="num_cycles"),
    }
    config["num_stable_steps"] = draw(st.integers(0, 80), label="num_stable_steps")
    return config


def plateau(groups):
    return reduce_on_plateau(groups)


@st.composite
def greedy(draw, groups):
    low = draw(st.sampled_from([0.0, 1e-5, 1e-3]), label="min_lr")
    return {
        "mode": draw(st.sampled_from(["min", "max"]), label="mode"),
        "factor": draw(st.floats(0.1, 0.99), label="factor"),
        "patience": draw(st.integers(0, 6), label="patience"),
        "threshold": draw(st.sampled_from([0.0, 1e-6, 0.01]), label="threshold"),
        "threshold_mode": draw(st.sampled_from(["abs", "rel"]), label="threshold_mode"),
        "cooldown": draw(st.integers(0, 4), label="cooldown"),
        "warmup": draw(st.integers(0, 4), label="warmup"),
        "min_lr": low,
        "max_lr": draw(st.sampled_from([1.0, 2.0]), label="max_lr"),
        "eps": draw(st.sampled_from([1e-8, 0.0]), label="eps"),
        "smooth": draw(st.booleans(), label="smooth"),
        "window_size": draw(st.integers(1, 8), label="window_size"),
        "reset_start": draw(st.integers(1, 30), label="reset_start"),
    }


def _ends(c) -> list:
    """Warmup end, stable end, training end: where these schedules change shape."""
    warm = c.get("num_warmup_steps", 0)
    out = [warm, c.get("num_training_steps", 0)]
    if "num_decay_steps" in c:
        out += [warm + c["num_stable_steps"], warm + c["num_stable_steps"] + c["num_decay_steps"]]
    return [b for b in out if b > 0]


# get_scheduler name -> (config strategy, metric-driven)
CONFIGS = {
    "linear": (warmup_total, False),
    "cosine": (cosine, False),
    "cosine_with_restarts": (hard_restarts, False),
    "polynomial": (polynomial, False),
    "constant": (lambda groups: st.just({}), False),
    "constant_with_warmup": (constant_with_warmup, False),
    "inverse_sqrt": (inverse_sqrt, False),
    "reduce_lr_on_plateau": (plateau, True),
    "cosine_with_min_lr": (min_lr, False),
    "cosine_warmup_with_min_lr": (lambda groups: min_lr(groups, with_rate=True), False),
    "warmup_stable_decay": (wsd, False),
    "greedy": (greedy, True),
}

# Found by this suite (reports/contrib-findings.md); filled in from the runs.
GREEDY = {"mode": "min", "factor": 0.5, "patience": 0, "threshold": 0.0, "threshold_mode": "abs", "cooldown": 0,
          "warmup": 0, "min_lr": 0.0, "max_lr": 1.0, "eps": 1e-08, "smooth": False, "window_size": 1, "reset_start": 1}
GREEDY_DCP = (
    "GreedyLR's _last_lr holds the optimizer's tensor lr while fresh and a Python float once it has stepped. DCP "
    "loads into the fresh object's layout, which expects a tensor under _last_lr.0, and the checkpoint holds a "
    "float there: the load raises 'Missing key in checkpoint state_dict: lr_scheduler._last_lr.0'. Through "
    "torch.save it resumes exactly. No upstream issue found"
)


def _greedy_dcp(check: str, at: tuple) -> KnownFailure:
    return KnownFailure(
        "transformers.greedy", check, GREEDY_DCP, versions="transformers 5.24.0, torch 2.13.0",
        example=Case(OptimizerSetup("ASGD", (0.5,), tensor_lr=True), GREEDY, Plan(3, at, (1.0, 0.94, 0.883), medium="dcp")),
        signature=Signature(FAIL, phase="checkpoint", raised="RuntimeError", detail="checkpoint round trip failed: "
                            "torch.distributed.checkpoint.load: RuntimeError: CheckpointException (RuntimeError: "
                            "Missing key in checkpoint state_dict: lr_scheduler._last_lr.0.)"),
        medium="dcp")


def _greedy_ranks(check: str, where: str) -> KnownFailure:
    """The same DCP load on ranks: the resumed world loads into fresh GreedyLRs' layout."""
    return KnownFailure(
        "transformers.greedy", check, GREEDY_DCP, versions="transformers 5.24.0, torch 2.13.0",
        example=Case(OptimizerSetup("ASGD", (0.5,), tensor_lr=True), GREEDY, Plan(2, (1,), (1.0, 0.94))),
        signature=Signature(FAIL, phase="checkpoint", raised="RemoteError", detail=f"checkpoint round trip failed: "
                            f"{where}: RemoteError: torch.distributed.checkpoint.load: RuntimeError: CheckpointException "
                            "(RuntimeError: Missing key in checkpoint state_dict: lr_scheduler._last_lr.0.)"))


GREEDY_SMOOTH_DCP = KnownFailure(
    "transformers.greedy", "mismatch.dcp.smooth",
    "GreedyLR keeps its smoothing window (_streaming_avg) in its state only when built with smooth=True. DCP loads "
    "into the fresh scheduler's layout, so a smooth=True checkpoint resumed into a smooth=False scheduler gets the "
    "checkpoint's smooth=True but not its window: the run follows neither the checkpoint nor the new constructor. "
    "Through torch.save the checkpoint wins. No upstream issue found",
    versions="transformers 5.24.0, torch 2.13.0", medium="dcp",
    example=(Case(OptimizerSetup("ASGD", (1.0,)), {**GREEDY, "smooth": True, "window_size": 2}, Plan(
        16, (14,), (1.0, 0.94, 0.8829999999999999, 0.8288499999999999, 0.7774074999999999, 0.7285371249999999,
                    0.6821102687499999, 0.6380047553124999, 0.5961045175468749, 0.5562992916695312, 0.5184843270860546,
                    0.48256011073175187, 0.4484321051951643, 0.4484321051951643, 0.4484321051951643,
                    0.41601049993540606), medium="dcp")), Change("smooth", True, False)),
    signature=Signature(FAIL, field="lr", step=15, group=0, expected=0.5, actual=1.0),
)
KNOWN_FAILURES: dict[str, dict] = {"greedy": {**{check: _greedy_dcp(check, at) for check, at in (
    ("resume.canonical", (1,)), ("resume.multi", (1, 2)), ("serialization.load_twice", (1,)))},
    "mismatch.dcp.smooth": GREEDY_SMOOTH_DCP,
    # distributed.* resume through DCP on fresh ranks: the same load fails there (found once the
    # contrib targets became reachable from other processes)
    **{check: _greedy_ranks(check, where) for check, where in (
        ("distributed.ranks", "on rank 0 of 2"), ("distributed.2_to_1", "in the resumed process"),
        ("distributed.1_to_2", "on rank 0 of 2"))}}}


def _target(name: str, factory) -> TargetSpec:
    configs, metric = CONFIGS[name]
    lambda_based = not metric  # LambdaLR underneath: takes last_epoch
    return TargetSpec(
        name=f"transformers.{name}",
        build=lambda optimizer, config: factory(optimizer, **config),
        configs=configs,
        capabilities=Capabilities(metric_driven=metric, last_epoch_resume=lambda_based),
        boundaries=_ends,
        known_failures=KNOWN_FAILURES.get(name, {}),
        source=source(__name__, "transformers"),
    )


optimization, TARGETS = library("transformers.optimization", "transformers")  # not installed: a skip
if optimization is not None:
    TARGETS = [
        _target(kind.value, factory)
        for kind, factory in optimization.TYPE_TO_SCHEDULER_FUNCTION.items()
        if kind.value in CONFIGS
    ]
    MISSING = sorted(set(CONFIGS) - {k.value for k in optimization.TYPE_TO_SCHEDULER_FUNCTION})
