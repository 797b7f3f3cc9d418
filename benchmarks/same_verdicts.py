"""Same verdicts before and after a change: `python -m benchmarks.same_verdicts REF`.

    python -m benchmarks.same_verdicts REF [--after REF2] [--out DIR] [--jobs main contrib bestiary] [--reuse-before]

Runs three jobs under the `ci` profile, once with the code at git REF (in its
own worktree) and once with this checkout (or REF2, in a worktree of its own:
other people's uncommitted work stays out), then `python -m conformance.reports
compare BEFORE AFTER --strict` (this checkout's compare) on each pair:

- main: the built-ins, with the torch-2.4.0 corpus (the README's command);
- contrib: the contrib targets (.ci/run step 4);
- bestiary: every bestiary member on the checks that must catch it
  (selftests/test_bestiary.py's selection).

Exit 0 when every pair compares clean. The worktree gets `conformance/reports`
and `conformance/strategies` links, so that REF's own report code is imported
there rather than this checkout's (the editable install maps them here).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.reports import compare, model  # noqa: E402
from selftests import bestiary  # noqa: E402
from selftests.test_bestiary import FILES, MEMBERS, SEPARATE  # noqa: E402

CONTRIB = ["transformers", "pytorch_optimizer", "pytorch_warmup", "torchtune"]


def job_args(job: str) -> list[str]:
    if job == "main":
        return ["--resume-corpus", "corpus/torch-2.4.0"]
    if job == "contrib":
        return [f"--target=conformance.targets.contrib.{name}:TARGETS" for name in CONTRIB]
    wanted = " or ".join(f"({test} and {name} and not without_optimizer)"
                         for name, (test, _) in bestiary.EXPECTED.items() if name not in SEPARATE)
    targets = [f"--target=selftests.bestiary:{bestiary.REFS.get(name, name)}" for name in MEMBERS]
    return [*targets, "--lrc-timeout=0", "-k", wanted, *FILES]


def run_job(src: Path, job: str, report_dir: Path) -> float:
    cmd = [sys.executable, "-m", "pytest", "-n", "auto", "-q", "-p", "no:cacheprovider", "--hypothesis-profile", "ci",
           f"--report-dir={report_dir}", *job_args(job)]
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True)
    (report_dir.parent / f"{job}.log").write_text(proc.stdout + proc.stderr)
    if not (report_dir / "report.json").exists():
        sys.exit(f"{src}: {job} wrote no report (exit {proc.returncode}); see {report_dir.parent / f'{job}.log'}")
    return time.perf_counter() - start


def worktree(ref: str, where: Path) -> Path:
    if not where.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(where), ref], cwd=ROOT, check=True)
    for name in ("reports", "strategies"):
        link = where / "conformance" / name
        if not link.exists():
            link.symlink_to(Path("..") / name)
    return where


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ref")
    parser.add_argument("--after", help="a git ref to run instead of this checkout")
    parser.add_argument("--out", default="/tmp/same_verdicts")
    parser.add_argument("--jobs", nargs="+", default=["main", "contrib", "bestiary"])
    parser.add_argument("--reuse-before", action="store_true", help="keep OUT/before's reports where present")
    parser.add_argument("--before-only", action="store_true", help="only run REF's jobs")
    args = parser.parse_args(argv)
    out = Path(args.out)
    src = worktree(args.ref, out / "src")
    here = worktree(args.after, out / "src-after") if args.after else ROOT
    clean = True
    for job in args.jobs:
        before, after = out / "before" / job, out / "after" / job
        if not (args.reuse_before and (before / "report.json").exists()):
            print(f"{job} at {args.ref}: {run_job(src, job, before):.0f} s", flush=True)
        if args.before_only:
            continue
        print(f"{job} at {args.after or 'this checkout'}: {run_job(here, job, after):.0f} s", flush=True)
        cmd = [sys.executable, "-m", "conformance.reports", "compare", str(before / "report.json"),
               str(after / "report.json"), "--strict", "--md", str(out / f"{job}.comparison.md")]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        print(proc.stdout + proc.stderr, flush=True)
        c = compare.compare(model.load(str(before / "report.json")), model.load(str(after / "report.json")), True)
        same = not (c.new_failures or c.fixed or c.changed or c.results or c.vanished or c.added)
        print(f"{job}: {c.new['summary']['total']} records, "
              f"{'the same verdicts and outcomes' if same else 'VERDICTS DIFFER'}", flush=True)
        clean &= proc.returncode == 0 and same
    print("same verdicts" if clean else "verdicts differ", flush=True)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
