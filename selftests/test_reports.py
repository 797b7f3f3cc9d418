"""Self-tests of the reports: real runs of the suite (under xdist), reproducers, the HTML in a browser.

The slow tests share a few subprocess runs of the suite through module-scoped
fixtures; everything else works on reports built in process. Reproducers run in a
new interpreter where that is the point (one with no path to the suite, one whose
import fails); the others run in process (selftests/inprocess_script.py), since a
new interpreter costs ~2 s of CPU, nearly all of it `import torch`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from conformance.model import results
from conformance.reports import compare, merge, model, plots, writers
from conformance.reports.__main__ import main as cli
from selftests.inprocess_script import run_script
from selftests.runner import as_process, completed, once
from selftests.warm import WARM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BROKEN = "selftests.test_reports_broken"
FORGETFUL = f"{BROKEN}:ForgetfulStepLR"


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = ROOT + os.pathsep + e.get("PYTHONPATH", "")
    for k in ("LRC_TARGETS", "LRC_REPORT_DIR", "LRC_SELFTEST_CRASH", "LRC_SELFTEST_SIGTERM"):
        e.pop(k, None)
    return e


def run_suite(report_dir, *args, extra_env=None, timeout=600):
    """`python -m pytest` of the suite, as a user runs it (from the warm server: selftests/warm.py); returns the
    CompletedProcess, its whole output in stdout."""
    args = ["-p", "no:cacheprovider", "-p", "no:benchmark", "-q", "--hypothesis-profile", "dev", "--lrc-timeout",
            "600", "--report-dir", str(report_dir), *args]
    return WARM.completed(args, {**env(), **(extra_env or {})}, ROOT, timeout)


def by_check(report, target):
    return {r["check"]: r for r in report["records"] if r["target"] == target}


# --------------------------------------------------------------------------- a real run under xdist


@pytest.fixture(scope="module")
def xdist_run(shared_dir):
    """StepLR (correct) and ForgetfulStepLR (broken), two checks, on two xdist workers (once per session)."""
    out, saved = once(shared_dir, "reports-xdist", lambda out: completed(run_suite(
        out, "-n", "2", "conformance/tests/test_checks.py", "-k", "determinism or resume_canonical",
        "--target", "StepLR", "--target", FORGETFUL)))
    proc = as_process(saved)
    assert (out / "report.json").exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, json.loads((out / "report.json").read_text()), proc


def test_report_files_and_envelope(xdist_run):
    out, report, proc = xdist_run
    assert proc.returncode == 1, proc.stdout[-2000:]  # ForgetfulStepLR fails
    for name in ("report.json", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0
    assert report["schema_version"] == model.SCHEMA_VERSION
    assert report["suite"]["version"] and re.fullmatch(r"[0-9a-f]{40}", report["suite"]["git_sha"] or "")
    env_ = report["environment"]
    assert env_["torch"] and env_["python"] and env_["hypothesis"] and env_["platform"]
    assert env_["xdist_workers"] == 2
    assert report["hypothesis"]["profile"] == "dev"
    assert [t["name"] for t in report["targets"]] == ["StepLR", "ForgetfulStepLR"]
    assert report["started_at"] and report["finished_at"] and report["complete"] is True
    assert report["summary"]["total"] == 4 and report["summary"]["ok"] is False
    assert not [f for f in os.listdir(out) if f.endswith(".tmp")]  # atomic writes left no temp files


def test_worker_records_all_arrive(xdist_run):
    _, report, _ = xdist_run
    good, bad = by_check(report, "StepLR"), by_check(report, "ForgetfulStepLR")
    assert set(good) == set(bad) == {"determinism", "resume.canonical"}
    assert good["determinism"]["verdict"] == good["resume.canonical"]["verdict"] == "pass"
    assert good["resume.canonical"]["examples"] >= 1
    assert {r.get("worker") for r in report["records"]} <= {"gw0", "gw1"}
    assert bad["determinism"]["verdict"] == "pass"
    assert bad["resume.canonical"]["verdict"] == "fail"


def test_failure_record_has_shrunk_case_and_divergence(xdist_run):
    out, report, _ = xdist_run
    rec = by_check(report, "ForgetfulStepLR")["resume.canonical"]
    failure = rec["failure"]
    d = failure["divergence"]
    assert {"step", "group", "field", "expected", "actual"} <= set(d)
    assert d["field"] in ("lr", "last_lr") and d["expected"] != d["actual"]
    case = failure["case"]
    # the config: {} for a class run with its defaults, or the constructor arguments inferred for it
    assert isinstance(case["config"], dict) and set(case["config"]) <= {"step_size", "gamma"}
    assert case["plan"]["interruptions"] and case["setup"]["optimizer"]
    assert len(failure["trajectories"]["expected"]) > d["step"]
    assert "ForgetfulStepLR" in rec["message"] and "first divergence" in rec["message"]
    assert (out / failure["reproducer"]).exists()
    md = (out / "report.md").read_text()
    assert "## Target × check" in md and "## Failures (1)" in md
    assert failure["reproducer"] in md and "first divergence at optimizer step" in md


def test_failures_are_grouped_into_problems_per_target(xdist_run):
    out, report, _ = xdist_run
    targets = {t["name"]: t for t in report["targets"]}
    assert targets["StepLR"]["verdict"] == "ok" and targets["StepLR"]["problems"] == []
    assert targets["ForgetfulStepLR"]["verdict"] == "failing"
    (problem,) = targets["ForgetfulStepLR"]["problems"]
    rec = by_check(report, "ForgetfulStepLR")["resume.canonical"]
    assert problem["kind"] == "divergence" and problem["checks"] == ["resume.canonical"]
    assert problem["title"] in rec["message"]
    assert problem["example"]["reproducer"] == rec["failure"]["reproducer"]
    assert report["summary"]["problems"] == 1 and report["summary"]["failing_targets"] == 1
    md = (out / "report.md").read_text()
    assert md.index("## Targets (2: 1 failing, 1 ok)") < md.index("## Target × check")
    row = next(line for line in md.splitlines() if line.startswith("| ForgetfulStepLR"))
    assert "| **FAILING** | 1 problem | P1: first divergence at optimizer step" in row
    assert row.endswith("— breaks 1: resume.canonical | 1 pass, 1 fail |"), row


def test_reproducer_reproduces_the_failure(xdist_run, tmp_path):
    out, report, _ = xdist_run
    path = out / by_check(report, "ForgetfulStepLR")["resume.canonical"]["failure"]["reproducer"]
    text = path.read_text()
    assert "import conformance" not in text and "from conformance" not in text  # stands alone
    assert f"from {BROKEN} import ForgetfulStepLR" in text
    proc = run_script(path, cwd=ROOT, tmp=tmp_path, env=env())
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "REPRODUCED: first divergence at optimizer step" in proc.stdout


# --------------------------------------------------------------------------- the page in a browser


def browser():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def headless(path, *args, tmp):
    cmd = [path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(browser() is None, reason="no headless browser installed: apt-get install -y chromium")
def test_html_in_a_headless_browser(xdist_run, tmp_path):
    out, report, _ = xdist_run
    page = (out / "report.html").resolve().as_uri()
    dom = headless(browser(), "--dump-dom", page, tmp=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert "LR-scheduler resume conformance report" in html
    assert 'id="matrix"' in html and 'id="failures"' in html
    section = re.search(r'<section class="failure" data-target="ForgetfulStepLR" data-check="resume.canonical"'
                        r'.*?</section>', html, re.S)
    assert section, "the failure section is missing from the rendered page"
    if plots.available():
        assert re.search(r'<img class="plot"[^>]+src="data:image/png;base64,', section.group(0))
    shot = tmp_path / "page.png"
    done = headless(browser(), "--window-size=1200,1600", f"--screenshot={shot}", page, tmp=tmp_path)
    assert done.returncode == 0 and shot.stat().st_size > 10_000, done.stderr[-2000:]
    # the browser decoded every inline image: a broken data URI has naturalWidth 0
    probe = tmp_path / "probe.html"
    probe.write_text((out / "report.html").read_text().replace(
        "</body>", "<script>window.onload=()=>{const bad=[...document.images].filter(i=>!i.naturalWidth)"
        ".length;document.title='images:'+document.images.length+' broken:'+bad;}</script></body>"))
    dom = headless(browser(), "--virtual-time-budget=5000", "--dump-dom", probe.as_uri(), tmp=tmp_path)
    title = re.search(r"<title>(.*?)</title>", dom.stdout).group(1)
    assert "broken:0" in title, title
    if plots.available():
        assert "images:1" in title, title


# --------------------------------------------------------------------------- crashes and interruptions


def test_crashed_worker_leaves_an_error_record(tmp_path):
    proc = run_suite(tmp_path, "-n", "1", "conformance/tests/test_checks.py", "-k", "determinism or resume_canonical",
                     "--target", "StepLR", "-p", BROKEN, extra_env={"LRC_SELFTEST_CRASH": "test_determinism"})
    assert proc.returncode == 1, proc.stdout[-2000:]  # the crash fails the run
    report = json.loads((tmp_path / "report.json").read_text())
    recs = by_check(report, "StepLR")
    assert recs["determinism"]["verdict"] == "error", recs
    assert "crashed" in recs["determinism"]["message"]
    assert recs["resume.canonical"]["verdict"] == "pass"  # the replacement worker ran the rest
    assert report["summary"]["ok"] is False


def test_a_mid_run_report_shows_unrun_tests_as_not_run(tmp_path):
    proc = run_suite(tmp_path, "conformance/tests/test_checks.py", "-k", "determinism or resume_canonical or multi",
                     "--target", "StepLR", "-p", BROKEN, extra_env={"LRC_SELFTEST_PEEK": "test_resume_canonical"})
    assert proc.returncode == 0, proc.stdout[-2000:]
    midrun = json.loads((tmp_path / "report.midrun.json").read_text())
    assert midrun["status"] == "running" and midrun["complete"] is False
    assert midrun["summary"]["verdicts"]["error"] == 0, midrun["summary"]  # never "error" for what hasn't run
    assert any("test_resume_multi" in n for n in midrun["not_run"])
    assert json.loads((tmp_path / "report.json").read_text())["complete"] is True


def test_terminated_run_writes_an_incomplete_report(tmp_path):
    proc = run_suite(tmp_path, "conformance/tests/test_checks.py", "-k", "determinism or resume_canonical or multi",
                     "--target", "StepLR", "-p", BROKEN, extra_env={"LRC_SELFTEST_SIGTERM": "test_resume_canonical"})
    assert proc.returncode == 2, proc.stdout[-2000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["complete"] is False and report["status"] == "incomplete"
    assert "SIGTERM" in report["incomplete_reason"]
    assert by_check(report, "StepLR")["determinism"]["verdict"] == "pass"
    assert any("test_resume_multi" in n for n in report["not_run"])
    assert "This report is incomplete" in (tmp_path / "report.md").read_text()
    assert 'id="incomplete"' in (tmp_path / "report.html").read_text()


# --------------------------------------------------------------------------- reproducers in process


def _case(config, setup_lrs=(0.1, 0.2), epochs=12, interruptions=(5,)):
    from conformance.model.case import Case, Plan
    from conformance.model.optimizer import OptimizerSetup

    return Case(OptimizerSetup("SGD", setup_lrs, {"momentum": 0.9}), config, Plan(epochs, interruptions))


def _record_for(target, case, verdict_fn):
    from conformance.plugin import record as capture

    verdict = verdict_fn(target, case, "resume.canonical")
    failure = capture.capture_verdict(verdict)
    failure.pop("status")
    return {"id": "x", "target": target.name, "check": "resume.canonical", "verdict": "fail",
            "target_info": capture.capture_target(target), "failure": failure,
            "message": failure.pop("message")}, verdict


def test_reproducer_inlines_callables_and_passes_a_correct_scheduler(tmp_path):
    """LambdaLR with the suite's callables: the script stands alone and finds no divergence.
    A new interpreter with no path to the suite: that it stands alone is the point."""
    from conformance.harness.oracle import check_resume
    from conformance.targets.builtins import BY_NAME
    from conformance.strategies.callables import Warmup, linear_to_zero_at_300
    from conformance.reports import reproducers

    case = _case({"lr_lambda": [Warmup(steps=3), linear_to_zero_at_300]})
    record, verdict = _record_for(BY_NAME["LambdaLR"], case, check_resume)
    assert verdict.ok
    text = reproducers.render(record)
    assert "class Warmup" in text and "def linear_to_zero_at_300" in text and "conformance" not in \
        text.split('"""', 2)[2]
    script = tmp_path / "repro.py"
    script.write_text(text)
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**env(), "PYTHONPATH": ""})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "not reproduced" in proc.stdout


