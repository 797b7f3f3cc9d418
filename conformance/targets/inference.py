"""Config inference for plain scheduler classes and factories named by `--target`.

From the signature (the optimizer, `verbose`, *args and **kwargs are
skipped, and so is a resume position, `last_epoch` or another of
`driving.RESUME_NAMES`: it is never varied as a setting):
- int and float arguments (annotated, or by their default's type) vary over a
  range found by probing: candidate values around the default, or a ladder of
  plausible values for required ones, are tried on a tiny optimizer (build,
  then a few steps); the contiguous run of values that work, around the
  default (or the first plausible value that works), is kept;
- bools take both values; `Literal` and `Enum` annotations give choices (a str
  default alone is its only choice);
- other defaulted arguments keep their default; other required ones make the
  target unloadable (`Signature.problems`).
Each argument is probed with the others at their defaults (required ones at
a base value that works); combinations the target refuses at build are
filtered by the harness (`Rejected`), never verdicts.

`inferred(target)` says, per argument, what was inferred and how; a
`TargetSpec` written by hand is never inferred.
"""

from __future__ import annotations

import builtins
import enum
import inspect
import itertools
import math
import numbers
import sys
import types
import typing
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from hypothesis import strategies as st

from conformance.harness import timelimit
from conformance.targets import driving

EMPTY = inspect.Parameter.empty
SKIPPED = ("verbose",)
PROBE_STEPS = 4  # scheduler steps per probe
PROBE_SECONDS = 10.0  # one probe: a hang guard; slower counts as refused, and so does every later candidate
MAX_PROBES = 200  # all probes of one target (a count, not a time: the ranges are the same on any machine)

INT_LADDER = (1, 2, 3, 5, 10, 20, 30, 60, 100, 0, -1)  # plausible first: the base value's search order
FLOAT_LADDER = (0.5, 0.1, 0.9, 1.0, 0.01, 2.0, 0.25, 0.75, 0.05, 0.99, 1e-3, 1.5, 5.0, 10.0, 1e-4,
                0.0, -0.1, -1.0)
INT_BASE_ORDER = (10, 5, 20, 3, 2, 1, 30, 60, 100, 0, -1)
FLOAT_SCALES = (0.1, 0.2, 0.5, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0)  # around a nonzero float default
INT_SCALES = (2, 3, 5, 10)


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "int", "float", "bool" or "choice"
    default: Any = EMPTY
    choices: tuple = ()  # for "choice"
    origin: str = ""  # where the choices came from: "Literal", "Enum", "default"

    @property
    def required(self) -> bool:
        return self.default is EMPTY


@dataclass
class Signature:
    params: list = field(default_factory=list)
    kept: dict = field(default_factory=dict)  # defaulted arguments left at their default -> why
    problems: list = field(default_factory=list)  # required arguments that can't be inferred


@dataclass(frozen=True)
class Inferred:
    configs: Callable[[int], st.SearchStrategy]
    hyperparameters: tuple
    described: dict


# --- reading the signature -------------------------------------------------

def read(fn) -> Signature:
    """The arguments of `fn` after the optimizer, classified."""
    out = Signature()
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return out
    if params and params[0].kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
        params = params[1:]  # the optimizer
    namespace = _namespace(fn)
    for p in params:
        if p.name in SKIPPED or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in driving.RESUME_NAMES:
            out.kept[p.name] = "the resume position: never varied; the constructor recipe passes it"
            continue
        ann = _resolve(p.annotation, namespace)
        param = _classify(p.name, ann, p.default)
        if p.kind is p.POSITIONAL_ONLY:
            param, why = None, "it is positional-only"
        else:
            why = _why_not(ann, p.default)
        if param is not None:
            out.params.append(param)
        elif p.default is EMPTY:
            shown = f" (annotated {_show(ann)})" if ann is not EMPTY else ""
            out.problems.append(f"the required argument {p.name!r}{shown} can't be inferred: {why}")
        else:
            out.kept[p.name] = f"default {_value(p.default)} kept ({why})"
    return out


def _namespace(fn) -> dict:
    target = fn.__init__ if isinstance(fn, type) else fn
    module = sys.modules.get(getattr(fn, "__module__", "") or "")
    found = dict(vars(typing))
    found.update(vars(builtins))
    found.update(getattr(module, "__dict__", {}))
    found.update(getattr(target, "__globals__", {}))
    return found


