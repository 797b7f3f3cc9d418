"""Loading third-party targets from `MODULE:ATTR`.

`ATTR` (dotted paths allowed) may name:

- a `TargetSpec`: used as is;
- a scheduler class constructible as `cls(optimizer)`;
- a zero-config factory `f(optimizer) -> scheduler`;
- a list, tuple or dict of any of these (a dict's keys name its classes and
  factories).

A class or factory becomes a `TargetSpec` with an empty config (see
`from_callable` for the capabilities it is given). Anything that cannot be
loaded becomes a `BrokenTarget` whose message names the reference and says
what to fix; the other targets still run.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import sys
import traceback
import warnings
from dataclasses import dataclass
from typing import Any

import torch

from conformance.harness import timelimit
from conformance.spec import Capabilities, OptimizerNeeds, TargetSpec, step_takes_metric

FORMS = ("a scheduler class constructible as cls(optimizer), a factory f(optimizer) -> scheduler, "
         "a TargetSpec, or a list or dict of these")


@dataclass(frozen=True)
class BrokenTarget:
    """A reference that did not load: reported as one failing test with `problem`.

    `skip=True` marks a target that cannot run here for a stated reason (a
    contrib library that is not installed): its test is skipped instead.
    """

    name: str
    problem: str
    skip: bool = False


class LoadError(Exception):
    """A reference that cannot become a target; the message says what to fix."""


def load(ref: str) -> list:
    """The targets `MODULE:ATTR` names, or one `BrokenTarget` explaining why not."""
    try:
        return convert(resolve_attr(ref), ref.rpartition(":")[2].split(".")[-1], ref)
    except LoadError as exc:
        return [BrokenTarget(ref, str(exc))]


def resolve_attr(ref: str) -> Any:
    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise LoadError(f"--target {ref!r}: expected MODULE:ATTR, e.g. mypkg.schedulers:MyScheduler")
    if os.getcwd() not in sys.path:  # like `python -m`: the current directory is importable
        sys.path.insert(0, os.getcwd())
    try:
        obj = importlib.import_module(module_name)
    except BaseException as exc:  # noqa: BLE001 - any failure of the user's module
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise LoadError(
            f"--target {ref!r}: module {module_name!r} could not be imported: "
            f"{type(exc).__name__}: {exc}\n  what to fix: install the package or run pytest from the "
            f"directory that contains it (or add it to PYTHONPATH)"
            + ("" if isinstance(exc, ImportError) else "\n" + _their_traceback(exc))
        ) from None
    for i, part in enumerate(attr.split(".")):
        if not hasattr(obj, part):
            where = ".".join([module_name] + attr.split(".")[:i])
            names = [n for n in dir(obj) if not n.startswith("_")]
            close = difflib.get_close_matches(part, names, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise LoadError(f"--target {ref!r}: {where} has no attribute {part!r}{hint}")
        obj = getattr(obj, part)
    return obj


def convert(obj: Any, name: str, ref: str) -> list:
    """`obj` as a list of targets (`BrokenTarget`s for the members that are not)."""
    if isinstance(obj, (TargetSpec, BrokenTarget)):
        return [obj]
    if isinstance(obj, dict):
        items = list(obj.items())
    elif isinstance(obj, (list, tuple)):
        items = [(None, x) for x in obj]
    else:
        return [from_callable(obj, name, ref)]
    if not items:
        return [BrokenTarget(ref, f"--target {ref!r} is an empty {type(obj).__name__}; it should hold {FORMS}")]
    out = []
    for key, member in items:
        label = f"{ref}[{key!r}]" if key is not None else f"{ref}[{len(out)}]"
        if isinstance(member, (list, tuple, dict)):
            out.append(BrokenTarget(label, f"--target {label}: nested lists and dicts are not supported; "
                                           f"use a flat list or dict of {FORMS}"))
            continue
        member_name = key if isinstance(key, str) else getattr(member, "__name__", None) or label
        try:
            done = isinstance(member, (TargetSpec, BrokenTarget))
            out.append(member if done else from_callable(member, member_name, label))
        except LoadError as exc:
            out.append(BrokenTarget(label, str(exc)))
    return out


def probe_optimizer(momentum: bool) -> torch.optim.Optimizer:
    """Two param groups with distinct lrs; SGD with or without momentum."""
    params = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))]
    groups = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.01}]
    return torch.optim.SGD(groups, momentum=0.9 if momentum else 0.0)


def _probe(fn, momentum: bool):
    with timelimit.limit(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(probe_optimizer(momentum))


def _their_traceback(exc: BaseException) -> str:
    """The traceback of `exc` without this module's frames."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    lines = traceback.format_list(frames) + traceback.format_exception_only(exc)
    return "  the target's traceback:\n" + "".join(lines)


