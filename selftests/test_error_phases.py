"""A target's exception names the call that raised: the suite's read of its last lr is not optimizer.step()."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conformance.harness.oracle import check_resume
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.model.verdict import ERROR
from conformance.targets.loading import load
from selftests.test_reports import ROOT, env, run_suite

CASE = Case(OptimizerSetup("SGD", (0.1, 0.05), {"momentum": 0.9}), {"step_size": 3, "gamma": 0.5}, Plan(12, (5,)))


@pytest.mark.parametrize("name, phase, call", [
    ("LastLrRaisesAfterLoad", "get_last_lr", "get_last_lr()"),
    ("StepRaisesAfterLoad", "step", "step()"),
])
def test_the_raising_call_is_named(name, phase, call):
    (target,) = load(f"selftests.observing_targets:{name}")
    verdict = check_resume(target, CASE, "resume.canonical")
    assert verdict.status == ERROR and verdict.details["phase"] == phase, verdict.explain()
    assert f"raised in {call}" in verdict.message, verdict.message
    assert "optimizer.step" not in verdict.message.split("\n", 1)[0], verdict.message


def test_the_reproducer_names_get_last_lr(tmp_path):
    proc = run_suite(tmp_path, "-n", "0", "conformance/tests/test_checks.py", "-k", "resume_canonical",
                     "--target", "selftests.observing_targets:LastLrRaisesAfterLoad")
    report = json.loads((tmp_path / "report.json").read_text())
    (record,) = [r for r in report["records"] if r["check"] == "resume.canonical"]
    assert record["failure"]["signature"]["phase"] == "get_last_lr", proc.stdout[-3000:]
    assert "raised in get_last_lr()" in record["message"]
    script = tmp_path / record["failure"]["reproducer"]
    ran = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env(), capture_output=True, text=True,
                         timeout=120)
    assert ran.returncode == 1 and "REPRODUCED" in ran.stdout, ran.stdout + ran.stderr
    reproduced = next(line for line in ran.stdout.splitlines() if line.startswith("REPRODUCED"))
    assert "get_last_lr()" in reproduced, ran.stdout