def _resolve(ann, namespace: dict):
    if not isinstance(ann, str):
        return ann
    try:
        return eval(ann, namespace)  # noqa: S307 - the user's own annotation, in its own module
    except Exception:  # noqa: BLE001 - an annotation we can't evaluate is no annotation
        return EMPTY


def _members(ann) -> list:
    """The alternatives of a Union / `X | Y` annotation, None left out."""
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(ann) if a is not type(None)]
    return [ann]


def _number(default, kinds: tuple) -> bool:
    """`default` fits a numeric argument of these types (None and no default do)."""
    return default is EMPTY or default is None or isinstance(default, kinds) and not isinstance(default, bool)


def _classify(name: str, ann, default) -> Optional[Param]:
    members = _members(ann)
    if ann is EMPTY:
        members = [] if default is EMPTY or default is None else [type(default)]
    for m in members:
        if typing.get_origin(m) is typing.Literal:
            return Param(name, "choice", default, tuple(typing.get_args(m)), "Literal")
        if isinstance(m, type) and issubclass(m, enum.Enum):
            return Param(name, "choice", default, tuple(m), "Enum")
    if bool in members:
        return Param(name, "bool", default)
    if (float in members or numbers.Real in members) and _number(default, (int, float)):
        return Param(name, "float", default)
    if (int in members or numbers.Integral in members) and _number(default, (int,)):
        return Param(name, "int", default)
    if str in members and isinstance(default, str):
        return Param(name, "choice", default, (default,), "default")
    return None


def _why_not(ann, default) -> str:
    if default is not EMPTY and callable(default):
        return "a callable"
    if ann is EMPTY and default is EMPTY:
        return "it has no annotation and no default, so its type is unknown"
    if ann is EMPTY:
        return f"{type(default).__name__} values are not inferred" if default is not None else "its type is unknown"
    return "only int, float, bool, Literal and Enum arguments are inferred"


def _value(v) -> str:
    shown = f"{type(v).__name__}.{v.name}" if isinstance(v, enum.Enum) else repr(v)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _show(ann) -> str:
    return ann.__name__ if isinstance(ann, type) else str(ann).replace("typing.", "")


# --- probing ---------------------------------------------------------------

def prober(fn, make_optimizer: Callable[[], Any], step: Optional[Callable] = None) -> Callable[[dict], bool]:
    """`works(config)`: `fn(make_optimizer(), **config)` builds, steps and keeps finite values.

    `step(scheduler, n)` takes the n-th step; by default as the signature says (`driving.quick`), metric 1.0.
    """
    probes, hung = itertools.count(1), [False]

    def works(config: dict) -> bool:
        if hung[0] or next(probes) > MAX_PROBES:
            return False
        try:
            with timelimit.limit(PROBE_SECONDS), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                optimizer = make_optimizer()
                scheduler = fn(optimizer, **config)
                how = None if step else driving.quick(scheduler)
                for n in range(PROBE_STEPS):
                    step(scheduler, n) if step else driving.step_once(scheduler, how, n)
                values = [float(g[k]) for g in optimizer.param_groups for k in ("lr", "momentum") if k in g]
            return all(math.isfinite(v) for v in values)
        except timelimit.TargetTimeout:
            hung[0] = True
            return False
        except Exception:  # noqa: BLE001 - a refused candidate
            return False

    return works


def _base_order(p: Param) -> tuple:
    if p.kind == "int":
        return INT_BASE_ORDER
    if p.kind == "float":
        return FLOAT_LADDER
    return (False, True) if p.kind == "bool" else p.choices


def base_config(sig: Signature, works) -> Optional[dict]:
    """Values for the required arguments with which the target builds and steps, or None."""
    required = [p for p in sig.params if p.required]
    unset = [p for p in sig.params if p.default is None and p.kind in ("int", "float")]  # e.g. total_steps=None
    first = first_guess(sig)
    if works(first):
        return first
    for p in required + unset:  # one argument at a time, the others at their first guess
        for value in _base_order(p):
            if first.get(p.name) != value and works({**first, p.name: value}):
                return {**first, p.name: value}
    if not required:
        return None
    orders = [_base_order(p) for p in required]  # all together, in step
    for i in range(1, max(len(o) for o in orders)):
        trial = {p.name: o[min(i, len(o) - 1)] for p, o in zip(required, orders)}
        if works(trial):
            return trial
    return None


