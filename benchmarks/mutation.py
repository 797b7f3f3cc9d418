"""Does the suite catch real bugs? `python -m benchmarks.mutation [--mutant NAME ...] [--list] [-n N]`.

Each mutant (`benchmarks/mutation_site/mutants.py`) is one small plausible bug in torch's scheduler
code, applied at interpreter start by `benchmarks/mutation_site/sitecustomize.py` when LRC_MUTANT
names it, so the xdist workers, the fork server and the fresh processes and ranks all see it. The
README's main command runs restricted to the mutated scheduler (`--target NAME`); a mutant is killed
when the run is red (its exit code), and the red checks are read from the JUnit XML. An unmutated run
of each scheduler first must be green, or the score is invalid.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "benchmarks" / "mutation_site"
RESULTS = ROOT / "benchmarks" / "results" / "mutation.json"
sys.path.insert(0, str(SITE))
from mutants import MUTANTS  # noqa: E402 - lives beside the sitecustomize that applies it

# Why each survivor of the last full run survives (filled in from that run; printed beside it).
WHY = {
    "base_load_forgets_step_count": (
        "a real blind spot under ci's examples: the lost count shows only as torch's 'lr_scheduler.step() before "
        "optimizer.step()' warning when the first optimizer step after a resume is skipped (a GradScaler inf step); "
        "the warning-on-resume comparison of placement.amp would catch it, but StepLR's ci draw did not skip that step"),
    "cosine_resume_branch_off": (
        "probably equivalent, not confirmed: without its last_epoch=1 branch a resume falls into the chainable "
        "branch, which starts from the loaded lr of epoch 0, the base lr"),
    "onecycle_phase_boundary": (
        "equivalent: at the boundary step the next phase is taken at pct 0, whose start value is the previous "
        "phase's end value"),
}


def run_suite(target: str, mutant: str | None, workers: str) -> dict:
    """One run of the main command on `target`, with `mutant` applied (None: unmutated)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")])))
    env.pop("LRC_MUTANT", None)
    if mutant:
        env["LRC_MUTANT"] = mutant
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", "-n", workers, "--hypothesis-profile", "ci", "-p", "no:cacheprovider",
               "--no-report", "--target", target, "--resume-corpus", "corpus/torch-2.4.0", "-q",
               f"--junitxml={xml}"]
        start = time.monotonic()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - start
        red = []
        if xml.exists():
            for case in ET.parse(xml).iter("testcase"):
                if case.find("failure") is not None or case.find("error") is not None:
                    red.append(case.get("name"))
    tail = "" if proc.returncode in (0, 1) else (proc.stdout + proc.stderr)[-2000:]
    return {"exit": proc.returncode, "red": sorted(red), "seconds": round(seconds, 1), "tail": tail}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutant", action="append", default=[], help="run only this mutant (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("-n", dest="workers", default="2", help="xdist workers per run (default 2)")
    parser.add_argument("--out", default=str(RESULTS), help="where to write the JSON results")
    args = parser.parse_args(argv)
    if args.list:
        for m in MUTANTS.values():
            print(f"{m.name:36} {','.join(m.targets):28} {m.qualname}: {m.what}")
        return 0
    unknown = [n for n in args.mutant if n not in MUTANTS]
    if unknown:
        parser.error(f"unknown mutant(s) {unknown}; see --list")
    chosen = [MUTANTS[n] for n in args.mutant] or list(MUTANTS.values())
    targets = sorted({t for m in chosen for t in m.targets})
    started = time.monotonic()
    baselines = {}
    for target in targets:
        baselines[target] = run_suite(target, None, args.workers)
        print(f"baseline {target}: exit {baselines[target]['exit']} ({baselines[target]['seconds']} s)", flush=True)
    valid = all(b["exit"] == 0 for b in baselines.values())
    rows = []
    for m in chosen:
        runs = [run_suite(t, m.name, args.workers) for t in m.targets]
        row = {"mutant": m.name, "targets": list(m.targets), "what": m.what,
               "killed": any(r["exit"] != 0 for r in runs), "exit": [r["exit"] for r in runs],
               "red": sorted({c for r in runs for c in r["red"]}), "seconds": round(sum(r["seconds"] for r in runs), 1),
               "tail": "".join(r["tail"] for r in runs)}
        rows.append(row)
        print(f"{m.name:36} {','.join(m.targets):28} {'KILLED' if row['killed'] else 'survived':9} "
              f"{row['seconds']:6.1f} s  {', '.join(row['red'])[:200]}", flush=True)
        write(args, valid, baselines, rows, started)  # after each mutant: a cut-off run keeps what it has
    killed = sum(r["killed"] for r in rows)
    print(f"\nscore: {killed} / {len(rows)} killed = {100 * killed / len(rows):.0f}%"
          + ("" if valid else "  (INVALID: a baseline run is red)"))
    for r in rows:
        if not r["killed"]:
            print(f"survivor {r['mutant']} ({r['what']}): {WHY.get(r['mutant'], 'not yet explained')}")
    write(args, valid, baselines, rows, started)
    return 0 if valid else 1


def write(args, valid: bool, baselines: dict, rows: list, started: float) -> None:
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "workers": args.workers,
        "valid": valid, "killed": sum(r["killed"] for r in rows), "total": len(rows),
        "seconds": round(time.monotonic() - started, 1), "baselines": baselines, "mutants": rows}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
