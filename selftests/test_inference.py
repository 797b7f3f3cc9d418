"""Config inference for plain classes, and clear words for the wrong kind of object (issue 10, points 2 and 6).

In-process: inferred ranges are valid (every drawn case runs), built-ins named
by path are their own records, the mismatch parameters are the inferred ones,
and each wrong kind of `--target` gets one clear message. End to end (a
`python -m pytest --target=...` subprocess, as in test_bestiary.py): classes
with required arguments load and pass, and bugs that show only for
non-default arguments are caught by `resume.canonical`.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings

from conformance.checks import mismatch
from conformance.harness.errors import Rejected
from conformance.harness.oracle import uninterrupted
from conformance.harness.timelimit import warm_up
from conformance.library import check_target
from conformance.spec import TargetSpec
from conformance.strategies.cases import cases
from conformance.targets import inference
from conformance.targets.builtins import BY_NAME
from conformance.targets.loading import BrokenTarget, convert, load
from conformance.targets.selection import select
from selftests import inference_targets as T
from selftests.runner import run_suite

MOD = "selftests.inference_targets"
CORRECT = ["RequiredStepDecay", "Warmup", "PatientHalving"]
BROKEN = ["SavesDecayCount", "GammaResetOnLoad"]  # exact with their defaults only


def _load(name: str) -> TargetSpec:
    (target,) = load(f"{MOD}:{name}")
    assert not isinstance(target, BrokenTarget), target.problem
    return target


def test_required_arguments_are_inferred():
    target = _load("RequiredStepDecay")
    assert target.hyperparameters == ("step_size", "gamma")
    how = inference.inferred(target)
    assert how["step_size"] == "int 1..100 (probed)"  # it raises below 1: probing stops there
    assert how["gamma"].startswith("float ") and how["gamma"].endswith("..1 (probed)")
    caps = target.capabilities
    assert caps.accepts_last_epoch and not caps.last_epoch_resume and not caps.metric_driven


def test_bools_literals_and_enums_are_choices():
    target = _load("Warmup")
    assert target.hyperparameters == ("period", "direction", "shape", "restart")
    how = inference.inferred(target)
    assert how["direction"] == "choice 'up' | 'down' (Literal)"
    assert how["shape"] == "choice Shape.LINEAR | Shape.COSINE (Enum)"
    assert how["restart"] == "bool" and how["period"].startswith("int 1..")
    drawn = _sample(target.configs(1), 60)
    assert {c["restart"] for c in drawn} == {False, True}
    assert {c["shape"] for c in drawn} == set(T.Shape) and {c["direction"] for c in drawn} == {"up", "down"}


def test_metric_driven_required_class():
    target = _load("PatientHalving")
    assert target.capabilities.metric_driven
    how = inference.inferred(target)
    assert how["patience"].startswith("int 0..") and how["factor"].endswith("..1 (probed)")  # factor <= 1


def _sample(strategy, n: int) -> list:
    out = []

    @settings(max_examples=n, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value):
        out.append(value)

    draw()
    return out


@pytest.mark.parametrize("name", CORRECT + BROKEN)
def test_every_drawn_case_runs(name):
    """The inferred ranges are valid: no drawn case is refused by the target (no `Rejected`)."""
    target = _load(name)
    refused = []
    for case in _sample(cases(target), 25):
        try:
            uninterrupted(target, case)
        except Rejected as exc:
            refused.append(f"{case.config}: {exc}")
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("name", CORRECT + BROKEN)
def test_probing_is_cheap(name):
    warm_up()  # torch's lazy imports, once per process, are not the probe's
    start = time.perf_counter()
    _load(name)
    assert time.perf_counter() - start < 1.0


def test_mismatch_varies_the_inferred_parameters():
    assert mismatch.parameters(_load("RequiredStepDecay")) == ("step_size", "gamma", "base_lr")
    assert mismatch.parameters(_load("PatientHalving")) == ("patience", "factor", "base_lr")
    assert mismatch.parameters(_load("Warmup")) == ("period", "direction", "shape", "restart", "base_lr")


@pytest.mark.parametrize("ref, name", [
    ("torch.optim.lr_scheduler:StepLR", "StepLR"),
    ("torch.optim.lr_scheduler:ReduceLROnPlateau", "ReduceLROnPlateau"),
    ("torch.optim.lr_scheduler:SequentialLR", "SequentialLR"),
    ("torch.optim.swa_utils:SWALR", "SWALR"),
])
def test_builtin_named_by_path_is_its_own_record(ref, name):
    (target,) = load(ref)
    assert target is BY_NAME[name]
    assert inference.inferred(target) == {}


def test_builtin_by_path_and_by_name_run_once():
    good, broken = select(["torch", "torch.optim.lr_scheduler:StepLR", "StepLR"])
    assert not broken and [t.name for t in good].count("StepLR") == 1


def test_subclass_of_a_builtin_is_inferred():
    (target,) = convert(T.SubclassedStepLR, "SubclassedStepLR", f"{MOD}:SubclassedStepLR")
    assert target is not BY_NAME["StepLR"] and target.hyperparameters == ("step_size", "gamma")


def test_a_target_spec_is_never_inferred():
    spec = TargetSpec("Handwritten", build=lambda optimizer, config: T.RequiredStepDecay(optimizer, 4))
    assert convert(spec, "Handwritten", "x:spec") == [spec]
    assert inference.inferred(spec) == {}


@pytest.mark.parametrize("name, argument, words", [
    ("NeedsSchedule", "'schedule'", "annotated Callable"),
    ("Untyped", "'interval'", "no annotation and no default"),
])
def test_uninferable_required_argument_is_named(name, argument, words):
    good, broken = select([f"{MOD}:{name}"])
    assert not good and len(broken) == 1
    problem = broken[0].problem
    assert f"required argument {argument}" in problem and words in problem, problem
    assert "TargetSpec" in problem and "conformance/spec.py" in problem, problem


WRONG_KINDS = {
    "torch.optim:SGD": ["is an optimizer class (torch.optim.sgd.SGD), not a learning-rate scheduler",
                        "torch.optim.lr_scheduler:StepLR"],
    f"{MOD}:OPTIMIZER": ["is an optimizer instance", "torch.optim.lr_scheduler:StepLR"],
    f"{MOD}:SCHEDULER": ["is a StepLR instance, not a scheduler", "--target torch.optim.lr_scheduler:StepLR",
                         "fresh scheduler for every run"],
    "torch.optim:lr_scheduler": ["is a module, not a scheduler", "--target torch.optim.lr_scheduler:StepLR"],
    "torch:nn": ["is a module, not a scheduler", "MODULE:ATTR"],
    "torch.nn:Linear": ["is a model (torch.nn.Module), not a scheduler"],
    "selftests.badtargets:NOT_A_SCHEDULER": ["is an int, not a scheduler (its value: 42)"],
    f"{MOD}:NAME": ["is a str, not a scheduler (its value: 'torch.optim.lr_scheduler:StepLR')",
                    "pass that to --target"],
    "torch.optim.lr_scheduler:LRScheduler": ["abstract base class", "subclass"],
}


@pytest.mark.parametrize("ref", sorted(WRONG_KINDS))
def test_wrong_kind_of_object_is_one_clear_message(ref):
    good, broken = select([ref])
    assert not good and len(broken) == 1
    problem = broken[0].problem
    assert problem.startswith(f"--target {ref!r} is ") and "Traceback" not in problem, problem
    for words in WRONG_KINDS[ref]:
        assert words in problem, problem


def test_non_default_bug_is_invisible_with_defaults_only():
    """The other direction: with its defaults only (the old behaviour), the bug is never tried."""
    (inferred,) = convert(T.SavesDecayCount, "SavesDecayCount", f"{MOD}:SavesDecayCount")
    defaults_only = TargetSpec("SavesDecayCountDefaults", build=inferred.build, source="test")
    results = check_target(defaults_only, checks=["resume.canonical"])
    assert [r.status for r in results] == ["pass"], results


@pytest.fixture(scope="session")
def inference_run(shared_dir):
    refs = [*CORRECT, *BROKEN]
    targets = [f"--target={MOD}:{name}" for name in refs] + ["--target=torch.optim.lr_scheduler:StepLR"]
    wanted = "loads or resume_canonical or (mismatch and RequiredStepDecay)"
    files = ["conformance/tests/test_targets.py", "conformance/tests/test_checks.py"]
    return run_suite(shared_dir, "inference", [*targets, "--lrc-timeout=0", "-k", wanted, *files])


def _status(run: dict, test_id: str) -> tuple:
    return run["tests"].get(test_id, ("not run", run["output"][-3000:]))


@pytest.mark.parametrize("name", [*CORRECT, "StepLR"])
def test_correct_classes_load_and_resume(inference_run, name):
    for test in ("test_target_loads", "test_resume_canonical"):
        status, message = _status(inference_run, f"{test}[{name}]")
        assert status == "passed", f"{test}[{name}]: {status}\n{message}"


@pytest.mark.parametrize("param", ["step_size", "gamma", "base_lr"])
def test_mismatch_runs_on_inferred_parameters(inference_run, param):
    status, message = _status(inference_run, f"test_mismatch[RequiredStepDecay-{param}]")
    assert status == "passed", message


@pytest.mark.parametrize("name", BROKEN)
def test_bug_for_non_default_arguments_is_caught(inference_run, name):
    status, message = _status(inference_run, f"test_resume_canonical[{name}]")
    assert status == "failed", f"{name}: expected failed, got {status}\n{message}"
    assert f"[fail] target {name}, check resume.canonical" in message, message
