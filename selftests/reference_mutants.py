"""Plausible schedules wrong in the uninterrupted and the resumed run alike (issue 22.1).

Each is a small bug of a torch built-in, kept in the scheduler's own saved
state, so every resume reproduces it: the resume checks pass, and only the
reference checks (`conformance.checks.reference`) hold the schedule against
the docs. Each target keeps its built-in's name and source, so the model of
that built-in judges it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from torch.optim.lr_scheduler import (ConstantLR, CosineAnnealingWarmRestarts, OneCycleLR, ReduceLROnPlateau,
                                      SequentialLR)
from torch.optim.swa_utils import SWALR

from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.spec import TargetSpec
from conformance.targets.builtins import BY_NAME, CLASSES

SGD_M = OptimizerSetup("SGD", (0.1, 0.05), {"momentum": 0.9})


class SwalrOneStepAhead(SWALR):
    """SWALR annealing one step off: get_lr() sees a step count one ahead."""

    def get_lr(self):
        self._step_count += 1
        try:
            return super().get_lr()
        finally:
            self._step_count -= 1


class SwalrCountsFromOne(SWALR):
    """The step count starts at 1 instead of 0 before the constructor's step."""

    def _initial_step(self):
        super()._initial_step()  # counts from 0: the constructor's step makes it 1
        self._step_count += 1  # as if the count had started at 1: every later step is one ahead


class SwalrZeroAnnealLate(SWALR):
    """anneal_epochs=0 reaches swa_lr one step late (0 is taken as 1)."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        super().__init__(optimizer, swa_lr, max(1, anneal_epochs), anneal_strategy, last_epoch)


class SequentialLate(SequentialLR):
    """SequentialLR switching at each milestone one step late."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        super().__init__(optimizer, schedulers, milestones, last_epoch)
        self._milestones = [m + 1 for m in self._milestones]


class ConstantEndsLate(ConstantLR):
    """ConstantLR whose factor ends one step after total_iters."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        super().__init__(optimizer, factor, total_iters + 1, last_epoch)


class RestartsNeverGrow(CosineAnnealingWarmRestarts):
    """CosineAnnealingWarmRestarts whose period never grows: T_mult is dropped after construction."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        super().__init__(optimizer, T_0, T_mult, eta_min, last_epoch)
        self.T_mult = 1


class ConstantClosedFormLate(ConstantLR):
    """ConstantLR whose closed form (step(epoch)) ends the factor one epoch late; plain step() is right."""

    def _get_closed_form_lr(self):
        self.last_epoch -= 1
        try:
            return super()._get_closed_form_lr()
        finally:
            self.last_epoch += 1


class RestartsResumeAhead(CosineAnnealingWarmRestarts):
    """Built with last_epoch=k-1, it resumes one epoch ahead (only the last_epoch path is wrong)."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        super().__init__(optimizer, T_0, T_mult, eta_min, last_epoch + 1 if last_epoch >= 0 else last_epoch)


class OneCyclePeakLate(OneCycleLR):
    """OneCycleLR whose first phase ends one step late (the peak moves, the lr and momentum with it)."""

    def __init__(self, optimizer, **config):
        super().__init__(optimizer, **config)
        self._schedule_phases[0]["end_step"] += 1


class PlateauLongCooldown(ReduceLROnPlateau):
    """ReduceLROnPlateau whose cooldown lasts one epoch more than asked."""

    def __init__(self, optimizer, cooldown=0, **config):
        super().__init__(optimizer, cooldown=cooldown + 1, **config)


def _sequential(optimizer, config):
    children = [CLASSES[name](optimizer, **cfg) for name, cfg in config["schedulers"]]
    return SequentialLate(optimizer, children, config["milestones"])


@dataclass(frozen=True)
class Mutant:
    """A mutant target, the cases that show it, and the reference check that catches it."""

    target: TargetSpec
    cases: tuple
    check: str = "reference.schedule"


def _as(name: str, build: Callable) -> TargetSpec:
    """The built-in `name` built by `build`, without the built-in's known failures."""
    return replace(BY_NAME[name], build=build, known_failures={}, pinned=())


def _simple(name: str, cls) -> TargetSpec:
    return _as(name, lambda optimizer, config: cls(optimizer, **config))


SWALR_CASE = Case(SGD_M, {"swa_lr": 0.01, "anneal_epochs": 4, "anneal_strategy": "cos"}, Plan(8, (2, 5)))
SWALR_ZERO = Case(SGD_M, {"swa_lr": 0.01, "anneal_epochs": 0, "anneal_strategy": "linear"}, Plan(4, (1, 2)))
SEQUENTIAL_CASE = Case(SGD_M, {"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 10}),
                                              ("ExponentialLR", {"gamma": 0.9})], "milestones": [3]},
                       Plan(7, (2, 4)))
CONSTANT_CASE = Case(SGD_M, {"factor": 0.5, "total_iters": 3}, Plan(6, (2, 3)))
RESTARTS_CASE = Case(SGD_M, {"T_0": 2, "T_mult": 2, "eta_min": 0.0}, Plan(9, (3, 6)))
ONE_CYCLE_CASE = Case(SGD_M, {"max_lr": 0.1, "total_steps": 10, "pct_start": 0.3, "anneal_strategy": "linear",
                               "cycle_momentum": True, "base_momentum": 0.85, "max_momentum": 0.95,
                               "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": False}, Plan(10, (2, 5)))
PLATEAU_CASE = Case(SGD_M, {"mode": "min", "factor": 0.5, "patience": 0, "threshold": 0.0, "threshold_mode": "abs",
                            "cooldown": 1, "min_lr": 0.0, "eps": 1e-8}, Plan(6, (2, 4), (1.0, 2.0, 2.0, 2.0, 2.0, 2.0)))
FIRST_CYCLE_RESUME = Case(SGD_M, {"T_0": 10, "T_mult": 1, "eta_min": 0.0}, Plan(6, (2,)))  # k < T_0

MUTANTS = {
    "swalr_one_step_ahead": Mutant(_simple("SWALR", SwalrOneStepAhead), (SWALR_CASE,)),
    "swalr_counts_from_one": Mutant(_simple("SWALR", SwalrCountsFromOne), (SWALR_CASE,)),
    "swalr_zero_anneal_late": Mutant(_simple("SWALR", SwalrZeroAnnealLate), (SWALR_ZERO,)),
    "sequential_switches_late": Mutant(_as("SequentialLR", _sequential), (SEQUENTIAL_CASE,)),
    "constant_ends_late": Mutant(_simple("ConstantLR", ConstantEndsLate), (CONSTANT_CASE,)),
    "restarts_never_grow": Mutant(_simple("CosineAnnealingWarmRestarts", RestartsNeverGrow), (RESTARTS_CASE,)),
    "one_cycle_peak_late": Mutant(_simple("OneCycleLR", OneCyclePeakLate), (ONE_CYCLE_CASE,)),
    "plateau_long_cooldown": Mutant(_simple("ReduceLROnPlateau", PlateauLongCooldown), (PLATEAU_CASE,)),
    "restarts_resume_ahead": Mutant(_simple("CosineAnnealingWarmRestarts", RestartsResumeAhead),
                                    (FIRST_CYCLE_RESUME,), "reference.last_epoch"),
    "constant_closed_form_late": Mutant(_simple("ConstantLR", ConstantClosedFormLate), (CONSTANT_CASE,),
                                        "reference.epoch_argument"),
}
