"""CI shards (pytest-split) merged with `python -m conformance.reports merge` are one unsharded run.

One small selection (three targets, a handful of checks, the `ci` profile) runs
once unsharded and once as 3 shards (`--splits 3 --group I`, shard 2 under
xdist `-n 2` as CI runs `-n auto` inside a shard), all four at once. The
merged shard reports must hold exactly the unsharded run's records and
verdicts (`reports compare --strict` finds no change), and every test must
have drawn the same Hypothesis examples, in the same order, wherever it ran.

Why the examples can't depend on the shard: the `ci` profile is derandomized
with no example database (`conformance/checks/budget.py`), so each test's
random source is seeded from the digest of its Hypothesis test plus its key,
`target source/name/check id` (`checks/runner.py: database_key`): not the
worker, the shard, the order or the other tests of the process, and no
`.hypothesis/` directory of a shard can replay an old example first. The
examples themselves are observed through Hypothesis's observability callback
(`selftests/examples_plugin.py`) and compared here.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from conformance.checks import budget
from conformance.reports import merge, model
from conformance.reports.__main__ import main as reports_cli
from selftests import examples_plugin
from selftests.runner import once

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["StepLR", "CyclicLR", "selftests.shard_targets:OFF_BY_ONE"]
# pass (StepLR, CyclicLR), fail with a shrunk case (OffByOneOnLoad resume.canonical), xfail (built-in
# recipe.last_epoch, CyclicLR serialization.load_twice), skip (placement.metric), a pitfall search,
# and the per-target load test.
# CyclicLR's resume.canonical (its slowest test, ~1/4 of a run) adds no kind of verdict: it stays out.
CHECKS = ("(resume_canonical and not CyclicLR) or (recipe_last_epoch and not without) or placement_metric or "
          "serialization_load_twice or recipe_optimizer_first or target_loads")
SPLITS = 3
XDIST_SHARD = 2
VOLATILE = {"duration", "worker", "shard"}  # where and how long, not what
ADDRESS = re.compile(r" at 0x[0-9a-f]+")  # `<function f at 0x7f...>` in a config's repr: the process's, not the example's


def _command(report_dir: Path, examples: Path, extra: list[str], workers: str = "0") -> list[str]:
    # Every option takes its value with '=': pytest reads a plugin option's separate value as a
    # path when it picks the rootdir, and an existing directory there would change the test ids.
    return [sys.executable, "-m", "pytest", "-q", "-n", workers, "-p", "no:cacheprovider",
            "--hypothesis-profile=ci", *(f"--target={t}" for t in TARGETS), "-k", CHECKS,
            "-p", "selftests.examples_plugin", f"--examples-json={examples}",
            f"--report-dir={report_dir}", *extra]


def _run_all(base: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for inherited in ("PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST"):
        env.pop(inherited, None)
    runs = {"full": _command(base / "full", base / "examples-full", [])}
    for group in range(1, SPLITS + 1):
        runs[f"shard{group}"] = _command(
            base / f"shard{group}", base / f"examples-shard{group}",
            [f"--splits={SPLITS}", f"--group={group}", "--splitting-algorithm=least_duration",
             f"--durations-path={ROOT / '.test_durations'}"],
            workers="2" if group == XDIST_SHARD else "0")
    procs = {name: subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True) for name, cmd in runs.items()}
    out = {}
    for name, proc in procs.items():
        output, _ = proc.communicate(timeout=900)
        out[name] = {"exit": proc.returncode, "output": output[-4000:], "cmd": " ".join(runs[name])}
    return out


@pytest.fixture(scope="module")
def runs(shared_dir):
    """The four runs, once per self-test session (xdist workers share them)."""
    base, result = once(shared_dir, "shards", _run_all)
    for name, run in result.items():
        assert run["exit"] in (0, 1), f"{name} did not run: exit {run['exit']}\n{run['cmd']}\n{run['output']}"
        assert (base / name / "report.json").exists(), f"{name} wrote no report\n{run['output']}"
    return base, result


def _cli(*args) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = reports_cli([str(a) for a in args])
    return code, out.getvalue()


def _shards(base: Path) -> list[Path]:
    return [base / f"shard{g}" / "report.json" for g in range(1, SPLITS + 1)]


def _records(report: dict) -> dict[str, dict]:
    """Each record without where and how long it ran, object addresses in reprs blanked."""
    return {r["id"]: json.loads(ADDRESS.sub(" at 0x…", json.dumps({k: v for k, v in r.items() if k not in VOLATILE})))
            for r in report["records"]}


def test_the_shards_partition_the_run(runs):
    base, _ = runs
    full = model.load(str(base / "full" / "report.json"))
    parts = [set(_records(model.load(str(p)))) for p in _shards(base)]
    assert all(parts), f"a shard ran nothing: {[len(p) for p in parts]}"
    assert sum(len(p) for p in parts) == len(set().union(*parts)), "a test ran in two shards"
    assert set().union(*parts) == set(_records(full))
    verdicts = {r["verdict"] for r in full["records"]}
    assert {"pass", "fail", "xfail", "skip"} <= verdicts, f"the selection lost a kind of verdict: {verdicts}"
    xdist = model.load(str(_shards(base)[XDIST_SHARD - 1]))
    assert all(r.get("worker", "").startswith("gw") for r in xdist["records"] if r["verdict"] != "skip"), \
        "shard 2 was meant to run under xdist"


def test_merged_shards_are_the_unsharded_run(runs, tmp_path):
    base, _ = runs
    code, out = _cli("merge", *_shards(base), "-o", tmp_path / "merged")
    # A commit landing while the four runs start (other work in the same checkout) makes the
    # shards record different HEADs; that warning is about the checkout, not the merge.
    warned = [line for line in out.splitlines() if line.startswith("warning:") and "suite commits" not in line]
    assert code == 0 and "INCOMPLETE" not in out and not warned, out
    full = model.load(str(base / "full" / "report.json"))
    merged = model.load(str(tmp_path / "merged" / "report.json"))
    a, b = _records(full), _records(merged)
    assert set(a) == set(b)
    for test_id in a:  # verdict, examples, statuses, results, the shrunk case and divergence, messages
        assert a[test_id] == b[test_id], test_id
    assert merged["summary"] == full["summary"]
    assert merged["complete"] and merged["exitstatus"] == full["exitstatus"] == 1
    assert "--splits" not in " ".join(merged["command"]) and [s["split"] for s in merged["shards"]] == [
        [SPLITS, g] for g in range(1, SPLITS + 1)]
    code, out = _cli("compare", "--strict", base / "full" / "report.json", tmp_path / "merged" / "report.json")
    assert code == 0 and out.startswith("no regressions"), out
    for heading in ("fixed (", "changed (", "changed outcomes (", "vanished (", "new tests ("):
        assert heading not in out, out
    code, out = _cli("merge", *_shards(base), "-o", tmp_path / "checked", "--check")
    assert code == 1, "merge --check must be red: OffByOneOnLoad fails resume.canonical"


def test_a_test_draws_the_same_examples_in_any_shard(runs):
    base, _ = runs
    assert settings.get_profile("ci").derandomize and settings.get_profile("ci").database is None
    assert budget.PROFILES["ci"] == dict(max_examples=15, derandomize=True, database=None)
    whole = examples_plugin.load(str(base / "examples-full"))
    sharded: dict = {}
    for group in range(1, SPLITS + 1):
        for test_id, drawn in examples_plugin.load(str(base / f"examples-shard{group}")).items():
            assert test_id not in sharded, f"{test_id} ran in two shards"
            sharded[test_id] = drawn
    full = model.load(str(base / "full" / "report.json"))
    drawing = [r["id"] for r in full["records"] if r.get("examples")]
    assert drawing and all(whole.get(i) for i in drawing), "the observer saw no examples of some test"
    assert sharded == whole


def test_a_wrong_merge_is_told(runs, tmp_path):
    """The controls: a shard left out, or shards of another split, make the merged run incomplete."""
    base, _ = runs
    shards = _shards(base)
    code, out = _cli("merge", shards[0], shards[2], "-o", tmp_path / "two", "--check")
    assert code == 1 and f"shard group 2 of {SPLITS} missing" in out, out
    code, out = _cli("compare", "--strict", base / "full" / "report.json", tmp_path / "two" / "report.json")
    assert code == 1 and "vanished" in out and "incomplete" in out, out
    reports = [model.load(str(p)) for p in shards]
    reports[1]["command"] = [a.replace(f"--splits={SPLITS}", f"--splits={SPLITS + 1}") for a in reports[1]["command"]]
    mixed = merge.merge(reports, [str(p) for p in shards])
    assert not mixed["complete"] and "different splits" in mixed["incomplete_reason"]
    reports = [model.load(str(p)) for p in shards]
    reports[0]["hypothesis"]["profile"] = "dev"
    assert any("Hypothesis profile" in w for w in merge.merge(reports)["merge_warnings"])
