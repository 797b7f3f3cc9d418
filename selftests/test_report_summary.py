"""Self-tests of the report's root-cause grouping and per-target summary.

- Grouping: failures with the same error, or the same first divergence, are one
  problem that lists the checks it breaks; different errors are different problems;
  known failures (xfail) are grouped apart, and those sharing a registered reason
  are one known problem.
- Summary: one row per target with its verdict (ok / failing / known failures
  only), the number of distinct problems and what to fix first.
- Scale: a report of 25 targets reads at 1280 px without scrolling sideways
  (headless Chromium; the wide matrix scrolls in its own box).

Everything here works on reports built in process: no run of the suite.
"""

from __future__ import annotations

import json
import re
import struct

import pytest

from conformance.reports import model, problems, tables, writers
from conformance.reports.__main__ import main as cli
from conformance.reports.markdown import markdown
from selftests.test_reports import _Balanced, browser, headless

UNPICKLING = (
    "UnpicklingError: Weights only load failed. This file can still be loaded, to do so you have two options, "
    "\x1b[1mdo those steps only if you trust the source of the checkpoint\x1b[0m. \n"
    "\t(1) In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load`.\n"
    "\tWeightsUnpickler error: Unsupported global: GLOBAL numpy._core.multiarray.scalar was not an allowed "
    "global by default.")


def case_lines(n: int = 2) -> str:
    return (f"  config:    {{'step_size': {n}, 'gamma': 0.5}}\n  optimizer: ASGD(lrs=[1.0], {{}})\n"
            f"  loop:      per_step\n  plan:      {n + 1} scheduler steps, interrupted at iterations [1] through file")


def record(target, check, verdict="fail", message="", divergence=None, reason=None, reproducer=True, raised=None):
    """A record as the plugin writes it: `raised` is the exception as data, (type, phase, text)."""
    r = {"id": f"conformance/tests/test_checks.py::test_{check.replace('.', '_')}[{target}]",
         "target": target, "check": check, "verdict": verdict, "examples": 3}
    if verdict in model.HAS_CASE:
        head = f"[{'error' if verdict == 'error' else 'fail'}] target {target}, check {check}"
        r["message"] = f"{head}\n{message}\n{case_lines(len(check))}"
        r["failure"] = {"summary": message.split("\n", 1)[0]} if message else {}
        if raised:
            r["failure"]["details"] = {"exception": dict(zip(("type", "phase", "text"), raised))}
        if divergence:
            r["failure"]["divergence"] = dict(divergence)
        if reproducer:
            r["failure"]["reproducer"] = f"reproducers/repro_{target}_{check}.py"
    if reason:
        r["reason"] = reason
    return r


def unpickling(target, check, verdict="fail"):
    return record(target, check, verdict, "checkpoint round trip failed: torch.load(weights_only=True) refused "
                  "the checkpoint; the scheduler's state_dict holds objects that need unsafe unpickling: "
                  + UNPICKLING, raised=("UnpicklingError", "checkpoint", UNPICKLING.removeprefix("UnpicklingError: ")))


def traceback_error(target, check, exc="AttributeError", text="'X' object has no attribute 'state_dict'",
                    address="0x7fd32bfc9ee0"):
    return record(target, check, "error", f"{target} raised in state_dict(): {exc}: {text}\n"
                  f"  what to fix: the target's state_dict() raised\n  the target's traceback:\n"
                  f"Traceback (most recent call last):\n  File \"/x/live.py\", line 61, in checkpoint\n"
                  f"    sched_state = target.adapter.state_dict(session.scheduler)  # at {address}\n"
                  f"{exc}: {text}\n", raised=(exc, "state_dict", text))


def diverging(target, check, step=4, expected=0.5, actual=0.25, headline=None):
    d = {"step": step, "group": 0, "field": "lr", "expected": expected, "actual": actual, "rel_error": 0.5,
         "describe": f"first divergence at optimizer step {step}, param group 0, field 'lr': "
                     f"expected {model.show(expected)}, got {model.show(actual)}"}
    return record(target, check, "fail", (headline or f"the run resumed with {check} differs") + "\n"
                  + d["describe"] + " (relative error 0.5)", divergence=d)


def passing(target, check):
    return record(target, check, "pass")


