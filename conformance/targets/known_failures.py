"""Known failures of the torch built-ins: the one reviewed file.

Each record names a target and a check, why it fails, where upstream tracks
it, the torch versions it was seen on, and its failing example as data: the
exact value the check draws (a `Case`, or a case with its change or delay).
The check replays that example first, so xfail (it still fails) and xpass
(upstream fixed it) don't depend on the Hypothesis version, the seed or the
budget; the generated examples run after it. `targets/builtins.py` attaches
them to the built-in records; matching tests are reported as xfail, and an
unexpected pass shows as xpass, so upstream fixes get noticed. Third-party
targets carry their own in `TargetSpec.known_failures` or a user's file.
"""

from __future__ import annotations

from conformance.model.case import Case, Plan
from conformance.model.change import DEFAULT, Change
from conformance.model.optimizer import OptimizerSetup
from conformance.model.trajectory import Value
from conformance.model.verdict import ERROR, FAIL, Signature
from conformance.strategies import callables as fn
from conformance.targets.known import KnownFailure
from conformance.targets.pinned import PINNED

ASGD_1 = OptimizerSetup("ASGD", (1.0,))


def _case(config: dict, epochs: int, at: tuple, setup: OptimizerSetup = ASGD_1) -> Case:
    return Case(setup, config, Plan(epochs, at))


def _diverged(step: int, expected, actual, field: str = "lr", group: int = 0) -> Signature:
    return Signature(FAIL, field=field, step=step, group=group, expected=expected, actual=actual)


def _raised(status: str, phase: str, exc: str, detail: str) -> Signature:
    return Signature(status, phase=phase, raised=exc, detail=detail)


def _failed(detail: str) -> Signature:
    return Signature(FAIL, detail=detail)


def _duplicated_key(path: str) -> Signature:
    """A second dcp.save after a DCP resume: the `milestones` Counter's int keys came back with string twins."""
    return _raised(FAIL, "checkpoint", "RuntimeError", "checkpoint round trip failed: torch.distributed.checkpoint.save: "
                   f"RuntimeError: CheckpointException (ValueError: duplicated flatten key lr_scheduler.{path})")


def _tensor_lrs(case: Case, options) -> bool:
    return case.setup.tensor_lr


def _pinned(target: str, label: str) -> Case:
    return dict(PINNED[target])[label]


# Each upstream link and each shared reason is written once, for every record that cites it.
ISSUE_102261 = "https://github.com/pytorch/pytorch/issues/102261"
ISSUE_153842 = "https://github.com/pytorch/pytorch/issues/153842"
ISSUE_162591 = "https://github.com/pytorch/pytorch/issues/162591"
ISSUE_185006 = "https://github.com/pytorch/pytorch/issues/185006"
ISSUE_88791 = "https://github.com/pytorch/pytorch/issues/88791"
PR_192655 = "https://github.com/pytorch/pytorch/pull/192655"
ISSUE_52911 = "https://github.com/pytorch/pytorch/issues/52911"
PR_9927 = "https://github.com/pytorch/pytorch/pull/9927"
CHAINABLE_TWICE = (
    "torch's constructor takes one initial step from last_epoch=k-1 to k, and this scheduler's chainable get_lr() "
    "then applies epoch k's change to the optimizer's loaded lr, which already has it: the change is applied twice. "
    "The upstream report and fix (the `_is_initial` flag) were for ExponentialLR; torch 2.13 also guards "
    "MultiplicativeLR, LinearLR, PolynomialLR and CosineAnnealingLR, not this scheduler."
)

DECAY_TWICE = ("the constructor's initial step applies epoch k's decay to the loaded lr, which already has it "
               "(as recipe.last_epoch)")  # CHAINABLE_TWICE, against the documented schedule

CYCLIC = {"base_lr": 1.0, "max_lr": 1.0, "step_size_up": 1, "step_size_down": None, "mode": "triangular",
          "gamma": 1.0, "cycle_momentum": False}
SEQUENTIAL_MULTISTEP = {"schedulers": [("ConstantLR", {"factor": 1.0, "total_iters": 0}),
                                     ("MultiStepLR", {"milestones": [1], "gamma": 1.0})], "milestones": [2]}
SEQUENTIAL_FIRST_MULTISTEP = {"schedulers": [("MultiStepLR", {"milestones": [2], "gamma": 1.0}),
                                           ("ConstantLR", {"factor": 1.0, "total_iters": 0})], "milestones": [5]}
SEQUENTIAL_ALIAS = (
    "With tensor lrs, a fresh SequentialLR's _last_lr holds the very tensors of its first child's _last_lr. "
    "DCP loads tensors in place into the fresh object's state_dict(), so both saved values are copied into "
    "one tensor and the first child's wins: after the resume get_last_lr() returns the first child's last lr "
    "(the lr the optimizer uses is right). torch.load-based resumes replace the tensors and are not affected. "
    "No upstream issue found (searched pytorch/pytorch for SequentialLR, _last_lr, DCP, tensor lr)"
)
SEQUENTIAL = {"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 0}),
                             ("ConstantLR", {"factor": 1.0, "total_iters": 0})], "milestones": [1]}



