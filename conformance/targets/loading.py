"""Loading third-party targets from `MODULE:ATTR`.

`ATTR` (dotted paths allowed) may name:

- a `TargetSpec`: used as is;
- a scheduler class (a torch built-in is its own record in `builtins.py`);
- a factory `f(optimizer, ...) -> scheduler`;
- a list, tuple or dict of any of these (a dict's keys name its classes and
  factories).

A class or factory becomes a `TargetSpec` whose configs are inferred from its
signature (`inference.py`; see `from_callable` for the capabilities it is given). Anything that cannot be
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
import types
import warnings
from dataclasses import dataclass, replace
from typing import Any, Optional

import torch
from torch.optim import lr_scheduler, swa_utils

from conformance.harness import timelimit
from conformance.spec import Capabilities, OptimizerNeeds, PartialSpec, TargetSpec
from conformance.targets import driving, inference
from conformance.targets.builtins import BY_NAME

FORMS = ("a scheduler class, a factory f(optimizer, ...) -> scheduler, "
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


def quiet(ref: str, name: str, capabilities: Capabilities) -> Optional[TargetSpec]:
    """The target `name` that `ref` names, found in another interpreter without running any of it.

    `load` probes a class or factory to infer its configs, which runs it; a
    fresh process must not have run the target before it resumes. A
    `TargetSpec` (or a built-in) comes as it is; a class or factory is built as
    `load` builds it, with the `capabilities` the loading process found. None
    when `ref` holds no such target.
    """
    obj = resolve_attr(ref)
    members = list(obj.items()) if isinstance(obj, dict) else (
        [(None, m) for m in obj] if isinstance(obj, (list, tuple)) else [(None, obj)])
    for key, member in members:
        if isinstance(member, TargetSpec):
            if member.name == name:
                return member
            continue
        given = dict(member.fields) if isinstance(member, PartialSpec) else {}
        fn = member.build if isinstance(member, PartialSpec) else member
        builtin = _builtin(fn) if callable(fn) and not given else None
        if builtin is not None and builtin.name == name:
            return builtin
        attr = ref.rpartition(":")[2].split(".")[-1]
        names = (given.get("name"),) if "name" in given else (key, getattr(fn, "__name__", None), attr)
        if name in names and callable(fn):
            given.pop("name", None)
            spec = TargetSpec(name=name, build=_builder(fn), capabilities=capabilities, source=ref,
                              adapter=driving.adapter_for(capabilities))
            return replace(spec, **given)
    return None


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
    if isinstance(obj, PartialSpec):
        try:
            return [from_callable(obj.build, getattr(obj.build, "__name__", name), ref, obj.fields)]
        except LoadError as exc:
            return [BrokenTarget(ref, str(exc))]
    if isinstance(obj, dict):
        items = list(obj.items())
    elif isinstance(obj, (list, tuple)):
        items = [(None, x) for x in obj]
    else:
        try:
            return [from_callable(obj, name, ref)]
        except LoadError as exc:
            return [BrokenTarget(ref, str(exc))]
    if not items:
        return [BrokenTarget(ref, f"--target {ref!r} is an empty {type(obj).__name__}; it should hold {FORMS}")]
    out = []
    for key, member in items:
        label = f"{ref}[{key!r}]" if key is not None else f"{ref}[{len(out)}]"
        if isinstance(member, (list, tuple, dict)):
            out.append(BrokenTarget(label, f"--target {label}: nested lists and dicts are not supported; "
                                           f"use a flat list or dict of {FORMS}"))
            continue
        fn, given = (member.build, member.fields) if isinstance(member, PartialSpec) else (member, None)
        member_name = key if isinstance(key, str) else getattr(fn, "__name__", None) or label
        try:
            done = isinstance(member, (TargetSpec, BrokenTarget))
            out.append(member if done else from_callable(fn, member_name, label, given))
        except LoadError as exc:
            out.append(BrokenTarget(label, str(exc)))
    return out


def probe_optimizer(momentum: bool) -> torch.optim.Optimizer:
    """Two param groups with distinct lrs; SGD with or without momentum."""
    params = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))]
    groups = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.01}]
    return torch.optim.SGD(groups, momentum=0.9 if momentum else 0.0)


def _probe(fn, momentum: bool, config: dict):
    with timelimit.limit(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(probe_optimizer(momentum), **config)


def _their_traceback(exc: BaseException) -> str:
    """The traceback of `exc` without this module's frames."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    lines = traceback.format_list(frames) + traceback.format_exception_only(exc)
    return "  the target's traceback:\n" + "".join(lines)