def _takes_last_epoch(fn) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return "last_epoch" in sig.parameters


def from_callable(fn: Any, name: str, ref: str) -> TargetSpec:
    """A class or zero-config factory as a `TargetSpec`, probed once on a tiny optimizer.

    Capabilities, from what the probe and the signatures show:
    - metric-driven when the built scheduler's `step` has a required positional
      argument (`step(metric)`);
    - `last_epoch_resume` only when the class or factory takes `last_epoch`;
    - `fast_forward` (replaying the steps) is assumed, as for any scheduler;
    - it needs momentum when it builds only on an optimizer with momentum;
    - `cycles_momentum` when three probe steps change the momentum.
    A `TargetSpec` states all of these itself instead.
    """
    if not callable(fn):
        raise LoadError(f"--target {ref!r} is {_a(type(fn).__name__)}, not a scheduler: it should be {FORMS}")
    needs_momentum = False
    try:
        scheduler = _probe(fn, momentum=False)
    except Exception as first:  # noqa: BLE001 - retry with momentum, then report
        needs_momentum = True
        try:
            if isinstance(first, timelimit.TargetTimeout):
                raise first
            scheduler = _probe(fn, momentum=True)
        except Exception as exc:  # noqa: BLE001 - the target's own error
            raise LoadError(
                f"--target {ref!r}: calling {name}(optimizer) raised {type(exc).__name__}: {exc}\n"
                f"  what to fix: make it constructible from the optimizer alone, or point --target at "
                f"a TargetSpec that builds it from a config strategy (see conformance/spec.py)\n"
                + _their_traceback(exc)
            ) from None
    if isinstance(scheduler, torch.optim.Optimizer) or not callable(getattr(scheduler, "step", None)):
        raise LoadError(
            f"--target {ref!r}: {name}(optimizer) returned {_a(type(scheduler).__name__)}, which has no "
            f"step() method, so it is not a scheduler\n  what to fix: point --target at {FORMS}; for a "
            f"non-standard stepping API, use a TargetSpec with an adapter from conformance/adapters.py"
        )
    return TargetSpec(
        name=name,
        build=_builder(fn),
        capabilities=Capabilities(
            metric_driven=step_takes_metric(scheduler),
            last_epoch_resume=_takes_last_epoch(fn),
            cycles_momentum=_cycles_momentum(fn, needs_momentum),
        ),
        needs=(lambda config: OptimizerNeeds(momentum=True)) if needs_momentum else (lambda config: OptimizerNeeds()),
        source=ref,
    )


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _builder(fn):
    def build(optimizer, config):
        return fn(optimizer, **config)

    return build


def _cycles_momentum(fn, momentum_needed: bool) -> bool:
    """True when three probe steps (with metric 1.0 if needed) change the momentum."""
    try:
        opt = probe_optimizer(momentum=True)
        with timelimit.limit(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scheduler = fn(opt)
            before = [g["momentum"] for g in opt.param_groups]
            for _ in range(3):
                scheduler.step(1.0) if step_takes_metric(scheduler) else scheduler.step()
        return momentum_needed or [g["momentum"] for g in opt.param_groups] != before
    except Exception:  # noqa: BLE001 - a step that fails here fails in the checks too
        return momentum_needed