def first_guess(sig: Signature) -> dict:
    return {p.name: _base_order(p)[0] for p in sig.params if p.required}


def _candidates(p: Param, anchor) -> list:
    """Sorted numeric values to try for `p`, `anchor` among them."""
    d = anchor
    if p.kind == "int":
        if p.required or p.default is None:
            values = set(INT_LADDER)
        else:
            values = {d - 1, d, d + 1, d // 2} | {d * m for m in INT_SCALES}
            if d >= 0:
                values |= {0, 1, 2, 3, 5, 10}
    else:
        if p.required or p.default is None:
            values = set(FLOAT_LADDER)
        elif d == 0:
            values = {0.0, 1e-4, 1e-3, 0.01, 0.1}
        else:
            values = {float(f"{d * m:.6g}") for m in FLOAT_SCALES}
            if 0 < d < 1:  # taken as a fraction: up to 1, never above
                values = {v for v in values if v <= 1.0} | ({1.0} if d >= 0.1 else set())
    values.add(d)
    return sorted(values)


def _run(p: Param, anchor, works, base: dict) -> list:
    """The contiguous candidates around `anchor` that work (never crossing below 0 from a positive anchor)."""
    xs = _candidates(p, anchor)
    i = xs.index(anchor)
    ok = lambda v: works({**base, p.name: v})  # noqa: E731
    lo = hi = i
    while lo > 0 and not (anchor >= 0 > xs[lo - 1]) and ok(xs[lo - 1]):
        lo -= 1
    while hi < len(xs) - 1 and ok(xs[hi + 1]):
        hi += 1
    return xs[lo:hi + 1]


def _numeric_anchor(p: Param, base: dict, works):
    if p.name in base:
        return base[p.name]
    if p.default is not None:
        return float(p.default) if p.kind == "float" else p.default
    order = INT_BASE_ORDER if p.kind == "int" else FLOAT_LADDER
    return next((v for v in order if works({**base, p.name: v})), None)


def _strategy(p: Param, base: dict, works):
    """(strategy, description, values) for one argument; values has one entry when it can't vary."""
    if p.kind in ("int", "float"):
        anchor = _numeric_anchor(p, base, works)
        if anchor is None:
            return None, f"default {_value(p.default)} kept (no probed {p.kind} works)", [p.default]
        vals = _run(p, anchor, works, base)
        lo, hi = vals[0], vals[-1]
        between = st.integers(lo, hi) if p.kind == "int" else st.floats(lo, hi)
        ordered = [anchor] + [v for v in vals if v != anchor]
        strategy = st.sampled_from(ordered) | between if lo != hi else st.just(anchor)
        shown = f"{p.kind} {lo:g}..{hi:g} (probed)"
        if p.default is None and p.name not in base:
            strategy, shown, vals = st.none() | strategy, shown + " or None", [None] + vals
        return strategy, shown, vals
    values = [p.default] if not p.required else []
    values += [v for v in _base_order(p) if v not in values and (v == base.get(p.name) or works({**base, p.name: v}))]
    shown = "bool" if p.kind == "bool" else f"choice {' | '.join(map(_value, values))} ({p.origin})"
    return st.sampled_from(values), shown, values


def infer(sig: Signature, base: dict, works) -> Inferred:
    """The config strategy, the varied arguments and a description of each argument."""
    fields, varied, described = {}, [], {}
    for p in sig.params:
        strategy, shown, values = _strategy(p, base, works)
        if len(values) > 1:
            fields[p.name], described[p.name] = strategy, shown
            varied.append(p.name)
        elif p.name in base:
            fields[p.name] = st.just(base[p.name])
            described[p.name] = f"{p.kind} fixed at {base[p.name]!r} (no other probed value works)"
        else:
            described[p.name] = f"default {_value(p.default)} kept (no other probed value works)"
    described.update(sig.kept)
    strategy = st.fixed_dictionaries(fields)
    return Inferred(lambda groups: strategy, tuple(varied), described)


# --- what the report can say -----------------------------------------------


def inferred(target) -> dict:
    """{argument: how it was inferred} for a target loaded by inference; {} otherwise."""
    return dict(getattr(target, "inferred", {}) or {})
