"""A change at resume: the fresh scheduler (or optimizer) is built with another value.

`mismatch.<param>` resumes a checkpoint into objects built from
`Change.apply(case)`. `BASE_LR` names the optimizer's lr (the optimizer is
built with other lrs), unless the target's own constructor takes `base_lr`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from conformance.model.case import Case

BASE_LR = "base_lr"


class _Default:
    """The parameter is left out of the config: the constructor's default."""

    def __repr__(self) -> str:
        return "<default>"


DEFAULT = _Default()


def optimizer_lr(target, param: str) -> bool:
    """True when `param` is the optimizer's lr rather than a constructor parameter."""
    return param == BASE_LR and BASE_LR not in (target.hyperparameters or ())


@dataclass(frozen=True)
class Change:
    param: str
    old: Any
    new: Any
    on_optimizer: bool = False  # the optimizer's lrs, not a config key

    def apply(self, case: Case) -> Case:
        if self.on_optimizer:
            return replace(case, setup=replace(case.setup, lrs=tuple(self.new)))
        config = {k: v for k, v in case.config.items() if k != self.param}
        if self.new is not DEFAULT:
            config[self.param] = self.new
        return replace(case, config=config)

    def describe(self) -> str:
        where = "the optimizer's lrs" if self.on_optimizer else self.param
        return f"{where}={self.new!r} instead of {self.old!r}"