def test_no_reproducer_that_would_say_a_model_check_does_not_reproduce():
    """A `reference.*` failure is the schedule against a model: a script comparing two runs would exit 0."""
    from conformance.targets.loading import load
    from conformance.harness.oracle import check_resume
    from conformance.reports import reproducers

    (target,) = load(FORGETFUL)
    record, _ = _record_for(target, _case({}, setup_lrs=(1.0,)), check_resume)
    assert reproducers.render(record) is not None
    assert reproducers.render({**record, "check": "reference.schedule"}) is None


def test_reproducer_for_a_broken_target_in_process(tmp_path):
    from conformance.targets.loading import load
    from conformance.harness.oracle import check_resume
    from conformance.reports import reproducers

    (target,) = load(FORGETFUL)
    record, verdict = _record_for(target, _case({}, setup_lrs=(1.0,)), check_resume)
    assert verdict.status == "fail"
    script = tmp_path / reproducers.file_name(record)
    script.write_text(reproducers.render(record))
    proc = run_script(script, cwd=tmp_path, tmp=tmp_path, env=env())
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert verdict.divergence.describe().split(" (relative")[0].replace("'", "") in \
        proc.stdout.replace("'", "")


def test_reproducer_for_a_target_from_a_labelled_list_source(tmp_path):
    """A source 'MODULE:LIST (label)', as the contrib targets have: the script imports the list and picks its target."""
    import dataclasses

    from conformance.targets.loading import load
    from conformance.harness.oracle import check_resume
    from conformance.reports import reproducers

    (target,) = load(f"{BROKEN}:FORGETFUL_LIST")
    target = dataclasses.replace(target, source=f"{BROKEN}:FORGETFUL_LIST (selftests 1.0)")
    record, verdict = _record_for(target, _case({}, setup_lrs=(1.0,)), check_resume)
    text = reproducers.render(record)
    assert "selftests.test_reports_broken" in text and "conformance.targets" not in text.split('"""', 2)[2]
    script = tmp_path / reproducers.file_name(record)
    script.write_text(text)
    proc = run_script(script, cwd=tmp_path, tmp=tmp_path, env=env())
    assert proc.returncode == 1 and "REPRODUCED: first divergence" in proc.stdout, proc.stdout + proc.stderr


