"""The reproducer's loop against the suite's own: each kind of script agrees with the suite's verdict.

A reproducer copies the harness loop on purpose, so it runs without the suite
(reports/reproducers.py). Here each kind of script the template makes (how it
builds the target, the recipe, the medium, the loop shape) is rendered for one
case whose verdict the suite gives in-process, and run as a script: it must
exit 1 ("reproduced") exactly when the suite's verdict is bad, and 0 when the
suite passes. A change to either loop that the other lacks turns one of them red.

The record rendered is the plain data the report writer gives the template
(`failure.case` as reports/capture.py writes it), built here from the case;
`render` (the function the report writer calls) is the one import from reports/.
Seen failing with the template changed in-process: a canonical resume that skips
the scheduler's load_state_dict (7 kinds red), DCP checkpoints carried as files
(dcp), the checkpoint's scheduler step count off by one (fast_forward).

One kind (FRESH) runs as a user runs it, `python repro.py` in a new interpreter; the others run in this
process (selftests/inprocess_script.py: as `__main__`, exit status and output as a subprocess gives them),
since what they prove is the script's loop, and a new interpreter costs ~2 s of CPU each, almost all of it
`import torch`. Neither way shows that a script stands alone (the subprocess has this checkout on its
PYTHONPATH too): each script's text is checked to import the suite only where the target needs the suite's
own description of it (NEEDS_SUITE); selftests/test_reports.py runs a script with no path to the suite.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable, Optional

import pytest

from conformance.checks.table import BY_ID
from conformance.model.case import Case, Plan
from conformance.model.loop import Loop
from conformance.model.optimizer import SEED, OptimizerSetup
from conformance.model.verdict import FAIL, PASS
from conformance.reports.reproducers import render
from conformance.spec import DEFAULT_ADAPTER
from conformance.targets.builtins import BY_NAME
from conformance.targets.known_failures import KNOWN_FAILURES
from conformance.targets.loading import load
from selftests.inprocess_script import run_script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SGD = OptimizerSetup("SGD", (0.1, 0.05), {"momentum": 0.9})


def _known(target: str, check: str) -> Case:
    """A registered known failure's own example: a case the suite fails by record."""
    return next(k.example for k in KNOWN_FAILURES if (k.target, k.check) == (target, check))


def _loaded(ref: str, name: Optional[str] = None):
    targets = load(ref)
    return next(t for t in targets if name is None or t.name == name)


@dataclass(frozen=True)
class Kind:
    """One kind of reproducer: its target, the check the suite runs, the case, and the suite's verdict on it."""

    id: str
    target: Callable  # () -> TargetSpec
    check: str
    case: Case
    status: str  # the suite's verdict, asserted first: a case that no longer shows it proves nothing
    factory: Optional[str] = None  # build through `from MODULE import NAME` (a library's factory)


