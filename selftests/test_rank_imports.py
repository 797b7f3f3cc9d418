"""A fresh rank imports nothing its fork server did not: each driver's `rank_modules` is complete.

A restarted job imports its libraries at its start, and the fork server imports
them once, before any rank (processes/preload.py). A module a driver's loop
imports on a rank by itself is paid for in every rank of every example:
Accelerate's prepare() imported `datasets` (with pandas and pyarrow), ~0.5 s a
rank, when `rank_modules` did not name it. The rank's loop runs whole here, its
checkpoint written and loaded, through `selftests/rank_imports.py`.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.drivers import CASE, TARGET
from conformance.drivers import BY_NAME
from conformance.drivers.accelerate import on_rank
from conformance.processes.ranks import WORLD, group
from selftests.rank_imports import noting_imports

ACCELERATE = BY_NAME["accelerate"]
OPTIONS = {**ACCELERATE.example_options, "processes": WORLD, "resume_processes": WORLD}


@pytest.mark.skipif(bool(ACCELERATE.missing()), reason=ACCELERATE.missing() or "")
def test_an_accelerate_rank_imports_nothing_the_fork_server_did_not(tmp_path):
    # selftests/conftest.py has each worker's fork server import the drivers' rank_modules, as --driver does.
    checkpoint = tmp_path / "checkpoint"
    imported = {}
    for job, (stop, save_to, load_from) in {"reference": (None, "", ""), "interrupted": (4, str(checkpoint), ""),
                                            "resumed": (None, "", str(checkpoint))}.items():
        out = tmp_path / job
        out.mkdir()
        group().run(TARGET, CASE, run=noting_imports, inner=on_rank, imports_to=str(out), options=OPTIONS,
                    stop=stop, save_to=save_to, load_from=load_from, mistake="")
        for rank in range(WORLD):
            imported[f"{job}, rank {rank}"] = json.loads((out / f"rank{rank}.json").read_text())
    missing = {where: modules for where, modules in imported.items() if modules}
    assert not missing, f"add to the accelerate driver's rank_modules what its ranks imported themselves: {missing}"
