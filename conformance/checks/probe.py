"""One look at a target before its checks run: its simplest case, a scheduler built from it.

Several decisions need a live scheduler or a config of the target: which
constructor keys `mismatch.*` varies when none are named, whether it has a
`state_dict()` at all, whether its `step` takes an epoch or it has a closed
form. They share one probe per target and process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from hypothesis import Phase, find, settings

from conformance.checks.budget import without_local_constants
from conformance.harness.errors import TargetError
from conformance.harness.live import fresh
from conformance.model.case import Case
from conformance.strategies.cases import cases


@dataclass(frozen=True)
class Probe:
    case: Optional[Case]  # the simplest case; None when the config strategy is broken
    scheduler: Any  # built from it; None when it can't be built
    missing_state: Optional[str]  # why a checkpoint can't hold it ("it has no state_dict()"), or None
    problem: Optional[str] = None  # why there is no scheduler: the error, kept for the skip reasons

    def unknown(self, target, what: str) -> Optional[str]:
        """The skip reason of a check that needs to know `what` and has no scheduler to look at, or None."""
        if self.scheduler is not None:
            return None
        return (f"{target.name} could not be built for the probe ({self.problem}), so whether {what} is "
                "unknown; the other checks report the error")


_PROBES: dict = {}


def probe(target) -> Probe:
    key = (target.name, target.source)
    if key not in _PROBES:
        _PROBES[key] = _look(target)
    return _PROBES[key]


# The first example Hypothesis generates is the simplest (every choice at its minimum), and a
# derandomized search makes any later one the same on every machine. Shrinking it as well cost
# 1-11 s per target and process (355 s over 65 targets, 0.5 s without) and changed no config's
# keys but OneCycleLR's optional momenta.
_SIMPLEST = settings(database=None, max_examples=20, derandomize=True, phases=[Phase.generate])


def _look(target) -> Probe:
    try:
        with without_local_constants():  # the simplest case is drawn at random when it is filtered out
            case = find(cases(target), lambda c: True, settings=_SIMPLEST)
    except Exception as exc:  # noqa: BLE001 - a broken strategy is reported by the checks themselves
        return Probe(None, None, None, f"the config strategy failed: {type(exc).__name__}: {exc}")
    try:
        scheduler = fresh(target, case).scheduler
    except Exception as exc:  # noqa: BLE001 - a target that can't even be built is reported by the checks
        call, exc = (f"{exc.phase}()", exc.exc) if isinstance(exc, TargetError) else ("building it", exc)
        return Probe(case, None, None, f"{call} raised {type(exc).__name__}: {exc} for the probe's simplest "
                                       f"case, config {case.config!r}")
    return Probe(case, scheduler, _missing_state(target, case, scheduler))


def _missing_state(target, case: Case, scheduler) -> Optional[str]:
    for method, call in (("state_dict", lambda: target.adapter.state_dict(scheduler)),
                         ("load_state_dict", lambda: target.adapter.load_state_dict(
                             fresh(target, case).scheduler, target.adapter.state_dict(scheduler)))):
        try:
            call()
        except AttributeError as exc:
            if method in str(exc):
                return f"it has no {method}()"
        except Exception:  # noqa: BLE001 - it has the method; the checks judge what it does
            return None
    return None
