"""What a fresh interpreter and fresh ranks cost per example, as ratios to an in-process example.

    python -m benchmarks.processes [--examples 20]

The same StepLR cases run three ways: `resume.canonical` through a file in
this process; `resume.fresh_process` (the resume in a new child of the fork
server); `distributed.ranks` (a new 2-rank gloo group for the run before the
checkpoint and another for the resume). The fork server's start is timed on
its own: it is paid once per test process, outside the time limit. Goal
(issue 20): fresh / in-process <= 3.
"""

from __future__ import annotations

import argparse
import time

from conformance.checks.distributed import check_ranks
from conformance.checks.fresh_process import check_fresh_process
from conformance.harness.oracle import check_resume
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.processes.fresh import warm
from conformance.targets.builtins import BY_NAME


def cases(n: int) -> list:
    setups = [OptimizerSetup("SGD", (0.1, 0.05), {"momentum": 0.9}), OptimizerSetup("Adam", (1e-3,), {})]
    return [Case(setups[i % 2], {"step_size": 1 + i % 5, "gamma": 0.5}, Plan(20 + i, (5 + i % 7,)))
            for i in range(n)]


def per_example(check, target, examples: list) -> float:
    start = time.perf_counter()
    for case in examples:
        verdict = check(target, case)
        assert verdict.ok, verdict.explain()
    return (time.perf_counter() - start) / len(examples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=20)
    args = parser.parse_args()
    target, examples = BY_NAME["StepLR"], cases(args.examples)
    start = time.perf_counter()
    warm()
    server = time.perf_counter() - start
    per_example(check_fresh_process, target, examples[:2])  # the first child of each kind, unmeasured
    here = per_example(lambda t, c: check_resume(t, c, "resume.canonical"), target, examples)
    fresh = per_example(check_fresh_process, target, examples)
    ranks = per_example(check_ranks, target, examples)
    print(f"fork server start (once per test process): {server:.2f} s")
    print(f"per example: in-process {here * 1000:.1f} ms, fresh process {fresh * 1000:.1f} ms, "
          f"2 fresh ranks {ranks * 1000:.1f} ms")
    print(f"fresh / in-process = {fresh / here:.2f} (goal <= 3); ranks / in-process = {ranks / here:.2f}")


if __name__ == "__main__":
    main()
