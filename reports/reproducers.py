"""Reproducer scripts: one standalone Python file per failure, a copy of the harness loop.

A script needs only torch (and a third-party target's package): it rebuilds the shrunk config, runs the
uninterrupted and the interrupted-and-resumed run (torch.save / torch.load(weights_only=True), or for medium
`dcp` torch.distributed.checkpoint in one process, with the check's recipe), prints the first divergence and
exits 1 when the failure reproduces, 0 when not, 2 when the script itself could not run. Callables the config
uses are inlined as source, so the script does not import the suite.
"""

from __future__ import annotations

import re
import textwrap
from typing import Optional

from conformance.spec import split_source

RECIPES = {"recipe.last_epoch": "last_epoch", "recipe.fast_forward": "fast_forward"}


def file_name(record: dict) -> str:
    stem = f"repro_{record.get('target') or 'unknown'}_{record.get('check') or 'test'}"
    return re.sub(r"[^A-Za-z0-9_]+", "_", stem).strip("_") + ".py"


SUITE_MODE = (
    "# This target needs the suite's own description of it (a custom adapter or\n"
    "# builder): the suite and the target's package must be importable; run the\n"
    "# script from the suite's checkout (or put it on PYTHONPATH).\n"
    "sys.path.insert(0, os.getcwd())\n"
    "from conformance.targets.selection import select\n"
    "_TARGETS, _BROKEN = select(REFS)\n"
    "SPEC = next((t for t in _TARGETS if t.name == TARGET), None)\n"
    "if SPEC is None:\n"
    "    print(f'COULD NOT RUN: target {TARGET!r} did not load from {REFS}: {_BROKEN}')\n"
    "    sys.exit(2)\n"
    "ADAPTER = SPEC.adapter"
)


def _build_code(target: dict) -> tuple[str, str, str]:
    """(imports and setup, body of build_scheduler, what the script needs) for the target."""
    name, source = target.get("name", ""), target.get("source", "")
    factory = target.get("factory")
    if source == "torch" and not target.get("custom_adapter"):
        torch_only, lr_scheduler = "only torch", "from torch.optim import lr_scheduler"
        if name == "SWALR":
            return "from torch.optim.swa_utils import SWALR", "return SWALR(optimizer, **config)", torch_only
        if name not in ("SequentialLR", "ChainedScheduler"):
            return lr_scheduler, f"return lr_scheduler.{name}(optimizer, **config)", torch_only
        children = ("children = [getattr(lr_scheduler, child)(optimizer, **cfg) "
                    "for child, cfg in config[\"schedulers\"]]\n")
        return lr_scheduler, children + (
            "extra = {k: v for k, v in config.items() if k == \"last_epoch\"}\n"
            "return lr_scheduler.SequentialLR(optimizer, children, config[\"milestones\"], **extra)"
            if name == "SequentialLR" else "return lr_scheduler.ChainedScheduler(children, optimizer)"), torch_only
    module, attr, _ = split_source(source)
    if target.get("custom_adapter") or (not factory and not module):
        return SUITE_MODE, "return SPEC.build(optimizer, config)", \
            f"torch, this suite and the target's package ({target.get('source')})"
    needs = f"only torch and the target's package ({target.get('source')})"
    if factory:
        qualname = factory["qualname"]
        return (f"from {factory['module']} import {qualname.split('.')[0]}",
                f"return {qualname}(optimizer, **config)", needs)
    return (
        f"import importlib\nTARGET_OBJECT = importlib.import_module({module!r})\n"
        f"for _part in {attr!r}.split('.'):\n    TARGET_OBJECT = getattr(TARGET_OBJECT, _part)",
        "obj = TARGET_OBJECT\n"
        "if isinstance(obj, dict):  # a dict or list of targets: the one this failure is about\n"
        "    obj = obj[TARGET] if TARGET in obj else list(obj.values())\n"
        "if isinstance(obj, (list, tuple)):\n"
        "    obj = next(o for o in obj if getattr(o, \"name\", getattr(o, \"__name__\", None)) == TARGET)\n"
        "if hasattr(obj, \"build\") and not isinstance(obj, type):  # a TargetSpec record\n"
        "    return obj.build(optimizer, config)\n"
        "return obj(optimizer, **config)", needs,
    )


