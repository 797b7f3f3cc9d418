"""One table, one known-failure rule, one database key per test: both entry points agree.

- the library runs exactly the check ids pytest collects for a target;
- `check_target` on a correct class passes in every one of 20 runs (no
  deadline, no flakiness: it runs under the suite's profiles);
- a family-prefix known failure marks the test xfail *and* turns shrinking
  off, through the same matcher;
- a known-failure entry that covers no check is warned about, by name;
- each target x check has its own example-database key.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import Phase
from hypothesis.database import InMemoryExampleDatabase
from hypothesis.internal.reflection import function_digest

from conformance.checks import runner
from conformance.checks.table import BY_ID, CHECKS, planned
from conformance.library import check_target, plans
from conformance.model.verdict import ConformanceFailure
from conformance.spec import TargetSpec
from conformance.targets.builtins import BY_NAME
from conformance.targets.known import known_failure, stale
from conformance.targets.loading import load
from selftests import controls
from selftests.profile_plugin import profile
from selftests.runner import as_process, completed, once

ROOT = Path(__file__).resolve().parent.parent

COLLECT_PLUGIN = '''
from conformance.plugin.hooks import check_of

def pytest_collection_finish(session):
    with open(OUT, "w") as f:
        for item in session.items:
            if check_of(item):
                f.write(item.callspec.params["target"].name + "\\t" + check_of(item) + "\\n")
'''
COLLECTED = ["selftests.controls:StepDecay", "selftests.controls:MetricHalving", "StepLR", "SequentialLR"]


@pytest.fixture(scope="module")
def collected(shared_dir):
    """One collect-only run of the suite on every target of COLLECTED, with an xfails file holding a typo:
    ({target name: the check ids collected}, the run's output). One run instead of five (~5 s each), once
    per session."""
    tmp, saved = once(shared_dir, "collect", lambda tmp: completed(_collect(tmp)))
    proc = as_process(saved)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    ids = {}
    for line in (tmp / "ids.txt").read_text().splitlines():
        name, check = line.split("\t")
        ids.setdefault(name, set()).add(check)
    return ids, proc.stdout


def _collect(tmp):
    out, xfails = tmp / "ids.txt", tmp / "known.toml"
    (tmp / "collect_ids.py").write_text(f"OUT = {str(out)!r}\n" + COLLECT_PLUGIN)
    xfails.write_text('[StepDecay]\n"resume.canonicl" = "a typo"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "collect_ids", "-p", "no:lrc-report",
         *(f"--target={ref}" for ref in COLLECTED), f"--xfails-file={xfails}", "conformance/tests/test_checks.py"],
        cwd=ROOT, env={**__import__("os").environ, "PYTHONPATH": f"{tmp}:{ROOT}"},
        capture_output=True, text=True, timeout=300)
    return proc


@pytest.mark.parametrize("ref", COLLECTED)
def test_library_runs_the_check_ids_pytest_collects(collected, ref):
    target = BY_NAME[ref] if ":" not in ref else load(ref)[0]
    ids = collected[0].get(target.name, set())
    assert ids == {p.id for p in plans(target)}
    assert len(ids) >= 20  # the whole table, not a fraction of it


# Repeated in one process: what one run leaves behind (worker pools, rank groups, caches) must not
# turn the next red. Under the `ci` profile the examples are derandomized, so more repeats draw
# nothing new (20 repeats cost ~100 s of the self-tests; 2 keep the property).
@pytest.mark.parametrize("run", range(2))
def test_check_target_on_a_correct_class_always_passes(run):
    results = check_target(controls.StepDecay)
    assert {r.check for r in results} == {p.id for p in plans(load("selftests.controls:StepDecay")[0])}
    bad = [r for r in results if r.status not in ("pass", "skip")]
    assert not bad, "\n\n".join(f"{r.check}: {r.status}\n{r.message}" for r in bad)


def test_check_target_reports_a_broken_class_without_raising():
    from selftests.bestiary import OffByOneOnLoad

    results = {r.check: r for r in check_target(OffByOneOnLoad, checks=["resume", "determinism"])}
    assert results["determinism"].status == "pass"
    assert results["resume.canonical"].status == "fail" and "OffByOneOnLoad" in results["resume.canonical"].message
    expected = check_target(OffByOneOnLoad, checks=["resume.canonical"], expected_failures={"resume": "on purpose"})
    assert [(r.check, r.status, r.message) for r in expected] == [("resume.canonical", "xfail", "on purpose")]


def test_a_family_prefix_marks_xfail_and_turns_shrinking_off():
    target = TargetSpec("Prefixed", build=lambda opt, cfg: None, known_failures={"serialization": "custom class"})
    for plan in planned(target):
        found = known_failure(target, plan.id)
        assert (found is not None) == plan.id.startswith("serialization."), plan.id
    test = runner.hypothesis_test(next(p for p in planned(target) if p.id == "serialization.delayed"),
                                  target, "key", known_failure(target, "serialization.delayed"))
    assert Phase.shrink not in test.hypothesis_test._hypothesis_internal_use_settings.phases
    test = runner.hypothesis_test(next(p for p in planned(target) if p.id == "resume.canonical"), target, "key")
    assert Phase.shrink in test.hypothesis_test._hypothesis_internal_use_settings.phases


def test_the_user_file_and_the_builtin_records_go_through_the_same_rule():
    steplr = BY_NAME["StepLR"]
    assert "102261" in known_failure(steplr, "recipe.last_epoch").link
    assert known_failure(steplr, "recipe.canonical") is None
    from_file = {"StepLR": {"recipe": "every recipe, from a file"}}
    assert known_failure(steplr, "recipe.canonical", from_file).reason == "every recipe, from a file"
    # The longest key wins: torch's exact record over the file's family prefix.
    assert "102261" in known_failure(steplr, "recipe.last_epoch", from_file).link


def test_stale_known_failures_are_named():
    target = TargetSpec("Stale", build=lambda opt, cfg: None,
                        known_failures={"resume.canonical": "real", "resume.canonicl": "typo", "mismatch": "prefix"})
    ids = [p.id for p in planned(target)]
    assert stale(target, ids) == ["resume.canonicl"]


def test_a_stale_entry_warns_in_a_real_run(collected):
    """The xfails file of the `collected` run names StepDecay's "resume.canonicl", which covers no check."""
    output = collected[1]
    assert "StaleKnownFailure" in output and "StepDecay 'resume.canonicl'" in output, output[-3000:]


def test_each_target_and_check_has_its_own_database_key():
    """A failure found for one target x check is saved under its own key, and replays for no other test."""
    db = InMemoryExampleDatabase()
    broken, correct = load("selftests.bestiary:OffByOneOnLoad")[0], load("selftests.controls:StepDecay")[0]
    plan = next(p for p in planned(broken) if p.id == "resume.canonical")
    with profile("dev", database=db, max_examples=5):
        tests = {t.name: runner.hypothesis_test(plan, t, runner.database_key(t, plan)) for t in (broken, correct)}
        with pytest.raises(ConformanceFailure):
            tests[broken.name]()
        tests[correct.name]()
    key = {name: function_digest(test.hypothesis_test.hypothesis.inner_test) for name, test in tests.items()}
    assert key[broken.name] != key[correct.name]
    assert list(db.fetch(key[broken.name])), "the broken target's failing example is saved under its key"
    assert not list(db.fetch(key[correct.name])), "nothing is saved for the correct target"
    other = next(p for p in planned(broken) if p.id == "resume.multi")
    assert runner.database_key(broken, other) != runner.database_key(broken, plan)


def test_every_entry_is_whole():
    for check in CHECKS:
        assert check.tier in ("contract", "recipe support", "pitfall"), check.id
        assert 0 < check.budget <= 1 and callable(check.run) and callable(check.strategy), check.id
    assert BY_ID["recipe.last_epoch"].requires == ("last_epoch_resume",)
    assert BY_ID["recipe.optimizer_first"].search and BY_ID["recipe.optimizer_first"].tier == "pitfall"
