"""A new gloo process group of `WORLD` ranks for every job: `group().run(target, case, run=..., **kwargs)`.

Each job forks `WORLD` ranks from the fork server of `fresh.py` (torch and the
suite's harness imported, never a target), joins them in one gloo group, runs
`run(target, case, **kwargs)` on every rank and tears the group down. So a
resumed world's ranks never ran the part before the checkpoint, as in a real
restarted job. A rank that dies, or can't import something, is a `SuiteError`
naming the rank and its cause, within seconds.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta

from conformance.harness import timelimit
from conformance.harness.ddp import train
from conformance.harness.errors import SuiteError
from conformance.harness.scratch import scratch_dir
from conformance.model.case import Case
from conformance.processes.fresh import POOL, job_in_child, reference, unpack
from conformance.processes.spares import after_answer, collect
from conformance.spec import TargetSpec

WORLD = 2
GROUP_TIMEOUT = timedelta(seconds=60)  # a collective one rank never joins fails instead of hanging


def _rank_main(rank: int, init_file: str, job: tuple) -> tuple:
    """A rank: join the group, run the one job, answer, leave."""
    try:
        import torch
        import torch.distributed as dist

        torch.set_num_threads(1)
        dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD,
                                timeout=GROUP_TIMEOUT)
    except BaseException as exc:  # noqa: BLE001 - the suite's own start-up failed on this rank
        return ("suite", f"{type(exc).__name__}: {exc}")
    after_answer(dist.destroy_process_group)
    return job_in_child(*job)


class Group:
    """Starts a new group of `WORLD` ranks per `run`; nothing outlives a job."""

    def run(self, target: TargetSpec, case: Case, run=train, **kwargs) -> list:
        """Every rank's records of `run(target, case, **kwargs)` (a module-level function: `harness/ddp.py`'s
        loop, or a driver's), in rank order; a rank's error is raised as the target's or the checkpoint's.

        A group that gives no answer in time is started once more, fresh: a stall of the suite's own
        processes (seen once under load on 2 cores) must not become the target's timeout. A second
        stall is the target's (`TargetTimeout`), as a hang in the target would be.
        """
        try:
            return self._once(target, case, run, kwargs)
        except timelimit.TargetTimeout:
            return self._once(target, case, run, kwargs)

    @staticmethod
    def _once(target: TargetSpec, case: Case, run, kwargs: dict) -> list:
        init_file = os.path.join(tempfile.mkdtemp(dir=scratch_dir()), "init")
        job = (reference(target), target.name, target.capabilities, case, run, kwargs)
        ranks = POOL.launch([(_rank_main, (rank, init_file, job)) for rank in range(WORLD)])
        names = [f"rank {rank} of {WORLD}" for rank in range(WORLD)]
        answers = collect(ranks, names, f"the {WORLD} ranks")
        bad = next(((name, a) for name, a in zip(names, answers) if a[0] == "suite"), None)
        if bad is not None:
            raise SuiteError(bad[0], bad[1][1])
        return [unpack(target, answer, f"on {name}") for name, answer in zip(names, answers)]


def group() -> Group:
    return Group()