def from_callable(fn: Any, name: str, ref: str, given: Optional[dict] = None) -> TargetSpec:
    """A class or factory as a `TargetSpec`, its configs inferred from its signature.

    A torch built-in class named by path is the built-in's own record. For the
    others, `conformance/targets/inference.py` finds values for the required
    arguments and ranges for the numeric, bool and choice ones by probing on a
    tiny optimizer; `inference.inferred(target)` says what it found.
    Capabilities, from what the probe and the signatures show:
    - how `step` is driven (`driving.py`): plainly, with a metric
      (`step(metrics)`), or told the count (`step(epoch)`, timm-style);
    - `accepts_last_epoch` (offered, not declared) when the constructor takes a
      resume position (`last_epoch`, `last_iter`, ...: `driving.RESUME_NAMES`);
    - `fast_forward` (replaying the steps) is assumed, as for any scheduler;
    - it needs momentum when it builds only on an optimizer with momentum;
    - `cycles_momentum` when three probe steps change the momentum.
    `given` holds the fields of a `TargetSpec.infer(...)`: they win over what is inferred.
    """
    given = dict(given or {})
    wrong = _wrong_kind(fn, ref)
    if wrong:
        raise LoadError(wrong)
    builtin = _builtin(fn)
    if builtin is not None and not given:
        return builtin
    name = given.pop("name", name)
    sig = inference.read(fn)
    if sig.problems and "configs" not in given:
        raise LoadError(
            f"--target {ref!r}: {name} can't be built without a config: " + "; ".join(sig.problems) +
            "\n  what to fix: give it a default (a number, flag or choice can instead be annotated int, float, "
            "bool, Literal or Enum), or point --target at a TargetSpec that builds it from a config strategy "
            "(see conformance/spec.py)"
        )
    adapter = given.get("adapter")
    step = _given_step(adapter, given.get("capabilities"))
    base = _base_config(fn, sig, step)
    scheduler, needs_momentum = _built(fn, name, ref, base)
    _is_a_scheduler(scheduler, name, ref, base)
    if adapter is None:
        how = driving.infer(scheduler, lambda: _probe(fn, needs_momentum, base))
        found_caps, driven = driving.capabilities_of(how), how.describe()
        step = step or (lambda s, n: driving.step_once(s, how, n))
    else:
        found_caps = {"metric_driven": (given.get("capabilities") or Capabilities()).metric_driven}
        driven = "through its adapter (TargetSpec.infer)"
    resume, start = driving.resume_argument(fn)
    capabilities = Capabilities(
        **found_caps,
        accepts_last_epoch=bool(resume),
        resume_argument=resume or "last_epoch",
        resume_start=start,
        cycles_momentum=_cycles_momentum(fn, base, needs_momentum, step),
    )
    found = inference.infer(sig, base, inference.prober(fn, lambda: probe_optimizer(needs_momentum), step))
    spec = TargetSpec(
        name=name,
        build=_builder(fn),
        configs=found.configs,
        adapter=driving.adapter_for(capabilities),
        capabilities=capabilities,
        needs=(lambda config: OptimizerNeeds(momentum=True)) if needs_momentum else (lambda config: OptimizerNeeds()),
        source=ref.partition("[")[0],  # MODULE:ATTR, importable: another process finds the member by name
        hyperparameters=found.hyperparameters,
        inferred=found.described,
        driven=driven,
    )
    if "capabilities" in given and adapter is None and not given["capabilities"].position_argument:
        # the inferred adapter stays: another process rebuilds it from the capabilities
        given["capabilities"] = replace(given["capabilities"], position_argument=capabilities.position_argument,
                                        position_metric=capabilities.position_metric)
    return replace(spec, **given)


def _given_step(adapter, capabilities):
    """A probe's n-th step through a given adapter (metric 1.0 when metric-driven), or None."""
    if adapter is None:
        return None
    metric = 1.0 if capabilities is not None and capabilities.metric_driven else None
    return lambda scheduler, n: adapter.step(scheduler, metric)


def _is_a_scheduler(scheduler, name: str, ref: str, base: dict) -> None:
    if isinstance(scheduler, torch.optim.Optimizer):
        raise LoadError(
            f"--target {ref!r}: {_call(name, base)} returned {_a(type(scheduler).__name__)} optimizer, not a "
            f"scheduler: it has no step() method of a scheduler, only the optimizer's own\n  what to fix: return "
            f"the scheduler built on the optimizer it is given, e.g. `return StepLR(optimizer, step_size=10)`"
        )
    if not callable(getattr(scheduler, "step", None)):
        raise LoadError(
            f"--target {ref!r}: {_call(name, base)} returned {_a(type(scheduler).__name__)}, which has no "
            f"step() method, so it is not a scheduler\n  what to fix: point --target at {FORMS}; for a "
            f"non-standard stepping API, use TargetSpec.infer(cls, adapter=...) with an adapter from "
            f"conformance/adapters.py"
        )


def _builtin(fn: Any) -> Optional[TargetSpec]:
    """The built-in record of a torch scheduler class (matched by identity), else None."""
    for name, spec in BY_NAME.items():
        if fn is getattr(lr_scheduler, name, None) or fn is getattr(swa_utils, name, None):
            return spec
    return None


def _base_config(fn, sig, step=None) -> dict:
    """Values for the required arguments that build and step (momentum tried second), or a first guess."""
    if not any(p.required or p.default is None for p in sig.params):
        return {}
    for momentum in (False, True):
        base = inference.base_config(sig, inference.prober(fn, lambda: probe_optimizer(momentum), step))
        if base is not None:
            return base
    return inference.first_guess(sig)