def test_a_reproducer_that_cannot_run_is_no_reproduction(tmp_path):
    """Seen failing before: a script whose import raised exited 1, the code for 'reproduced'.
    A new interpreter: the script's excepthook (exit 2) is what is tested."""
    from conformance.targets.loading import load
    from conformance.harness.oracle import check_resume
    from conformance.reports import reproducers

    (target,) = load(FORGETFUL)
    record, _ = _record_for(target, _case({}, setup_lrs=(1.0,)), check_resume)
    script = tmp_path / reproducers.file_name(record)
    script.write_text(reproducers.render(record))
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**env(), "PYTHONPATH": str(tmp_path)})  # the target's module is gone
    assert proc.returncode == 2 and "COULD NOT RUN" in proc.stdout, proc.stdout + proc.stderr


# --------------------------------------------------------------------------- synthetic reports


def synthetic(torch="2.13.0", **verdicts):
    """A report with one StepLR record per check=verdict, plus recipe and mismatch results."""
    records = []
    for check, verdict in verdicts.items():
        check = check.replace("__", ".")
        r = {"id": f"t::{check}[StepLR]", "target": "StepLR", "check": check, "verdict": verdict, "examples": 3}
        if verdict in ("fail", "error", "nondeterministic"):
            r["message"] = f"[{verdict}] target StepLR, check {check}\nthe reason"
            r["failure"] = {"divergence": {"step": 4, "group": 0, "field": "lr", "expected": 0.5,
                                           "actual": {"tensor": 0.25, "dtype": "torch.float64", "device": "cpu"},
                                           "rel_error": 0.5, "describe": "first divergence at optimizer step 4, "
                                           "param group 0, field 'lr': expected 0.5, got tensor(0.2500, "
                                           "dtype=torch.float64) (relative error 0.5)"},
                            "trajectories": {"expected": [[[1.0, 0.9, 1.0]]] * 4 + [[[0.5, 0.9, 0.5]]],
                                             "actual": [[[1.0, 0.9, 1.0]]] * 4 + [[[0.25, 0.9, 0.25]]]},
                            "case": {"interruption_steps": [2]}}
        if check.startswith("recipe."):
            name = check.split(".", 1)[1]
            r["recipes"] = {name: results.to_json(results.RecipeResult(
                "recipes", name, results.SAFE if verdict == "pass" else results.DIVERGES, supported=True))}
        if check.startswith("mismatch."):
            name = check.split(".", 1)[1]
            r["mismatch"] = {name: results.to_json(results.MismatchResult(
                name, {results.CHECKPOINT if verdict == "pass" else results.HYBRID: 1}))}
        if verdict == "xfail":
            r["reason"] = "known upstream (https://example.invalid/1)"
        if verdict == "skip":
            r["reason"] = "StepLR does not declare metric_driven"
        records.append(r)
    return {"schema_version": model.SCHEMA_VERSION, "suite": {"version": "0.1.0", "git_sha": "0" * 40},
            "environment": {"torch": torch, "python": "3.11", "hypothesis": "6", "platform": "linux"},
            "hypothesis": {"profile": "ci"}, "targets": [{"name": "StepLR", "source": "torch"}],
            "started_at": "2026-01-01T00:00:00+00:00", "finished_at": "2026-01-01T00:01:00+00:00",
            "complete": True, "not_run": [], "summary": model.summarize(records), "records": records}


