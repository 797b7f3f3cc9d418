"""The committed test durations that pytest-split shards the main job by (`.test_durations`).

    python -m benchmarks.durations                  run the main job once, store its durations, show the split
    python -m benchmarks.durations --from-report R  take the durations from a report.json (a merged CI run's)
    python -m benchmarks.durations --check          which main-job tests the file lacks, and stale entries
    python -m benchmarks.durations --project 2 4 8  the per-shard sums the file predicts (no run)
    python -m benchmarks.durations --measure 4      the main job as 4 shards one after another, then unsharded

The first form is the one to run after adding targets or checks: it runs the
README's main job with `--store-durations --clean-durations`, so entries of
tests that no longer exist go too, and prints the projected wall time of 2, 3,
4 and 8 shards. Durations are the sum of setup, call and teardown per test id,
as pytest-split stores them; measured under `-n auto`, they are what a shard
running `-n auto` sees. A test missing from the file still runs: pytest-split
gives it the mean duration, so a stale file costs balance, never coverage.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from pytest_split.algorithms import Algorithms

ROOT = Path(__file__).resolve().parent.parent
DURATIONS = ROOT / ".test_durations"
# The README's main job (and .ci/run's step 2). Options take their value with '=': pytest reads a
# plugin option's separate value as a path when it picks the rootdir, which would change test ids.
MAIN_JOB = ["-n", "auto", "--hypothesis-profile=ci", "--resume-corpus=corpus/torch-2.4.0"]
ALGORITHM = "least_duration"


class _Item:
    """What pytest-split's algorithms read of a test item: its node id."""

    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid

    def __str__(self) -> str:
        return self.nodeid


def load(path: Path = DURATIONS) -> dict[str, float]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


def groups(durations: dict[str, float], splits: int, ids: list[str] | None = None) -> list[tuple[list[str], float]]:
    """pytest-split's own grouping of `ids` (default: every test in the file): (ids, projected seconds) each."""
    items = [_Item(i) for i in (ids if ids is not None else sorted(durations))]
    out = Algorithms[ALGORITHM].value(splits, items, durations)
    return [([it.nodeid for it in g.selected], g.duration) for g in out]


def projection(durations: dict[str, float], counts=(2, 3, 4, 8)) -> str:
    total = sum(durations.values())
    lines = [f"{len(durations)} tests, {total:.1f} s of test time in {DURATIONS.name} "
             f"(measured under {' '.join(MAIN_JOB[:2])})"]
    for n in counts:
        sums = [d for _, d in groups(durations, n)]
        lines.append(f"  {n} shards: the longest {max(sums):6.1f} s, the shortest {min(sums):6.1f} s "
                     f"(test time only; each shard also starts pytest and collects)")
    return "\n".join(lines)


def _pytest(args: list[str], **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env, **kw)


def refresh() -> int:
    """Run the main job once with --store-durations: the whole file is rewritten."""
    done = _pytest([*MAIN_JOB, "-q", "--store-durations", "--clean-durations",
                    f"--durations-path={DURATIONS}", "--report-dir=reports/runs/durations"])
    if done.returncode not in (0, 1):
        print(f"the main job exited {done.returncode}: {DURATIONS.name} may be partial", file=sys.stderr)
        return done.returncode
    print(projection(load()))
    return 0


def from_report(path: str) -> int:
    """Durations from a report's records (each record's duration is setup + call + teardown)."""
    report = json.loads(Path(path).read_text())
    durations = {r["id"]: float(r.get("duration") or 0.0) for r in report.get("records", []) if r.get("id")}
    if not durations:
        print(f"{path}: no records with test ids", file=sys.stderr)
        return 2
    DURATIONS.write_text(json.dumps(durations, sort_keys=True, indent=4))
    print(projection(durations))
    return 0


def collected() -> list[str]:
    done = _pytest([*MAIN_JOB[2:], "-n", "0", "-q", "--collect-only", "--no-report"],
                   capture_output=True, text=True)
    return [line.strip() for line in done.stdout.splitlines() if "::" in line and not line.startswith(" ")]


def check() -> int:
    have, ids = load(), collected()
    missing = [i for i in ids if i not in have]
    stale = sorted(set(have) - set(ids))
    print(f"{len(ids)} tests in the main job; {len(missing)} missing from {DURATIONS.name}, {len(stale)} stale")
    for i in missing[:20]:
        print(f"  missing: {i}")
    for i in stale[:20]:
        print(f"  stale:   {i}")
    if missing or stale:
        print("refresh it: python -m benchmarks.durations")
    return 1 if missing or stale else 0


def measure(shards: int) -> int:
    """Wall time of the main job as `shards` shards run one after another, then unsharded (same machine).

    The 1-minute load average before and after each run is printed beside it: on a shared
    machine, compare only runs under like load.
    """
    walls = []
    for group in range(1, shards + 1):
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        done = _pytest([*MAIN_JOB, "-q", f"--splits={shards}", f"--group={group}",
                        f"--splitting-algorithm={ALGORITHM}", f"--durations-path={DURATIONS}",
                        f"--report-dir=reports/runs/measure/shard-{group}"], capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        print(f"shard {group}/{shards}: {walls[-1]:6.1f} s  (load {load_before:.1f} before, "
              f"{os.getloadavg()[0]:.1f} after)  {done.stdout.strip().splitlines()[-1]}")
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    done = _pytest([*MAIN_JOB, "-q", "--report-dir=reports/runs/measure/full"], capture_output=True, text=True)
    whole = time.perf_counter() - start
    print(f"unsharded: {whole:6.1f} s  (load {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)  "
          f"{done.stdout.strip().splitlines()[-1]}")
    print(f"{shards} shards one after another: {sum(walls):.1f} s; on {shards} runners the longest shard: "
          f"{max(walls):.1f} s ({max(walls) / whole:.2f} of unsharded)")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.durations", description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--from-report", metavar="REPORT.json")
    what.add_argument("--check", action="store_true")
    what.add_argument("--project", nargs="+", type=int, metavar="N")
    what.add_argument("--measure", type=int, metavar="N")
    args = parser.parse_args(argv)
    if args.from_report:
        return from_report(args.from_report)
    if args.check:
        return check()
    if args.project:
        print(projection(load(), args.project))
        return 0
    if args.measure:
        return measure(args.measure)
    return refresh()


if __name__ == "__main__":
    sys.exit(main())
