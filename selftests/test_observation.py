"""What the suite observes of a target besides verdicts (`conformance/harness/observation.py`).

One run of the suite (ci profile, three checks) on a scheduler that warns on
every step, a constant schedule and StepLR: the warnings are counted in the
report and kept out of the terminal; the constant schedule's checks are
flagged as blind, StepLR's are not.

Seen failing before the change: 64 warning lines in the terminal, no
`warnings` in report.json, no blind-check line. The blind-check note was a
Python warning once, and `-W error` turned it into a red test (seen failing:
exit 1 with `-W error` on the constant schedule); it is a terminal line now.
"""

from __future__ import annotations

import json
import warnings

import pytest
from hypothesis.errors import HypothesisWarning

from conformance.harness.observation import Observed, observing
from conformance.reports import merge
from selftests import observing_targets
from selftests.runner import as_process, completed, once
from selftests.test_reports import run_suite

TARGETS = "selftests.observing_targets"
WARNS_AT = "observing_targets.py:" + str(next(  # the line of the chatty scheduler's warnings.warn
    i for i, line in enumerate(open(observing_targets.__file__).read().splitlines(), 1) if "# WARNS_HERE" in line))
NEVER_CHANGED = "the lr never changed in"


@pytest.fixture(scope="module")
def observed_run(shared_dir):
    out, saved = once(shared_dir, "observed", lambda out: completed(run_suite(
        out, "-n", "0", "--hypothesis-profile", "ci", "conformance/tests/test_checks.py",
        "-k", "resume_canonical or placement_sched_first_order or distributed_world_size", "--target", "StepLR",
        "--target", f"{TARGETS}:WarnsEveryStep", "--target", f"{TARGETS}:Constant")))
    proc = as_process(saved)
    assert (out / "report.json").exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads((out / "report.json").read_text()), (out / "report.md").read_text(), proc.stdout + proc.stderr


def _records(report, target):
    return {r["check"]: r for r in report["records"] if r["target"] == target}


def test_a_targets_warnings_are_counted_in_the_report(observed_run):
    report, md, _ = observed_run
    targets = {t["name"]: t for t in report["targets"]}
    counted = targets["WarnsEveryStep"]["warnings"]
    assert counted["count"] >= 100, counted
    (kind,) = counted["kinds"]
    assert kind["category"] == "UserWarning" and kind["count"] == counted["count"]
    assert kind["where"].endswith(WARNS_AT) and kind["first"].endswith("of a chatty scheduler")
    assert _records(report, "WarnsEveryStep")["resume.canonical"]["warnings"]["count"] > 0
    assert "warnings" not in targets["StepLR"] and "warnings" not in targets["Constant"]
    assert "## Warnings the targets emitted" in md
    assert f"WarnsEveryStep: {counted['count']:,} warnings" in md and kind["first"] in md


def test_the_warnings_stay_out_of_the_terminal(observed_run):
    _, _, output = observed_run
    chatty = [line for line in output.splitlines() if "of a chatty scheduler" in line]
    assert len(chatty) <= 1, "\n".join(chatty[:20])
    assert "lrc: WarnsEveryStep emitted" in output, output[-3000:]


def test_an_lr_that_never_changes_is_flagged(observed_run):
    report, md, output = observed_run
    for check, record in _records(report, "Constant").items():
        assert record["verdict"] == "pass", record
        assert NEVER_CHANGED in record["lr_never_changed"], (check, record)
    assert not [r for r in _records(report, "StepLR").values() if "lr_never_changed" in r]
    assert "lrc: Constant: the lr and momentum never changed in any of its 3 tests" in output, output[-3000:]
    assert "lrc: StepLR: the lr" not in output
    assert "## Checks that could not tell right from wrong" in md
    assert f"Constant · `resume.canonical`: {NEVER_CHANGED}" in md


def test_a_blind_check_is_no_error_under_W_error(tmp_path):
    proc = run_suite(tmp_path, "-n", "0", "--hypothesis-profile", "ci", "conformance/tests/test_checks.py",
                     "-k", "resume_canonical", "-W", "error", "--target", f"{TARGETS}:Constant")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert "lrc: Constant: the lr and momentum never changed in any of its 1 test" in output, output[-3000:]


def test_the_suites_own_warnings_are_not_swallowed():
    seen = Observed()
    with warnings.catch_warnings(record=True) as outside:
        warnings.simplefilter("always")
        with observing(seen):
            warnings.warn("from the target", UserWarning)
            warnings.warn("from Hypothesis", HypothesisWarning)
    assert [str(w.message) for w in outside] == ["from Hypothesis"]
    assert seen.warnings_json()["count"] == 1


def test_merged_shards_total_a_targets_warnings():
    kind = {"category": "UserWarning", "where": "chatty.py:3", "count": 5, "first": "step 0"}

    def shard(test, count):
        record = {"id": test, "target": "T", "check": test, "verdict": "pass",
                  "warnings": {"count": count, "kinds": [dict(kind, count=count)]}}
        return {"targets": [{"name": "T", "warnings": record["warnings"]}], "records": [record], "complete": True}

    merged = merge.merge([shard("a", 5), shard("b", 7)])
    assert merged["targets"][0]["warnings"]["count"] == 12


def test_report_md_and_html_show_the_same_observation_sections():
    """Seen failing before: the HTML page had neither section."""
    from conformance.reports import html, markdown
    from selftests.test_reports import synthetic

    report = synthetic(resume__canonical="pass")
    record = report["records"][0]
    record["warnings"] = {"count": 3, "kinds": [{"category": "UserWarning", "where": "chatty.py:3", "count": 3,
                                                 "first": "step 0 <warned>"}]}
    record["lr_never_changed"] = "the lr never changed in 3 examples (momentum neither)"
    report["targets"][0]["warnings"] = record["warnings"]
    md, page = markdown.markdown(report), html.render(report)
    for title in ("Warnings the targets emitted", "Checks that could not tell right from wrong"):
        assert f"## {title}" in md and f">{title}</h2>" in page
    assert "`chatty.py:3`: step 0 <warned>" in md and "<code>chatty.py:3</code>: step 0 &lt;warned&gt;" in page
    assert "StepLR · `resume.canonical`: the lr never changed" in md
    assert "StepLR · <code>resume.canonical</code>: the lr never changed" in page
