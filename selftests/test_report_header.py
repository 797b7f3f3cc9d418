"""The pytest header names the Hypothesis profile the checks really run under, and its max_examples."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from selftests.runner import ROOT


def header_line(*args: str) -> str:
    """The `lrc:` header line of a collect-only run of the suite on StepLR."""
    cmd = [sys.executable, "-m", "pytest", "--collect-only", "-p", "no:cacheprovider", "-p", "no:lrc-report",
           "--target", "StepLR", "conformance/tests/test_checks.py", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("PYTEST_XDIST_WORKER", "LRC_TARGETS", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("lrc: torch")]
    assert lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    return lines[0]


@pytest.mark.parametrize("args, profile, examples", [
    ((), "dev", 8),  # no --hypothesis-profile: the suite's own default, not Hypothesis's
    (("--hypothesis-profile", "ci"), "ci", 15),
])
def test_the_header_names_the_profile_in_effect(args, profile, examples):
    line = header_line(*args)
    assert re.search(rf"hypothesis profile {profile}\b", line) and f"max_examples {examples}," in line, line
