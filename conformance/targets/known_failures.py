"""Known failures of the torch built-ins: the one reviewed file.

Each record names a target and a check, why it fails, where upstream tracks
it, and the torch versions it was seen on. `targets/builtins.py` attaches
them to the built-in records; matching tests are reported as xfail, and an
unexpected pass shows as xpass, so upstream fixes get noticed. Third-party
targets carry their own in `TargetSpec.known_failures` or a user's file.
"""

from __future__ import annotations

from conformance.targets.known import KnownFailure


KNOWN_FAILURES: list[KnownFailure] = [
    # --- resume.*, determinism, serialization.weights_only
    KnownFailure(
        "ConstantLR", "resume.edge.factor_zero",
        "torch accepts factor=0 (its check is `factor < 0`) and then divides by it once "
        "last_epoch reaches total_iters: ZeroDivisionError mid-schedule, resumed or not. "
        "The generated configs exclude factor=0 for this reason.",
        "https://github.com/pytorch/pytorch/issues/185006", "2.13.0",
        "config {'factor': 0.0, 'total_iters': 3}, SGD momentum 0.9, 6 steps, interrupted at 2",
    ),
    # --- recipe.* and serialization.* (no_mutation, load_twice, delayed, deepcopy)
    KnownFailure(
        "StepLR", "recipe.last_epoch",
        "torch's constructor takes one initial step from last_epoch=k-1 to k, and this scheduler's chainable get_lr() then applies epoch k's change to the optimizer's loaded lr, which already has it: the change is applied twice. Fixed for ExponentialLR only (the `_is_initial` flag); the same pattern remains here.",
        "https://github.com/pytorch/pytorch/issues/102261", "2.13.0",
        "config {'step_size': 1, 'gamma': 0.5}, ASGD lrs=[1.0], per_step, 2 scheduler steps, interrupted at iteration 1 through file: "
        "optimizer step 1 lr expected 0.5, got 0.25",
    ),
    KnownFailure(
        "MultiStepLR", "recipe.last_epoch",
        "torch's constructor takes one initial step from last_epoch=k-1 to k, and this scheduler's chainable get_lr() then applies epoch k's change to the optimizer's loaded lr, which already has it: the change is applied twice. Fixed for ExponentialLR only (the `_is_initial` flag); the same pattern remains here.",
        "https://github.com/pytorch/pytorch/issues/102261", "2.13.0",
        "config {'milestones': [1], 'gamma': 0.5}, ASGD lrs=[1.0], per_step, 2 scheduler steps, interrupted at iteration 1 through file: "
        "optimizer step 1 lr expected 0.5, got 0.25",
    ),
    KnownFailure(
        "ConstantLR", "recipe.last_epoch",
        "torch's constructor takes one initial step from last_epoch=k-1 to k, and this scheduler's chainable get_lr() then applies epoch k's change to the optimizer's loaded lr, which already has it: the change is applied twice. Fixed for ExponentialLR only (the `_is_initial` flag); the same pattern remains here. Here the 1/factor undo at total_iters is applied to an lr already undone.",
        "https://github.com/pytorch/pytorch/issues/102261", "2.13.0",
        "config {'factor': 0.5, 'total_iters': 1}, ASGD lrs=[1.0], per_step, 2 scheduler steps, interrupted at iteration 1 through file: "
        "optimizer step 1 lr expected 1.0, got 2.0",
    ),
    KnownFailure(
        "SequentialLR", "recipe.last_epoch",
        "SequentialLR(last_epoch=N) resets the lr to initial_lr and takes the initial step of "
        "the first child only, whatever child is due at epoch N: the children are not "
        "advanced to N.",
        "https://github.com/pytorch/pytorch/issues/162591", "2.13.0",
        "config {'schedulers': [('ConstantLR', {'factor': 0.5, 'total_iters': 0}), "
        "('ConstantLR', {'factor': 1.0, 'total_iters': 0})], 'milestones': [1]}, ASGD lrs=[1.0], per_step, 2 scheduler steps, interrupted at iteration 1 through file: "
        "optimizer step 1 lr expected 1.0, got 0.5",
    ),
    KnownFailure(
        "SequentialLR", "recipe.last_epoch_without_optimizer",
        "SequentialLR never calls LRScheduler.__init__, and its children (built with "
        "last_epoch=-1) set 'initial_lr' themselves, so last_epoch >= 0 on a fresh optimizer "
        "raises no KeyError: it silently starts from the first child's initial lr. "
        "Same root cause as the recipe.last_epoch record above; no separate upstream issue found.",
        "https://github.com/pytorch/pytorch/issues/162591", "2.13.0",
        "config {'schedulers': [('ConstantLR', {'factor': 0.5, 'total_iters': 0}), "
        "('ConstantLR', {'factor': 1.0, 'total_iters': 0})], 'milestones': [1]}, ASGD lrs=[1.0], per_step, 2 scheduler steps, interrupted at iteration 1 through file: "
        "optimizer step 1 lr expected 1.0, got 0.5",
    ),
    KnownFailure(
        "CyclicLR", "recipe.last_epoch",
        "With tensor lrs, the constructor's initial step runs before CyclicLR sets its own "
        "float base_lrs, so the first resumed lr is computed from the float32 'initial_lr' "
        "tensor instead of the float base_lr: one ulp off (relative error ~9e-8). "
        "No upstream issue found.",
        "", "2.13.0",
        "config {'base_lr': 0.5396789185062314, 'max_lr': 1.125, 'step_size_up': 5, "
        "'step_size_down': None, 'mode': 'triangular', 'gamma': 1.0, 'cycle_momentum': False}, "
        "ASGD tensor lrs=[1.0], per_step, 2 scheduler steps, interrupted at iteration 1 through file: "
        "optimizer step 1 lr expected tensor(0.6567431092262268), got tensor(0.6567431688308716)",
    ),
    KnownFailure(
        "SWALR", "recipe.last_epoch",
        "SWALR.get_lr() derives the annealing position from _step_count, which restarts at 1 "
        "when the scheduler is built with last_epoch=k-1: the anneal starts over. "
        "No upstream issue found.",
        "", "2.13.0",
        "config {'swa_lr': 1.0, 'anneal_epochs': 4, 'anneal_strategy': 'cos'}, ASGD lrs=[0.5], "
        "per_step, 3 scheduler steps, interrupted at iteration 1 through file: "
        "optimizer step 2 lr expected 0.7499999999999999, got 0.635723304703363",
    ),
    KnownFailure(
        "CosineAnnealingWarmRestarts", "recipe.last_epoch",
        "Built with last_epoch=k-1, the constructor sets T_cur = last_epoch and T_i = T_0 "
        "without working out which restart cycle epoch k falls in, so with T_mult > 1 (or "
        "past the first restart) the resumed schedule is in the wrong cycle. The upstream "
        "issue reports the constructor path with last_epoch != -1.",
        "https://github.com/pytorch/pytorch/issues/52236", "2.13.0",
        "config {'T_0': 1, 'T_mult': 2, 'eta_min': 0.0}, ASGD lrs=[1.0], per_step, "
        "3 scheduler steps, interrupted at iteration 2 through file: "
        "optimizer step 2 lr expected 0.5, got 1.0",
    ),
    KnownFailure(
        "CyclicLR", "serialization.no_mutation",
        "CyclicLR.load_state_dict pops '_scale_fn_custom' from the dict it is given and does "
        "not put it back. The same side effect was fixed for LambdaLR in "
        "https://github.com/pytorch/pytorch/issues/32756; no CyclicLR issue found.",
        "", "2.13.0",
        "config {'base_lr': 1.0, 'max_lr': 1.0, 'step_size_up': 1, 'step_size_down': None, "
        "'mode': 'triangular', 'gamma': 1.0, 'cycle_momentum': False}, ASGD lrs=[1.0], per_step, 2 scheduler steps, interrupted at iteration 1 through file: "
        "state: keys ['_scale_fn_custom'] are in only one of them",
    ),
    KnownFailure(
        "CyclicLR", "serialization.load_twice",
        "The first load_state_dict pops '_scale_fn_custom' from the checkpoint dict (see "
        "serialization.no_mutation), so loading the same dict again raises "
        "KeyError: '_scale_fn_custom'. No CyclicLR issue found (LambdaLR's twin: "
        "https://github.com/pytorch/pytorch/issues/32756).",
        "", "2.13.0",
        "config {'base_lr': 1.0, 'max_lr': 1.0, 'step_size_up': 1, 'step_size_down': None, "
        "'mode': 'triangular', 'gamma': 1.0, 'cycle_momentum': False}, ASGD lrs=[1.0], per_step, 2 scheduler steps, interrupted at iteration 1 through file: "
        "second load raised KeyError: '_scale_fn_custom'",
    ),
    # --- mismatch.* and placement.*
    KnownFailure(
        "LambdaLR", "mismatch.lr_lambda",
        "hybrid per param group: load_state_dict writes the checkpoint's attributes into callable "
        "objects (so they follow the checkpoint) but keeps plain functions from the constructor (so "
        "they follow the new lambda); a new per-group list mixing both follows neither run. It also "
        "writes those attributes onto the plain function objects themselves",
        link="https://github.com/pytorch/pytorch/issues/32756",  # the lr_lambdas save/load design
        versions="2.13.0",
        example="config {'lr_lambda': StepDecay(every=1, gamma=0.5)}, resumed with lr_lambda="
        "[linear_to_zero_at_300, linear_to_zero_at_300, StepDecay(every=1, gamma=1.0)]; "
        "ASGD(lrs=[1.0, 0.5, 0.75]); 3 scheduler steps, interrupted at iteration 1: at optimizer "
        "step 2, group 2 follows the checkpoint (0.1875) where the new lambda gives 0.75, while "
        "group 0 follows the new function (0.9933) where the checkpoint gives 0.25",
    ),
    KnownFailure(
        "MultiplicativeLR", "mismatch.lr_lambda",
        "hybrid: a plain-function lr_lambda is not saved, so the new one is used, but it multiplies "
        "the lr restored from the optimizer state: old factors up to the resume, new ones after. "
        "Neither the checkpoint's schedule nor the new lambda's",
        link="https://github.com/pytorch/pytorch/issues/32756",  # the lr_lambdas save/load design
        versions="2.13.0",
        example="config {'lr_lambda': halve_every_7}, resumed with lr_lambda=decay_0_99; ASGD(lrs=[1.0]); "
        "per_step, 3 scheduler steps, interrupted at iteration 1: at optimizer step 2 the checkpoint "
        "gives 1.0, the new lambda all along 0.9801, the resumed run 0.99",
    ),
    KnownFailure(
        "SequentialLR", "mismatch.schedulers",
        "hybrid: load_state_dict loads each saved child state into whichever child sits at that "
        "position (__dict__.update, no type check): attributes the saved child had win, the new "
        "child's others stay. Changing the children at resume silently mixes both",
        link="https://github.com/pytorch/pytorch/issues/119168",  # SequentialLR restore side effects
        versions="2.13.0",
        example="config {'schedulers': [ConstantLR(factor=1.0, total_iters=1), LambdaLR(linear_to_zero_at_300)], "
        "'milestones': [3]}, resumed with [ConstantLR(factor=0.5, total_iters=0), ExponentialLR(gamma=1.0)]; "
        "ASGD(lrs=[1.0]); per_step, 5 steps, interrupted at iteration 1: at optimizer step 4 the "
        "checkpoint gives 0.99667, the resumed run 1.0 (the new children all along: 0.5 at step 2)",
    ),
    KnownFailure(
        "ChainedScheduler", "mismatch.schedulers",
        "hybrid: child states are loaded by position into the new children (__dict__.update), and the "
        "chainable children keep multiplying the lr restored from the optimizer state",
        versions="2.13.0",
        example="config {'schedulers': [ConstantLR(factor=1.0, total_iters=0)]}, resumed with "
        "[ExponentialLR(gamma=0.9375)]; ASGD(lrs=[1.0]); per_step, 3 steps, interrupted at iteration 1: "
        "at optimizer step 2 the checkpoint gives 1.0, the new children all along 0.87890625, the "
        "resumed run 0.9375",
    ),
]
