"""pytorch-warmup's warmup wrappers as targets, named `pytorch_warmup.<Warmup>`.

A target is a `Wrapped(scheduler, warmup)` pair stepped the documented way,
`with warmup.dampening(): scheduler.step()` (conformance.adapters.wrapped);
the inner scheduler is drawn from the closed-form torch built-ins, or is
None (warmup alone). The checkpoint holds both states.

Left out, with the reason: UntunedLinearWarmup, UntunedExponentialWarmup and
RAdamWarmup read `betas` from every param group, and the suite's optimizer
needs (OptimizerNeeds) cannot yet ask for an Adam-family optimizer.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.adapters import Wrapped, wrapped
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.model.trajectory import Value
from conformance.model.verdict import FAIL, Signature
from conformance.spec import Capabilities, TargetSpec
from conformance.strategies import schedulers as S
from conformance.targets.builtins import BY_NAME, CLASSES as S_CLASSES
from conformance.targets.contrib import library, source
from conformance.targets.known import KnownFailure


@st.composite
def configs(draw, groups):
    one = st.integers(1, 60)
    period = draw(one | st.lists(one, min_size=groups, max_size=groups), label="warmup_period")
    inner = draw(st.none() | S.child(groups), label="scheduler")
    return {"warmup_period": period, "scheduler": inner}


def _builder(warmup_cls):
    def build(optimizer, config):
        inner = None
        if config["scheduler"] is not None:
            name, cfg = config["scheduler"]
            inner = S_CLASSES[name](optimizer, **cfg)
        # The documented order: the lr scheduler first, then the warmup.
        return Wrapped(inner, warmup_cls(optimizer, warmup_period=config["warmup_period"]))

    return build


def _boundaries(c) -> list:
    period = c["warmup_period"]
    out = list(period) if isinstance(period, list) else [period]
    if c["scheduler"] is not None:
        name, cfg = c["scheduler"]
        out += BY_NAME[name].boundaries(cfg)
    return out


# With a tensor lr, BaseWarmup keeps the group's lr tensors themselves in `lrs` and dampens them
# in place (group['lr'] *= omega): state_dict() returns live tensors and load_state_dict() keeps
# and mutates the tensors it is given. Float lrs are unaffected.
ALIASED = ("with a tensor lr, BaseWarmup.lrs aliases the param groups' lr tensors, which dampen() "
           "multiplies in place: state_dict() holds live tensors and load_state_dict() mutates "
           "the given state; no upstream issue found")
# The failing example, as data: a tensor lr, a 5-step warmup, interrupted after one step.
TENSOR_LR = Case(OptimizerSetup("ASGD", (1.0,), tensor_lr=True), {"warmup_period": 5, "scheduler": None},
                 Plan(4, (1,)))


def _lr(step: int, expected: float, actual: float) -> Signature:
    return Signature(FAIL, field="lr", step=step, group=0, expected=Value(expected, "torch.float32", "cpu"),
                     actual=Value(actual, "torch.float32", "cpu"))


def _mutated(became: tuple) -> Signature:
    return Signature(FAIL, detail="the dict given to load_state_dict (checkpoint at scheduler step 1) changed while "
                     "the resumed run went on: the scheduler keeps its objects and changes them: state['wrapper']"
                     f"['lrs'][0]: tensor values {became[0]} became {became[1]}")


# How the tensor-lr example fails, per warmup class: (delayed, no_mutation, load_twice).
ALIASED_SIGNATURES = {
    "LinearWarmup": (_lr(2, 0.04800000414252281, 0.028800003230571747),
                     _mutated((0.08000000566244125, 0.03840000554919243)),
                     _lr(1, 0.08000000566244125, 0.03840000554919243)),
    "ExponentialWarmup": (_lr(2, 0.02696339413523674, 0.012165569700300694),
                          _mutated((0.059760838747024536, 0.009385701268911362)),
                          _lr(1, 0.059760838747024536, 0.009385701268911362)),
}


def _aliased(name: str) -> dict:
    checks = ("serialization.delayed", "serialization.no_mutation", "serialization.load_twice")
    return {check: KnownFailure(f"pytorch_warmup.{name}", check, ALIASED, versions="pytorch-warmup 0.2.0",
                                example=TENSOR_LR, signature=signature)
            for check, signature in zip(checks, ALIASED_SIGNATURES[name])}


def _multistep_dcp(name) -> KnownFailure:
    return KnownFailure(
        f"pytorch_warmup.{name}", "resume.multi",
        "The inner MultiStepLR's milestones come back from DCP with string twins of its int keys, so the second "
        "dcp.save after a DCP resume raises 'duplicated flatten key' (torch's MultiStepLR, registered for the "
        "built-ins)", link="https://github.com/pytorch/pytorch/issues/153842", versions="pytorch-warmup 0.2.0, torch 2.13.0",
        example=Case(OptimizerSetup("ASGD", (1.0,)), {"warmup_period": 1, "scheduler": ("MultiStepLR", {
            "milestones": [2], "gamma": 1.0})}, Plan(3, (1, 2), medium="dcp")),
        signature=Signature(FAIL, phase="checkpoint", raised="RuntimeError", detail="checkpoint round trip failed: "
                            "torch.distributed.checkpoint.save: RuntimeError: CheckpointException (ValueError: "
                            "duplicated flatten key lr_scheduler.scheduler.milestones.2)"),
        medium="dcp", relation="same bug")


KNOWN_FAILURES: dict[str, dict] = {name: {**_aliased(name), "resume.multi": _multistep_dcp(name)}
                                   for name in ("LinearWarmup", "ExponentialWarmup")}


def _target(name, cls) -> TargetSpec:
    return TargetSpec(
        name=f"pytorch_warmup.{name}",
        build=_builder(cls),
        configs=configs,
        adapter=wrapped("dampening"),
        capabilities=Capabilities(),
        boundaries=_boundaries,
        known_failures=KNOWN_FAILURES.get(name, {}),
        source=source(__name__, "pytorch-warmup"),
        # Not `scheduler`: swapping the inner scheduler changes structure, not a hyperparameter.
        hyperparameters=("warmup_period",),
    )


pytorch_warmup, TARGETS = library("pytorch_warmup", "pytorch-warmup")  # not installed: a skip
if pytorch_warmup is not None:
    TARGETS = [_target(n, getattr(pytorch_warmup, n)) for n in ("LinearWarmup", "ExponentialWarmup")]
