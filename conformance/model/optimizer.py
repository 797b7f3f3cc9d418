"""Optimizer setups and the tiny seeded model they train."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import random

import torch

SEED = 20261125


def _accelerator_built() -> bool:
    """Whether this torch was built with an accelerator: a compile-time answer, which never initialises one,
    so a fork server that asks can still fork. Before torch 2.6 (no `torch.accelerator`), assume so."""
    accelerator = getattr(torch, "accelerator", None)
    return accelerator is None or accelerator.current_accelerator() is not None


def seeded() -> None:
    """Seed the global RNGs every run uses (torch's and Python's): each run owns them from its start.

    A CPU-only torch gets only its CPU generator seeded: `torch.manual_seed` would also queue a seed for
    each accelerator it lacks, with the caller's formatted stack (~0.8 ms a run under pytest and
    Hypothesis, 6% of the controls' self-test run), and seed nothing more.
    """
    if _accelerator_built():
        torch.manual_seed(SEED)
    else:
        torch.default_generator.manual_seed(SEED)
    random.seed(SEED)


@dataclass(frozen=True)
class OptimizerNeeds:
    """What a config asks of the optimizer setup (drawn before the config)."""

    momentum: bool = False  # needs a `momentum` > 0 or `betas` group key


@dataclass(frozen=True)
class OptimizerSetup:
    """An optimizer class, its kwargs, and one distinct lr per param group."""

    name: str
    lrs: tuple[float, ...]
    kwargs: dict[str, Any] = field(default_factory=dict, hash=False)
    tensor_lr: bool = False
    shape: tuple[int, ...] = (2, 2)

    @property
    def groups(self) -> int:
        return len(self.lrs)

    def make_params(self) -> list[torch.nn.Parameter]:
        gen = torch.Generator().manual_seed(SEED)
        return [
            torch.nn.Parameter(torch.randn(self.shape, generator=gen))
            for _ in self.lrs
        ]

    def build(self, params) -> torch.optim.Optimizer:
        cls = getattr(torch.optim, self.name)
        groups = [
            {"params": [p], "lr": torch.tensor(lr) if self.tensor_lr else lr}
            for p, lr in zip(params, self.lrs)
        ]
        return cls(groups, **self.kwargs)

    def __repr__(self) -> str:
        lr = "tensor lrs" if self.tensor_lr else "lrs"
        return f"{self.name}({lr}={list(self.lrs)}, {self.kwargs})"


def loss_of(params, step: int) -> torch.Tensor:
    """A deterministic loss whose gradient changes with the step."""
    scale = 1.0 + (step % 7) / 7.0
    return sum(((p - scale) ** 2).sum() for p in params)


class Tiny(torch.nn.Module):
    """A module holding the setup's params; its loss at batch `step` is `loss_of` (what DDP and frameworks train)."""

    def __init__(self, setup: OptimizerSetup) -> None:
        super().__init__()
        for i, p in enumerate(setup.make_params()):
            self.register_parameter(f"p{i}", p)

    def forward(self, step) -> torch.Tensor:
        return loss_of(list(self.parameters()), int(step))


def model_and_optimizer(setup: OptimizerSetup) -> tuple:
    """The seeded `Tiny` holding the setup's params, and the setup's optimizer over them: where trained runs start."""
    seeded()
    model = Tiny(setup)
    return model, setup.build(list(model.parameters()))


def momentum_of(group: dict):
    """The group's momentum, or betas[0], or None."""
    if "betas" in group:
        return group["betas"][0]
    return group.get("momentum")