def report_of(records, targets=None):
    names = targets if targets is not None else list(dict.fromkeys(r["target"] for r in records))
    return {"schema_version": model.SCHEMA_VERSION, "suite": {"version": "0.2.0", "git_sha": "0" * 40},
            "environment": {"torch": "2.13.0", "python": "3.11", "hypothesis": "6", "platform": "linux"},
            "hypothesis": {"profile": "ci"}, "targets": [{"name": n, "source": "pkg 1.0"} for n in names],
            "started_at": "2026-01-01T00:00:00+00:00", "finished_at": "2026-01-01T00:01:00+00:00",
            "complete": True, "not_run": [], "summary": model.summarize(records), "records": records}


# --------------------------------------------------------------------------- grouping


def test_the_same_error_in_two_checks_is_one_problem():
    recs = [unpickling("S", "resume.canonical"), unpickling("S", "recipe.canonical", verdict="error"),
            unpickling("S", "serialization.weights_only")]
    # serialization.weights_only says it in its own words, with only the error's first line
    recs[2]["message"] = ("[fail] target S, check serialization.weights_only\nthe state_dict at scheduler step 1 "
                          "needs unsafe unpickling: " + UNPICKLING.splitlines()[0] + "\n" + case_lines())
    (p,) = problems.group(recs)
    assert p["checks"] == ["recipe.canonical", "resume.canonical", "serialization.weights_only"]
    assert p["kind"] == "error" and p["verdicts"] == {"fail": 2, "error": 1}
    assert p["title"].startswith("UnpicklingError: Weights only load failed")
    assert "Unsupported global: GLOBAL numpy._core.multiarray.scalar" in p["title"]
    assert "\x1b" not in p["title"] and "[1m" not in p["title"]
    assert [r["check"] for r in p["records"]] == p["checks"]
    assert p["example"]["reproducer"] == "reproducers/repro_S_serialization.weights_only.py"  # the plainest check


def test_different_errors_are_different_problems():
    recs = [traceback_error("S", "resume.canonical"), traceback_error("S", "resume.multi", address="0x55aa01"),
            traceback_error("S", "serialization.load_twice", exc="KeyError", text="'_scale_fn_custom'"),
            unpickling("S", "recipe.canonical")]
    got = problems.group(recs)
    assert [(p["title"], p["checks"]) for p in got] == [
        ("AttributeError: 'X' object has no attribute 'state_dict'", ["resume.canonical", "resume.multi"]),
        ("UnpicklingError: Weights only load failed … Unsupported global: GLOBAL numpy._core.multiarray.scalar",
         ["recipe.canonical"]),
        ("KeyError: '_scale_fn_custom'", ["serialization.load_twice"]),
    ]


def test_the_same_divergence_in_two_checks_is_one_problem():
    recs = [diverging("S", "recipe.last_epoch", step=1, expected=1.0, actual=0.5),
            diverging("S", "recipe.last_epoch_without_optimizer", step=1, expected=1.0, actual=0.5,
                      headline="constructed with last_epoch=k-1 on an optimizer without 'initial_lr', it diverges"),
            diverging("S", "resume.canonical", step=1, expected=1.0, actual=0.25),
            diverging("S", "resume.multi", step=2, expected=1.0, actual=0.5)]
    got = problems.group(recs)
    assert [p["checks"] for p in got] == [["recipe.last_epoch", "recipe.last_epoch_without_optimizer"],
                                          ["resume.canonical"], ["resume.multi"]]
    assert got[0]["kind"] == "divergence"
    assert got[0]["title"] == "first divergence at optimizer step 1, param group 0, field 'lr': expected 1.0, got 0.5"


def test_divergence_key_keeps_dtypes_and_sees_one_ulp():
    f32 = {"tensor": 0.6567431092262268, "dtype": "torch.float32", "device": "cpu"}
    off = {"tensor": 0.6567431688308716, "dtype": "torch.float32", "device": "cpu"}
    a = diverging("S", "recipe.last_epoch", step=1, expected=f32, actual=off)
    b = diverging("S", "resume.canonical", step=1, expected=0.6567431092262268, actual=off)
    c = diverging("S", "resume.multi", step=1, expected=f32, actual=f32)
    assert len({problems.key_of(r)[1] for r in (a, b, c)}) == 3


