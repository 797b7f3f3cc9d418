"""Optimizer setups: every `torch.optim` optimizer that takes an lr and runs on a tiny parameter.

Left out, with the reason:
- LBFGS: needs a closure and supports a single param group only;
- SparseAdam: needs sparse gradients.
Muon runs because the parameter is 2-D; it takes no tensor lr.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from conformance.model.optimizer import OptimizerNeeds, OptimizerSetup

unit = st.floats(0.5, 0.99)

# name -> strategy of kwargs (lr excluded).
KWARGS = {
    "SGD": st.one_of(
        st.just({}),
        st.fixed_dictionaries({"momentum": unit}),
        st.fixed_dictionaries({"momentum": unit, "nesterov": st.just(True)}),
        st.fixed_dictionaries({"momentum": unit, "dampening": st.floats(0.0, 0.5)}),
    ),
    "Adam": st.fixed_dictionaries({"amsgrad": st.booleans(), "betas": st.tuples(unit, st.just(0.999))}),
    "AdamW": st.fixed_dictionaries({"betas": st.tuples(unit, st.just(0.999))}),
    "Adamax": st.just({}),
    "NAdam": st.just({}),
    "RAdam": st.just({}),
    "Adagrad": st.just({}),
    "Adadelta": st.just({}),
    "ASGD": st.just({}),
    "RMSprop": st.just({}) | st.fixed_dictionaries({"momentum": unit, "centered": st.booleans()}),
    "Rprop": st.just({}),
    "Adafactor": st.just({}),
    "Muon": st.fixed_dictionaries({"momentum": unit, "nesterov": st.booleans()}),
}
# Only the optimizers the running torch has (Adafactor came in 2.5, Muon in 2.9).
KWARGS = {name: kwargs for name, kwargs in KWARGS.items() if hasattr(torch.optim, name)}
NO_TENSOR_LR = {"Muon"}  # its signature takes a float lr only


BETAS = {"Adam", "AdamW", "Adamax", "NAdam", "RAdam"}
CAN_HAVE_MOMENTUM = BETAS | {"SGD", "RMSprop", "Muon"}


def has_momentum(name: str, kwargs: dict) -> bool:
    """A `betas` group key, or a `momentum` that the optimizer really uses (> 0)."""
    return name in BETAS or kwargs.get("momentum", 0) > 0


@st.composite
def optimizer_setups(draw, needs: OptimizerNeeds = OptimizerNeeds(), groups=st.integers(1, 4)):
    """An optimizer with 1-4 param groups, each with a distinct lr.

    When momentum is needed (momentum cycling), only setups with a `momentum`
    > 0 or `betas` are drawn: cycling a momentum the optimizer ignores tests
    nothing, and schedulers reject optimizers with neither key.
    """
    names = sorted(n for n in KWARGS if not needs.momentum or n in CAN_HAVE_MOMENTUM)
    name = draw(st.sampled_from(names), label="optimizer")
    kwargs = KWARGS[name]
    if needs.momentum:
        kwargs = kwargs.filter(lambda kw: has_momentum(name, kw))
    kwargs = draw(kwargs, label=f"{name} kwargs")
    n = draw(groups, label="param groups")
    lrs = draw(
        st.lists(st.floats(1e-4, 1.0) | st.sampled_from([0.1, 0.01, 1e-3]),
                 min_size=n, max_size=n, unique=True),
        label="lrs",
    )
    tensor_lr = name not in NO_TENSOR_LR and draw(st.booleans(), label="tensor lr")
    return OptimizerSetup(name, tuple(lrs), kwargs, tensor_lr)
