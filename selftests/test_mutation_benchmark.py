"""benchmarks/mutation.py's mutants still fit the installed torch, and a mutant reaches fresh interpreters.

No full runs here: `python -m benchmarks.mutation` is the measurement.
"""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parent.parent / "benchmarks" / "mutation_site"
sys.path.insert(0, str(SITE))
from mutants import MUTANTS  # noqa: E402

sys.path.remove(str(SITE))


def test_at_least_30_mutants_over_all_16_builtins():
    from conformance.targets.builtins import BY_NAME

    assert len(MUTANTS) >= 30
    assert {t for m in MUTANTS.values() for t in m.targets} == set(BY_NAME)


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_snippet_applies_exactly_once(name):
    m = MUTANTS[name]
    owner_name, func_name = m.qualname.split(".")
    source = inspect.getsource(getattr(importlib.import_module(m.module), owner_name).__dict__[func_name])
    assert source.count(m.snippet) == 1, f"{name}: {m.snippet!r} found {source.count(m.snippet)} times in {m.qualname}"
    assert m.snippet != m.replacement


CHILD = """
import multiprocessing as mp, torch
def lr(q=None):
    o = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    v = torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.5).get_last_lr()[0]
    return q.put(v) if q else v
if __name__ == "__main__":
    ctx = mp.get_context("forkserver"); ctx.set_forkserver_preload(["torch"])
    q = ctx.Queue(); p = ctx.Process(target=lr, args=(q,)); p.start(); print(lr(), q.get()); p.join()
"""


def test_a_mutant_reaches_the_forkserver_child(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=str(SITE), LRC_MUTANT="exponential_decays_at_construction")
    mutated = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert mutated.stdout.split() == ["0.5", "0.5"], mutated.stderr
    # The control: unmutated torch (this process's) gives 1.0, so both 0.5s are the mutant's.
    namespace = {"__name__": "control"}  # not "__main__": exec only defines lr(), nothing is started
    exec(CHILD, namespace)
    assert namespace["lr"]() == 1.0