def test_an_error_groups_on_its_type_and_phase_whatever_its_text():
    """Grouped on the exception as data (type and phase), never on its text: numbers and addresses vary."""
    a = record("S", "resume.canonical", "error", "S raised in step(): ValueError: 3 values at 0x7f01",
               raised=("ValueError", "step", "expected 3 values at 0x7f01, got 2"))
    b = record("S", "resume.multi", "error", "S raised in step(): ValueError: 5 values at 0x7f99",
               raised=("ValueError", "step", "expected 5 values at 0x7f99, got 4"))
    c = record("S", "resume.edge", "error", "S raised in load_state_dict(): ValueError: 5 values",
               raised=("ValueError", "load_state_dict", "expected 5 values"))
    got = problems.group([a, b, c])
    assert [p["checks"] for p in got] == [["resume.canonical", "resume.multi"], ["resume.edge"]]
    assert got[0]["title"] == "ValueError: expected 3 values at 0x7f01, got 2"


def test_messages_without_error_or_divergence_group_on_their_first_line():
    a = record("S", "serialization.no_mutation", message="load_state_dict changed the dict it was given: "
               "state: keys ['x'] are in only one of them\n(checkpoint at scheduler step 1)")
    b = record("S", "placement.amp", message="load_state_dict changed the dict it was given: "
               "state: keys ['x'] are in only one of them\n(checkpoint at scheduler step 7)")
    c = record("S", "determinism", "nondeterministic", message="two runs of the same case differ")
    got = problems.group([a, b, c])
    assert [(p["kind"], p["checks"]) for p in got] == [
        ("message", ["placement.amp", "serialization.no_mutation"]), ("message", ["determinism"])]


def test_a_known_failures_replayed_reason_is_not_mistaken_for_the_error():
    """The reason may quote an exception ("raises IndexError: 3"); the exception as data is what counts."""
    r = record("S", "serialization.load_twice", message=(
        "the registered example of this known failure, replayed: loading it again raises IndexError: 3\n"
        "loading the same checkpoint dict a second time raised KeyError: '_scale_fn_custom'"),
        raised=("KeyError", "load_state_dict", "'_scale_fn_custom'"))
    assert problems.key_of(r)[2] == "KeyError: '_scale_fn_custom'"


def test_known_failures_are_grouped_apart_and_by_their_reason():
    reason = "state_dict holds live tensors; no upstream issue found"
    recs = [passing("W", "determinism"),
            diverging("W", "serialization.delayed", step=11),
            diverging("W", "serialization.load_twice", step=19),
            record("W", "serialization.no_mutation", message="the dict given to load_state_dict changed"),
            traceback_error("W", "resume.canonical")]
    for r in recs[1:4]:
        r.update(verdict="xfail", reason=reason)
    (entry,) = problems.by_target(report_of(recs))
    assert entry["verdict"] == problems.FAILING
    assert [p["checks"] for p in entry["problems"]] == [["resume.canonical"]]
    (known,) = entry["known_problems"]
    assert known["id"] == "K1" and known["reasons"] == [reason] and len(known["observed"]) == 3
    assert known["checks"] == ["serialization.delayed", "serialization.load_twice", "serialization.no_mutation"]
    assert problems.problem_label(known) == reason


def test_a_failure_with_a_known_failures_root_cause_says_so():
    recs = [unpickling("S", "resume.canonical"), unpickling("S", "recipe.canonical")]
    recs[1].update(verdict="xfail", reason="numpy scalars in the state")
    (entry,) = problems.by_target(report_of(recs))
    assert entry["problems"][0]["also_known_as"] == "K1"


# --------------------------------------------------------------------------- the summary


def mixed_report():
    checks = ["determinism", "recipe.canonical", "recipe.fast_forward", "resume.canonical", "resume.multi",
              "serialization.weights_only"]
    recs = [passing("Clean", c) for c in checks]
    recs += [passing("Broken", "determinism")]
    recs += [unpickling("Broken", c) for c in checks[1:]]  # one root cause, five checks
    recs += [diverging("Broken", "mismatch.gamma", step=3)]  # a second, smaller one
    recs += [passing("Known", c) for c in checks[:-1]]
    recs += [dict(diverging("Known", "serialization.weights_only"), verdict="xfail", reason="upstream #1")]
    recs += [record("Known", "placement.metric", "skip", reason="not metric-driven")]
    return report_of(recs, targets=["Clean", "Broken", "Known"])


