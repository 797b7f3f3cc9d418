"""What the suite observes of a target while one test runs it, besides the verdicts.

- The warnings the target emits, counted per kind (category and the file:line
  that warned), with the first message of each kind. The suite's own warnings
  (Hypothesis's, pytest's, the suite's own classes) are handed on as they
  came, never counted.
- Whether any recorded trajectory moved: an lr or momentum that changed from
  one optimizer step to another. A test whose trajectories never move cannot
  tell a right schedule from a wrong one.

The plugin opens one observation per test (`observing`); every `run()`
records its warnings with `captured()`, and every `Recorder` reports its
trajectory. Outside an observation (the library API) nothing is kept.

Apart from that count, each `run()` keeps a log of the warnings the
scheduler's own calls emit (`scheduler_log`, filled by `heard` inside
`errors.calling`), even those the suite provoked, so the oracle can compare
a resumed run's scheduler warnings with the uninterrupted run's.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from typing import Optional

SUITES_OWN = ("conformance", "hypothesis", "_pytest", "pytest", "pluggy")  # modules of warning classes
MESSAGE_CHARS = 500

_current: list = []  # the open observations, innermost last
_logs: list = []  # the open runs' scheduler-warning logs, innermost last
SCHEDULER_PHASES = ("build", "step", "state_dict", "load_state_dict", "get_last_lr")  # the scheduler's own calls


@dataclass
class WarningKind:
    category: str
    where: str  # file:line that warned
    count: int
    first: str  # the first message of this kind


class Observed:
    """One test's observation of its target."""

    def __init__(self) -> None:
        self.kinds: dict[tuple, WarningKind] = {}
        self.trajectories = 0  # recorded in this process
        self.moving = 0  # of which an lr or momentum changed

    def add_warning(self, w: warnings.WarningMessage) -> None:
        key = (w.category.__qualname__, f"{w.filename}:{w.lineno}")
        if key in self.kinds:
            self.kinds[key].count += 1
        else:
            self.kinds[key] = WarningKind(*key, 1, str(w.message)[:MESSAGE_CHARS])

    @property
    def warning_count(self) -> int:
        return sum(kind.count for kind in self.kinds.values())

    def warnings_json(self) -> dict:
        return {"count": self.warning_count, "kinds": [vars(kind) for kind in self.kinds.values()]}

    def never_moved(self, examples: int) -> Optional[str]:
        """Why this test could not judge its target, when no trajectory it recorded ever moved."""
        if not examples or not self.trajectories or self.moving:
            return None
        return (f"the lr never changed in {counted(examples, 'example')} (momentum neither): this check "
                "couldn't tell right from wrong")


def counted(n: int, noun: str) -> str:
    """'1 example', '2,725 warnings'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def suites_own(w: warnings.WarningMessage) -> bool:
    return w.category.__module__.split(".")[0] in SUITES_OWN


def _hand_on(w: warnings.WarningMessage) -> None:
    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)


@contextlib.contextmanager
def captured(count: bool = True):
    """Record every warning of the block into the list it yields; then count the target's in the
    current observation (unless not `count`: warnings the suite provoked) and hand the suite's own on."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield caught
    finally:
        for w in caught:
            if suites_own(w):
                _hand_on(w)
            elif count and _current:
                _current[-1].add_warning(w)


@dataclass(frozen=True)
class Heard:
    """One warning a scheduler call emitted."""

    phase: str
    category: str
    message: str

    def describe(self) -> str:
        return f"{self.category}: {self.message[:MESSAGE_CHARS]}"


@contextlib.contextmanager
def scheduler_log():
    """The block is one run: yields the list `heard` fills with the scheduler's warnings."""
    log: list = []
    _logs.append(log)
    try:
        yield log
    finally:
        _logs.remove(log)


@contextlib.contextmanager
def heard(phase: str):
    """Log the warnings of one scheduler call into the current run's log, then hand each on unchanged."""
    if not _logs or phase not in SCHEDULER_PHASES:
        yield
        return
    log = _logs[-1]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        for w in caught:
            if not suites_own(w):
                log.append(Heard(phase, w.category.__qualname__, str(w.message)))
            _hand_on(w)


def provoked():
    """A block where the suite misuses the API on purpose (a pitfall, or scheduler steps replayed before
    any optimizer step): torch's warnings about it are the suite's doing, not counted against the target."""
    return captured(count=False)


@contextlib.contextmanager
def observing(seen: Observed):
    """Make `seen` the current observation for the block, capturing its warnings."""
    _current.append(seen)
    try:
        with captured():
            yield seen
    finally:
        _current.remove(seen)


def trajectory_started() -> None:
    if _current:
        _current[-1].trajectories += 1


def trajectory_moved() -> None:
    if _current:
        _current[-1].moving += 1


def merged(summaries) -> dict:
    """Several `warnings_json()` summaries (one target's tests) as one: counts added, first messages kept."""
    kinds: dict[tuple, dict] = {}
    for summary in summaries:
        for kind in summary.get("kinds", []):
            key = (kind["category"], kind["where"])
            if key in kinds:
                kinds[key]["count"] += kind["count"]
            else:
                kinds[key] = dict(kind)
    return {"count": sum(k["count"] for k in kinds.values()), "kinds": list(kinds.values())}
