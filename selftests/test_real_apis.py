"""Real libraries' APIs through a plain `--target` (issue 21, points 1-3).

In-process: how `step` is driven (by name, annotation, probe), resume
positions under other names never varied and offered to the constructor
recipe, `TargetSpec.infer` partial specs, and the fresh-process lookup of each.
End to end: a plain `--target` run of the correct classes of
`selftests/real_api_targets.py` exits 0; the broken ones are caught.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings

from conformance.checks import runner
from conformance.checks.table import BY_ID, Planned
from conformance.harness.recipes import resumed_config
from conformance.model.results import DIVERGES
from conformance.spec import TargetSpec
from conformance.targets import driving
from conformance.targets.loading import BrokenTarget, load, quiet
from selftests.real_api_targets import StepUpdateOnly
from selftests.runner import run_suite

MOD = "selftests.real_api_targets"
CORRECT = ["EpochStepDecay", "UpdateCosine", "LastIterWarmup", "PARTIAL"]


def _load(name: str):
    (target,) = load(f"{MOD}:{name}")
    assert not isinstance(target, BrokenTarget), target.problem
    return target


def _opt():
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)


class Annotated:
    def __init__(self, optimizer):
        self.optimizer = optimizer

    def step(self, n: int):
        pass


class AnnotatedMetric(Annotated):
    def step(self, x: float):
        pass


class IntsOnly(Annotated):
    def step(self, x):
        if not isinstance(x, int):
            raise TypeError("x must be an int")


class FloatsOnly(Annotated):
    def step(self, x):
        x.hex()  # an int has no .hex(): a float metric is expected


@pytest.mark.parametrize("cls, kind, by", [
    (Annotated, "position", "annotated int"),
    (AnnotatedMetric, "metric", "annotated float"),
    (IntsOnly, "position", "a probe"),
    (FloatsOnly, "metric", "a probe"),
])
def test_a_step_argument_is_told_apart_by_annotation_then_probe(cls, kind, by):
    found = driving.infer(cls(_opt()), lambda: cls(_opt()))
    assert (found.kind, found.argument) == (kind, "n" if cls is Annotated else "x") and by in found.by, found


@pytest.mark.parametrize("name, argument", [("EpochStepDecay", "epoch"), ("UpdateCosine", "num_updates")])
def test_a_position_argument_is_told_the_count_not_a_metric(name, argument):
    target = _load(name)
    caps = target.capabilities
    assert caps.position_argument == argument and not caps.metric_driven
    assert f"step({argument}) told the count" in target.driven and "name" in target.driven
    scheduler = target.build(_opt(), {})
    for _ in range(4):
        target.adapter.step(scheduler, None)
    fresh = target.build(_opt(), {})
    fresh.step(4)
    assert scheduler.get_last_lr() == fresh.get_last_lr()  # the adapter told it 1, 2, 3, 4


def test_a_metric_argument_stays_a_metric():
    target = load("selftests.controls:MetricHalving")[0]
    assert target.capabilities.metric_driven and not target.capabilities.position_argument
    assert target.driven.startswith("step(metric) with the drawn metric")


def _configs(target, n=40) -> list:
    seen = []

    @settings(max_examples=n, database=None, suppress_health_check=list(HealthCheck))
    @given(target.configs(1))
    def draw(config):
        seen.append(config)

    draw()
    return seen


def test_a_resume_position_under_another_name_is_never_varied_and_is_offered():
    target = _load("LastIterWarmup")
    caps = target.capabilities
    assert (caps.resume_argument, caps.resume_start, caps.accepts_last_epoch) == ("last_iter", -1, True)
    assert not caps.last_epoch_resume  # offered, not declared
    assert "last_iter" not in target.hyperparameters and "resume position" in target.inferred["last_iter"]
    assert all("last_iter" not in config for config in _configs(target))
    assert resumed_config(target, {"warmup": 2}, 5) == {"warmup": 2, "last_iter": 4}


def _recipe_results(name: str) -> list:
    seen = []
    runner.run_check(Planned(BY_ID["recipe.last_epoch"], "recipe.last_epoch"), _load(name), observe=seen.append)
    return [v for v in seen if v.result is not None]


def test_the_constructor_recipe_runs_through_the_resume_argument():
    results = _recipe_results("LastIterWarmup")
    assert results and all(v.ok and v.result.outcome != DIVERGES for v in results), results
    ignored = _recipe_results("LastIterIgnored")  # takes last_iter and starts from 0 anyway
    unsafe = [v for v in ignored if v.result.outcome == DIVERGES]
    assert unsafe and all(v.ok for v in ignored), "an offered recipe's divergence is a result, not a failure"
    assert "resumes through last_iter" in unsafe[0].message


def test_a_partial_spec_infers_what_it_does_not_set():
    target = _load("PARTIAL")
    assert target.name == "StepUpdateOnly" and target.hyperparameters == ("total",)
    assert {c["total"] for c in _configs(target)} != {12}  # configs inferred, not only the default
    scheduler = target.build(_opt(), {"total": 4})
    target.adapter.step(scheduler, None)
    assert scheduler.get_last_lr() != [0.1]  # stepped through step_update, the given adapter
    with pytest.raises(TypeError, match="unknown fields"):
        TargetSpec.infer(StepUpdateOnly, adaptor=None)


@pytest.mark.parametrize("name, spec_name", [("EpochStepDecay", "EpochStepDecay"), ("PARTIAL", "StepUpdateOnly")])
def test_another_process_finds_the_target_with_its_adapter_without_running_it(name, spec_name):
    loaded = _load(name)
    found = quiet(loaded.source, loaded.name, loaded.capabilities)
    assert found is not None and found.name == spec_name and found.source == f"{MOD}:{name}"
    a, b = loaded.build(_opt(), {}), found.build(_opt(), {})
    for _ in range(3):
        loaded.adapter.step(a, None)
        found.adapter.step(b, None)
    assert a.get_last_lr() == b.get_last_lr() != [0.1]


@pytest.fixture(scope="session")
def correct_run(shared_dir):
    # The checks these APIs change the path of (the whole suite on them, once, took 236 s here: 141 passed)
    wanted = "loads or resume_canonical or fresh_process or recipe_last_epoch or mismatch or placement_epoch"
    return run_suite(shared_dir, "real-apis", [f"--target={MOD}:{name}" for name in CORRECT] +
                     ["--lrc-timeout=0", "-v", "-k", wanted])  # -v: the header is printed


@pytest.fixture(scope="session")
def broken_run(shared_dir):
    targets = [f"--target={MOD}:{name}" for name in ("EpochWarmupForgetsCalls", "LastIterIgnored")]
    return run_suite(shared_dir, "real-apis-broken",
                     targets + ["--lrc-timeout=0", "-k", "resume_canonical or recipe_last_epoch"])


def test_a_plain_target_on_correct_real_apis_exits_0(correct_run):
    bad = {t: s for t, (s, _) in correct_run["tests"].items() if s in ("failed", "error", "xpassed")}
    assert correct_run["exit"] == 0 and not bad, (bad, correct_run["output"][-3000:])
    ran = {t for t, (s, _) in correct_run["tests"].items() if s == "passed"}
    for name in ("EpochStepDecay", "UpdateCosine", "LastIterWarmup", "StepUpdateOnly"):
        assert f"test_resume_canonical[{name}]" in ran and f"test_resume_fresh_process[{name}]" in ran
    assert "test_recipe_last_epoch[LastIterWarmup]" in ran
    assert "lrc driven: EpochStepDecay: step(epoch) told the count 1, 2, ..." in correct_run["output"]


def test_broken_real_apis_are_caught(broken_run):
    status, message = broken_run["tests"]["test_resume_canonical[EpochWarmupForgetsCalls]"]
    assert status == "failed" and "first divergence" in message, message
    status, message = broken_run["tests"]["test_recipe_last_epoch[LastIterIgnored]"]
    assert status == "passed", message  # offered: a result in the recipe table
