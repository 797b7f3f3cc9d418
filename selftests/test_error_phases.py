"""A target's exception names the call that raised: the suite's read of its last lr is not optimizer.step()."""

from __future__ import annotations

import pytest

from conformance.harness.oracle import check_resume
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.model.verdict import ERROR
from conformance.targets.loading import load
from conformance.plugin import record as capture
from conformance.reports import reproducers
from selftests.inprocess_script import run_script
from selftests.test_reports import ROOT, env

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
    """The record the report writes for the error (conformance/plugin/record.py, as the plugin calls it) keeps the phase,
    and its reproducer, run as a script, names get_last_lr(). In process: the record of a pytest run is what
    selftests/test_reports.py's runs prove; a whole pytest run here only found the same error again. The script
    runs in process too (selftests/inprocess_script.py): its output is the point, and selftests/test_reports.py
    and test_reproducer_loop.py run reproducers in new interpreters."""
    (target,) = load("selftests.observing_targets:LastLrRaisesAfterLoad")
    verdict = check_resume(target, CASE, "resume.canonical")
    failure = capture.capture_verdict(verdict)
    failure.pop("status")
    record = {"id": "x", "target": target.name, "check": "resume.canonical", "verdict": verdict.status,
              "target_info": capture.capture_target(target), "failure": failure, "message": failure.pop("message")}
    assert record["failure"]["signature"]["phase"] == "get_last_lr", record["failure"]["signature"]
    assert "raised in get_last_lr()" in record["message"], record["message"]
    script = tmp_path / reproducers.file_name(record)
    script.write_text(reproducers.render(record))
    ran = run_script(script, cwd=ROOT, tmp=tmp_path, env=env())
    assert ran.returncode == 1 and "REPRODUCED" in ran.stdout, ran.stdout + ran.stderr
    reproduced = next(line for line in ran.stdout.splitlines() if line.startswith("REPRODUCED"))
    assert "get_last_lr()" in reproduced, ran.stdout
