"""Suite throughput: wall time of the `ci` profile over all built-ins, `-n auto` against `-n 0`.

Run: `python -m benchmarks.throughput [extra pytest args]`. It runs the main
suite twice in subprocesses, so it takes a few minutes.
"""

from __future__ import annotations

import subprocess
import sys
import time


def wall(workers: str, extra: list[str]) -> float:
    cmd = [sys.executable, "-m", "pytest", "-q", "-n", workers, "--hypothesis-profile", "ci",
           "-p", "no:cacheprovider", *extra]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    print(f"-n {workers:<5} {elapsed:7.1f} s   {done.stdout.strip().splitlines()[-1]}")
    return elapsed


def main() -> None:
    extra = sys.argv[1:]
    serial = wall("0", extra)
    parallel = wall("auto", extra)
    print(f"-n auto / -n 0 wall time: {parallel / serial:.2f}")


if __name__ == "__main__":
    main()