def test_markdown_and_html_tables(tmp_path):
    rep = synthetic(**{"resume__canonical": "fail", "recipe__canonical": "pass", "recipe__last_epoch": "fail",
                       "mismatch__gamma": "pass", "determinism": "xfail", "placement__metric": "skip",
                       "resume__multi": "xpass"})
    writers.write_all(rep, str(tmp_path))
    md = (tmp_path / "report.md").read_text()
    assert "| check | StepLR |" in md and "| `resume.canonical` | **FAIL** |" in md
    assert "| gamma | checkpoint |" in md
    assert "| last_epoch | UNSAFE: diverges |" in md
    assert "## Known failures (xfail, 1)" in md and "## Unexpected passes (xpass, 1)" in md
    assert "| first divergence | 4 | 0 | lr | 0.5 | tensor(0.25, dtype=torch.float64) |" in md
    html = (tmp_path / "report.html").read_text()
    checker = _Balanced()
    checker.feed(html)
    assert checker.stack == [], checker.stack
    assert "<link" not in html and "src=\"http" not in html  # self-contained
    assert html.count('<section class="failure"') == 2  # resume.canonical and recipe.last_epoch


def test_html_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setattr(plots, "available", lambda: False)
    from conformance.reports import html as html_mod

    page = html_mod.render(synthetic(resume__canonical="fail"))
    assert "<img" not in page and 'id="no-plots"' in page and 'data-check="resume.canonical"' in page