KINDS = [
    # How the script builds the target: torch's own, a class by MODULE:ATTR, a library's factory, the suite's record.
    Kind("torch", lambda: BY_NAME["StepLR"], "resume.canonical",
         Case(SGD, {"step_size": 2, "gamma": 0.5}, Plan(6, (7,)), Loop("accumulation", batches=3, accumulate=2)),
         PASS),
    Kind("torch_composite", lambda: BY_NAME["SequentialLR"], "resume.multi",
         Case(SGD, {"schedulers": [("ConstantLR", {"factor": 0.5, "total_iters": 2}),
                                   ("ExponentialLR", {"gamma": 0.9})], "milestones": [3]}, Plan(6, (3, 8)),
              Loop("sched_first", batches=2, sched_first=True)), PASS),
    Kind("module_attr", lambda: _loaded("selftests.controls:StepDecay"), "resume.canonical",
         Case(SGD, {"every": 2, "gamma": 0.5}, Plan(6, (3,), medium="memory")), PASS),
    Kind("module_attr_broken", lambda: _loaded("selftests.bestiary:OffByOneOnLoad"), "resume.canonical",
         Case(SGD, {"every": 2, "gamma": 0.5}, Plan(6, (3,), medium="memory")), FAIL),
    Kind("factory_broken", lambda: _loaded("selftests.bestiary:OffByOneOnLoad"), "resume.canonical",
         Case(SGD, {"every": 2, "gamma": 0.5}, Plan(6, (3,))), FAIL, factory="selftests.bestiary:OffByOneOnLoad"),
    Kind("suite_record", lambda: _loaded("selftests.timm_style:TARGETS", "TimmStepDecay.per_epoch"),
         "resume.canonical", Case(SGD, {"decay_t": 2, "decay_rate": 0.5, "warmup_t": 1}, Plan(6, (3,))), PASS),
    Kind("suite_record_broken", lambda: _loaded("selftests.timm_style:TARGETS", "TimmForgetsValues.per_epoch"),
         "resume.canonical", Case(SGD, {"decay_t": 2, "decay_rate": 0.5, "warmup_t": 1}, Plan(6, (3,))), FAIL),
    # The recipe (the suite's recipe.* checks; fast_forward on SWALR, whose build the script imports apart).
    Kind("last_epoch", lambda: BY_NAME["ExponentialLR"], "recipe.last_epoch",
         Case(SGD, {"gamma": 0.5}, Plan(5, (2,))), PASS),
    Kind("last_epoch_known", lambda: BY_NAME["StepLR"], "recipe.last_epoch",
         _known("StepLR", "recipe.last_epoch"), FAIL),
    Kind("fast_forward", lambda: BY_NAME["SWALR"], "recipe.fast_forward",
         Case(SGD, {"swa_lr": 0.05, "anneal_epochs": 4, "anneal_strategy": "cos"}, Plan(6, (3,), medium="deepcopy")),
         PASS),
    # The medium: torch.distributed.checkpoint in one process.
    Kind("dcp", lambda: BY_NAME["StepLR"], "resume.multi",
         Case(OptimizerSetup("ASGD", (1.0,)), {"step_size": 1, "gamma": 0.5}, Plan(3, (1, 2), medium="dcp")), PASS),
    Kind("dcp_known", lambda: BY_NAME["MultiStepLR"], "resume.multi", _known("MultiStepLR", "resume.multi"), FAIL),
    # The loop shape: a GradScaler with skipped steps, a metric.
    Kind("amp", lambda: BY_NAME["StepLR"], "resume.canonical",
         Case(SGD, {"step_size": 1, "gamma": 0.5}, Plan(4, (2,), skips=frozenset({0, 2})),
              Loop("amp", batches=2, scaler=True)), PASS),
    Kind("metric", lambda: BY_NAME["ReduceLROnPlateau"], "resume.canonical",
         Case(SGD, {"mode": "min", "factor": 0.5, "patience": 0}, Plan(5, (2,), (1.0, 1.0, 0.9, 0.9, 0.9)),
              Loop("metric", batches=2)), PASS),
]


def _record(kind: Kind, target, verdict) -> dict:
    """The report record of `verdict`, as the report writer passes it to the template."""
    case = verdict.case or kind.case
    setup, plan, loop = case.setup, case.plan, case.loop
    module, _, attr = (kind.factory or "").partition(":")
    return {
        "target": target.name, "check": kind.check, "verdict": verdict.status, "message": verdict.message,
        "target_info": {"name": target.name, "source": target.source or "",
                        "metric_driven": target.capabilities.metric_driven,
                        "custom_adapter": target.adapter != DEFAULT_ADAPTER,
                        "factory": {"module": module, "qualname": attr} if kind.factory else None,
                        "refs": [target.source.split(" ")[0]] if target.source != "torch" else []},
        "failure": {"case": {
            "config_py": repr(case.config), "seed": SEED, "sources": {}, "imports": [], "problems": [],
            "setup": {"optimizer": setup.name, "lrs": list(setup.lrs), "kwargs_py": repr(dict(setup.kwargs)),
                      "tensor_lr": setup.tensor_lr, "shape": list(setup.shape)},
            "loop": {"batches": loop.batches, "accumulate": loop.accumulate, "sched_first": loop.sched_first,
                     "scaler": loop.scaler},
            "plan": {"epochs": plan.epochs, "interruptions": list(plan.interruptions),
                     "metrics_py": repr(list(plan.metrics)), "medium": plan.medium, "skips": sorted(plan.skips)},
        }},
    }


FRESH = "dcp_known"  # run by a new interpreter: exits 1 through DCP, its atexit clean-up at a real exit
NEEDS_SUITE = {"suite_record", "suite_record_broken"}  # the scripts that import the suite (its record of the target)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.id)
def test_the_reproducer_agrees_with_the_suite(kind, tmp_path):
    target = kind.target()
    verdict = BY_ID[kind.check].run(target, kind.case, kind.check)
    assert verdict.status == kind.status, f"pick another case: the suite now says {verdict.explain()}"
    text = render(_record(kind, target, verdict))
    imports = re.findall(r"^\s*(?:from|import) (conformance\S*)", text, re.M)
    assert bool(imports) == (kind.id in NEEDS_SUITE), f"the script imports {imports or 'nothing'} from the suite"
    script = tmp_path / "repro.py"
    script.write_text(text)
    env = {**os.environ, "PYTHONPATH": ROOT, "TMPDIR": str(tmp_path)}
    if kind.id == FRESH:
        ran = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    else:
        ran = run_script(script, cwd=ROOT, tmp=tmp_path, env=env)
    want = 0 if verdict.ok else 1
    assert ran.returncode == want, (f"the suite says {verdict.status}, the reproducer exited {ran.returncode}\n"
                                    f"{ran.stdout}{ran.stderr}")
