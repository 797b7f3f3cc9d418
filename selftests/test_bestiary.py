"""Proof of power: the `ci` profile reports every broken scheduler and passes every correct one.

Each run is a real `python -m pytest --target selftests.<module>:NAME ...`
subprocess, restricted with -k to the checks that matter, read back per test
id from its JUnit XML. The runs use the `ci` profile's examples without its
shrink phase (selftests/profile_plugin.py; LRC_SELFTEST_SHRINK=1 shrinks too).
Zero false positives is the bar for the controls.
"""

from __future__ import annotations

import pytest

from conformance.checks.table import missing_capability, planned
from conformance.targets.loading import load
from selftests import bestiary, controls
from selftests.runner import run_suite

FILES = ["conformance/tests/test_targets.py", "conformance/tests/test_checks.py"]
# StateDictRaises and HangsAfterLoad run in test_plugin_api's bad-input run (with a short time limit).
SEPARATE = {"StateDictRaises", "HangsAfterLoad"}
MEMBERS = sorted(set(bestiary.EXPECTED) - SEPARATE)


@pytest.fixture(scope="session")
def bestiary_run(shared_dir):
    wanted = " or ".join(f"({test} and {name} and not without_optimizer)"
                         for name, (test, _) in bestiary.EXPECTED.items() if name not in SEPARATE)
    targets = [f"--target=selftests.bestiary:{bestiary.REFS.get(name, name)}" for name in MEMBERS]
    # No member hangs: no time limit, so a busy machine cannot turn a slow example into an error.
    return run_suite(shared_dir, "bestiary", [*targets, "--lrc-timeout=0", "-k", wanted, *FILES])


# The checks every control must pass (their capabilities skip what they do not declare).
CONTROL_CHECKS = ("loads or determinism or resume_canonical or resume_multi or weights_only or load_twice "
                  "or recipe_canonical or (recipe_last_epoch and not without_optimizer)")
# The tests CONTROL_CHECKS selects, one per check (test_target_loads is not a check).
CONTROL_TESTS = {"test_determinism", "test_resume_canonical", "test_resume_multi", "test_serialization_weights_only",
                 "test_serialization_load_twice", "test_recipe_canonical", "test_recipe_last_epoch"}


def _control_names() -> list:
    return [*controls.PLAIN, *(spec.name for spec in controls.SPECS)]


def _control(name: str):
    """The control as the run loads it."""
    if name in controls.PLAIN:
        (target,) = load(f"selftests.controls:{name}")
        return target
    return next(spec for spec in controls.SPECS if spec.name == name)


@pytest.fixture(scope="session")
def controls_run(shared_dir):
    targets = [f"--target=selftests.controls:{name}" for name in controls.PLAIN]
    targets.append("--target=selftests.controls:SPECS")
    return run_suite(shared_dir, "controls", [*targets, "--lrc-timeout=0", "-k", CONTROL_CHECKS, *FILES])


def test_bestiary_has_enough_members():
    assert len(bestiary.EXPECTED) >= 12
    for name in bestiary.EXPECTED:
        doc = getattr(bestiary, name).__doc__ or ""
        assert doc.strip() and "\n" not in doc.strip(), f"{name} needs a one-line docstring"


@pytest.mark.parametrize("name", MEMBERS)
def test_bestiary_member_is_reported(bestiary_run, name):
    test, verdict = bestiary.EXPECTED[name]
    assert bestiary_run["exit"] == 1, f"expected exit 1 from: {bestiary_run['cmd']}\n{bestiary_run['output'][-3000:]}"
    test_id = f"{test}[{name}]"
    status, message = bestiary_run["tests"].get(test_id, ("not run", ""))
    assert status == "failed", f"{test_id}: expected failed, got {status}\n{bestiary_run['output'][-3000:]}"
    check = test.removeprefix("test_").replace("_", ".", 1)
    assert f"[{verdict}] target {name}, check " in message, f"{test_id}: expected a {verdict} verdict:\n{message}"
    assert name in bestiary_run["output"], "the terminal output must name the target"
    assert check.split(".")[0] in message


@pytest.mark.parametrize("name", _control_names())
def test_control_passes_every_declared_check(controls_run, name):
    """Every selected check ran and passed; a skip counts only where the control lacks the capability."""
    mine = {t.split("[")[0]: s for t, s in controls_run["tests"].items() if t.endswith(f"[{name}]")}
    target = _control(name)
    skips = {p.check.test_name: missing_capability(p.check, target) for p in planned(target)
             if p.check.test_name in CONTROL_TESTS}
    assert set(skips) == CONTROL_TESTS, sorted(skips)  # the control has every check CONTROL_CHECKS names
    ran = sorted(mine)
    assert ran == sorted(["test_target_loads", *skips]), f"{name} ran {ran}:\n{controls_run['output'][-3000:]}"
    for test, skip in {"test_target_loads": None, **skips}.items():
        status, message = mine[test]
        if skip:  # expected by capability: a skip with that reason, never a pass or a red result
            assert status == "skipped" and skip in message, f"{test}[{name}]: expected skipped ({skip}), got {status}"
        else:
            assert status == "passed", f"control {name}: {test} is {status}, not passed\n{message}"


def test_controls_load_with_detected_capabilities():
    metric = load("selftests.controls:MetricHalving")[0]
    assert metric.capabilities.metric_driven
    decay = load("selftests.controls:StepDecay")[0]
    # A plain class only offers last_epoch (a result); it is not held to it.
    assert decay.capabilities.accepts_last_epoch and not decay.capabilities.last_epoch_resume
    assert not decay.capabilities.metric_driven
    assert not load("selftests.controls:SeededJitter")[0].capabilities.accepts_last_epoch
    needs = load("selftests.bestiary:MomentumNotRestored")[0].needs({})
    assert needs.momentum
