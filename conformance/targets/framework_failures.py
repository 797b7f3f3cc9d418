"""Known failures of the frameworks themselves: a driver resuming any scheduler wrongly in some setup.

Each is scoped to the driver options that reach it (`KnownFailure.options`).
A driver check whose failing example falls in that scope says so in its
message (a note naming the framework's failure and its link), for every
target, a user's included. The built-ins it was found on register it as their
known failure of the driver, each with its own replayable example
(`known_failures.py`).
"""

from __future__ import annotations

from conformance.targets.known import KnownFailure

LIGHTNING_EPOCH_END = KnownFailure(
    "", "driver.lightning",
    "Lightning resumed from a checkpoint written at a train epoch's end (ModelCheckpoint with "
    "save_on_train_epoch_end) under max_steps: the fit loop is always 'restarting' when max_steps is set, and "
    "the resumed run trains the next epoch's first batch as an extra last batch of the finished epoch. An "
    "interval 'epoch' scheduler then steps one optimizer step early, an interval 'step' scheduler with "
    "frequency > 1 counts from a shifted batch index, and every later epoch boundary moves one step earlier. "
    "Open reports of the symptom: lr updated one epoch early after a resume (#20495), an extra step after an "
    "epoch-end resume (#19403), max_steps at an epoch's end (#19617)",
    link="https://github.com/Lightning-AI/pytorch-lightning/issues/20495",
    versions="pytorch-lightning 2.6.6, torch 2.13.0",
    options={"save": "epoch_end"},
)

BY_CHECK = {"driver.lightning": [LIGHTNING_EPOCH_END]}