@pytest.mark.skipif(not plots.available(), reason="matplotlib (the plots extra) is not installed")
def test_plot_is_a_png():
    rec = synthetic(resume__canonical="fail")["records"][0]
    assert plots.trajectory_png(rec).startswith(b"\x89PNG")


class _Balanced(HTMLParser):
    VOID = {"meta", "img", "br", "hr", "link", "input", "col", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def test_jsonable_is_strict_json():
    import torch

    from conformance.model.trajectory import Value

    data = model.jsonable({"a": float("nan"), "b": (1, float("-inf")), "c": Value(0.5, "torch.float32", "cpu"),
                           "d": torch.tensor(2.0)})
    assert data == {"a": "nan", "b": [1, "-inf"], "c": {"tensor": 0.5, "dtype": "torch.float32", "device": "cpu"},
                    "d": {"tensor": 2.0, "dtype": "torch.float32", "device": "cpu"}}
    json.dumps(data, allow_nan=False)


# --------------------------------------------------------------------------- compare and merge


def test_compare_categories_and_exit_codes(tmp_path, capsys):
    old = synthetic(resume__canonical="pass", resume__multi="fail", determinism="pass", recipe__canonical="pass",
                    mismatch__gamma="pass", placement__amp="pass")
    new = synthetic(torch="2.14.0", resume__canonical="fail", resume__multi="pass", determinism="skip",
                    recipe__canonical="fail", mismatch__gamma="fail", serialization__delayed="pass")
    c = compare.compare(old, new)
    assert [k for k, _, _ in c.new_failures] == [("StepLR", "mismatch.gamma"), ("StepLR", "recipe.canonical"),
                                                 ("StepLR", "resume.canonical")]
    assert [k for k, _, _ in c.fixed] == [("StepLR", "resume.multi")]
    assert [k for k, _, _ in c.changed] == [("StepLR", "determinism")]
    assert ("StepLR", "recipes", "canonical", "safe", "UNSAFE: diverges", True) in c.results
    assert ("StepLR", "mismatch", "gamma", "checkpoint", "hybrid", True) in c.results
    assert c.vanished == [(("StepLR", "placement.amp"), "pass")]
    assert c.added == [(("StepLR", "serialization.delayed"), "pass")]
    assert any("torch differs" in w for w in c.warnings)
    (tmp_path / "old.json").write_text(model.dumps(old))
    (tmp_path / "new.json").write_text(model.dumps(new))
    assert cli(["compare", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--md",
                str(tmp_path / "cmp.md")]) == 1
    md = (tmp_path / "cmp.md").read_text()
    for title in ("New failures (3)", "Fixed (1)", "Changed verdicts (1)", "Vanished tests (1)", "New tests (1)",
                  "Changed mismatch / recipe / placement outcomes (2)"):
        assert f"## {title}" in md, title
    assert cli(["compare", str(tmp_path / "old.json"), str(tmp_path / "old.json")]) == 0
    assert "no regressions" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text("{}")
    assert cli(["compare", str(tmp_path / "old.json"), str(tmp_path / "bad.json")]) == 2


def test_compare_gates_on_an_incomplete_run():
    old = synthetic(resume__canonical="pass")
    new = synthetic(resume__canonical="pass")
    new.update(complete=False, incomplete_reason="interrupted by Ctrl-C (KeyboardInterrupt)")
    assert compare.compare(old, new).regressed


def test_merge_shards(tmp_path):
    a = synthetic(resume__canonical="pass", determinism="pass")
    b = synthetic(resume__multi="fail")
    b["targets"] = [{"name": "StepLR", "source": "torch"}, {"name": "CyclicLR", "source": "torch"}]
    b["records"].append({"id": "t::x[CyclicLR]", "target": "CyclicLR", "check": "determinism", "verdict": "pass"})
    c = synthetic(resume__canonical="error")  # the same test id twice: the worse verdict wins
    c.update(complete=False, incomplete_reason="interrupted", not_run=["t::determinism[StepLR]", "t::other"])
    for name, rep in (("a", a), ("b", b), ("c", c)):
        (tmp_path / f"{name}.json").write_text(model.dumps(rep))
    assert cli(["merge", *(str(tmp_path / f"{n}.json") for n in "abc"), "-o", str(tmp_path / "all")]) == 0
    merged = json.loads((tmp_path / "all" / "report.json").read_text())
    assert merged["summary"]["total"] == 4
    assert {t["name"] for t in merged["targets"]} == {"StepLR", "CyclicLR"}
    verdicts = {(r["target"], r["check"]): r["verdict"] for r in merged["records"]}
    assert verdicts[("StepLR", "resume.canonical")] == "error"
    assert merged["not_run"] == ["t::other"] and merged["complete"] is False
    assert (tmp_path / "all" / "report.md").exists() and (tmp_path / "all" / "report.html").exists()
    # The synthetic failures carry no replayable case: merging must not invent reproducers for them.
    assert not any((r.get("failure") or {}).get("reproducer") for r in merged["records"])
    assert not (tmp_path / "all" / "reproducers").exists()
    m2 = merge.merge([a, b])
    assert m2["complete"] is True and m2["summary"]["bad"] == 1


# --------------------------------------------------------------------------- pytest outcomes -> verdicts

OUTCOMES = '''
import pytest

def test_ok():
    pass

def test_broken():
    raise RuntimeError("harness bug")

@pytest.mark.xfail(reason="known: upstream #1")
def test_known():
    assert False

@pytest.mark.xfail(reason="known but fixed")
def test_fixed_upstream():
    pass

@pytest.mark.xfail(reason="strict and fixed", strict=True)
def test_strict_fixed():
    pass

@pytest.mark.skip(reason="not for this target")
def test_skipped():
    pass

@pytest.fixture
def bad_fixture():
    raise ValueError("fixture exploded")

def test_setup_error(bad_fixture):
    pass
'''


def test_pytest_outcomes_map_to_verdicts(tmp_path):
    (tmp_path / "test_outcomes.py").write_text(OUTCOMES)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:benchmark",
         "-q", "--rootdir", str(tmp_path), "--report-dir", str(out), "test_outcomes.py"],
        cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=300)
    report = json.loads((out / "report.json").read_text())
    got = {r["test"]: r for r in report["records"]}
    assert {k: v["verdict"] for k, v in got.items()} == {
        "test_ok": "pass", "test_broken": "error", "test_known": "xfail", "test_fixed_upstream": "xpass",
        "test_strict_fixed": "xpass", "test_skipped": "skip", "test_setup_error": "error"}, proc.stdout[-2000:]
    assert got["test_known"]["reason"] == "known: upstream #1"
    assert got["test_skipped"]["reason"] == "not for this target"
    assert "harness bug" in got["test_broken"]["message"]
    assert "fixture exploded" in got["test_setup_error"]["message"]
    assert report["complete"] is True