def _call(name: str, config: dict) -> str:
    return f"{name}(optimizer{''.join(f', {k}={v!r}' for k, v in config.items())})"


def _built(fn, name: str, ref: str, config: dict):
    """(scheduler, needs momentum): built once without, else with, momentum."""
    try:
        return _probe(fn, False, config), False
    except Exception as first:  # noqa: BLE001 - retry with momentum, then report
        try:
            if isinstance(first, timelimit.TargetTimeout):
                raise first
            return _probe(fn, True, config), True
        except Exception as exc:  # noqa: BLE001 - the target's own error
            fix = ("make it constructible from the optimizer alone" if not config else
                   "give its required arguments defaults (no probed value worked: the values above are a guess)")
            raise LoadError(
                f"--target {ref!r}: calling {_call(name, config)} raised {type(exc).__name__}: {exc}\n"
                f"  what to fix: {fix}, or point --target at a TargetSpec that builds it from a config "
                f"strategy (see conformance/spec.py)\n" + _their_traceback(exc)
            ) from None


def _wrong_kind(obj: Any, ref: str) -> Optional[str]:
    """One clear message for an object that is not a scheduler class or factory, else None."""
    example = "e.g. --target torch.optim.lr_scheduler:StepLR or --target mypkg.sched:MyScheduler"
    what = None
    if isinstance(obj, type) and issubclass(obj, torch.optim.Optimizer) or isinstance(obj, torch.optim.Optimizer):
        kind = "class" if isinstance(obj, type) else "instance"
        cls = obj if isinstance(obj, type) else type(obj)
        return (f"--target {ref!r} is an optimizer {kind} ({cls.__module__}.{cls.__qualname__}), not a learning-rate "
                f"scheduler: the suite builds the optimizers itself (every torch.optim optimizer, drawn per "
                f"example) and tests the scheduler that drives them\n  what to fix: point --target at the "
                f"scheduler class or at a factory f(optimizer) -> scheduler, {example}")
    if any(obj is getattr(lr_scheduler, n, 0) for n in ("LRScheduler", "_LRScheduler")):
        return (f"--target {ref!r} is torch's abstract base class of schedulers, which has no schedule of its "
                f"own\n  what to fix: point --target at a subclass of it, {example}")
    if isinstance(obj, types.ModuleType):
        inside = _schedulers_in(obj)
        what, fix = "a module", f"name a scheduler inside it as MODULE:ATTR, {example}"
        if inside:
            first, more = ("StepLR" if "StepLR" in inside else inside[0]), (", ..." if len(inside) > 6 else "")
            fix = (f"name a scheduler inside it, e.g. --target {obj.__name__}:{first} "
                   f"(it holds {', '.join(inside[:6])}{more})")
    elif isinstance(obj, torch.nn.Module) or isinstance(obj, type) and issubclass(obj, torch.nn.Module):
        what = "a model (torch.nn.Module)"
        fix = f"point --target at a scheduler class or factory f(optimizer) -> scheduler, {example}"
    elif not callable(obj) and callable(getattr(obj, "step", None)):
        cls = type(obj)
        what = f"{_a(cls.__name__)} instance"
        fix = (f"point --target at its class, e.g. --target {cls.__module__}:{cls.__qualname__}: the suite "
               f"builds a fresh scheduler for every run")
    elif isinstance(obj, str):
        return (f"--target {ref!r} is a str, not a scheduler (its value: {obj!r})\n  what to fix: point --target "
                f"at the scheduler itself as MODULE:ATTR; if the string names one, pass that to --target instead")
    elif not callable(obj):
        shown = repr(obj) if len(repr(obj)) <= 60 else repr(obj)[:57] + "..."
        return (f"--target {ref!r} is {_a(type(obj).__name__)}, not a scheduler (its value: {shown}): "
                f"it should be {FORMS}")
    if what is None:
        return None
    return f"--target {ref!r} is {what}, not a scheduler\n  what to fix: {fix}"


def _schedulers_in(module) -> list:
    """Public classes of `module` with step() and state_dict() that are not optimizers."""
    out = []
    for n in sorted(dir(module)):
        v = getattr(module, n, None)
        if (not n.startswith("_") and isinstance(v, type) and callable(getattr(v, "step", None))
                and callable(getattr(v, "state_dict", None)) and not issubclass(v, torch.optim.Optimizer)
                and v is not getattr(lr_scheduler, "LRScheduler", None)):
            out.append(n)
    return out


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _builder(fn):
    def build(optimizer, config):
        return fn(optimizer, **config)

    return build


def _cycles_momentum(fn, config: dict, momentum_needed: bool, step) -> bool:
    """True when three probe steps (`step(scheduler, n)`) change the momentum."""
    try:
        opt = probe_optimizer(momentum=True)
        with timelimit.limit(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scheduler = fn(opt, **config)
            before = [g["momentum"] for g in opt.param_groups]
            for n in range(3):
                step(scheduler, n)
        return momentum_needed or [g["momentum"] for g in opt.param_groups] != before
    except Exception:  # noqa: BLE001 - a step that fails here fails in the checks too
        return momentum_needed
