"""`seeded()` leaves the RNGs a run reads exactly as `torch.manual_seed` and `random.seed` would."""

from __future__ import annotations

import random

import torch

from conformance.model import optimizer
from conformance.model.optimizer import SEED, seeded


def test_seeded_is_torch_manual_seed_for_what_a_run_reads():
    torch.manual_seed(SEED)
    random.seed(SEED)
    want = (torch.get_rng_state(), random.getstate(), torch.rand(3).tolist())
    torch.manual_seed(1)
    random.seed(1)
    seeded()
    assert torch.equal(torch.get_rng_state(), want[0]) and random.getstate() == want[1]
    assert torch.rand(3).tolist() == want[2]


def test_a_torch_without_torch_accelerator_keeps_torch_manual_seed(monkeypatch):
    """torch < 2.6 (the corpus writer's 2.4 among them) has no `torch.accelerator`."""
    calls = []
    monkeypatch.delattr(torch, "accelerator")
    monkeypatch.setattr(torch, "manual_seed", lambda seed: calls.append(seed))
    assert optimizer._accelerator_built()
    seeded()
    assert calls == [SEED]
