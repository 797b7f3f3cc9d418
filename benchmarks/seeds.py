"""Seed robustness: does detection depend on luck? The `ci` budget under many random seeds.

    python -m benchmarks.seeds [--bestiary-seeds 20] [--suite-seeds 10] [--controls-only] [--out DIR]

Each run uses the `ci-seeded` profile (the `ci` budget of examples, not
derandomized) with `--hypothesis-seed S`, and no shrinking (detection only):

- the bestiary (every broken scheduler, with the check that must catch it)
  and the controls (every correct scheduler, every check it declares) under
  `--bestiary-seeds` seeds: per broken scheduler, how many seeds found it;
  per control, any check that did not pass;
- the built-ins under `--suite-seeds` seeds: every check whose verdict is
  not the same under every seed.

Goals (issue 9): every bestiary entry found in >= 19 of 20 seeds; no
control and no built-in check flips (known failures replay their own
example, so their xfail must hold under every seed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from selftests import bestiary, controls  # noqa: E402
from selftests.test_bestiary import CONTROL_CHECKS  # noqa: E402

FILES = ["conformance/tests/test_targets.py", "conformance/tests/test_checks.py"]
PROFILE_PLUGIN = """
from hypothesis import Phase, settings
import conformance.checks.budget  # registers ci-seeded
settings.register_profile("ci-seeded-detect", settings.get_profile("ci-seeded"),
                          phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target])
"""


def pytest(args: list[str], seed: int, plugin_dir: str, junit: Path) -> None:
    cmd = [sys.executable, "-m", "pytest", "-n", "auto", "-q", "-p", "no:cacheprovider", "-p", "lrc_seed_profile",
           "--hypothesis-profile", "ci-seeded-detect", f"--hypothesis-seed={seed}",
           "-p", "selftests.outcomes_plugin", f"--outcomes-json={junit}", *args]
    env = {**os.environ, "PYTHONPATH": f"{plugin_dir}:{ROOT}"}
    subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)


def statuses(outcomes: Path) -> dict[str, str]:
    """test id -> passed, failed, error, skipped, xfailed or xpassed (selftests/outcomes_plugin.py)."""
    return {name: status for name, (status, _) in json.loads(outcomes.read_text()).items()}


def bestiary_run(seed, plugin_dir, work) -> dict:
    wanted = " or ".join(f"({test} and {name} and not without_optimizer)"
                         for name, (test, _) in bestiary.EXPECTED.items())
    targets = [f"--target=selftests.bestiary:{bestiary.REFS.get(name, name)}" for name in bestiary.EXPECTED]
    junit = work / f"bestiary-{seed}.json"
    pytest([*targets, "--lrc-timeout=10", "--no-report", "-k", wanted, *FILES], seed, plugin_dir, junit)
    got = statuses(junit)
    return {name: got.get(f"{test}[{name}]") == "failed" for name, (test, _) in bestiary.EXPECTED.items()}


def controls_run(seed, plugin_dir, work) -> dict:
    targets = [f"--target=selftests.controls:{name}" for name in controls.PLAIN] + ["--target=selftests.controls:SPECS"]
    junit = work / f"controls-{seed}.json"
    pytest([*targets, "--lrc-timeout=0", "--no-report", "-k", CONTROL_CHECKS, *FILES], seed, plugin_dir, junit)
    return {t: s for t, s in statuses(junit).items() if s not in ("passed", "skipped")}


def suite_run(seed, plugin_dir, work) -> dict:
    out = work / f"suite-{seed}"
    pytest([f"--report-dir={out}"], seed, plugin_dir, work / f"suite-{seed}.json")
    report = json.loads((out / "report.json").read_text())
    return {(r["target"], r["check"] or r.get("test")): r["verdict"] for r in report["records"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bestiary-seeds", type=int, default=20)
    parser.add_argument("--suite-seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--controls-only", action="store_true", help="only the correct controls: false alarms")
    parser.add_argument("--out", default=None, help="keep the runs' files here")
    args = parser.parse_args()
    work = Path(args.out or tempfile.mkdtemp(prefix="lrc-seeds-"))
    work.mkdir(parents=True, exist_ok=True)
    plugin_dir = str(work / "plugin")
    os.makedirs(plugin_dir, exist_ok=True)
    Path(plugin_dir, "lrc_seed_profile.py").write_text(PROFILE_PLUGIN)
    seeds = list(range(args.first_seed, args.first_seed + max(args.bestiary_seeds, args.suite_seeds)))
    start = time.monotonic()

    found: Counter = Counter()
    false_positives: dict = defaultdict(list)
    for seed in seeds[:args.bestiary_seeds]:
        for name, caught in ({} if args.controls_only else bestiary_run(seed, plugin_dir, work)).items():
            found[name] += caught
        for test, status in controls_run(seed, plugin_dir, work).items():
            false_positives[test].append((seed, status))
        print(f"seed {seed}: bestiary and controls done ({time.monotonic() - start:.0f} s)", flush=True)

    verdicts: dict = defaultdict(dict)
    for seed in seeds[:args.suite_seeds]:
        for key, verdict in suite_run(seed, plugin_dir, work).items():
            verdicts[key][seed] = verdict
        print(f"seed {seed}: built-ins done ({time.monotonic() - start:.0f} s)", flush=True)

    n = args.bestiary_seeds
    print(f"\nBestiary: seeds that found each broken scheduler (of {n})")
    for name in ([] if args.controls_only else bestiary.EXPECTED):
        mark = "" if found[name] >= n - n // 20 else "   <-- below the goal"
        print(f"  {name:28} {found[name]:3}/{n}{mark}")
    print(f"\nControls: checks that did not pass, under {n} seeds: {len(false_positives) or 'none'}")
    for test, seen in sorted(false_positives.items()):
        print(f"  {test}: {seen}")
    flips = {k: v for k, v in verdicts.items() if len(set(v.values())) > 1}
    xfails = sorted(k for k, v in verdicts.items() if set(v.values()) == {"xfail"})
    print(f"\nBuilt-ins: {len(verdicts)} checks under {args.suite_seeds} seeds; verdicts that flip: "
          f"{len(flips) or 'none'}; xfail under every seed: {len(xfails)}")
    for (target, check), by_seed in sorted(flips.items()):
        print(f"  {target} {check}: {dict(Counter(by_seed.values()))}  {by_seed}")
    print(f"\n{time.monotonic() - start:.0f} s in all; files in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
