"""One root cause, one red check: a refused or missing state can't hide a resume bug.

- `UnsafeAndOffByOne` keeps a custom class in its state (weights_only refuses
  it) *and* resumes one step ahead. `serialization.weights_only` fails for the
  first; the resume checks go on through the trusted medium and fail for the
  second, saying how the checkpoint travelled.
- `NeedsUnsafeUnpickling` has only the first problem: its resume checks pass.
- `NoStateDict` cannot be checkpointed: `serialization.weights_only` says so,
  with the fix; the checks that need its state are skipped, naming why, and
  the rest (determinism, the last_epoch-free recipes) still run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from selftests.runner import run_suite

FILES = ["conformance/tests/test_targets.py", "conformance/tests/test_checks.py"]
NAMES = ("UnsafeAndOffByOne", "NeedsUnsafeUnpickling", "NoStateDict")


@pytest.fixture(scope="session")
def root_causes_run(shared_dir):
    targets = [f"--target=selftests.bestiary:{name}" for name in NAMES]
    # UnsafeAndOffByOne is asserted on two checks only; the other two run every check.
    wanted = "not UnsafeAndOffByOne or weights_only or resume_canonical"
    return run_suite(shared_dir, "root_causes", [*targets, "--lrc-timeout=0", "-k", wanted, *FILES], report=True)


def _tests(run, name):
    return {t.split("[")[0]: s for t, s in run["tests"].items() if t.endswith(f"[{name}]")}


def test_unsafe_state_and_resume_bug_are_both_reported(root_causes_run):
    tests = _tests(root_causes_run, "UnsafeAndOffByOne")
    status, message = tests["test_serialization_weights_only"]
    assert status == "failed" and "needs unsafe unpickling" in message, message
    status, message = tests["test_resume_canonical"]
    assert status == "failed", message
    # Through a file the state goes the trusted way, with a note; through DCP it needs no unpickling.
    assert "first divergence at optimizer step" in message, message
    assert "trusted medium" in message or "through dcp" in message, message
    assert "needs unsafe unpickling" not in message  # the resume failure is the logic's, not the pickle's


def test_unsafe_state_alone_fails_one_check(root_causes_run):
    tests = _tests(root_causes_run, "NeedsUnsafeUnpickling")
    failed = sorted(t for t, (s, _) in tests.items() if s == "failed")
    assert failed == ["test_serialization_weights_only"], failed
    assert tests["test_resume_canonical"][0] == "passed"
    assert tests["test_resume_multi"][0] == "passed"


def test_missing_state_dict_is_one_red_check_and_the_rest_report_what_they_can(root_causes_run):
    tests = _tests(root_causes_run, "NoStateDict")
    status, message = tests["test_serialization_weights_only"]
    assert status == "failed" and "[error]" in message and "implement state_dict() and load_state_dict()" in message
    red = sorted(t for t, (s, _) in tests.items() if s in ("failed", "error"))
    assert red == ["test_serialization_weights_only"], red
    status, message = tests["test_resume_canonical"]
    assert status == "skipped" and "cannot be checkpointed (it has no state_dict())" in message, message
    assert tests["test_determinism"][0] == "passed"
    assert tests["test_recipe_fast_forward"][0] == "passed"  # replaying k steps needs no state


@pytest.fixture(scope="session")
def two_causes_report(root_causes_run):
    """The report of the same run: UnsafeAndOffByOne ran the two checks its two causes break first."""
    return json.loads((Path(root_causes_run["report"]) / "report.json").read_text())


def test_the_report_shows_two_problems_not_one(two_causes_report):
    (target,) = [t for t in two_causes_report["targets"] if t["name"] == "UnsafeAndOffByOne"]
    problems = target["problems"]
    assert len(problems) == 2, json.dumps(problems, indent=1)[:3000]
    checks = sorted(c for p in problems for c in p["checks"])
    assert checks == ["resume.canonical", "serialization.weights_only"], checks
    titles = " / ".join(p["title"] for p in problems)
    assert "UnpicklingError" in titles and "first divergence" in titles, titles
