"""A config the suite inferred that the target can't run uninterrupted is outside its domain: never a verdict.

- a correct class with a narrow, unvalidated domain (`controls.WarmupCosine`:
  warmup >= total divides by zero), loaded by inference, passes; its rejected
  configs are counted, and the report lists them with the first of each kind;
- the same configs from a `TargetSpec` stay verdicts: its author declared them valid;
- a resumed run that raises where the uninterrupted run does not is still red;
- when every inferred config is rejected, one error names the exception and the
  inferred arguments to pin.
"""

from __future__ import annotations

import json
from dataclasses import replace
import os
from pathlib import Path

import pytest
from hypothesis import strategies as st

from conformance.checks import runner
from conformance.checks.table import BY_ID, Planned
from conformance.model.verdict import ConformanceFailure
from conformance.spec import TargetSpec
from conformance.targets.loading import load
from selftests.controls import WarmupCosine
from selftests.profile_plugin import profile
from selftests.warm import WARM

ROOT = Path(__file__).resolve().parent.parent
DETERMINISM = Planned(BY_ID["determinism"], "determinism")
RESUME = Planned(BY_ID["resume.canonical"], "resume.canonical")


class DividesAfterLoad(WarmupCosine):
    """Broken: load_state_dict forgets `total`, so the resumed run divides by zero where the run without a stop doesn't."""

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.total = self.warmup


class AlwaysDivides(WarmupCosine):
    """Every config is outside the domain: the second step divides by zero."""

    def step(self):
        raise ZeroDivisionError("float division by zero")


@pytest.fixture
def ci_profile():
    """The `ci` examples, whatever profile an earlier test in this process left loaded."""
    with profile("ci"):
        yield


def test_a_narrow_correct_class_passes_by_inference_and_counts_its_rejections(ci_profile):
    (target,) = load("selftests.controls:WarmupCosine")
    assert target.inferred, "loaded by inference"
    # The inferred ranges depend on probes with a time budget; pin the draws to one config inside the
    # domain and one outside (warmup == total), so the rule, not the probe's luck, is what is tested.
    pinned = replace(target, configs=lambda groups: st.sampled_from([{"warmup": 2, "total": 10},
                                                                     {"warmup": 3, "total": 3}]))
    seen = []
    runner.run_check(DETERMINISM, pinned, observe=seen.append)  # no ConformanceFailure
    rejected = [v for v in seen if v.status == "rejected"]
    assert rejected and all(v.case.config == {"warmup": 3, "total": 3} for v in rejected), rejected
    assert all(v.details["kind"] == "ZeroDivisionError in step()" for v in rejected)
    assert any(v.status == "pass" for v in seen), "the config inside the domain is judged"


def test_the_same_configs_from_a_target_spec_stay_verdicts():
    spec = TargetSpec("WarmupCosineSpec", lambda opt, c: WarmupCosine(opt, **c),
                      lambda groups: st.fixed_dictionaries({"warmup": st.just(3), "total": st.just(3)}))
    with pytest.raises(ConformanceFailure, match="ZeroDivisionError"):
        runner.run_check(DETERMINISM, spec)


def test_a_resumed_run_that_raises_where_the_uninterrupted_one_does_not_is_red():
    (target,) = load("selftests.test_domain:DividesAfterLoad")
    with pytest.raises(ConformanceFailure) as raised:
        runner.run_check(RESUME, target)
    assert raised.value.verdict.status in ("error", "fail"), raised.value


def test_every_config_rejected_is_one_error_naming_the_exception_and_the_arguments():
    (target,) = load("selftests.test_domain:AlwaysDivides")
    with pytest.raises(ConformanceFailure) as raised:
        runner.run_check(DETERMINISM, target)
    message = str(raised.value)
    assert "rejected every generated case" in message and "ZeroDivisionError in step()" in message, message
    assert "`warmup`" in message and "`total`" in message and "pin the argument" in message, message


# WarmupCosine as inference would load it, with its draws pinned: one config inside the domain, one outside.
PINNED_INFERRED = TargetSpec(
    "WarmupCosine", lambda opt, c: WarmupCosine(opt, **c),
    lambda groups: st.sampled_from([{"warmup": 2, "total": 10}, {"warmup": 3, "total": 3}]),
    inferred={"warmup": "int, pinned for this test", "total": "int, pinned for this test"},
    source="selftests.test_domain:PINNED_INFERRED")


def test_the_report_lists_the_rejected_inferred_configs(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_XDIST_WORKER", None)
    proc = WARM.completed(
        ["-n", "0", "-q", "-p", "no:cacheprovider", "--hypothesis-profile", "ci",
         "--target", "selftests.test_domain:PINNED_INFERRED", f"--report-dir={tmp_path}", "-k", "determinism"],
        env, ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    record = next(r for r in report["records"] if r["check"] == "determinism")
    assert record["verdict"] == "pass" and record["rejected"]["count"] >= 1
    md = (tmp_path / "report.md").read_text()
    assert f"{record['rejected']['count']} inferred configs of WarmupCosine rejected" in md, md
    assert "ZeroDivisionError in step() at {'warmup': 3, 'total': 3}" in md, md