def test_summary_rows_verdicts_problems_and_what_to_fix_first():
    entries = problems.by_target(mixed_report())
    rows = {e["name"]: e for e in entries}
    assert [e["name"] for e in problems.ordered(entries)] == ["Broken", "Known", "Clean"]
    assert {n: e["verdict"] for n, e in rows.items()} == {
        "Clean": "ok", "Broken": "failing", "Known": "known failures only"}
    broken = rows["Broken"]
    assert len(broken["problems"]) == 2 and tables.problems_count(broken) == "2 problems"
    first = tables.fix_first(broken)
    assert first["id"] == "P1" and first["title"].startswith("UnpicklingError")
    assert first["checks"] == ["recipe.canonical", "recipe.fast_forward", "resume.canonical", "resume.multi",
                               "serialization.weights_only"]
    assert tables.compact_checks(first["checks"], broken["checks"]) == \
        "recipe.{canonical, fast_forward}, resume.{canonical, multi}, serialization.weights_only"
    assert tables.fix_first(rows["Known"])["id"] == "K1"
    assert tables.problems_count(rows["Known"]) == "0 (+1 known)"
    assert tables.fix_first(rows["Clean"]) is None
    assert tables.counts_line(rows["Known"]) == "5 pass, 1 xfail, 1 skip"


def test_compact_checks():
    ran = ["recipe.a", "recipe.b", "recipe.c", "resume.x", "resume.y", "determinism"]
    assert tables.compact_checks(["recipe.a", "recipe.b", "recipe.c", "determinism"], ran) == \
        "determinism, recipe.* (3)"
    assert tables.compact_checks(["recipe.a", "resume.x", "determinism"], ran, limit=2) == \
        "determinism, recipe.a, +1 more"


def test_markdown_and_html_lead_with_the_summary(tmp_path):
    rep = mixed_report()
    writers.write_all(rep, str(tmp_path))
    md = (tmp_path / "report.md").read_text()
    assert md.index("## Targets (3: 1 failing, 1 known failures only, 1 ok)") < md.index("## Target × check")
    assert md.index("## Problems: 2 from 6 records") < md.index("## Target × check")
    assert md.index("## Target × check") < md.index("## Failures (6)")
    assert "2 problems (6 failing records) in 1 of 3 targets" in md
    row = next(line for line in md.splitlines() if line.startswith("| Broken"))
    assert "| **FAILING** | 2 problems | P1: UnpicklingError: Weights only load failed" in row
    assert "breaks 5: recipe.{canonical, fast_forward}, resume.{canonical, multi}, serialization.weights_only" in row
    assert "| Known (pkg 1.0) | known failures only | 0 (+1 known) | known K1: upstream #1" in md
    assert "| Clean (pkg 1.0) | ok | 0 | — |" in md
    assert "### Broken · `resume.canonical` — fail (P1)" in md
    page = (tmp_path / "report.html").read_text()
    assert page.index('id="summary"') < page.index('id="problems"') < page.index('id="matrix"')
    assert '<tr data-target="Broken" data-verdict="failing">' in page
    assert re.search(r'<li id="problem-Broken-P1" data-problem="P1" data-checks="5"[ >]', page)
    assert "<script" not in page and "<link" not in page and 'src="http' not in page
    checker = _Balanced()
    checker.feed(page)
    assert checker.stack == [], checker.stack


def test_report_json_has_problems_per_target(tmp_path):
    writers.write_all(mixed_report(), str(tmp_path))
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["schema_version"] == model.SCHEMA_VERSION == "1.3"
    by_name = {t["name"]: t for t in saved["targets"]}
    assert by_name["Broken"]["verdict"] == "failing"
    assert [len(p["checks"]) for p in by_name["Broken"]["problems"]] == [5, 1]
    assert by_name["Known"]["problems"] == [] and by_name["Known"]["known_problems"][0]["reasons"] == ["upstream #1"]
    assert by_name["Clean"] == {"name": "Clean", "source": "pkg 1.0", "verdict": "ok", "problems": [],
                                "known_problems": []}
    assert saved["summary"]["problems"] == 2 and saved["summary"]["known_problems"] == 1
    assert saved["summary"]["failing_targets"] == 1


