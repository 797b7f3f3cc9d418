"""Self-tests of the problem kinds and the grouping by mechanism (reports/mechanisms.py, reports/problems.py).

- A reported lr (`get_last_lr()`) that is stale between `load_state_dict()` and the next `step()`,
  while every lr and momentum the optimizer used is exact, is one problem of the lesser kind
  `stale_report`; the recipe tables don't call such a recipe UNSAFE.
- One mechanism (a restart, a lag, a constant factor ...) seen at different steps and values is
  one problem that lists the values as examples; two mechanisms are two problems.
- A target that did not load shows its load error's first line in the problems section.
- A failure through the `dcp` medium reproduces through torch.distributed.checkpoint.

Most tests work on small hand-built records; two read the report of one short run of the suite on
the classes of selftests/stale_report_targets.py, and the reproducer scripts run in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import torch
from filelock import FileLock

from conformance.model.verdict import Divergence
from conformance.reports import mechanisms, model, problems, reproducers, tables
from conformance.reports.markdown import render
from conformance.reports.html import render as html
from conformance.reports.markdown import markdown
from conformance.reports.tables import describe_result, family_table, result_is_bad
from selftests.inprocess_script import run_script
from selftests.runner import ROOT
from selftests.warm import WARM

# --------------------------------------------------------------------------- hand-built records


def step_decay(base=1.0, every=2, gamma=0.5):
    return lambda t: base * gamma ** (t // every)


def run_of(lr, steps, resumes=(), after=None, last_lr=None):
    """Per-step (lr, momentum, last_lr) of one group; `after(t, resume)` gives the lr at t >= a resume."""
    out = []
    for n in range(steps):
        r = max((x for x in resumes if x <= n), default=None)
        value = lr(n) if r is None or after is None else after(n, r)
        shown = value if last_lr is None else last_lr(n, r, value)
        out.append([[value, None, shown]])
    return out


def first_divergence(expected, actual):
    for n, (re_, ra) in enumerate(zip(expected, actual)):
        for g, (ge, ga) in enumerate(zip(re_, ra)):
            for name, e, a in zip(("lr", "momentum", "last_lr"), ge, ga):
                if e != a:  # with the text the record carries, the verdict's own Divergence.describe()
                    return {"step": n, "group": g, "field": name, "expected": e, "actual": a,
                            "describe": Divergence(n, g, name, e, a).describe()}
    return None


def traj_record(target, check, expected, actual, resumes, verdict="fail", batches=1):
    d = first_divergence(expected, actual)
    assert d is not None
    r = {"id": f"t::test_{check.replace('.', '_')}[{target}]", "target": target, "check": check,
         "verdict": verdict, "examples": 3,
         "message": f"[{verdict}] target {target}, check {check}\nthe resumed run differs\n"
                    + d["describe"]}
    r["failure"] = {
        "divergence": d, "trajectories": {"expected": expected, "actual": actual},
        "case": {"interruption_steps": list(resumes), "loop": {"batches": batches},
                 "plan": {"interruptions": list(resumes)}},
        "reproducer": f"reproducers/repro_{target}_{check}.py",
    }
    return r


def restart(target, check, lr, steps, resumes):
    """The resumed run repeats the schedule from its beginning (a forgotten step counter)."""
    return traj_record(target, check, run_of(lr, steps), run_of(lr, steps, resumes, lambda t, r: lr(t - r)), resumes)


def ahead(target, check, lr, steps, resumes, by=1):
    """The resumed run is `by` steps ahead (an off-by-one on load)."""
    return traj_record(target, check, run_of(lr, steps), run_of(lr, steps, resumes, lambda t, r: lr(t + by)),
                       resumes)


def stale_last_lr(target, check, lr, steps, resumes, batches=1):
    """Exact lrs; get_last_lr() reports the constructor's lr until the next scheduler step after a load."""
    def shown(n, r, value):
        return lr(0) if r is not None and n - r < batches - r % batches else value
    return traj_record(target, check, run_of(lr, steps), run_of(lr, steps, resumes, last_lr=shown), resumes,
                       batches=batches)


def report_of(records, **extra):
    names = list(dict.fromkeys(r["target"] for r in records))
    return {"schema_version": model.SCHEMA_VERSION, "suite": {"version": "0.2.0", "git_sha": "0" * 40},
            "environment": {"torch": "2.13.0"}, "hypothesis": {"profile": "ci"},
            "targets": [{"name": n, "source": "pkg"} for n in names], "complete": True, "not_run": [],
            "summary": model.summarize(records), "records": records, **extra}


def problems_of(records):
    (entry,) = problems.by_target(report_of(records))
    return entry["problems"]


# --------------------------------------------------------------------------- A: stale reported lr


