"""torchtune's learning-rate schedule as a target, named `torchtune.cosine_with_warmup`.

torchtune 0.6.1 has one: `torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup`
(a LambdaLR: linear warmup from 0, then a cosine over the rest of
`num_training_steps`, `num_cycles` waves). Warmup and training lengths are drawn
within the suite's 200-step horizon so plans cross their boundaries.

Importing torchtune needs torchao, and torchtune 0.6.1 imports names that
torchao 0.15 and later no longer have: the lock pins torchao 0.13.0 (0.11 to
0.14.1 import; 0.14.1 warns that its C++ extensions don't match torch 2.13).
`import torchtune` imports its datasets and models too (datasets, pandas,
pyarrow; about 3 s), in every process that loads this module.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.spec import Capabilities, TargetSpec
from conformance.targets.contrib import library, source


@st.composite
def cosine_with_warmup(draw, groups):
    """num_warmup_steps <= num_training_steps, both in the plan horizon."""
    warm = draw(st.integers(0, 60), label="num_warmup_steps")
    return {
        "num_warmup_steps": warm,
        "num_training_steps": draw(st.integers(max(warm, 1), 220), label="num_training_steps"),
        "num_cycles": draw(st.sampled_from([0.5, 1.0, 2.0]) | st.floats(0.1, 3.0), label="num_cycles"),
    }


def _ends(c) -> list:
    """Warmup end and training end: where the schedule changes shape."""
    return [b for b in (c["num_warmup_steps"], c["num_training_steps"]) if b > 0]


# name -> (function in torchtune.training.lr_schedulers, config strategy)
SPECS = {"cosine_with_warmup": ("get_cosine_schedule_with_warmup", cosine_with_warmup)}


def _target(name, factory, configs) -> TargetSpec:
    return TargetSpec(
        name=f"torchtune.{name}",
        build=lambda optimizer, config: factory(optimizer, **config),
        configs=configs,
        capabilities=Capabilities(last_epoch_resume=True),  # a LambdaLR: takes last_epoch
        boundaries=_ends,
        source=source(__name__, "torchtune"),
    )


lr_schedulers, TARGETS = library("torchtune.training.lr_schedulers", "torchtune")  # not installed: a skip
if lr_schedulers is not None:
    TARGETS = [_target(name, getattr(lr_schedulers, attr), configs)
               for name, (attr, configs) in SPECS.items() if hasattr(lr_schedulers, attr)]
