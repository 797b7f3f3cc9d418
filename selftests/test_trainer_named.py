"""The Transformers driver's by-name route: the Trainer builds the target's schedule from `lr_scheduler_type`.

For a target that is one of the Trainer's named schedules, `driver.transformers` draws whether
the scheduler is passed in or built by the Trainer (`trainer_schedule` maps the config). Here:
a correct named schedule passes by name; the scheduler is really the one the Trainer's
`get_scheduler` built, with the mapped arguments, and it runs the same trajectory as the target
passed in (the plan's metrics included); and the driver's mistakes are caught by name too.
"""

from __future__ import annotations

import pytest

from conformance.checks.frameworks import check_driver
from conformance.drivers.common import objects
from conformance.drivers.transformers import DRIVER, trainer_schedule
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.targets.builtins import BY_NAME

pytestmark = pytest.mark.skipif(bool(DRIVER.missing()), reason=DRIVER.missing() or "")

SGD = OptimizerSetup("SGD", (0.1, 0.2), {"momentum": 0.9})
METRICS = (1.0, 1.0, 0.9, 1.2, 1.2, 0.8, 0.8, 0.9, 0.9)  # not the driver's NAMED_METRICS
PLATEAU = {"mode": "min", "factor": 0.5, "patience": 0, "threshold": 0.0, "threshold_mode": "abs",
           "cooldown": 0, "min_lr": 0.0, "eps": 1e-8}


def contrib(name):
    from conformance.targets.loading import load

    return {t.name: t for t in load("conformance.targets.contrib.transformers:TARGETS")}[f"transformers.{name}"]


def cases():
    """(target, case): num_training_steps is the plan's length, as the Trainer passes max_steps."""
    cosine = Case(SGD, {"num_warmup_steps": 3, "num_training_steps": 9, "num_cycles": 0.5}, Plan(9, (4,)))
    return [
        pytest.param(lambda: contrib("cosine"), cosine, id="transformers.cosine"),
        pytest.param(lambda: BY_NAME["ReduceLROnPlateau"], Case(SGD, PLATEAU, Plan(9, (4,), METRICS)),
                     id="ReduceLROnPlateau"),
    ]


def by_name(target, case) -> dict:
    options = dict(DRIVER.example_options, **trainer_schedule(target, case))
    return dict(options, eval_steps=1) if target.capabilities.metric_driven else options


@pytest.mark.parametrize("target, case", cases())
def test_a_named_schedule_passes_by_name(target, case):
    target = target()
    options = by_name(target, case)
    verdict = check_driver(target, case, options, DRIVER)
    assert verdict.status == "pass" and "not resumable" not in verdict.message, verdict.explain()


@pytest.mark.parametrize("target, case", cases())
def test_the_trainer_built_the_schedule(target, case, monkeypatch):
    import transformers.trainer

    built = []

    def spy(name, optimizer, num_warmup_steps=None, num_training_steps=None, scheduler_specific_kwargs=None):
        scheduler = factory(name, optimizer, num_warmup_steps, num_training_steps, scheduler_specific_kwargs)
        built.append((str(getattr(name, "value", name)), num_warmup_steps, num_training_steps,
                      scheduler_specific_kwargs, scheduler))
        return scheduler

    factory = transformers.trainer.get_scheduler
    monkeypatch.setattr(transformers.trainer, "get_scheduler", spy)
    target = target()
    options = by_name(target, case)
    named = DRIVER.train(target, case, options)
    assert [b[:4] for b in built] == [(options["lr_scheduler_type"], options["warmup_steps"], case.plan.epochs,
                                       options["lr_scheduler_kwargs"])]
    assert type(built[0][4]) is type(objects(target, case)[2])
    # Passed in, the factory is not called; the trajectories (lr, momentum, last lr) are the same.
    passed = DRIVER.train(target, case, DRIVER.example_options | ({"eval_steps": 1} if "eval_steps" in options else {}))
    assert len(built) == 1 and named == passed and len(named) == case.plan.epochs


@pytest.mark.parametrize("mistake", sorted(DRIVER.mistakes))
@pytest.mark.parametrize("target, case", cases())
def test_a_wrong_driver_is_caught_by_name(target, case, mistake):
    target = target()
    verdict = check_driver(target, case, by_name(target, case), DRIVER.wrong(mistake))
    assert verdict.status == "fail", f"{mistake!r} passed by name:\n{verdict.explain()}"


def test_only_named_schedules_are_mapped():
    case = Case(SGD, {"step_size": 2, "gamma": 0.5}, Plan(9, (4,)))
    assert trainer_schedule(BY_NAME["StepLR"], case) is None
    polynomial = {"num_warmup_steps": 9, "num_training_steps": 20, "lr_end": 0.0, "power": 1.0}
    assert trainer_schedule(contrib("polynomial"), Case(SGD, polynomial, Plan(9, (4,)))) is None  # 0/0 at step 9
    assert trainer_schedule(contrib("polynomial"), Case(SGD, polynomial, Plan(10, (4,))))["lr_scheduler_kwargs"] == {
        "lr_end": 0.0, "power": 1.0}