def test_a_stale_reported_lr_after_load_is_one_lesser_problem():
    lr = step_decay()
    recs = [stale_last_lr("S", "resume.canonical", lr, 6, [3]),
            stale_last_lr("S", "resume.multi", lr, 8, [2, 5]),
            stale_last_lr("S", "recipe.canonical", lr, 9, [4], batches=2)]
    assert all(mechanisms.stale_report(r["failure"]) for r in recs)
    (p,) = problems_of(recs)
    assert p["kind"] == problems.STALE_REPORT and p["lesser"] is True
    assert p["title"].startswith("reported lr stale after load; the lrs used are exact")
    assert p["checks"] == ["recipe.canonical", "resume.canonical", "resume.multi"]


def test_a_wrong_lr_or_a_reported_lr_wrong_for_good_is_not_the_lesser_kind():
    lr = step_decay()
    wrong_lr = restart("S", "resume.canonical", lr, 6, [3])
    # last_lr alone is wrong, but for the rest of the run, not only until the next step()
    always = traj_record("S", "resume.multi", run_of(lr, 6),
                         run_of(lr, 6, [3], last_lr=lambda n, r, v: v if r is None else v * 2), [3])
    # last_lr is wrong before any load
    before = traj_record("S", "determinism", run_of(lr, 6), run_of(lr, 6, last_lr=lambda n, r, v: 2.0 if n == 1 else v),
                         [3])
    for r in (wrong_lr, always, before):
        assert not mechanisms.stale_report(r["failure"]), r["check"]
    got = problems_of([wrong_lr, always, before])
    assert all(p["kind"] == "divergence" and not p.get("lesser") for p in got)


def test_the_lesser_kind_comes_after_the_real_problems_and_is_shown():
    lr = step_decay()
    recs = [stale_last_lr("S", "resume.canonical", lr, 6, [3]), stale_last_lr("S", "resume.multi", lr, 8, [2, 5]),
            restart("S", "recipe.last_epoch", lr, 6, [2])]
    rep = report_of(recs)
    got = problems_of(recs)
    assert [p["kind"] for p in got] == ["divergence", problems.STALE_REPORT]  # fewer checks, still first
    md = markdown(rep)
    section = md[md.index("## Problems"):md.index("## Run")]
    assert "**P2** (lesser) reported lr stale after load; the lrs used are exact" in section
    assert "kind: stale_report" in section and "kind: divergence" in section
    page = html(rep)
    assert 'data-kind="stale_report"' in page and 'data-kind="divergence"' in page
    assert "reported lr stale after load; the lrs used are exact" in page


def _recipe_record(rec, name):
    rec["recipes"] = {name: {"family": "recipes", "name": name, "outcome": "diverges", "supported": True,
                             "divergence": dict(rec["failure"]["divergence"])}}
    return rec


def test_a_recipe_whose_only_fault_is_a_stale_reported_lr_is_not_unsafe():
    lr = step_decay()
    stale = _recipe_record(stale_last_lr("S", "recipe.canonical", lr, 6, [3]), "canonical")
    wrong = _recipe_record(restart("W", "recipe.canonical", lr, 6, [3]), "canonical")
    rep = report_of([stale, wrong])
    _, _, cells = family_table(rep, "recipes")
    assert "UNSAFE" not in describe_result("recipes", cells[("S", "canonical")])
    assert "stale get_last_lr()" in describe_result("recipes", cells[("S", "canonical")])
    assert not result_is_bad("recipes", cells[("S", "canonical")])
    assert describe_result("recipes", cells[("W", "canonical")]).startswith("UNSAFE")
    rows = {line.split(" | ")[0]: line for line in render(tables.recipe_table(rep)).splitlines() if line.startswith("| ")}
    assert "stale get_last_lr()" in rows["| S"] and "wrong" not in rows["| S"]
    assert "wrong (step 3, lr)" in rows["| W"]


# --------------------------------------------------------------------------- B: one mechanism, one problem


def test_one_mechanism_at_different_steps_and_values_is_one_problem():
    recs = [restart("S", "resume.canonical", step_decay(1.0, 2), 6, [2]),
            restart("S", "resume.multi", step_decay(0.5, 3), 9, [3, 6]),
            restart("S", "recipe.canonical", step_decay(2.0, 2, 0.1), 8, [4]),
            restart("S", "placement.per_step", step_decay(1.0, 1, 0.9), 5, [3])]
    assert len({(r["failure"]["divergence"]["step"], r["failure"]["divergence"]["actual"]) for r in recs}) == 4
    (p,) = problems_of(recs)
    assert p["kind"] == "divergence" and p["mechanism"]["behaviour"] == "restart"
    assert len(p["checks"]) == 4 and len(p["examples"]) == 4
    assert p["examples"][0]["reproducer"] == p["example"]["reproducer"]  # the first example is the reproducer
    assert p["title"] == next(r for r in recs if r["check"] == p["example"]["check"])["failure"]["divergence"]["describe"]
    md = markdown(report_of(recs))
    assert "repeats the schedule from its beginning" in md and "4 examples" in md


