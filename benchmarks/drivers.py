"""Driver cost: one `driver.<name>` example (reference run, checkpointed run, resumed run)
divided by the same example through the suite's own loop (`resume.canonical`, file medium).

Each framework is imported and warmed up once (a worker process does that once), then the
best of several repeats per driver is taken. Run: `python -m benchmarks.drivers`. The ranks
are started once, outside the timing (the first, warm-up example); their fork server imports the
drivers' `rank_modules`, as under `--driver`.
"""

from __future__ import annotations

import time

import torch

from conformance.checks.frameworks import check_driver
from conformance.drivers import DRIVERS, rank_modules
from conformance.harness.oracle import check_resume
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.processes.fresh import preload_modules
from conformance.targets.builtins import BY_NAME

REPEATS = 5
STEPS = 20
CASE = Case(OptimizerSetup("SGD", (0.1, 0.05), {"momentum": 0.9}), {"step_size": 3, "gamma": 0.5},
            Plan(STEPS, (7,)))
TARGET = BY_NAME["StepLR"]
# Drawn setups with a cost of their own: Accelerate on the 2 gloo ranks of `distributed.*`.
SETUPS = {"accelerate": [("  2 ranks", {"processes": 2, "resume_processes": 2}),
                         ("  2 -> 1", {"processes": 2, "resume_processes": 1})]}


def best(fn) -> float:
    fn()  # warm-up: imports, first-call caches
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        verdict = fn()
        times.append(time.perf_counter() - start)
        assert verdict.ok, verdict.explain()
    return min(times)


def main() -> None:
    torch.set_num_threads(1)
    preload_modules([], rank_modules(DRIVERS))  # as `--driver all` does
    plain = best(lambda: check_resume(TARGET, CASE, "resume.canonical"))
    print(f"StepLR, {STEPS} optimizer steps, checkpoint after step 7; best of {REPEATS}")
    print(f"{'loop':<14}{'ms per example':>16}{'÷ plain loop':>14}")
    print(f"{'plain (suite)':<14}{plain * 1e3:>16.1f}{1.0:>14.2f}")
    for driver in DRIVERS:
        if driver.missing():
            print(f"{driver.name:<14}{'not installed':>16}")
            continue
        for label, more in [(driver.name, {})] + SETUPS.get(driver.name, []):
            options = {**driver.example_options, "stop": 7, **more}
            cost = best(lambda: check_driver(TARGET, CASE, options, driver))
            print(f"{label:<14}{cost * 1e3:>16.1f}{cost / plain:>14.2f}")


if __name__ == "__main__":
    main()
