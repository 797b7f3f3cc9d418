"""How a divergence behaves: the mechanism a root cause is grouped on, read from the trajectories
(per optimizer step and param group, `(lr, momentum, last_lr)`) and the resume steps, never from message text.

- `stale_report(failure)`: only `last_lr` is wrong, each wrong run starting at a resume and holding one value
  (nothing re-reported it), every lr and momentum the optimizer used exact.
- `mechanism_of(failure, status)`: the first diverging field (lr, else momentum, else last_lr), its phase
  relative to the resumes, and its behaviour over the resumed segment from the divergence on, first match
  wins: type changed, restart, behind / ahead by d steps, transient, stale value, constant factor / offset
  (these two or more steps of evidence), other, single step (too little to group on: values are used).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

from conformance.model.trajectory import FIELDS
from conformance.reports.model import number

STALE_REPORT = "stale_report"
STALE_REPORT_TITLE = "reported lr stale after load; the lrs used are exact"
LR, MOMENTUM, LAST_LR = (FIELDS.index(f) for f in ("lr", "momentum", "last_lr"))
CLOSE = 1e-9  # relative tolerance for a constant factor or offset (they come from float arithmetic)
ROUNDING = 1e-6  # relative difference of a value rounded to float32 (with its type changed)

TYPE_CHANGED, RESTART, BEHIND, AHEAD, TRANSIENT = "type changed", "restart", "behind", "ahead", "transient"
STALE_VALUE, FACTOR, OFFSET, OTHER, SINGLE = "stale value", "constant factor", "constant offset", "other", "single step"
PHASED = (OTHER, SINGLE)  # behaviours that say nothing of the course after the divergence: the phase joins the key


@dataclass(frozen=True)
class Mechanism:
    """How one failure diverges: what every failure of one root cause shares (`key`)."""

    status: str
    field: str
    phase: str
    behaviour: str
    detail: str = ""  # part of the key (the lag, the types); `value` is not
    value: str = ""  # the factor or offset seen, for the reader

    @property
    def key(self) -> str:
        phase = self.phase if self.behaviour in PHASED else ""
        return "|".join((self.status, self.field, self.behaviour, self.detail, phase))

    def describe(self) -> str:
        text = {
            TYPE_CHANGED: f"keeps its numbers but changes type after a resume ({self.detail})",
            RESTART: "repeats the schedule from its beginning after a resume",
            BEHIND: f"lags the uninterrupted run by {self.detail} after a resume",
            AHEAD: f"runs ahead of the uninterrupted run by {self.detail} after a resume",
            TRANSIENT: "is wrong for a while after a resume, then right again",
            STALE_VALUE: "stays at one value after a resume while the schedule moves",
            FACTOR: f"is off by a constant factor after a resume ({self.value})",
            OFFSET: f"is off by a constant offset after a resume ({self.value})",
            OTHER: f"diverges with no simple pattern, first {self.phase}",
            SINGLE: f"diverges at one step seen, {self.phase}",
        }.get(self.behaviour, self.behaviour)
        return f"'{self.field}' {text}"

    def as_json(self) -> dict:
        return {"field": self.field, "phase": self.phase, "behaviour": self.behaviour, "detail": self.detail,
                "value": self.value, "text": self.describe()}


def trajectories(failure: Optional[dict]) -> Optional[tuple[list, list]]:
    t = (failure or {}).get("trajectories") or {}
    expected, actual = t.get("expected"), t.get("actual")
    return (expected, actual) if isinstance(expected, list) and isinstance(actual, list) else None


def resume_steps(failure: Optional[dict]) -> list[int]:
    """The optimizer steps at which the run resumed (the first step of each resumed segment)."""
    case = (failure or {}).get("case") or {}
    return sorted({s for s in case.get("interruption_steps") or [] if isinstance(s, int)})


def _value(step: list, group: int, index: int) -> Any:
    try:
        return step[group][index]
    except (IndexError, KeyError, TypeError):
        return None


def stale_report(failure: Optional[dict]) -> bool:
    found, resumes = trajectories(failure), resume_steps(failure)
    if found is None or not resumes or len(found[0]) != len(found[1]):
        return False
    expected, actual = found
    wrong: dict[int, list] = {}  # step -> groups whose last_lr is wrong
    for n, (e, a) in enumerate(zip(expected, actual)):
        if not isinstance(e, list) or not isinstance(a, list) or len(e) != len(a):
            return False
        for g in range(len(e)):
            if any(_value(e, g, i) != _value(a, g, i) for i in (LR, MOMENTUM)):
                return False  # an lr or momentum the optimizer used is wrong
            if _value(e, g, LAST_LR) != _value(a, g, LAST_LR):
                wrong.setdefault(n, []).append(g)
    if not wrong:
        return False
    for n in wrong:
        start = max((r for r in resumes if r <= n), default=None)
        if start is None or any(m not in wrong for m in range(start, n)):
            return False  # wrong before any load, or not in a run that starts at the load
        held = {g: _value(actual[start], g, LAST_LR) for g in range(len(actual[start]))}
        if any(_value(actual[n], g, LAST_LR) != held[g] for g in wrong[n]):
            return False  # the reported value moved: it is not a stale one
    return True


def phase_of(step: int, resumes: list[int]) -> str:
    if not resumes:
        return "without a resume"
    if step in resumes:
        return "at the first step after a resume"
    return "later after a resume" if step > resumes[0] else "before any resume"


def _type_of(x: Any) -> str:
    if isinstance(x, dict) and "tensor" in x:
        return f"tensor {x.get('dtype')}" + ("" if x.get("device") in (None, "cpu") else f" on {x['device']}")
    return type(x).__name__


def _equal(a: Optional[float], b: Optional[float]) -> bool:
    return a is not None and b is not None and (a == b or (math.isnan(a) and math.isnan(b)))


def _rounding(a: Optional[float], b: Optional[float]) -> bool:  # equal but for a float32 rounding
    return a is not None and b is not None and abs(a - b) <= ROUNDING * max(abs(a), abs(b))


def _close(values: list[float]) -> bool:
    return all(abs(v - values[0]) <= CLOSE * max(abs(v), abs(values[0]), 1e-300) for v in values)


def _shift(e: list, a: list, steps: range, d: int) -> bool:
    """`a[n] == e[n - d]` at every step in `steps` (at least one, all indices valid)."""
    checked = [n for n in steps if 0 <= n - d < len(e)]
    return len(checked) == len(steps) > 0 and all(_equal(a[n], e[n - d]) for n in checked)


def _lag(e: list, a: list, first: int, end: int, per_sched: int) -> Optional[tuple[str, str]]:
    """(behind or ahead, "by ...") for the smallest shift that explains the steps from `first` on, if any."""
    for d in range(1, len(e)):
        if first >= d and _shift(e, a, range(first, end), d):
            return BEHIND, _steps(d, per_sched)
        if first + d < len(e) and _shift(e, a, range(first, min(end, len(e) - d)), -d):
            return AHEAD, _steps(d, per_sched)
    return None


def _steps(d: int, per_sched: int) -> str:
    k = d // per_sched
    return f"{k} scheduler step{'' if k == 1 else 's'}" if d % per_sched == 0 else f"{d} optimizer steps"


def _first_wrong(expected: list, actual: list, index: int) -> Optional[tuple[int, int]]:
    """(step, group) where field `index` first differs, if it does."""
    for n, (e, a) in enumerate(zip(expected, actual)):
        for g in range(min(len(e), len(a)) if isinstance(e, list) and isinstance(a, list) else 0):
            if _value(e, g, index) != _value(a, g, index):
                return n, g
    return None


def mechanism_of(failure: Optional[dict], status: str) -> Optional[Mechanism]:
    """The mechanism of a failure with a divergence and both trajectories, else None."""
    d = (failure or {}).get("divergence") or {}
    found = trajectories(failure)
    if found is None or not isinstance(d.get("step"), int):
        return None
    expected, actual = found
    resumes = resume_steps(failure)
    found = next(((i, f, w) for i, f in enumerate(FIELDS) for w in [_first_wrong(expected, actual, i)] if w), None)
    if found is None:  # param groups or steps taken differ
        return Mechanism(status, str(d.get("field")), phase_of(d["step"], resumes), OTHER)
    index, field, (step, group) = found
    phase = phase_of(step, resumes)
    raw_e, raw_a = ([_value(s, group, index) for s in run] for run in (expected, actual))
    e, a = [number(x) for x in raw_e], [number(x) for x in raw_a]
    start = max((r for r in resumes if r <= step), default=0)
    end = min([r for r in resumes if r > step] + [len(e), len(a)])
    tail = range(step, end)
    if not tail:
        return Mechanism(status, field, phase, OTHER)
    types = (_type_of(raw_e[step]), _type_of(raw_a[step]))
    if all(_equal(a[n], e[n]) or (types[0] != types[1] and _rounding(a[n], e[n])) for n in tail):
        return Mechanism(status, field, phase, TYPE_CHANGED, " -> ".join(types))
    if 0 < start <= step and _shift(e, a, tail, start):  # from the divergence on: before it, all agree
        return Mechanism(status, field, phase, RESTART)
    batches = (((failure or {}).get("case") or {}).get("loop") or {}).get("batches")
    lag = _lag(e, a, step, end, batches if isinstance(batches, int) and batches > 0 else 1)
    if lag:
        return Mechanism(status, field, phase, *lag)
    if any(_equal(a[n], e[n]) for n in tail):
        return Mechanism(status, field, phase, TRANSIENT)
    if len(tail) < 2 or any(a[n] is None or e[n] is None for n in tail):
        return Mechanism(status, field, phase, SINGLE if len(tail) < 2 else OTHER)
    seen_a, seen_e = [a[n] for n in tail], [e[n] for n in tail]
    if _close(seen_a) and not _close(seen_e):
        return Mechanism(status, field, phase, STALE_VALUE)
    if all(x != 0 for x in seen_e) and _close([y / x for x, y in zip(seen_e, seen_a)]):
        return Mechanism(status, field, phase, FACTOR, value=f"x{seen_a[0] / seen_e[0]:.6g}")
    if _close([y - x for x, y in zip(seen_e, seen_a)]):
        return Mechanism(status, field, phase, OFFSET, value=f"{seen_a[0] - seen_e[0]:+.6g}")
    return Mechanism(status, field, phase, OTHER)