def test_a_1_1_report_is_read_and_rendered_with_problems(tmp_path):
    old = mixed_report()
    old["schema_version"] = "1.1"
    (tmp_path / "old.json").write_text(model.dumps(old))
    assert model.load(str(tmp_path / "old.json"))["schema_version"] == "1.1"
    assert cli(["render", str(tmp_path / "old.json"), "-o", str(tmp_path / "out")]) == 0
    new = json.loads((tmp_path / "out" / "report.json").read_text())
    assert new["schema_version"] == "1.3" and new["targets"][1]["problems"]
    assert "## Problems: 2 from 6 records" in (tmp_path / "out" / "report.md").read_text()


def test_records_of_unlisted_targets_and_without_a_target():
    rep = report_of([unpickling("A", "resume.canonical"), {"id": "t::x", "target": None, "check": None,
                                                           "test": "test_x", "verdict": "error",
                                                           "message": "the test raised outside the check "
                                                                      "(a harness or test error):\nE   "
                                                                      "RuntimeError: harness bug",
                                                           "failure": {"details": {"exception": {
                                                               "type": "RuntimeError", "phase": "the test",
                                                               "text": "harness bug"}}}}],
                    targets=[])
    problems.annotate(rep)
    assert [(t["name"], t["verdict"], t["listed"]) for t in rep["targets"]] == [("A", "failing", False),
                                                                               ("-", "failing", False)]
    assert rep["targets"][1]["problems"][0]["title"] == "RuntimeError: harness bug"
    assert "targets: (none)" in markdown(rep)


# --------------------------------------------------------------------------- 25 targets in a browser


def many_targets(n: int = 25) -> dict:
    """n targets with long names: failing, known-only and clean ones, over 34 checks."""
    checks = (["determinism"] + [f"mismatch.a_rather_long_parameter_name_{i}" for i in range(8)]
              + [f"placement.{p}" for p in ("accumulation", "amp", "per_epoch", "per_step", "sched_first")]
              + [f"recipe.{r}" for r in ("canonical", "extra_step", "fast_forward", "last_epoch", "optimizer_first",
                                         "optimizer_only", "scheduler_only", "last_epoch_without_optimizer")]
              + ["resume.canonical", "resume.multi", "resume.edge.a_long_edge_case_name"]
              + [f"serialization.{s}" for s in ("deepcopy", "delayed", "load_twice", "no_mutation", "weights_only")]
              + [f"extra.check_{i}" for i in range(5)])
    recs = []
    for i in range(n):
        name = f"some_third_party_library.schedulers.VeryLongSchedulerClassName{i:02d}WithWarmupAndRestarts"
        for c in checks:
            if i % 3 == 0 and (c.startswith(("recipe.", "resume.", "placement.")) or c.endswith("weights_only")):
                recs.append(unpickling(name, c))
            elif i % 3 == 0 and c == "mismatch.a_rather_long_parameter_name_0":
                recs.append(diverging(name, c, expected={"tensor": 2.706863726220643e-11, "dtype": "torch.float32",
                                                         "device": "cpu"}, actual=9.149151705342695e-13))
            elif i % 3 == 1 and c.startswith("serialization.") and c != "serialization.weights_only":
                r = diverging(name, c, step=11)
                r.update(verdict="xfail", reason="BaseWarmup.lrs aliases the param groups' lr tensors, which "
                         "dampen() multiplies in place: state_dict() holds live tensors; " + "x" * 90 + "_unbroken")
                recs.append(r)
            else:
                recs.append(passing(name, c))
    return report_of(recs)


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


PROBE = (
    "<script>window.onload=()=>{const d=document.documentElement,m=document.querySelector('#matrix + div.scroll');"
    "document.title=['inner',window.innerWidth,'client',d.clientWidth,'scroll',d.scrollWidth,'body',"
    "document.body.scrollWidth,'matrix',m.scrollWidth,m.clientWidth,'summary',"
    "document.querySelector('table.summary').getBoundingClientRect().right].join(' ');}</script></body>")


