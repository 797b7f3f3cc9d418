"""The pytest header names the Hypothesis profile the checks really run under, and its max_examples."""

from __future__ import annotations

import os
import re
import sys

import pytest

from selftests.runner import ROOT
from selftests.warm import WARM


# Hypothesis loads its `ci` profile by itself when one of these is set (its documented CI detection).
CI_VARIABLES = ("CI", "__TOX_ENVIRONMENT_VARIABLE_ORIGINAL_CI", "TF_BUILD", "bamboo.buildKey", "BUILDKITE",
                "CIRCLECI", "CIRRUS_CI", "CODEBUILD_BUILD_ID", "GITHUB_ACTIONS", "GITLAB_CI",
                "HEROKU_TEST_RUN_ID", "TEAMCITY_VERSION")


def header_line(*args: str, ci: bool = False) -> str:
    """The `lrc:` header line of a collect-only run of the suite on StepLR, in or outside a CI environment.

    It collects test_targets.py only: the header is the session's, and the check tests' parametrization
    would add ~2 s of CPU per run and nothing to the header."""
    cmd = [sys.executable, "-m", "pytest", "--collect-only", "-p", "no:cacheprovider", "-p", "no:lrc-report",
           "--target", "StepLR", "conformance/tests/test_targets.py", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("PYTEST_XDIST_WORKER", "LRC_TARGETS", "PYTEST_ADDOPTS", *CI_VARIABLES):
        env.pop(name, None)
    if ci:
        env["CI"] = "true"
    proc = WARM.completed(cmd[3:], env, ROOT, timeout=300)  # Hypothesis is imported in the run, under its env
    lines = [line for line in proc.stdout.splitlines() if line.startswith("lrc: torch")]
    assert lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    return lines[0]


@pytest.mark.parametrize("args, ci, profile, examples", [
    ((), False, "dev", 8),  # no --hypothesis-profile: the suite's own default, not Hypothesis's
    (("--hypothesis-profile", "ci"), False, "ci", 15),
    ((), True, "ci", 15),  # CI=true: Hypothesis itself picks `ci`, and the suite's `ci` is the one registered
])
def test_the_header_names_the_profile_in_effect(args, ci, profile, examples):
    line = header_line(*args, ci=ci)
    assert re.search(rf"hypothesis profile {profile}\b", line) and f"max_examples {examples}," in line, line
