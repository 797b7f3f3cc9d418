"""timm's scheduler API through `conformance.adapters.counter`, as the README tells timm users to test it.

timm cannot be imported on this machine (it needs torchvision), so
`selftests/timm_style.py` holds hand-written schedulers with timm's API
(`step(epoch, metric=None)`, `step_update(num_updates, metric=None)`,
`state_dict()` as `__dict__`), each stepped per epoch (`counter("step")`) and
per update (`counter("step_update")`). One real suite run (`ci` examples):
the resumable one passes every selected check, fresh process included; the one
whose state_dict leaves out its decayed values is caught by the resume checks.
"""

from __future__ import annotations

import pytest

from selftests.runner import run_suite

FILES = ["conformance/tests/test_targets.py", "conformance/tests/test_checks.py"]
CHECKS = "loads or determinism or resume_canonical or resume_multi or resume_fresh_process or weights_only"
SELECTED = {"test_target_loads", "test_determinism", "test_resume_canonical", "test_resume_multi",
            "test_resume_fresh_process", "test_serialization_weights_only"}
CAUGHT_BY = {"test_resume_canonical", "test_resume_multi", "test_resume_fresh_process"}


@pytest.fixture(scope="session")
def timm_run(shared_dir):
    return run_suite(shared_dir, "timm_style", ["--target=selftests.timm_style:TARGETS", "--lrc-timeout=0",
                                                "-k", CHECKS, *FILES])


def _statuses(run, name: str) -> dict:
    return {t.split("[")[0]: s for t, s in run["tests"].items() if t.endswith(f"[{name}]")}


@pytest.mark.parametrize("name", ["TimmStepDecay.per_epoch", "TimmStepDecay.per_update"])
def test_a_resumable_timm_style_scheduler_passes(timm_run, name):
    mine = _statuses(timm_run, name)
    assert set(mine) == SELECTED, (sorted(mine), timm_run["output"][-3000:])
    red = {test: status for test, (status, _) in mine.items() if status != "passed"}
    assert not red, (red, {t: mine[t][1][:1500] for t in red})


@pytest.mark.parametrize("name", ["TimmForgetsValues.per_epoch", "TimmForgetsValues.per_update"])
def test_a_timm_style_scheduler_that_does_not_restore_its_state_is_caught(timm_run, name):
    mine = _statuses(timm_run, name)
    assert set(mine) == SELECTED, (sorted(mine), timm_run["output"][-3000:])
    for test in CAUGHT_BY:
        status, message = mine[test]
        assert status == "failed", (test, status, message[:1500])
        assert f"[fail] target {name}, check " in message and "lr" in message, message[:1500]
    for test in SELECTED - CAUGHT_BY:  # it runs uninterrupted, and its state loads: only the resume is wrong
        assert mine[test][0] == "passed", (test, mine[test][0], mine[test][1][:1500])
