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
import queue
import tempfile
import time
from datetime import timedelta

from conformance.harness import timelimit
from conformance.harness.ddp import train
from conformance.harness.errors import SuiteError
from conformance.harness.scratch import scratch_dir
from conformance.model.case import Case
from conformance.processes.fresh import context, job_in_child, reference, unpack, warm
from conformance.spec import TargetSpec

WORLD = 2
GROUP_TIMEOUT = timedelta(seconds=60)  # a collective one rank never joins fails instead of hanging
POLL_SECONDS = 0.5  # how often a wait for the ranks looks for a rank that died


def _rank_main(rank: int, init_file: str, job: tuple, outbox) -> None:
    """A rank: join the group, run the one job, answer, leave."""
    try:
        import torch
        import torch.distributed as dist

        torch.set_num_threads(1)
        dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD,
                                timeout=GROUP_TIMEOUT)
    except BaseException as exc:  # noqa: BLE001 - the suite's own start-up failed on this rank
        outbox.put((rank, ("suite", f"{type(exc).__name__}: {exc}")))
        return
    outbox.put((rank, job_in_child(*job)))
    dist.destroy_process_group()


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

    def _once(self, target: TargetSpec, case: Case, run, kwargs: dict) -> list:
        warm()
        ctx = context()
        init_file = os.path.join(tempfile.mkdtemp(dir=scratch_dir()), "init")
        outbox = ctx.Queue()
        job = (reference(target), target.name, target.capabilities, case, run, kwargs)
        ranks = [ctx.Process(target=_rank_main, args=(r, init_file, job, outbox), daemon=True) for r in range(WORLD)]
        for process in ranks:
            process.start()
        try:
            answers = self._collect(ranks, outbox)
        finally:
            for process in ranks:
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
        return [unpack(target, answers[rank], f"on rank {rank} of {WORLD}") for rank in range(WORLD)]

    @staticmethod
    def _collect(ranks: list, outbox) -> dict:
        answers: dict = {}
        limit = (timelimit.SECONDS or 0) + GROUP_TIMEOUT.total_seconds()
        started = time.monotonic()
        while len(answers) < WORLD:
            try:
                rank, reply = outbox.get(timeout=POLL_SECONDS)
                answers[rank] = reply
                continue
            except queue.Empty:
                pass
            dead = [r for r, p in enumerate(ranks) if r not in answers and not p.is_alive()]
            if dead:
                raise SuiteError(f"rank {dead[0]} of {WORLD}", f"it exited (code {ranks[dead[0]].exitcode}) before "
                                 "it answered")
            if time.monotonic() - started > limit:
                raise timelimit.TargetTimeout(f"the {WORLD} ranks did not finish within {limit:g} s")
        bad = next(((r, a) for r, a in sorted(answers.items()) if a[0] == "suite"), None)
        if bad is not None:
            raise SuiteError(f"rank {bad[0]} of {WORLD}", bad[1][1])
        return answers


def group() -> Group:
    return Group()
