"""Harness overhead: time per simulated step of `harness.run.reference`, divided by a bare loop's.

The bare loop does what a training script does per step on the same tiny
model (set gradients, `optimizer.step()`, `optimizer.zero_grad()`,
`scheduler.step()`) without recording. Both take the best of several
repeats in this one process. Run: `python -m benchmarks.overhead`.
"""

from __future__ import annotations

import time

from conformance.model.case import Case, Plan
from conformance.harness.run import reference
from conformance.model.optimizer import OptimizerSetup
from conformance.targets.builtins import BY_NAME

STEPS = 1000
REPEATS = 5
CASES = [
    ("StepLR", {"step_size": 30, "gamma": 0.5}, OptimizerSetup("SGD", (0.1, 0.05), {"momentum": 0.9})),
    ("CosineAnnealingLR", {"T_max": 100}, OptimizerSetup("Adam", (1e-3,), {})),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": STEPS}, OptimizerSetup("SGD", (0.01,) * 1, {"momentum": 0.9})),
    ("LambdaLR", {"lr_lambda": lambda e: 0.99**e}, OptimizerSetup("AdamW", (1e-3, 2e-3, 3e-3), {}, True)),
]


def bare(target, case) -> float:
    params = case.setup.make_params()
    optimizer = case.setup.build(params)
    scheduler = target.build(optimizer, case.config)
    start = time.perf_counter()
    for step in range(STEPS):
        goal = 1.0 + (step % 7) / 7.0
        for p in params:
            p.grad = (p.detach() - goal) * 2.0
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        scheduler.step()
    return time.perf_counter() - start


def harnessed(target, case) -> float:
    start = time.perf_counter()
    reference(target, case)
    return time.perf_counter() - start


def main() -> None:
    print(f"{'target':<20} {'optimizer':<28} {'bare us/step':>12} {'harness us/step':>16} {'ratio':>6}")
    ratios = []
    for name, config, setup in CASES:
        target, case = BY_NAME[name], Case(setup, config, Plan(STEPS))
        harnessed(target, case)  # warm-up
        b = min(bare(target, case) for _ in range(REPEATS))
        h = min(harnessed(target, case) for _ in range(REPEATS))
        ratios.append(h / b)
        print(f"{name:<20} {setup.name + (' tensor lr' if setup.tensor_lr else ''):<28} "
              f"{b / STEPS * 1e6:>12.1f} {h / STEPS * 1e6:>16.1f} {h / b:>6.2f}")
    print(f"harness / bare loop, worst: {max(ratios):.2f}, mean: {sum(ratios) / len(ratios):.2f} (goal <= 1.3)")


if __name__ == "__main__":
    main()