def test_a_reported_lr_wrong_one_step_before_the_lr_is_the_same_cause():
    """A forgotten counter: at the resume the optimizer still uses the loaded lr, but the scheduler
    already reports its restarted value; from the next step on the lr restarts too."""
    lr = step_decay(1.0, 2)

    def forgot(check, steps, resume):
        actual = run_of(lr, steps, [resume], lambda t, r: lr(t) if t == r else lr(t - r),
                        last_lr=lambda n, r, v: v if r is None else lr(n - r))
        return traj_record("S", check, run_of(lr, steps), actual, [resume])

    reported_first = forgot("resume.canonical", 8, 3)
    assert reported_first["failure"]["divergence"]["field"] == "last_lr"
    lr_first = restart("S", "recipe.canonical", lr, 8, [2])
    assert lr_first["failure"]["divergence"]["field"] == "lr"
    (p,) = problems_of([reported_first, lr_first])
    assert p["mechanism"]["field"] == "lr" and p["mechanism"]["behaviour"] == "restart"


def test_two_mechanisms_are_two_problems():
    lr = step_decay(1.0, 2)
    recs = [restart("S", "resume.canonical", lr, 6, [2]), restart("S", "resume.multi", step_decay(0.5, 3), 9, [3, 6]),
            ahead("S", "recipe.canonical", lr, 7, [1]), ahead("S", "placement.per_step", step_decay(0.5, 3), 9, [2])]
    got = problems_of(recs)
    assert sorted((p["mechanism"]["behaviour"], tuple(p["checks"])) for p in got) == [
        ("ahead", ("placement.per_step", "recipe.canonical")), ("restart", ("resume.canonical", "resume.multi"))]


def test_behaviours_read_from_the_trajectories():
    lr = step_decay(1.0, 2)

    def behaviour(rec):
        return mechanisms.mechanism_of(rec["failure"], rec["verdict"]).behaviour

    assert behaviour(restart("S", "c", lr, 8, [3])) == "restart"
    assert behaviour(ahead("S", "c", lr, 8, [1])) == "ahead"
    behind = traj_record("S", "c", run_of(lr, 8), run_of(lr, 8, [3], lambda t, r: lr(t - 1)), [3])
    assert behaviour(behind) == "behind"
    factor = traj_record("S", "c", run_of(lr, 8), run_of(lr, 8, [3], lambda t, r: 0.3 * lr(t)), [3])
    assert behaviour(factor) == "constant factor"
    offset = traj_record("S", "c", run_of(lr, 8), run_of(lr, 8, [3], lambda t, r: lr(t) + 0.125), [3])
    assert behaviour(offset) == "constant offset"
    stuck = traj_record("S", "c", run_of(lr, 8), run_of(lr, 8, [3], lambda t, r: 0.3), [3])
    assert behaviour(stuck) == "stale value"
    tensor = {"dtype": "torch.float32", "device": "cpu"}
    typed = traj_record("S", "c", run_of(lr, 6), run_of(lr, 6, [3], lambda t, r: {"tensor": lr(t), **tensor}), [3])
    assert behaviour(typed) == "type changed"
    # a float lr that came back as a float32 tensor: rounded, still a change of type
    f32 = traj_record("S", "c", run_of(lambda t: 0.1 / (t + 1), 6),
                      run_of(lambda t: 0.1 / (t + 1), 6, [3], lambda t, r: {
                          "tensor": torch.tensor(0.1 / (t + 1), dtype=torch.float32).item(), **tensor}), [3])
    assert behaviour(f32) == "type changed"


def test_without_trajectories_divergences_group_on_their_values():
    lr = step_decay()
    a, b = restart("S", "resume.canonical", lr, 6, [2]), restart("S", "resume.multi", lr, 6, [3])
    for r in (a, b):
        del r["failure"]["trajectories"]
    assert len(problems_of([a, b])) == 2


# --------------------------------------------------------------------------- real runs


REAL_CHECKS = ("resume_canonical or resume_multi or recipe_canonical or placement_per_step or placement_per_epoch "
               "or placement_accumulation")


