"""A check's examples do not depend on the machine's speed.

Hypothesis, by default, keeps generating after the first failure to look for
other bugs, and stops 10 s of wall time after that first failure
(`report_multiple_bugs`). On a loaded machine a failing check then ran fewer
examples than on an idle one: the shard self-test saw 27 examples against 28
for the same test. The suite's settings stop at the first failure instead.
"""

from __future__ import annotations

import itertools
import time
import types
from unittest import mock

from hypothesis import given, settings, strategies as st
from hypothesis.internal.conjecture import engine

from conformance.checks.budget import check_settings


def _calls(monotonic) -> list:
    """The examples one failing test under the suite's settings ran, with `monotonic` as Hypothesis's clock."""
    calls: list = []

    @settings(check_settings(1.0), max_examples=40, derandomize=True, database=None)
    @given(st.integers(0, 1000))
    def fails_from_100(n):
        calls.append(n)
        assert n < 100

    clock = types.SimpleNamespace(monotonic=monotonic, perf_counter=time.perf_counter)
    with mock.patch.object(engine, "time", clock):
        try:
            fails_from_100()
        except AssertionError:
            pass
        else:
            raise AssertionError("the test never failed: nothing was measured")
    return calls


def test_a_failing_checks_examples_do_not_depend_on_wall_time():
    stopped_clock = _calls(lambda: 0.0)  # an idle machine: no time passes
    ticks = itertools.count(step=30.0)
    slow_clock = _calls(lambda: next(ticks))  # a loaded one: 30 s between any two looks at the clock
    assert stopped_clock == slow_clock
