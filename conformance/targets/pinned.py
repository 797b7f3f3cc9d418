"""Pinned edge cases for the built-ins: always run, whatever Hypothesis draws.

Each is (label, Case) under a target name. They sit on the boundaries that
matter: milestones, restarts, cycle and phase ends, the step before each, and
configs that are valid but unusual.
"""

from __future__ import annotations

from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.strategies import callables as fn

SGD_M = OptimizerSetup("SGD", (0.1, 0.05), {"momentum": 0.9})
ADAM = OptimizerSetup("Adam", (1e-3, 2e-3, 5e-4), {"amsgrad": False, "betas": (0.9, 0.999)})
TENSOR = OptimizerSetup("AdamW", (0.01, 0.02), {}, tensor_lr=True)


def _case(config, setup, epochs, interruptions, metrics=()):
    return Case(setup, config, Plan(epochs, tuple(interruptions), tuple(metrics)))


PINNED: dict[str, list[tuple[str, Case]]] = {
    "StepLR": [
        ("at_and_before_step_boundary", _case({"step_size": 3, "gamma": 0.5}, TENSOR, 10, [2, 3, 6])),
    ],
    "MultiStepLR": [
        ("repeated_milestone", _case({"milestones": [2, 2, 5], "gamma": 0.1}, SGD_M, 8, [2, 4])),
    ],
    "ConstantLR": [
        ("factor_zero", _case({"factor": 0.0, "total_iters": 3}, SGD_M, 6, [2])),
        ("total_iters_zero", _case({"factor": 0.5, "total_iters": 0}, SGD_M, 4, [1])),
    ],
    "LinearLR": [
        ("end_factor_zero", _case({"start_factor": 1.0, "end_factor": 0.0, "total_iters": 4}, ADAM, 8, [3, 4])),
    ],
    "ExponentialLR": [("tensor_lr", _case({"gamma": 0.9}, TENSOR, 6, [1, 4]))],
    "CosineAnnealingLR": [("t_max_one", _case({"T_max": 1, "eta_min": 0.0}, SGD_M, 6, [1, 2]))],
    "CosineAnnealingWarmRestarts": [
        ("t_mult_3_at_restarts", _case({"T_0": 2, "T_mult": 3, "eta_min": 1e-4}, ADAM, 12, [1, 2, 8])),
    ],
    "PolynomialLR": [("past_total_iters", _case({"total_iters": 3, "power": 2.0}, SGD_M, 7, [3, 5]))],
    "LambdaLR": [
        ("plain_function", _case({"lr_lambda": fn.cosine_300}, SGD_M, 5, [2])),
        ("callable_objects_per_group",
         _case({"lr_lambda": [fn.Warmup(3), fn.StepDecay(2, 0.5)]}, SGD_M, 8, [2, 3])),
    ],
    "MultiplicativeLR": [("callable_object", _case({"lr_lambda": fn.EveryN(3, 0.5)}, ADAM, 9, [2, 3]))],
    "SequentialLR": [
        ("at_milestone",
         _case({"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 2}),
                               ("ExponentialLR", {"gamma": 0.9})], "milestones": [5]}, SGD_M, 9, [4, 5])),
    ],
    "ChainedScheduler": [
        ("warmup_and_decay",
         _case({"schedulers": [("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 3}),
                               ("StepLR", {"step_size": 2, "gamma": 0.5})]}, TENSOR, 8, [2, 3])),
    ],
    "ReduceLROnPlateau": [
        ("threshold_edge_ties",
         _case({"mode": "min", "factor": 0.5, "patience": 0, "threshold": 0.1, "threshold_mode": "rel",
                "cooldown": 1, "min_lr": 0.0, "eps": 1e-8}, SGD_M, 8, [2, 5],
               [1.0, 0.9, 0.9, 0.5, 0.45, 0.45, 0.3, 0.3])),
    ],
    "CyclicLR": [
        ("exp_range_callable_scale_momentum",
         _case({"base_lr": 1e-3, "max_lr": 0.1, "step_size_up": 2, "step_size_down": 3, "mode": "exp_range",
                "gamma": 0.99, "cycle_momentum": True, "base_momentum": 0.8, "max_momentum": 0.9,
                "scale_fn": fn.ExpScale(0.95), "scale_mode": "iterations"}, ADAM, 12, [4, 5, 10])),
        ("triangular2_function_scale",
         _case({"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "step_size_down": None,
                "mode": "triangular2", "gamma": 1.0, "cycle_momentum": False,
                "scale_fn": fn.triangular_halving, "scale_mode": "cycle"}, SGD_M, 14, [5, 6])),
    ],
    "OneCycleLR": [
        ("three_phase_linear_to_the_end",
         _case({"max_lr": [0.1, 0.2], "total_steps": 10, "pct_start": 0.3, "anneal_strategy": "linear",
                "cycle_momentum": True, "base_momentum": 0.85, "max_momentum": 0.95, "div_factor": 25.0,
                "final_div_factor": 1e4, "three_phase": True}, SGD_M, 10, [2, 5, 9])),
    ],
    "SWALR": [
        ("anneal_epochs_zero",
         _case({"swa_lr": 0.05, "anneal_epochs": 0, "anneal_strategy": "cos"}, SGD_M, 5, [1, 2])),
    ],
}