KNOWN_FAILURES: list[KnownFailure] = [
    # --- resume.*, determinism, serialization.weights_only
    KnownFailure(
        "ConstantLR", "resume.edge.factor_zero",
        "torch accepts factor=0 (its check is `factor < 0`) and then divides by it once "
        "last_epoch reaches total_iters: ZeroDivisionError mid-schedule, resumed or not. "
        "The generated configs exclude factor=0 for this reason.",
        ISSUE_185006, "2.13.0, 2.15.0", relation="same bug",
        signature=_raised(ERROR, 'step', 'ZeroDivisionError', 'ConstantLR raised in step(): ZeroDivisionError: float division by zero'),
        example=_pinned("ConstantLR", "factor_zero"),
    ),
    # --- recipe.* and serialization.* (no_mutation, load_twice, delayed, deepcopy)
    KnownFailure(
        "StepLR", "recipe.last_epoch",
        CHAINABLE_TWICE,
        ISSUE_102261, "2.13.0, 2.15.0", relation="related",
        signature=_diverged(1, 0.5, 0.25),
        example=_case({"step_size": 1, "gamma": 0.5}, 2, (1,)),
    ),
    KnownFailure(
        "MultiStepLR", "recipe.last_epoch",
        CHAINABLE_TWICE,
        ISSUE_102261, "2.13.0, 2.15.0", relation="related",
        signature=_diverged(1, 0.5, 0.25),
        example=_case({"milestones": [1], "gamma": 0.5}, 2, (1,)),
    ),
    KnownFailure(
        "ConstantLR", "recipe.last_epoch",
        CHAINABLE_TWICE + " Here the 1/factor undo at total_iters is applied to an lr already undone.",
        ISSUE_102261, "2.13.0, 2.15.0", relation="related",
        signature=_diverged(1, 1.0, 2.0),
        example=_case({"factor": 0.5, "total_iters": 1}, 2, (1,)),
    ),
    KnownFailure(
        "SequentialLR", "recipe.last_epoch",
        "SequentialLR(last_epoch=N) resets the lr to initial_lr and takes the initial step of "
        "the first child only, whatever child is due at epoch N: the children are not "
        "advanced to N.",
        ISSUE_162591, "2.13.0, 2.15.0", relation="same bug",
        signature=_diverged(1, 1.0, 0.5),
        example=_case(SEQUENTIAL, 2, (1,)),
    ),
    KnownFailure(
        "SequentialLR", "recipe.last_epoch_without_optimizer",
        "SequentialLR never calls LRScheduler.__init__, and its children (built with "
        "last_epoch=-1) set 'initial_lr' themselves, so last_epoch >= 0 on a fresh optimizer "
        "raises no KeyError: it silently starts from the first child's initial lr. "
        "Same root cause as the recipe.last_epoch record above; no separate upstream issue found.",
        ISSUE_162591, "2.13.0, 2.15.0", relation="related",
        signature=_diverged(1, 1.0, 0.5),
        example=_case(SEQUENTIAL, 2, (1,)),
    ),
    KnownFailure(
        "CyclicLR", "recipe.last_epoch",
        "With tensor lrs, the constructor's initial step runs before CyclicLR sets its own "
        "float base_lrs, so the first resumed lr is computed from the float32 'initial_lr' "
        "tensor instead of the float base_lr: one ulp off (relative error ~9e-8). "
        "No upstream issue found.",
        "", "2.13.0, 2.15.0",
        signature=_diverged(1, Value(0.6567431092262268, 'torch.float32', 'cpu'), Value(0.6567431688308716, 'torch.float32', 'cpu')),
        example=_case({**CYCLIC, "base_lr": 0.5396789185062314, "max_lr": 1.125, "step_size_up": 5}, 2, (1,),
                      OptimizerSetup("ASGD", (1.0,), tensor_lr=True)),
    ),
    KnownFailure(
        "SWALR", "recipe.last_epoch",
        "SWALR.get_lr() derives the annealing position from _step_count, which restarts at 1 "
        "when the scheduler is built with last_epoch=k-1: the anneal starts over. "
        "No upstream issue found.",
        "", "2.13.0, 2.15.0",
        signature=_diverged(2, 0.7499999999999999, 0.635723304703363),
        example=_case({"swa_lr": 1.0, "anneal_epochs": 4, "anneal_strategy": "cos"}, 3, (1,),
                      OptimizerSetup("ASGD", (0.5,))),
    ),
    KnownFailure(
        "CosineAnnealingWarmRestarts", "recipe.last_epoch",
        "Built with last_epoch=k-1, the constructor sets T_cur = last_epoch and T_i = T_0 "
        "without working out which restart cycle epoch k falls in, so with T_mult > 1 (or "
        "past the first restart) the resumed schedule is in the wrong cycle. No upstream report of the wrong "
        "cycle found (#52236 was a crash with last_epoch != -1, gone in 2.13; #88791 and PR #110497 fixed the "
        "modulo for a resume from a high step, and T_i is still multiplied only once).",
        ISSUE_88791, "2.13.0, 2.15.0", relation="related",
        signature=_diverged(2, 0.5, 1.0),
        example=_case({"T_0": 1, "T_mult": 2, "eta_min": 0.0}, 3, (2,)),
    ),
    KnownFailure(
        "CyclicLR", "serialization.no_mutation",
        "CyclicLR.load_state_dict pops '_scale_fn_custom' from the dict it is given and does "
        "not put it back. The same side effect was fixed for LambdaLR in "
        "https://github.com/pytorch/pytorch/issues/32756; no CyclicLR issue found.",
        "", "2.13.0, 2.15.0",
        signature=_failed("load_state_dict changed the dict it was given (checkpoint at scheduler step 1): state: keys "
                          "['_scale_fn_custom'] are in only one of them"),
        example=_case(CYCLIC, 2, (1,)),
    ),
    KnownFailure(
        "CyclicLR", "serialization.load_twice",
        "The first load_state_dict pops '_scale_fn_custom' from the checkpoint dict (see "
        "serialization.no_mutation), so loading the same dict again raises "
        "KeyError: '_scale_fn_custom'. No CyclicLR issue found (LambdaLR's twin: "
        "https://github.com/pytorch/pytorch/issues/32756).",
        "", "2.13.0, 2.15.0",
        signature=_raised(FAIL, 'load_state_dict', 'KeyError',
                          "loading the same checkpoint dict a second time raised KeyError: '_scale_fn_custom'"),
        example=_case(CYCLIC, 2, (1,)),
    ),
    # --- mismatch.* and placement.*
    KnownFailure(
        "LambdaLR", "mismatch.lr_lambda",
        "hybrid per param group: load_state_dict writes the checkpoint's attributes into callable "
        "objects (so they follow the checkpoint) but keeps plain functions from the constructor (so "
        "they follow the new lambda); a new per-group list mixing both follows neither run. It also "
        "writes those attributes onto the plain function objects themselves",
        link=PR_9927, relation="related",  # the design: only callable objects are saved
        versions="2.13.0, 2.15.0",
        signature=_diverged(2, 0.25, 0.9933333333333333),
        example=(_case({"lr_lambda": fn.StepDecay(every=1, gamma=0.5)}, 3, (1,), OptimizerSetup("ASGD", (1.0, 0.5, 0.75))),
                 Change("lr_lambda", fn.StepDecay(every=1, gamma=0.5),
                        [fn.linear_to_zero_at_300, fn.linear_to_zero_at_300, fn.StepDecay(every=1, gamma=1.0)])),
    ),
    KnownFailure(
        "MultiplicativeLR", "mismatch.lr_lambda",
        "hybrid: a plain-function lr_lambda is not saved, so the new one is used, but it multiplies "
        "the lr restored from the optimizer state: old factors up to the resume, new ones after. "
        "Neither the checkpoint's schedule nor the new lambda's",
        link=PR_9927, relation="related",  # the design: only callable objects are saved
        versions="2.13.0, 2.15.0",
        signature=_diverged(2, 1.0, 0.99),
        example=(_case({"lr_lambda": fn.halve_every_7}, 3, (1,)), Change("lr_lambda", fn.halve_every_7, fn.decay_0_99)),
    ),
    KnownFailure(
        "CyclicLR", "mismatch.scale_fn",
        "hybrid: load_state_dict keeps the new constructor's custom scale_fn but loads the checkpoint's "
        "scale_mode ('iterations' for mode='exp_range'), so the new function is evaluated on the old "
        "scale's axis: neither the checkpoint's schedule nor the new function's. Found with a pinned "
        "seed (20261126), not by the `ci` profile's own examples",
        link=ISSUE_52911, relation="related",  # load_state_dict and the scale function
        versions="2.13.0, 2.15.0",
        signature=_diverged(3, 1.0, 0.625),
        example=(_case({**CYCLIC, "base_lr": 0.5, "mode": "exp_range"}, 4, (1,)),
                 Change("scale_fn", DEFAULT, fn.triangular_halving)),
    ),
    KnownFailure(
        "CyclicLR", "mismatch.dcp.scale_fn",
        "The hybrid of mismatch.scale_fn (the new scale_fn on the checkpoint's scale_mode) happens through DCP "
        "too. Found by the seed-robustness run, not by the ci examples",
        link=ISSUE_52911, relation="related",
        versions="2.13.0",
        signature=_diverged(3, 1.0, 0.625),
        example=(Case(ASGD_1, {**CYCLIC, "base_lr": 0.5, "mode": "exp_range"}, Plan(4, (1,), medium="dcp")),
                 Change("scale_fn", DEFAULT, fn.triangular_halving)),
        medium="dcp",
    ),
    # --- consistency.closed_form
    KnownFailure(
        "ConstantLR", "consistency.closed_form",
        "with total_iters=0 the two forms disagree: the chainable get_lr() applies factor at epoch 0 and "
        "never undoes it (the undo branch needs last_epoch == total_iters after epoch 0), while the closed "
        "form gives base_lr from epoch 0 on. A loop that switches to step(epoch) jumps by 1/factor",
        link=PR_192655, relation="same bug (open fix)",  # RFC #168044
        versions="2.13.0, 2.15.0",
        signature=_failed("the closed form and the chainable form disagree: at k=1, group 0: step(1) gives 1.0, 1 step() calls "
                          "give 0.5: 4.5e+15 ulp apart, beyond rounding (4 ulp per step)"),
        example=_case({"factor": 0.5, "total_iters": 0}, 3, (1,)),
    ),
    KnownFailure(
        "LinearLR", "consistency.closed_form",
        "with total_iters=0 the closed form divides by zero (ZeroDivisionError in step(epoch)), while the "
        "chainable form applies start_factor at epoch 0 and keeps it for good. The generated configs draw "
        "total_iters >= 1, so only the registered example shows it",
        link="https://github.com/pytorch/pytorch/issues/193682", relation="same bug",  # RFC #168044
        versions="2.13.0, 2.15.0",
        signature=_failed("the closed form and the chainable form disagree: at k=1, step(1) raises ZeroDivisionError: float "
                          "division by zero where 1 step() calls don't"),
        example=_case({"start_factor": 0.5, "end_factor": 1.0, "total_iters": 0}, 3, (1,)),
    ),
    # --- reference.* (the uninterrupted run against the documented schedule, conformance/reference)
    *[KnownFailure(
        target, check,
        "ConstantLR's docs: the lr is multiplied by factor 'until the number of epoch reaches ... total_iters' "
        "(its example: 0.025 for epochs 0-39, 0.05 'if epoch >= 40' with total_iters=40), so total_iters=0 means "
        "the initial lr from epoch 0 on. torch 2.13 multiplies by factor at construction and never undoes it: the "
        "whole run trains at factor * lr. " + extra,
        link=PR_192655, relation="same bug (open fix)",
        versions="2.13.0, 2.15.0", signature=signature, example=example,
        when=when, when_doc=when_doc,
    ) for target, check, extra, signature, example, when, when_doc in [
        ("ConstantLR", "reference.schedule", "", _diverged(0, 1.0, 0.5),
         _case({"factor": 0.5, "total_iters": 0}, 3, (1,)),
         lambda case, options: case.config.get("total_iters") == 0, "total_iters=0"),
        ("ConstantLR", "reference.epoch_argument", "Stepped with step(epoch), the closed form gives the initial lr "
         "from epoch 1 on, so only epoch 0 (the constructor's plain step) is wrong.", _diverged(0, 1.0, 0.5),
         _case({"factor": 0.5, "total_iters": 0}, 3, (1,)),
         lambda case, options: case.config.get("total_iters") == 0, "total_iters=0"),
        ("ConstantLR", "reference.edge.total_iters_zero", "", _diverged(0, 0.1, 0.05),
         _pinned("ConstantLR", "total_iters_zero"), None, ""),
        ("SequentialLR", "reference.schedule", "As SequentialLR's first child it does the same (its initial step is a "
         "plain step(); a child reached at a milestone takes the closed form and is right).", _diverged(0, 1.0, 0.5),
         _case({"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 0}),
                               ("ConstantLR", {"factor": 1.0, "total_iters": 0})], "milestones": [2]}, 3, (1,)),
         lambda case, options: case.config["schedulers"][0][0] == "ConstantLR"
         and case.config["schedulers"][0][1].get("total_iters") == 0, "a first child ConstantLR with total_iters=0"),
        ("ChainedScheduler", "reference.schedule", "In a chain it does the same.", _diverged(0, 1.0, 0.5),
         _case({"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 0})]}, 3, (1,)),
         lambda case, options: any(name == "ConstantLR" and cfg.get("total_iters") == 0
                                   for name, cfg in case.config["schedulers"]),
         "a ConstantLR child with total_iters=0"),
    ]],
    KnownFailure(
        "SequentialLR", "reference.schedule",
        "A MultiplicativeLR child reached at a milestone multiplies the lr by lr_lambda(0) there (torch 2.13's "
        "SequentialLR.step calls the child's _update_lr(0)), so it applies one factor more than the same scheduler "
        "alone, whose epoch 0 keeps the lr ('When last_epoch=-1, set initial lr as lr'; lr_lambda is first called "
        "for epoch 1). SequentialLR's docs (the child due at a milestone starts its schedule there) don't say "
        "which; the model takes the child's own epoch 0. Shown by a standalone script: lr_lambda is called with 0 "
        "at the milestone. No upstream issue found (searched pytorch/pytorch for SequentialLR, MultiplicativeLR, "
        "milestone, _update_lr)",
        versions="2.13.0",
        signature=_diverged(2, 1.0, 0.5),
        example=_case({"schedulers": [("ExponentialLR", {"gamma": 1.0}),
                                      ("MultiplicativeLR", {"lr_lambda": fn.ConstantFactor(0.5)})],
                       "milestones": [2]}, 4, (1,)),
        when=lambda case, options: any(name == "MultiplicativeLR" and m < case.plan.epochs for (name, _), m in
                                       zip(case.config["schedulers"][1:], case.config["milestones"])),
        when_doc="a MultiplicativeLR child reached at a milestone",
    ),
    KnownFailure(
        "ConstantLR", "reference.edge.factor_zero",
        "The documented schedule of factor=0 is lr 0 until total_iters, then the initial lr; torch accepts factor=0 "
        "and then divides by it at total_iters: ZeroDivisionError (as resume.edge.factor_zero).",
        ISSUE_185006, "2.13.0, 2.15.0", relation="same bug",
        signature=_raised(ERROR, 'step', 'ZeroDivisionError', 'ConstantLR raised in step(): ZeroDivisionError: float division by zero'),
        example=_pinned("ConstantLR", "factor_zero"),
    ),
    # reference.last_epoch: the recipe.last_epoch failures above, held against the documented schedule. Each is
    # scoped to the resume points its mechanism can reach, so another bug on this path stays red.
    *[KnownFailure(
        target, "reference.last_epoch",
        "Built with last_epoch=k-1 ('Only use a non-default value when restoring this scheduler from a saved "
        "checkpoint'), the schedule does not go on as documented from epoch k: " + reason,
        link=link, relation=relation, versions="2.13.0, 2.15.0", signature=signature, example=example,
        when=when, when_doc=when_doc,
    ) for target, reason, link, relation, signature, example, when, when_doc in [
        ("StepLR", DECAY_TWICE, ISSUE_102261, "related",
         _diverged(1, 0.5, 0.25), _case({"step_size": 1, "gamma": 0.5}, 2, (1,)),
         lambda case, options: case.plan.interruptions[0] % case.config["step_size"] == 0,
         "a resume at a multiple of step_size"),
        ("MultiStepLR", DECAY_TWICE, ISSUE_102261, "related",
         _diverged(1, 0.5, 0.25), _case({"milestones": [1], "gamma": 0.5}, 2, (1,)),
         lambda case, options: case.plan.interruptions[0] in case.config["milestones"], "a resume at a milestone"),
        ("ConstantLR", "the 1/factor undo at total_iters is applied to an lr already undone (as recipe.last_epoch); "
         "with total_iters=0 the factor is never undone at all (reference.schedule)",
         ISSUE_102261, "related",
         _diverged(1, 1.0, 2.0), _case({"factor": 0.5, "total_iters": 1}, 2, (1,)),
         lambda case, options: case.plan.interruptions[0] == case.config["total_iters"]
         or case.config["total_iters"] == 0, "a resume at total_iters, or total_iters=0"),
        ("SequentialLR", "it resets the lr to initial_lr and takes the initial step of its first child only, "
         "whatever child is due at epoch k (as recipe.last_epoch)",
         ISSUE_162591, "same bug",
         _diverged(2, 0.25, 1.0),
         _case({"schedulers": [("ExponentialLR", {"gamma": 0.5}), ("ExponentialLR", {"gamma": 1.0})],
                "milestones": [5]}, 3, (2,)), None, ""),
        ("CosineAnnealingWarmRestarts", "past the first restart it is in the wrong cycle (as recipe.last_epoch)",
         ISSUE_88791, "related",
         _diverged(2, 0.5, 1.0), _case({"T_0": 1, "T_mult": 2, "eta_min": 0.0}, 3, (2,)),
         lambda case, options: case.plan.interruptions[0] >= case.config["T_0"], "a resume at or past T_0"),
        ("SWALR", "the anneal position comes from _step_count, which restarts at 1, so the anneal starts over from "
         "the loaded lr (as recipe.last_epoch); no upstream issue found", "", "",
         _diverged(2, 0.75, 0.635723304703363),
         _case({"swa_lr": 1.0, "anneal_epochs": 4, "anneal_strategy": "cos"}, 3, (1,), OptimizerSetup("ASGD", (0.5,))),
         lambda case, options: case.plan.interruptions[0] < case.config["anneal_epochs"],
         "a resume before the anneal ends"),
    ]],
    # --- the dcp medium (torch.distributed.checkpoint)
    *[KnownFailure(
        target, check,
        "DCP flattens the state dict with string keys and loads into the fresh scheduler's own layout, so "
        "MultiStepLR's `milestones` Counter comes back with each int key joined by its string twin "
        f"(Counter({{2: 1, '2': 1}})). {effect}",
        link=ISSUE_153842, relation="same bug",  # fix PR #171864 unmerged
        versions="2.13.0, 2.15.0",
        signature=signature,
        example=Case(ASGD_1, config, Plan(3, at, medium="dcp")),
        medium="dcp",
    ) for target, check, config, at, effect, signature in [
        ("MultiStepLR", "resume.multi", {"milestones": [2], "gamma": 1.0}, (1, 2),
         "A second dcp.save after that resume raises ValueError: duplicated flatten key.",
         _duplicated_key("milestones.2")),
        ("ChainedScheduler", "resume.multi", {"schedulers": [("MultiStepLR", {"milestones": [2], "gamma": 1.0})]},
         (1, 2), "A chain holding a MultiStepLR cannot be saved through DCP a second time (duplicated flatten key).",
         _duplicated_key("_schedulers.0.milestones.2")),
        *[("SequentialLR", check, SEQUENTIAL_MULTISTEP, at,
           "SequentialLR's switch to a MultiStepLR child calls its closed form, which sorts the mixed keys: "
           "TypeError at the milestone, one resume is enough (the same root cause as the upstream report, whose "
           "symptom is the duplicated key). (With tensor lrs SequentialLR has a second DCP "
           "problem, registered for distributed.*: its _last_lr aliases its first child's.)",
           _raised(ERROR, "step", "TypeError",
                   "SequentialLR raised in step(): TypeError: '<' not supported between instances of 'str' and 'int'"))
          for check, at in (("resume.canonical", (1,)), ("resume.multi", (1, 2)),
                            ("serialization.load_twice", (1, 2)))],
        # Found by the seed-robustness run (benchmarks/seeds.py), not by the ci examples:
        *[(target, "serialization.load_twice", config, (1, 2),
           "Loading the same checkpoint twice means a second dcp.save after a DCP resume: duplicated flatten key.",
           signature)
          for target, config, signature in (
              ("MultiStepLR", {"milestones": [2], "gamma": 1.0}, _duplicated_key("milestones.2")),
              ("ChainedScheduler", {"schedulers": [("MultiStepLR", {"milestones": [2], "gamma": 1.0})]},
               _duplicated_key("_schedulers.0.milestones.2")))],
    ]],
    # SequentialLR with a MultiStepLR child that is not switched to before the second save: the duplicated key.
    *[KnownFailure(
        "SequentialLR", check,
        "DCP brings a MultiStepLR child's `milestones` Counter back with string twins of its int keys (as for "
        "MultiStepLR itself), so a second dcp.save after a DCP resume raises 'duplicated flatten key' before "
        "SequentialLR ever switches to that child (where the TypeError above shows instead)",
        link=ISSUE_153842, relation="same bug", versions="2.13.0",
        signature=_duplicated_key("_schedulers.0.milestones.2"),
        example=Case(ASGD_1, SEQUENTIAL_FIRST_MULTISTEP, Plan(4, (1, 2), medium="dcp")),
        medium="dcp",
    ) for check in ("resume.multi", "serialization.load_twice")],
    # SequentialLR with tensor lrs through DCP: the _last_lr aliasing of distributed.* below, in one process.
    *[KnownFailure(
        "SequentialLR", check, SEQUENTIAL_ALIAS, versions="2.13.0",
        signature=_diverged(1, Value(1.0, "torch.float32", "cpu"), Value(0.5, "torch.float32", "cpu"), "last_lr"),
        example=Case(OptimizerSetup("ASGD", (1.0,), tensor_lr=True), SEQUENTIAL, Plan(3, at, medium="dcp")),
        medium="dcp", when=_tensor_lrs, when_doc="tensor lrs",
    ) for check, at in (("resume.canonical", (1,)), ("resume.multi", (1, 2)))],
    # --- distributed.* (DDP on 2 gloo ranks, one dcp.load of every Stateful, as torchtitan resumes)
    *[KnownFailure(
        "SequentialLR", check,
        SEQUENTIAL_ALIAS,
        versions="2.13.0",
        signature=_diverged(1, Value(1.0, 'torch.float32', 'cpu'), Value(0.5, 'torch.float32', 'cpu'), 'last_lr'),
        example=_case(SEQUENTIAL, 2, (1,), OptimizerSetup("ASGD", (1.0,), tensor_lr=True)),
    ) for check in ("distributed.ranks", "distributed.2_to_1", "distributed.1_to_2")],
    # Found under the thorough profile: the TypeError of the dcp medium above, on the ranks.
    *[KnownFailure(
        "SequentialLR", check,
        "Through DCP a MultiStepLR child's `milestones` Counter comes back with string twins of its int keys; "
        "SequentialLR's switch to that child calls its closed form, which sorts the mixed keys: TypeError at "
        "the milestone after a resume on the ranks (as in one process through the dcp medium)",
        link=ISSUE_153842, relation="same bug", versions="2.13.0",
        signature=_raised(ERROR, "step", "RemoteError",
                          "SequentialLR raised in step(): RemoteError: TypeError: '<' not supported between "
                          f"instances of 'str' and 'int' ({where})"),
        example=_case(SEQUENTIAL_MULTISTEP, 3, (1,)),
    ) for check, where in (("distributed.ranks", "on rank 0 of 2"), ("distributed.2_to_1", "in the resumed process"),
                           ("distributed.1_to_2", "on rank 0 of 2"))],
    KnownFailure(
        "SequentialLR", "mismatch.dcp.milestones",
        "The same aliasing as distributed.* above: with tensor lrs the fresh SequentialLR's _last_lr is its first "
        "child's, so through DCP get_last_lr() comes back as the first child's, which neither run has (found "
        "under the thorough profile)",
        versions="2.13.0",
        signature=_diverged(1, Value(1.0, 'torch.float32', 'cpu'), Value(0.5, 'torch.float32', 'cpu'), 'last_lr'),
        example=(Case(OptimizerSetup("ASGD", (1.0, 0.5), tensor_lr=True),
                      {"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 0}),
                                      ("ConstantLR", {"factor": 1.0, "total_iters": 0}),
                                      ("ConstantLR", {"factor": 0.5, "total_iters": 1})], "milestones": [1, 3]},
                      Plan(3, (1,), medium="dcp")),
                 Change("milestones", [1, 3], [1, 2])),
        medium="dcp", when=_tensor_lrs, when_doc="tensor lrs",
    ),
    KnownFailure(
        "SequentialLR", "mismatch.dcp.base_lr",
        "The same aliasing as distributed.* above: with tensor lrs the fresh SequentialLR's _last_lr is its first "
        "child's, so through DCP get_last_lr() comes back as the first child's, which neither run has",
        versions="2.13.0",
        signature=_diverged(1, Value(1.0, 'torch.float32', 'cpu'), Value(0.5, 'torch.float32', 'cpu'), 'last_lr'),
        example=(Case(OptimizerSetup("ASGD", (1.0,), tensor_lr=True), SEQUENTIAL, Plan(3, (1,), medium="dcp")),
                 Change("base_lr", [1.0], [0.5], on_optimizer=True)),
        medium="dcp",
    ),
    KnownFailure(
        "OneCycleLR", "mismatch.dcp.three_phase",
        "OneCycleLR keeps its phases as a list of dicts: 3 with three_phase=True, 2 without. DCP loads into the "
        "fresh scheduler's layout, so resuming a three-phase checkpoint into a two-phase scheduler keeps the "
        "checkpoint's first two phases and drops the third: a schedule neither run has. Through torch.save the "
        "checkpoint's list wins (the run follows the checkpoint). No upstream issue found",
        versions="2.13.0",
        signature=_diverged(3, 0.04, 1.0),
        example=(Case(OptimizerSetup("ASGD", (1.0, 0.5)),
                      {"max_lr": 1.0, "total_steps": 32, "pct_start": 0.0625, "anneal_strategy": "cos",
                       "cycle_momentum": False, "div_factor": 25.0, "final_div_factor": 1.0, "three_phase": True},
                      Plan(4, (1,), medium="dcp")),
                 Change("three_phase", True, False)),
        medium="dcp",
    ),
    # --- driver.* (a framework's own loop and checkpoint API)
    KnownFailure(
        "CosineAnnealingWarmRestarts", "driver.ignite",
        "ignite's LRScheduler wraps CosineAnnealingWarmRestarts in its own _CosineAnnealingWarmRestarts object and "
        "saves that object itself in the handler's state_dict; ignite's Checkpoint.load_objects loads with "
        "torch.load(weights_only=True), which refuses the class: ignite cannot resume its own checkpoint of this "
        "scheduler (torch >= 2.6 made weights_only the default)",
        link="https://github.com/pytorch/ignite/issues/3303", relation="related",  # weights_only in ignite's loads
        versions="pytorch-ignite 0.5.5, torch 2.13.0",
        signature=_raised(FAIL, "checkpoint", "UnpicklingError", "checkpoint round trip failed: ignite 0.5.5: the resume: "
                          "UnpicklingError: Weights only load failed. This file can still be loaded, to do so you "
                          "have two options, \x1b[1mdo those steps only if you trust the source of the checkpoint"
                          "\x1b[0m. "),
        example=(Case(ASGD_1, {"T_0": 1, "T_mult": 1, "eta_min": 0.0}, Plan(2, (1,))),
                 {"epoch_length": 1, "stop": 1, "load": "path"}),
    ),
    *[KnownFailure(
        "ReduceLROnPlateau", "driver.ignite",
        "ignite's own ReduceLROnPlateauScheduler handler puts its bound method _reduce_lr into the wrapped "
        "ReduceLROnPlateau's __dict__, so the handler's state_dict (which holds the scheduler's) carries that bound "
        "method and, through it, the handler and its optimizer. Checkpoint.load_objects(path) loads with "
        "weights_only=True and refuses it (GLOBAL getattr); loaded from the user's own trusted torch.load, "
        "load_state_dict puts the unpickled old handler's _reduce_lr into the new scheduler, so every later "
        "reduction goes to a dead copy of the optimizer's param groups: the lr never drops again after the resume. "
        "No upstream issue found (the handler came with ignite PR #2449)",
        link="https://github.com/pytorch/ignite/pull/2449", relation="related: the change that added it",
        versions="pytorch-ignite 0.5.5, torch 2.13.0",
        example=(Case(ASGD_1, {"mode": "min", "factor": 0.5, "patience": 0, "threshold": 0.0, "threshold_mode": "rel",
                               "cooldown": 0, "min_lr": 0.0, "eps": 1e-08}, Plan(3, (1,), (1.0, 1.0, 0.94))),
                 {"epoch_length": 1, "stop": 1, "load": load, "plateau": "ignite"}),
        signature=signature, options={"plateau": "ignite", "load": load},
    ) for load, signature in (
        ("mapping", _diverged(2, 0.5, 1.0)),  # the user's trusted torch.load: the lr never drops again
        ("path", _raised(FAIL, "checkpoint", "UnpicklingError", "checkpoint round trip failed: ignite 0.5.5: the "
                         "resume: UnpicklingError: Weights only load failed. This file can still be loaded, to do so "
                         "you have two options, \x1b[1mdo those steps only if you trust the source of the checkpoint"
                         "\x1b[0m. ")))],
    # --- mismatch.dcp.lr_lambda (the file-medium records of mismatch.lr_lambda are above)
    *[KnownFailure(
        target, check,
        "load_state_dict writes each saved callable object's __dict__ into the new callable "
        "(lr_lambdas[i].__dict__.update(saved)). A new callable of another class keeps its own code but takes "
        "the old attribute values it shares (`factor`): ConstantFactor(1.0) resumed from EveryN(n=2, "
        "factor=0.5) multiplies by 0.5 at every step, which neither run does. Through DCP, which loads into the "
        "new callable's own layout, the attributes it lacks (`n`) are dropped as well. No upstream issue found "
        "(pytorch#32756 is this load's other side effect, the popped key)",
        versions="2.13.0",
        signature=signature,
        example=(Case(ASGD_1, {"lr_lambda": fn.EveryN(n=2, factor=0.5)}, Plan(4, (1,), medium=medium)),
                 Change("lr_lambda", fn.EveryN(n=2, factor=0.5), fn.ConstantFactor(factor=1.0))),
        medium="dcp" if medium == "dcp" else "",
    ) for target, signature in (("LambdaLR", _diverged(3, 1.0, 0.5)), ("MultiplicativeLR", _diverged(3, 0.5, 0.25)))
      for check, medium in (("mismatch.dcp.lr_lambda", "dcp"),)],
    KnownFailure(
        "ReduceLROnPlateau", "driver.lightning",
        "Lightning steps a monitored (plateau) scheduler in the fit loop's on_advance_end, after ModelCheckpoint "
        "has saved in on_train_batch_end: a checkpoint at step k holds the scheduler before its step-k update, so "
        "the resumed run misses one reduction (interval 'step'). Lightning's fix of the checkpoint order for other "
        "schedulers left plateau schedulers 'saving an older state' (PR #7877, for #7637). With interval 'epoch' "
        "the first epoch-end update after a resume is skipped too (fit_loop updates only when not restarting)",
        link="https://github.com/Lightning-AI/pytorch-lightning/pull/7877", relation="same bug, a documented limitation",
        versions="pytorch-lightning 2.6.6, torch 2.13.0",
        example=(Case(ASGD_1, {"mode": "min", "factor": 0.5, "patience": 0, "threshold": 0.0, "threshold_mode": "rel",
                               "cooldown": 0, "min_lr": 0.0, "eps": 1e-08}, Plan(3, (1,), (1.0, 1.0, 0.94))),
                 {"accumulate_grad_batches": 1, "batches_per_epoch": 1, "frequency": 1, "interval": "step", "stop": 1}),
        signature=_diverged(2, 0.5, 1.0),
    ),
    # --- resume.corpus (checkpoints written by another torch; the stored corpus entry is the example)
    KnownFailure(
        "ReduceLROnPlateau", "resume.corpus",
        "torch 2.4 turned a tensor lr into a Python float when it reduced it; 2.13 keeps a float32 tensor. From "
        "the first reduction on, a run resumed across the upgrade gets a tensor lr where the run under 2.4 had a "
        "float (relative difference ~5e-8). A behaviour change between versions, not a resume bug: the resumed "
        "run equals 2.13's own run",
        link="https://github.com/pytorch/pytorch/issues/196286", relation="the 2.4 behaviour, changed since",
        versions="torch 2.13.0",  # resuming checkpoints written by 2.4.0
        example="corpus/torch-2.4.0:ReduceLROnPlateau/1",  # the stored entry: folder, then entry id
        signature=_diverged(8, 0.040586693195678085, Value(0.0405866913497448, "torch.float32", "cpu")),
    ),
]
