"""One bounded counterexample search, for every pitfall check.

A pitfall check asks: is there a case where the pitfall changes what the
optimizer sees? `search` runs `hypothesis.find` over the target's cases with
a `probe(case) -> Probe` that says what the pitfall did on that case. Probes
are memoized (so `find`'s replays agree) and bounded: past `limit` distinct
cases, no new case is probed, and `find` keeps what it already has.

The first case whose probe is `wanted` is kept as found, unshrunk: shrinking
re-generated the case hundreds of times (Hypothesis bounds the number of
shrinks, not their cost), and generation already starts from the simplest
cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from hypothesis import find
from hypothesis.errors import NoSuchExample, Unsatisfiable

from conformance.checks.budget import search_settings, without_local_constants
from conformance.harness.errors import CheckpointError, Rejected, TargetError
from conformance.model.case import Case
from conformance.model.verdict import Divergence, Verdict


@dataclass
class Probe:
    """What the pitfall did on one case."""

    divergence: Optional[Divergence] = None  # the pitfall run's first divergence
    raised: str = ""  # the pitfall run raised (loud, not silent)
    problem: Optional[Verdict] = None  # the case proves nothing: a correct run failed
    info: dict = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        return self.divergence is not None or bool(self.raised)


@dataclass
class Found:
    """The search's outcome: the case it kept (or None), and what it saw."""

    case: Optional[Case]
    probe: Optional[Probe]
    tried: int  # cases probed, rejected ones excluded
    loud: Optional[tuple] = None  # (case, probe): the first case whose pitfall raised


def search(strategy, probe: Callable[[Case], Probe], limit: int,
           on_error: Callable[[Case, Exception], Verdict],
           wanted: Callable[[Probe], bool] = lambda p: p.shown) -> Found:
    """Search `strategy` for a case whose probe is `wanted` (or has a `problem`).

    `probe` may raise `Rejected` for a case the target cannot run
    uninterrupted; such cases are neither counted nor kept. When the target
    raises in a correct run, `on_error(case, exc)` gives the probe's problem
    (an `error` verdict), and the search stops there.
    """
    probes: dict[str, Probe] = {}
    rejected = 0
    loud: list = []

    def condition(case: Case) -> bool:
        nonlocal rejected
        key = case.describe()
        if key not in probes:
            if len(probes) >= limit:
                return False  # out of budget: `find` keeps what it already has
            try:
                probes[key] = probe(case)
            except Rejected:
                rejected += 1
                probes[key] = Probe()
            except (TargetError, CheckpointError) as exc:
                probes[key] = Probe(problem=on_error(case, exc))
            if probes[key].raised and not loud:
                loud.append((case, probes[key]))
        found = probes[key]
        return found.problem is not None or wanted(found)

    try:
        with without_local_constants():
            case = find(strategy, condition, settings=search_settings(limit))
    except (NoSuchExample, Unsatisfiable):
        case = None
    tried = len(probes) - rejected
    return Found(case, None if case is None else probes[case.describe()], tried, loud[0] if loud else None)
