"""The ignite driver's `load` and `plateau` options, both ways.

`load="mapping"` resumes from the user's own trusted `torch.load`, so a
checkpoint `load_objects(path)` refuses (`weights_only=True`) resumes there.
`plateau="ignite"` drives torch's ReduceLROnPlateau through ignite's own
`ReduceLROnPlateauScheduler` handler: its uninterrupted run is the plain
handler's, and its resume is caught failing both ways (a registered known
failure of ignite).
"""

from __future__ import annotations

import pytest

from conformance.checks.frameworks import check_driver
from conformance.drivers.ignite import DRIVER
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.model.verdict import first_divergence
from conformance.targets.builtins import BY_NAME

pytestmark = pytest.mark.skipif(bool(DRIVER.missing()), reason=DRIVER.missing() or "")
ASGD = OptimizerSetup("ASGD", (1.0, 0.5))
PLATEAU = Case(ASGD, {"mode": "min", "factor": 0.5, "patience": 0, "threshold": 0.0, "threshold_mode": "rel",
                      "cooldown": 0, "min_lr": 0.0, "eps": 1e-08}, Plan(6, (1,), (1.0, 1.0, 0.94, 0.94, 0.9, 0.9)))
RESTARTS = Case(ASGD, {"T_0": 2, "T_mult": 1, "eta_min": 0.0}, Plan(6, (1,)))


def options(**more):
    return {"epoch_length": 2, "stop": 3, "load": "path", **more}


def test_a_trusted_load_resumes_what_the_weights_only_load_refuses():
    target = BY_NAME["CosineAnnealingWarmRestarts"]
    refused = check_driver(target, RESTARTS, options(), DRIVER)
    assert refused.status == "fail" and "UnpicklingError" in refused.message, refused.explain()
    assert check_driver(target, RESTARTS, options(load="mapping"), DRIVER).ok


@pytest.mark.parametrize("load", ["path", "mapping"])
def test_the_plain_plateau_handler_resumes(load):
    assert check_driver(BY_NAME["ReduceLROnPlateau"], PLATEAU, options(load=load, plateau="step"), DRIVER).ok


def test_ignites_own_plateau_handler_runs_the_same_schedule():
    target = BY_NAME["ReduceLROnPlateau"]
    ignite = DRIVER.train(target, PLATEAU, options(plateau="ignite"))
    plain = DRIVER.train(target, PLATEAU, options(plateau="step"))
    assert ignite[-1][0][0] < ignite[0][0][0], "the handler never reduced the lr"
    assert first_divergence(plain, ignite) is None


def test_ignites_own_plateau_handler_is_caught_on_resume():
    target = BY_NAME["ReduceLROnPlateau"]
    refused = check_driver(target, PLATEAU, options(plateau="ignite"), DRIVER)
    assert refused.status == "fail" and "UnpicklingError" in refused.message, refused.explain()
    silent = check_driver(target, PLATEAU, options(plateau="ignite", load="mapping"), DRIVER)
    assert silent.status == "fail" and silent.divergence is not None and silent.divergence.field == "lr", silent.explain()