def render(record: dict, suite_version: str = "", generated: str = "") -> Optional[str]:
    """The reproducer for a failing record, or None when it carries no case, or when its check judges the
    schedule against a model (`reference.*`): two runs of the script would agree, so it can't show that."""
    if (record.get("check") or "").startswith("reference."):
        return None
    failure = record.get("failure") or {}
    case = failure.get("case")
    if not case or "config_py" not in case:
        return None
    target = record.get("target_info") or {"name": record.get("target"), "source": ""}
    check = record.get("check") or ""
    imports, build, needs = _build_code(target)
    setup, plan, loop = case["setup"], case["plan"], case["loop"]
    message = record.get("message") or failure.get("message") or ""
    expected = (failure.get("divergence") or {}).get("describe") or (message.splitlines() or ["?"])[0]
    doc = textwrap.dedent(f"""\
        Reproducer: target {target.get('name')}, check {check} ({record.get('verdict')}).

        Generated by lr-resume-conformance {suite_version} {generated}.
        The suite reported: {expected}

        Run:  python {file_name(record)}
        Needs {needs}.
        Exits 1 when the failure reproduces, 0 when the two trajectories agree,
        2 when the script itself could not run (never a reproduction).
        """)
    constants = [  # the script's constants: name, value, comment
        ("TARGET", repr(target.get("name")), ""), ("CHECK", repr(check), ""),
        ("RECIPE", repr(RECIPES.get(check, "canonical")), "how fresh objects are rebuilt at each interruption"),
        ("SEED", repr(case.get("seed", 20261125)), ""), ("OPTIMIZER", repr(setup["optimizer"]), ""),
        ("LRS", repr([_float(v) for v in setup["lrs"]]), "one param group per lr"),
        ("OPTIMIZER_KWARGS", setup.get("kwargs_py", "{}"), ""), ("TENSOR_LR", repr(bool(setup.get("tensor_lr"))), ""),
        ("SHAPE", repr(tuple(setup.get("shape", (2, 2)))), ""), ("CONFIG", case["config_py"], ""),
        ("EPOCHS", repr(plan["epochs"]), "scheduler steps"),
        ("INTERRUPTIONS", repr(list(plan["interruptions"])),
         "loop iterations before which the run is checkpointed and resumed"),
        ("METRICS", plan.get("metrics_py", "[]"), ""), ("METRIC_DRIVEN", repr(bool(target.get("metric_driven"))), ""),
        ("MEDIUM", repr(plan.get("medium", "file")), ""),
        ("SKIPS", repr(set(plan.get("skips", []))), "optimizer steps whose gradients are infinite (GradScaler loops)"),
        ("BATCHES", repr(loop.get("batches", 1)), "optimizer steps per scheduler step"),
        ("ACCUMULATE", repr(loop.get("accumulate", 1)), "micro-batches per optimizer step"),
        ("SCHED_FIRST", repr(bool(loop.get("sched_first"))), "scheduler.step() before optimizer.step()"),
        ("SCALER", repr(bool(loop.get("scaler"))), "AMP GradScaler on CPU"), ("REPORTED", repr(expected), ""),
        ("REFS", repr(list(target.get("refs") or [])),
         "the run's --target references (used only when the suite describes the target)"),
    ]
    subs = {
        "DOC": doc.replace('"""', "'''"),
        "IMPORTS": imports,
        "CALLABLE_IMPORTS": "\n".join(case.get("imports", [])),
        "SOURCES": "\n\n".join(s.rstrip() for s in case.get("sources", {}).values())
        or "# (the config uses no callables)",
        "PROBLEMS": "".join(f"# WARNING: {p}\n" for p in case.get("problems", [])),
        "CONSTANTS": "".join(f"{name} = {value}" + (f"  # {why}" if why else "") + "\n"
                             for name, value, why in constants),
        "BUILD": textwrap.indent(build, "    "),
    }
    text = TEMPLATE
    for key, value in subs.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def _float(v):
    if isinstance(v, dict) and "tensor" in v:
        v = v["tensor"]
    return float(v) if isinstance(v, str) else v