def measure(text: str, tmp_path, name: str) -> dict:
    """The page's laid-out widths at a 1280 px window, from a copy of it with a probe script."""
    probe = tmp_path / f"{name}.html"
    probe.write_text(text.replace("</body>", PROBE))
    dom = headless(browser(), "--window-size=1280,900", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri(),
                   tmp=tmp_path)
    title = re.search(r"<title>(.*?)</title>", dom.stdout).group(1)
    m = re.fullmatch(r"inner (\d+) client (\d+) scroll (\d+) body (\d+) matrix (\d+) (\d+) summary ([\d.]+)", title)
    assert m, (title, dom.stderr[-2000:])
    keys = ("inner", "client", "scroll", "body", "matrix_scroll", "matrix_box", "summary_right")
    return {"title": title, **dict(zip(keys, map(float, m.groups())))}


@pytest.mark.skipif(browser() is None, reason="no headless browser installed: apt-get install -y chromium")
def test_25_targets_read_at_1280_px_without_scrolling_sideways(tmp_path):
    rep = many_targets(25)
    writers.write_all(rep, str(tmp_path))
    page = tmp_path / "report.html"
    text = page.read_text()
    assert text.count('<tr data-target="') == 25

    shot = tmp_path / "summary-1280.png"
    done = headless(browser(), "--window-size=1280,900", "--hide-scrollbars", f"--screenshot={shot}",
                    page.as_uri(), tmp=tmp_path)
    assert done.returncode == 0 and shot.stat().st_size > 10_000, done.stderr[-2000:]
    assert _png_size(shot) == (1280, 900)

    # the body never scrolls sideways; the matrix does, in its own box
    got = measure(text, tmp_path, "probe")
    assert got["inner"] == 1280, got["title"]
    assert got["scroll"] <= got["client"] <= 1280 and got["body"] <= got["client"], \
        f"the page scrolls sideways at 1280 px: {got['title']}"
    assert got["summary_right"] <= got["client"], got["title"]
    assert got["matrix_scroll"] > got["matrix_box"], f"25 targets should overflow the matrix's box: {got['title']}"

    # the control: the same probe does see a page that is too wide
    wide = measure(text.replace("<body>", "<body><div style=\"width:1500px\">too wide</div>"), tmp_path, "wide")
    assert wide["scroll"] > wide["client"], wide["title"]


def test_known_causes_stay_apart_and_shared_ones_are_listed_once():
    """Two registered reasons that show the same divergence are two known problems; a reason
    registered on several targets (a framework's own failure) is listed once, with its targets."""
    from conformance.reports.markdown import render
    from conformance.reports.tables import headline

    recs = [dict(diverging("P", "driver.lightning"), verdict="xfail", reason="lightning saves early"),
            dict(diverging("P", "driver.ignite"), verdict="xfail", reason="ignite's handler")]
    recs += [dict(diverging(t, "driver.lightning"), verdict="xfail", reason="lightning epoch end") for t in "AB"]
    entries = problems.by_target(report_of(recs, targets=["P", "A", "B"]))
    rows = {e["name"]: e for e in entries}
    assert sorted(p["reasons"][0] for p in rows["P"]["known_problems"]) == ["ignite's handler", "lightning saves early"]
    assert problems.shared_causes(entries) == [("lightning epoch end", ["A", "B"])]
    text = render(tables.problem_list(entries))
    assert "## Known causes shared by several targets: 1" in text and "lightning epoch end — 2 targets: A, B" in text
    assert "4 known problems (4 xfail records, 3 causes)" in headline(report_of(recs, targets=["P", "A", "B"]))


@pytest.mark.parametrize("example", ["torch-2.13-main/report.json", "pytorch-warmup-0.1.1-vs-0.2.0/new.json"])
def test_a_committed_report_of_an_older_suite_is_compared_merged_and_rendered(tmp_path, example):
    """Reports written before the records carried raises as data (schema 1.0 and 1.2) still read."""
    old = f"reports/examples/{example}"
    assert cli(["compare", old, old, "--strict"]) == 0
    assert cli(["merge", old, "-o", str(tmp_path / "merged")]) == 0
    assert cli(["render", old, "-o", str(tmp_path / "out")]) == 0
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["schema_version"] == model.SCHEMA_VERSION
    assert sum(len(t["problems"]) for t in saved["targets"]) == saved["summary"]["problems"]
    md = (tmp_path / "out" / "report.md").read_text()
    assert md.index("## Targets (") < md.index("## Target × check")