@pytest.fixture(scope="session")
def real_report(shared_dir):
    """The report of the two classes of selftests/stale_report_targets.py on the checks a resume bug breaks."""
    out = shared_dir / "problem_kinds"
    with FileLock(str(shared_dir / "problem_kinds.lock")):
        if not (out / "report.json").exists():
            WARM.completed(["-n", "0", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-p",
                            "selftests.profile_plugin", "--hypothesis-profile", "ci-detect",
                            "--target=selftests.stale_report_targets:StaleLastLrAfterLoad",
                            "--target=selftests.stale_report_targets:ForgetsCounter", f"--report-dir={out}",
                            "-k", REAL_CHECKS, "conformance/tests/test_checks.py"],
                           {**os.environ, "PYTHONPATH": str(ROOT)}, ROOT, timeout=600)
    return json.loads((out / "report.json").read_text())


def test_a_class_with_a_stale_reported_lr_has_one_lesser_problem(real_report):
    targets = {t["name"]: t for t in real_report["targets"]}
    (p,) = targets["StaleLastLrAfterLoad"]["problems"]
    assert p["kind"] == problems.STALE_REPORT and p["lesser"] and len(p["checks"]) >= 3, p["checks"]
    assert "safe lrs, stale get_last_lr() after load" in render(tables.recipe_table(real_report))


def test_a_forgotten_counter_is_one_problem_across_checks(real_report):
    (p,) = {t["name"]: t for t in real_report["targets"]}["ForgetsCounter"]["problems"]
    assert p["kind"] == "divergence" and not p.get("lesser") and len(p["checks"]) >= 3, p["checks"]
    assert p["mechanism"]["behaviour"] == "restart" and len(p["examples"]) == len(p["records"])


# --------------------------------------------------------------------------- C: a target that did not load


def test_a_target_that_did_not_load_shows_its_load_error():
    problem = ("--target 'pkg:Nope': pkg has no attribute 'Nope'\n"
               "  what to fix: name a class or TargetSpec that pkg defines")
    rec = {"id": "conformance/tests/test_targets.py::test_target_loads[pkg:Nope]", "target": "pkg:Nope",
           "check": None, "test": "test_target_loads", "verdict": "error", "examples": 0,
           "message": "the test raised outside the check (a harness or test error):\ntarget pkg:Nope did not "
                      "load:\n" + problem}
    rep = report_of([rec], broken_targets=[{"name": "pkg:Nope", "problem": problem}])
    (p,) = problems.by_target(rep)[0]["problems"]
    assert p["kind"] == "load" and "pkg has no attribute 'Nope'" in p["title"]
    md = markdown(rep)
    section = md[md.index("## Problems"):md.index("## Run")]
    assert "pkg has no attribute 'Nope'" in section, section
    assert "what to fix: name a class or TargetSpec that pkg defines" in section
    assert "the test raised outside the check" not in section


# --------------------------------------------------------------------------- D: DCP reproducers


def dcp_record(target, config_py, medium="dcp"):
    return {
        "target": target, "check": "resume.multi", "verdict": "fail",
        "target_info": {"name": target, "source": "torch", "factory": None, "custom_adapter": False},
        "failure": {"case": {
            "config_py": config_py, "seed": 20261125, "sources": {}, "imports": [], "problems": [],
            "setup": {"optimizer": "ASGD", "lrs": [1.0], "kwargs_py": "{}", "tensor_lr": False, "shape": [2, 2]},
            "loop": {"batches": 1, "accumulate": 1, "sched_first": False, "scaler": False},
            "plan": {"epochs": 3, "interruptions": [1, 2], "metrics_py": "[]", "medium": medium, "skips": []},
        }},
    }


def _run_script(tmp_path, record):
    """The reproducer run in this process as `python path` would run it (selftests/inprocess_script.py;
    selftests/test_reproducer_loop.py runs a DCP reproducer in a new interpreter)."""
    path = tmp_path / reproducers.file_name(record)
    path.write_text(reproducers.render(record))
    return run_script(path, cwd=tmp_path, tmp=tmp_path)


def test_a_dcp_failure_reproduces_through_torch_distributed_checkpoint(tmp_path):
    # MultiStepLR's milestones Counter can't be flattened by DCP (torch 2.13: "duplicated flatten key")
    bad = _run_script(tmp_path, dcp_record("MultiStepLR", "{'milestones': [2], 'gamma': 1.0}"))
    assert bad.returncode == 1 and "REPRODUCED" in bad.stdout, bad.stdout + bad.stderr
    assert "medium dcp" in bad.stdout
    through_file = _run_script(tmp_path, dcp_record("MultiStepLR", "{'milestones': [2], 'gamma': 1.0}", "file"))
    assert through_file.returncode == 0 and "not reproduced" in through_file.stdout, through_file.stdout
    fine = _run_script(tmp_path, dcp_record("StepLR", "{'step_size': 1, 'gamma': 0.5}"))
    assert fine.returncode == 0 and "not reproduced" in fine.stdout, fine.stdout + fine.stderr
