"""Where the self-tests' time goes, in CPU seconds: `python -m benchmarks.selftest_cpu`.

    python -m benchmarks.selftest_cpu [--most 25] [--machine] [PYTEST ARGS...]

Runs `python -m pytest -n auto --hypothesis-profile ci selftests` (or the given
arguments) with this module as a plugin, which records per test the CPU time of
its process and of the child processes it waited for (a suite run in a
subprocess, a pip install), then prints the total, the wall time, and the files
and tests that cost the most. CPU seconds, unlike durations, barely move with
the machine's load, so two runs on a busy machine still compare; the wall time
on 2 idle cores is about the total over 2.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_ROWS: list = []


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cpu, wall, machine = _cpu(), time.perf_counter(), _machine()[0]
    yield
    _ROWS.append((item.nodeid, _cpu() - cpu, time.perf_counter() - wall, _machine()[0] - machine))


def pytest_sessionfinish(session):
    out = os.environ.get("LRC_SELFTEST_CPU_DIR")
    if out:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        Path(out, f"{worker}.json").write_text(json.dumps(_ROWS))


def _machine() -> tuple:
    """(busy, idle) CPU seconds of the whole machine so far, from /proc/stat (Linux); zeros elsewhere."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / tick, idle / tick


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--most", type=int, default=25)
    parser.add_argument("--machine", action="store_true",
                        help="also the machine's busy seconds per test: run with -n 0 on an idle machine")
    args, pytest_args = parser.parse_known_args(argv)
    pytest_args = pytest_args or ["-n", "auto", "--hypothesis-profile", "ci", "selftests"]
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "LRC_SELFTEST_CPU_DIR": out}
        start, before, machine = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN), _machine()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "benchmarks.selftest_cpu", *pytest_args],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
        busy, idle = (b - a for a, b in zip(machine, _machine()))
        parts = {Path(part).stem: json.loads(Path(part).read_text()) for part in glob.glob(os.path.join(out, "*.json"))}
    rows = [row for part in parts.values() for row in part]
    print(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-2000:])
    by_file = collections.Counter()
    for nodeid, cpu, *_ in rows:
        by_file[nodeid.split("::")[0]] += cpu
    total = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(f"wall {wall:.0f} s; CPU of the whole run {total:.0f} s (every process it waited for); "
          f"CPU in tests {sum(r[1] for r in rows):.0f} s over {len(rows)} tests")
    print(f"the machine ({os.cpu_count()} cores) over the run: {busy:.0f} s busy, {idle:.0f} s idle (anything else "
          "running counts too)")
    print("tests' wall per worker: " + ", ".join(f"{w} {sum(r[2] for r in part):.0f} s" for w, part in sorted(parts.items())))
    print("\nCPU s  file")
    for name, cpu in by_file.most_common(args.most):
        print(f"{cpu:6.1f}  {name}")
    print("\nCPU s  wall s  test")
    for nodeid, cpu, seconds, busy in sorted(rows, key=lambda r: -r[1])[:args.most]:
        print(f"{cpu:6.1f}  {seconds:6.1f}  {nodeid}")
    if args.machine:
        by_file = collections.Counter()
        for nodeid, _, _, busy in rows:
            by_file[nodeid.split("::")[0]] += busy
        print("\nmachine busy s (every process, the test's grandchildren too; meaningful with -n 0 on an idle machine)")
        for name, busy in by_file.most_common(args.most):
            print(f"{busy:6.1f}  {name}")
        for nodeid, _, _, busy in sorted(rows, key=lambda r: -r[3])[:args.most]:
            print(f"{busy:6.1f}  {nodeid}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