TEMPLATE = '''#!/usr/bin/env python3
r"""{{DOC}}"""

import copy
import io
import math
import os
import atexit
import logging
import random
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass

import torch


def _could_not_run(kind, exc, tb):
    """An error outside the resumed run is the script's, not a reproduction: exit 2, never 1."""
    sys.__excepthook__(kind, exc, tb)
    print("COULD NOT RUN: the error above is outside the resumed run; this is not a reproduction (exit 2)")
    sys.stdout.flush()
    os._exit(2)


sys.excepthook = _could_not_run
{{CALLABLE_IMPORTS}}

# --- callables used by the config, inlined from the suite ---------------------
{{SOURCES}}

# --- the shrunk failing case ----------------------------------------------------
{{PROBLEMS}}{{CONSTANTS}}ADAPTER = None  # the suite's stepping adapter, for targets that need one

if MEDIUM == "dcp":  # torch.distributed.checkpoint, in this one process (no process group)
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions, get_optimizer_state_dict, set_optimizer_state_dict)
    DCP_OPTIONS = StateDictOptions(flatten_optimizer_state_dict=False)
    logging.getLogger("c10d-NullHandler-dcp_logger").disabled = True  # DCP logs every call


{{IMPORTS}}


def build_scheduler(optimizer, config):
{{BUILD}}


# --- the training loop ------------------------------------------------------------


def make_params():
    gen = torch.Generator().manual_seed(SEED)
    return [torch.nn.Parameter(torch.randn(SHAPE, generator=gen)) for _ in LRS]


def make_optimizer(params):
    groups = [{"params": [p], "lr": torch.tensor(lr) if TENSOR_LR else lr} for p, lr in zip(params, LRS)]
    return getattr(torch.optim, OPTIMIZER)(groups, **OPTIMIZER_KWARGS)


def iterations():
    opt = ("micro",) * (ACCUMULATE - 1) + ("opt",)
    its = []
    for _ in range(EPOCHS):
        for b in range(BATCHES):
            if b < BATCHES - 1:
                its.append(opt)
            elif SCHED_FIRST:
                its.append(("sched",) + opt)
            else:
                its.append(opt + ("sched",))
    return its


def freeze(x):
    if isinstance(x, torch.Tensor):
        return ("tensor", x.item(), str(x.dtype), str(x.device))
    if isinstance(x, (list, tuple)):
        return tuple(freeze(v) for v in x)
    return x


def show(x):
    if isinstance(x, tuple) and len(x) == 4 and x[0] == "tensor":
        return f"tensor({x[1]!r}, dtype={x[2]})"
    return repr(x)


def same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return all(same(x, y) for x, y in zip(a, b))
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return False
    return a == b


def momentum_of(group):
    if "betas" in group:
        return group["betas"][0]
    return group.get("momentum")


class GetLastLrRaised(Exception):
    """The scheduler's get_last_lr(), read before each optimizer.step() as a loop that logs the lr does, raised."""


def last_lr(scheduler):
    try:
        if ADAPTER is not None:
            return ADAPTER.last_lr(scheduler)
        getter = getattr(scheduler, "get_last_lr", None)
        return None if getter is None else getter()
    except Exception as exc:  # noqa: BLE001 - named as the call that raised, not the optimizer.step() around it
        raise GetLastLrRaised(f"get_last_lr() raised {type(exc).__name__}: {exc}") from exc


def step(scheduler, metric):
    if ADAPTER is not None:
        return ADAPTER.step(scheduler, metric)
    if metric is None:
        scheduler.step()
    else:
        scheduler.step(metric)


def state_dict(scheduler):
    return ADAPTER.state_dict(scheduler) if ADAPTER is not None else scheduler.state_dict()


def load_state_dict(scheduler, state):
    if ADAPTER is not None:
        return ADAPTER.load_state_dict(scheduler, state)
    return scheduler.load_state_dict(state)


class LiveObjects:
    def __init__(self, checkpoint=None):
        self.params = make_params()
        if checkpoint is not None:
            with torch.no_grad():
                for p, saved in zip(self.params, checkpoint["model"]):
                    p.copy_(saved)
        self.scaler = torch.amp.GradScaler("cpu", init_scale=2.0**8) if SCALER else None
        if self.scaler is not None and checkpoint is not None:
            self.scaler.load_state_dict(checkpoint["scaler"])
        self.optimizer = make_optimizer(self.params)
        self.scheduler = None


def resume(checkpoint):
    """Fresh objects from the checkpoint, with the recipe RECIPE."""
    s = LiveObjects(checkpoint)
    k = checkpoint["sched_steps"]
    if RECIPE == "last_epoch":
        restore_optimizer(s, checkpoint)
        s.scheduler = build_scheduler(s.optimizer, {**CONFIG, "last_epoch": k - 1})
    elif RECIPE == "fast_forward":
        s.scheduler = build_scheduler(s.optimizer, CONFIG)
        for i in range(k):
            step(s.scheduler, METRICS[i] if METRIC_DRIVEN else None)
    else:  # canonical: construct as originally, load optimizer state, then scheduler state
        s.scheduler = build_scheduler(s.optimizer, CONFIG)
        restore_optimizer(s, checkpoint)
        restore_scheduler(s, checkpoint)
    return s


def as_module(params):
    """A module holding the params: DCP names optimizer state by parameter name."""
    module = torch.nn.Module()
    for i, p in enumerate(params):
        module.register_parameter(f"p{i}", p)
    return module


def save_dcp(checkpoint, session):
    """dcp.save of plain state dicts (the optimizer's by get_optimizer_state_dict); the params
    and the loop position come back through dcp.load, the rest loads into the fresh objects."""
    path = tempfile.mkdtemp(prefix="dcp-")
    atexit.register(shutil.rmtree, path, True)
    position = {k: v for k, v in checkpoint.items() if k not in ("model", "optimizer", "scheduler")}
    state = {"model": {f"p{i}": p for i, p in enumerate(checkpoint["model"])},
             "optimizer": get_optimizer_state_dict(as_module(session.params), session.optimizer, options=DCP_OPTIONS),
             "lr_scheduler": checkpoint["scheduler"], "train_state": position}
    dcp.save(state, storage_writer=dcp.FileSystemWriter(path))
    loaded = {"model": {f"p{i}": torch.zeros_like(p) for i, p in enumerate(checkpoint["model"])},
              "train_state": copy.deepcopy(position)}
    dcp.load(loaded, checkpoint_id=path)
    return {**loaded["train_state"], "model": [loaded["model"][f"p{i}"] for i in range(len(checkpoint["model"]))],
            "dcp_path": path}


def restore_optimizer(s, checkpoint):
    if MEDIUM != "dcp":
        return s.optimizer.load_state_dict(checkpoint["optimizer"])
    module = as_module(s.params)  # DCP loads into the fresh optimizer's own layout
    state = {"optimizer": get_optimizer_state_dict(module, s.optimizer, options=DCP_OPTIONS)}
    dcp.load(state, checkpoint_id=checkpoint["dcp_path"])
    set_optimizer_state_dict(module, s.optimizer, state["optimizer"], options=DCP_OPTIONS)


def restore_scheduler(s, checkpoint):
    if MEDIUM != "dcp":
        return load_state_dict(s.scheduler, checkpoint["scheduler"])
    state = {"lr_scheduler": state_dict(s.scheduler)}  # the fresh scheduler's own state dict, filled by DCP
    dcp.load(state, checkpoint_id=checkpoint["dcp_path"])
    load_state_dict(s.scheduler, state["lr_scheduler"])


def describe_error(exc):
    failures = getattr(exc, "failures", None)
    if isinstance(failures, dict) and failures:  # DCP's CheckpointException: each rank's error and traceback
        cause = next(iter(failures.values()))
        cause = cause[0] if isinstance(cause, tuple) else cause
        return f"{type(exc).__name__} ({type(cause).__name__}: {str(cause).splitlines()[0]})"
    return f"{type(exc).__name__}: {exc}"


def carry(checkpoint, session):
    """The checkpoint's trip through MEDIUM, as a training script would make it."""
    if MEDIUM == "dcp":
        return save_dcp(checkpoint, session)
    if MEDIUM == "deepcopy":
        return copy.deepcopy(checkpoint)
    if MEDIUM == "memory":
        buffer = io.BytesIO()
        torch.save(checkpoint, buffer)
        buffer.seek(0)
        return torch.load(buffer, weights_only=True)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "checkpoint.pt")
        torch.save(checkpoint, path)
        return torch.load(path, weights_only=True)


def run(interrupt):
    """One record per optimizer.step(): per group (lr, momentum, last_lr)."""
    torch.manual_seed(SEED)
    random.seed(SEED)
    records = []
    s = LiveObjects()
    s.scheduler = build_scheduler(s.optimizer, CONFIG)
    handle = None

    def attach(session):
        def hook(optimizer, args, kwargs):
            last = last_lr(session.scheduler)
            records.append(tuple(
                (freeze(g["lr"]), freeze(momentum_of(g)),
                 None if last is None else freeze(last[i] if i < len(last) else "<missing>"))
                for i, g in enumerate(optimizer.param_groups)))
        return session.optimizer.register_step_pre_hook(hook)

    handle = attach(s)
    opt_steps = sched_steps = 0
    stops = set(INTERRUPTIONS) if interrupt else set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, iteration in enumerate(iterations()):
            if i in stops:
                ckpt = {
                    "model": [p.detach().clone() for p in s.params],
                    "optimizer": s.optimizer.state_dict(),
                    "scheduler": state_dict(s.scheduler),
                    "iteration": i, "sched_steps": sched_steps, "opt_steps": opt_steps,
                }
                if s.scaler is not None:
                    ckpt["scaler"] = s.scaler.state_dict()
                ckpt = carry(ckpt, s)
                handle.remove()
                s = resume(ckpt)
                handle = attach(s)
            for action in iteration:
                if action == "sched":
                    step(s.scheduler, METRICS[sched_steps] if METRIC_DRIVEN else None)
                    sched_steps += 1
                    continue
                target = 1.0 + (opt_steps % 7) / 7.0
                scale = s.scaler.scale(torch.ones(())).item() if s.scaler is not None else 1.0
                for p in s.params:
                    grad = (p.detach() - target) * (2.0 * scale)
                    if opt_steps in SKIPS:
                        grad = torch.full_like(grad, float("inf"))
                    p.grad = grad if p.grad is None else p.grad.add_(grad)
                if action == "opt":
                    if s.scaler is None:
                        s.optimizer.step()
                    else:
                        s.scaler.step(s.optimizer)
                        s.scaler.update()
                    s.optimizer.zero_grad(set_to_none=True)
                    opt_steps += 1
    handle.remove()
    return records


def first_divergence(expected, actual):
    fields = ("lr", "momentum", "last_lr")
    for n, (re_, ra) in enumerate(zip(expected, actual)):
        if len(re_) != len(ra):
            return n, None, "param groups", len(re_), len(ra)
        for g, (ge, ga) in enumerate(zip(re_, ra)):
            for name, e, a in zip(fields, ge, ga):
                if not same(e, a):
                    return n, g, name, e, a
    if len(expected) != len(actual):
        return min(len(expected), len(actual)), None, "optimizer steps taken", len(expected), len(actual)
    return None


def main():
    print(f"target {TARGET}, check {CHECK}, recipe {RECIPE}, medium {MEDIUM}")
    print(f"config {CONFIG!r}")
    print(f"{OPTIMIZER} lrs={LRS} {OPTIMIZER_KWARGS}; {EPOCHS} scheduler steps, "
          f"interrupted at iterations {INTERRUPTIONS}")
    print(f"the suite reported: {REPORTED}")
    expected = run(interrupt=False)
    again = run(interrupt=False)
    div = first_divergence(expected, again)
    if div is not None:
        step_, group, field, e, a = div
        print(f"REPRODUCED (nondeterministic): two uninterrupted runs differ at optimizer step "
              f"{step_}, group {group}, {field}: {show(e)} vs {show(a)}")
        return 1
    try:
        actual = run(interrupt=True)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - the resume failing is the failure (DCP's errors are BaseExceptions)
        print(f"REPRODUCED: the interrupted run raised {describe_error(exc)}")
        return 1
    div = first_divergence(expected, actual)
    if div is None:
        print(f"not reproduced: the resumed run equals the uninterrupted one "
              f"({len(expected)} optimizer steps)")
        if not CHECK.startswith(("resume.", "recipe.", "determinism", "serialization.weights_only")):
            print(f"NOTE: {CHECK} uses its own procedure (e.g. a delayed save, a second load, a changed "
                  f"constructor argument), which this script does not replay; replay it in the suite")
        return 0
    step_, group, field, e, a = div
    where = f"optimizer step {step_}" + ("" if group is None else f", param group {group}")
    print(f"REPRODUCED: first divergence at {where}, field {field!r}: "
          f"expected {show(e)}, got {show(a)}")
    for n in range(max(0, step_ - 2), min(len(expected), step_ + 3)):
        got = actual[n] if n < len(actual) else "<missing>"
        print(f"  step {n:4d}  uninterrupted {expected[n]}\\n             resumed       {got}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
'''
