"""An inferred config space does not depend on the machine's speed.

Inference probes candidate values of each constructor argument. With a
wall-time budget for a target's probes, a loaded machine refused the later
candidates, and the inferred ranges (so the drawn configs and the verdicts)
came out narrower than on an idle one. The budget is a count of probes.
"""

from __future__ import annotations

import itertools
import types
from unittest import mock

from conformance.targets import inference
from conformance.targets.loading import load


def _inferred(ref: str, perf_counter) -> dict:
    clock = types.SimpleNamespace(perf_counter=perf_counter, monotonic=perf_counter)
    with mock.patch.object(inference, "time", clock, create=True):
        (target,) = load(ref)
    return dict(target.inferred)


def test_the_inferred_ranges_do_not_depend_on_wall_time():
    for ref in ("selftests.inference_targets:Warmup", "selftests.inference_targets:RequiredStepDecay"):
        idle = _inferred(ref, lambda: 0.0)
        ticks = itertools.count(step=5.0)
        loaded = _inferred(ref, lambda: next(ticks))  # 5 s between any two looks at the clock
        assert idle == loaded, ref
        assert any("probed" in how for how in idle.values()), idle  # something was inferred at all
