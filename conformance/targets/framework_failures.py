"""Known failures of the frameworks themselves: a driver resuming any scheduler wrongly in some setup.

Each is scoped to the driver options that reach it (`KnownFailure.options`)
and is the framework's, not a target's: for every target (a user's
included) a failure inside that scope and of its kind counts as the
framework's, and the target is judged on the examples outside it
(`checks/frameworks.py`). A failure of another kind inside the scope stays
red. Each record is reported once, as the framework's xfail, by replaying its
example on the correct built-in it names (`target`):
`conformance/tests/test_frameworks.py`.
"""

from __future__ import annotations

from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.model.trajectory import FIELDS
from conformance.model.verdict import FAIL, Signature
from conformance.targets.known import KnownFailure

# One optimizer step per epoch, a checkpoint at the end of epoch 1, an interval "step" scheduler stepped every 2nd step.
EVERY_2ND = {"interval": "step", "frequency": 2, "accumulate_grad_batches": 1, "save": "epoch_end",
             "batches_per_epoch": 1, "stop": 1}

LIGHTNING_EPOCH_END = KnownFailure(
    "ExponentialLR", "driver.lightning",  # the target is the correct scheduler its example runs
    "Lightning resumed from a checkpoint written at a train epoch's end (ModelCheckpoint with "
    "save_on_train_epoch_end) under max_steps: the fit loop is always 'restarting' when max_steps is set, and "
    "the resumed run trains the next epoch's first batch as an extra last batch of the finished epoch. An "
    "interval 'epoch' scheduler then steps one optimizer step early, an interval 'step' scheduler with "
    "frequency > 1 counts from a shifted batch index, and every later epoch boundary moves one step earlier. "
    "Related reports of the symptom under max_epochs, which resumes exactly here: lr updated one epoch early after "
    "a resume (#20495), an extra step after an epoch-end resume (#19403)",
    link="https://github.com/Lightning-AI/pytorch-lightning/issues/19617",
    relation="likely the same bug (max_steps at an epoch's end), unconfirmed",
    versions="pytorch-lightning 2.6.6, torch 2.13.0",
    options={"save": "epoch_end"},
    # A scheduler stepped every optimizer step sees the same schedule despite the extra batch.
    when=lambda case, options: options.get("interval") == "epoch" or options.get("frequency", 1) > 1,
    when_doc="an interval 'epoch' scheduler, or an interval 'step' one with frequency > 1",
    example=(Case(OptimizerSetup("ASGD", (1.0,)), {"gamma": 0.9375}, Plan(3, (1,))), EVERY_2ND),
    signature=Signature(FAIL, field="lr", step=2, group=0, expected=1.0, actual=0.9375),
    fields=FIELDS,  # the whole schedule moves: any of lr, momentum and the reported lr can diverge first
)

BY_CHECK = {"driver.lightning": [LIGHTNING_EPOCH_END]}
