"""Boundaries read off a target's own run (`strategies/observed.py`), in-process.

Seen failing: with the dense-schedule branch of `rule_changes` removed, the
cosine test fails (every step is a rule change); without the RNG restore, the
RNG test fails (a run seeds torch and random).
"""

from __future__ import annotations

import math
import random

import torch

from conformance.model.optimizer import OptimizerSetup
from conformance.strategies.observed import observed_boundaries, rule_changes
from conformance.targets.loading import load


def test_a_warmup_then_decay_changes_rule_once():
    warmup = [0.1 * (i + 1) for i in range(4)]  # linear: a constant difference
    decay = [0.4 * 0.5 ** j for j in range(1, 6)]  # geometric: a constant ratio
    assert rule_changes(warmup + decay) == {len(warmup)}


def test_a_constant_or_single_rule_schedule_has_none():
    assert rule_changes([0.1] * 10) == set()
    assert rule_changes([0.1 * 0.9 ** i for i in range(10)]) == set()


def test_a_smooth_schedule_keeps_only_its_turning_points():
    cosine = [0.5 * (1 + math.cos(math.pi * (t % 20) / 20)) for t in range(40)]  # restarts at 20
    assert rule_changes(cosine) == {20, 21}  # the jump up, and the fall after it


def test_a_user_class_gets_its_warmup_end_and_the_draw_leaves_the_rngs_alone():
    (target,) = load("selftests.bestiary:WarmupFlagGlobal")
    random.seed(5)
    torch.manual_seed(5)
    before = random.getstate(), torch.get_rng_state()
    found = observed_boundaries(target, {"every": 16, "gamma": 0.5}, OptimizerSetup("SGD", (0.1,)), 30)
    assert random.getstate() == before[0] and torch.equal(torch.get_rng_state(), before[1])
    assert found and set(found) <= {16, 17}, found  # the warmup's end, as the records count steps
