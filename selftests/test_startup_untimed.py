"""Starting the suite's own processes is never the target's time.

The per-example time limit (`--lrc-timeout`) times the target. The fork server, its spare
children and the ranks' processes start before that clock runs, or with it paused: on a slow or
busy machine start-up can take longer than the limit, and a correct target must still pass.
Here every spare takes longer to start than the whole limit, so a start-up counted against the
target is a timeout, without loading the machine.
"""

from __future__ import annotations

import os
import time

import pytest

from conformance.checks.distributed import check_ranks
from conformance.checks.fresh_process import check_fresh_process
from conformance.harness import timelimit
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.processes import fresh, ranks
from conformance.processes.spares import Pool, collect
from conformance.targets.builtins import BY_NAME

CASE = Case(OptimizerSetup("SGD", (0.1,), {"momentum": 0.9}), {"step_size": 2, "gamma": 0.5}, Plan(9, (4,)))


def slow_start(monkeypatch, limit: float) -> Pool:
    """A pool whose first start (the fork server's, the slow one on a busy machine) takes longer than
    the whole per-example `limit`; later spares start as usual."""
    starts = []

    def context():
        if not starts:
            time.sleep(limit + 0.5)
        starts.append(1)
        return fresh.context()

    pool = Pool(context)
    for module in (fresh, ranks):
        monkeypatch.setattr(module, "POOL", pool)
    monkeypatch.setattr(timelimit, "SECONDS", limit)
    return pool


@pytest.fixture
def pools():
    made: list = []
    yield made
    for pool in made:
        pool._settle()
        for spare in pool.spares:
            spare.discard()


def test_spares_started_by_a_launch_are_not_the_jobs_time(monkeypatch, pools):
    pools.append(pool := slow_start(monkeypatch, 2.5))
    with timelimit.limit():
        answers = collect(pool.launch([(os.getpid, ())]), ["the fresh process"], "a job")
    assert answers and isinstance(answers[0], int)


# seconds for the target's part: ~10x what StepLR's 9 steps need in a fresh process, and on 2 ranks
@pytest.mark.parametrize("check, limit", [(check_fresh_process, 2.5), (check_ranks, 5.0)],
                         ids=["fresh_process", "ranks"])
def test_a_start_up_slower_than_the_limit_is_not_a_timeout(monkeypatch, pools, check, limit):
    pools.append(slow_start(monkeypatch, limit))
    verdict = check(BY_NAME["StepLR"], CASE)
    assert verdict.ok, verdict.explain()
