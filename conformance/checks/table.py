"""CHECKS: every check the suite runs, as data.

Both entry points read this table: the pytest test module (one test function
per entry, parametrized per target) and `conformance.library`. Adding a
check means adding one entry here.

An entry says what to draw (`strategy(target, variant)`), how to judge one
drawn value (`run(target, drawn, variant) -> Verdict`), its share of the
profile's examples, the capabilities a target must declare, and its tier:

- `contract`: a failure fails the run;
- `recipe support`: a supported resume recipe; a target that declares the
  recipe (the built-ins declare `last_epoch`) is held to it;
- `pitfall`: a demonstration; finding the counterexample is the pass.

A `search` entry runs one bounded counterexample search per target instead
of one verdict per drawn example: `run(target, strategy, max_examples,
variant)`. An entry with `variants(target) -> [(id, value)]` expands into
one check per value, with id `<entry id>.<value id>` (`mismatch.gamma`);
`strategy` then gets the value. `run` always gets the check id last.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Optional

from hypothesis import strategies as st

from conformance.checks.probe import probe
from conformance.checks import (closed_form, distributed, frameworks, fresh_process, mismatch, placement, recipes,
                               reference, serialization)
from conformance.drivers import DRIVERS
from conformance.drivers import BY_NAME as DRIVERS_BY_NAME
from conformance.spec import DEFAULT_ADAPTER
from conformance.harness.oracle import check_determinism, check_resume
from conformance.model.case import DCP, MEDIA_NAMES
from conformance.strategies.cases import cases, mismatch_cases
from conformance.strategies.loops import LOOP_NAMES, mid_epoch_cases, per_batch_cases, placement_cases, sched_first_cases

CONTRACT, RECIPE_SUPPORT, PITFALL = "contract", "recipe support", "pitfall"
RESUME_MEDIA = st.sampled_from(("file", DCP))  # torch.save and torch.distributed.checkpoint

MISMATCH_EPOCHS = 30  # scheduler steps; boundaries are biased toward, so most show early
# Optimizer steps of a framework run: 5+ epochs of the drivers' 1-6 batches, and a framework step costs
# 3-20 plain ones (benchmarks/drivers.py).
DRIVER_STEPS = 30
PITFALL_EPOCHS = 60  # a pitfall shows right after its resume; longer runs only cost time
# Optimizer steps of a run on ranks: a DDP step on 2 gloo ranks costs ~8 plain ones, and what these
# checks add (DCP, another world size) shows from the resume on; the schedule's far boundaries are
# the in-process checks' part.
RANK_STEPS = 40
RANK_BUDGET = 0.2  # 3 examples under `ci`: a run on fresh ranks costs ~15 in-process ones (benchmarks/processes.py)


@dataclass(frozen=True)
class Check:
    id: str
    run: Callable
    strategy: Callable[[Any, Any], Any]
    tier: str = CONTRACT
    budget: float = 1.0  # share of the profile's max_examples
    requires: tuple = ()  # Capabilities fields the target must declare
    variants: Optional[Callable[[Any], list]] = None
    search: bool = False
    doc: str = ""
    # What this check draws, made from a known failure's example `Case` (None: the
    # example must be the drawn value itself, e.g. a case with its change).
    from_case: Optional[Callable[[Any], Any]] = lambda case: case
    # When the target does not declare `requires` but offers it: the check still runs,
    # and its outcome is a result, not a failure (see `Capabilities`).
    offered: Optional[Callable[[Any], bool]] = None
    needs_state: bool = True  # resumes through state_dict() / load_state_dict()
    always_result: bool = False  # its outcome is a result for the tables, never held against the target
    applies: Optional[Callable[[Any], Optional[str]]] = None  # target -> why the check can't apply, or None

    @property
    def test_name(self) -> str:
        return "test_" + self.id.replace(".", "_")


def _cases(interruptions=(1, 1), media=st.just("file"), max_epochs=None):
    extra = {} if max_epochs is None else {"max_epochs": max_epochs}
    return lambda target, variant: cases(target, interruptions, media=media, **extra)


def _pinned(target) -> list:
    return list(target.pinned)


def _mismatch_params(target) -> list:
    """One variant per parameter through a file (`mismatch.gamma`), one through DCP (`mismatch.dcp.gamma`)."""
    params = mismatch.parameters(target)
    return [(p, (p, "file")) for p in params] + [(f"{DCP}.{p}", (p, DCP)) for p in params]


def _mismatch_cases(target, variant):
    param, medium = variant
    drawn = mismatch_cases(target, param, max_epochs=MISMATCH_EPOCHS)
    return drawn if medium == "file" else drawn.map(lambda d: (d[0].with_plan(medium=medium), d[1]))


@st.composite
def _driver_cases(draw, target, driver):
    case = draw(cases(target, (1, 1), max_epochs=DRIVER_STEPS), label="case")
    return case, draw(driver.options(target, case), label=f"{driver.name} options")


def _delayed_cases(target, variant):
    delay = st.integers(1, 5)  # steps before the taken state is written
    return st.tuples(cases(target, (1, 2)), delay)


def _supported(name: str, budget: float, requires: tuple = (), offered=None) -> Check:
    return Check(f"recipe.{name}", lambda t, case, cid: recipes.check_recipe(t, case, name), _cases(),
                 RECIPE_SUPPORT if requires else CONTRACT, budget, requires,
                 doc=f"the {name} recipe reproduces the run", offered=offered, needs_state=name == "canonical")


def _accepts_last_epoch(caps) -> bool:
    return caps.accepts_last_epoch


def _recipe_pitfall(name: str) -> Check:
    return Check(f"recipe.{name}", lambda t, space, n, cid: recipes.check_pitfall(t, name, space, n),
                 _cases(max_epochs=PITFALL_EPOCHS), PITFALL, 0.5, search=True,
                 doc=f"pitfall: the {name} resume diverges (or is safe for this target)")


def _steps_to_an_epoch(target) -> Optional[str]:
    looked = probe(target)
    if looked.scheduler is None:
        return looked.unknown(target, "its step() takes an epoch argument")
    step = getattr(looked.scheduler, "step", None)
    try:
        takes_epoch = step is not None and "epoch" in inspect.signature(step).parameters
    except (TypeError, ValueError):
        takes_epoch = False
    if not takes_epoch:
        return f"{target.name}'s step() takes no epoch argument"
    if target.capabilities.metric_driven or target.adapter.step is not DEFAULT_ADAPTER.step:
        return f"{target.name} is not stepped with a plain step(): no step(epoch) form to try"
    return None


def _takes_last_epoch(target) -> Optional[str]:
    caps = target.capabilities
    return None if caps.last_epoch_resume or caps.accepts_last_epoch else f"{target.name} takes no last_epoch"


def _has_closed_form(target) -> Optional[str]:
    looked = probe(target)
    if looked.scheduler is None:
        return looked.unknown(target, "it has a closed form (_get_closed_form_lr)")
    if hasattr(looked.scheduler, "_get_closed_form_lr"):
        return _steps_to_an_epoch(target)
    return f"{target.name} has no closed form (_get_closed_form_lr)"


def _tutorial(name: str, applies) -> Check:
    return Check(f"recipe.{name}", lambda t, case, cid: recipes.check_tutorial(t, case, name), _cases(),
                 RECIPE_SUPPORT, 0.25, doc=f"the tutorial recipe {name}: safe, drifts, diverges or raises",
                 needs_state=False, always_result=True, applies=applies)


def _loop(name: str) -> Check:
    requires = ("metric_driven",) if name == "metric" else ()
    return Check(f"placement.{name}", lambda t, case, cid: placement.check_loop(t, case, f"placement.{name}"),
                 lambda t, v: placement_cases(t, name), CONTRACT, 0.25, requires,
                 doc=f"resuming anywhere in a {name} loop reproduces the run of that loop")


def _loop_pitfall(name: str, strategy) -> Check:
    return Check(f"placement.{name}", lambda t, space, n, cid: placement.search_pitfall(t, name, space, n),
                 lambda t, v: strategy(t), PITFALL, 0.25, search=True,
                 doc=f"pitfall: {name} changes what the optimizer sees (or is harmless here)",
                 needs_state=name == "restarted_epoch")  # the others run uninterrupted


def _serialization(name: str, fn, media=st.just("file")) -> Check:
    return Check(f"serialization.{name}", lambda t, case, cid: fn(t, case), _cases((1, 2), media), CONTRACT, 0.25)


CHECKS: list[Check] = [
    Check("determinism", lambda t, case, cid: check_determinism(t, case), _cases(),
          doc="two uninterrupted runs agree", needs_state=False),
    Check("resume.canonical", lambda t, case, cid: check_resume(t, case, "resume.canonical"),
          _cases((1, 1), RESUME_MEDIA), doc="one interruption, through a file or DCP, reproduces the run"),
    Check("resume.multi", lambda t, case, cid: check_resume(t, case, "resume.multi"), _cases((2, 4), RESUME_MEDIA),
          doc="2-4 interruptions, each its own round trip (file or DCP), reproduce the run"),
    Check("resume.fresh_process", lambda t, case, cid: fresh_process.check_fresh_process(t, case), _cases((1, 1)),
          CONTRACT, 0.25, doc="checkpointed here, resumed in a fresh Python process: the same run",
          applies=fresh_process.unreachable),
    Check("resume.edge", lambda t, case, cid: check_resume(t, case, cid),
          lambda t, case: st.just(case), variants=_pinned, doc="pinned edge cases resume exactly"),
    _supported("canonical", 0.25),
    _supported("last_epoch", 0.5, ("last_epoch_resume",), offered=_accepts_last_epoch),
    _supported("fast_forward", 0.5, ("fast_forward",), offered=lambda caps: True),
    *[_recipe_pitfall(name) for name in recipes.SEARCH_PITFALLS],
    _tutorial("epoch_argument", _steps_to_an_epoch),
    _tutorial("epoch_fast_forward", _steps_to_an_epoch),
    _tutorial("reset_lr_last_epoch", _takes_last_epoch),
    Check("consistency.closed_form", lambda t, case, cid: closed_form.check_closed_form(t, case), _cases(),
          CONTRACT, 0.25, doc="the closed form at step k agrees with k chainable steps, up to rounding",
          needs_state=False, applies=_has_closed_form),
    Check("recipe.last_epoch_without_optimizer",
          lambda t, case, cid: recipes.check_last_epoch_without_optimizer(t, case), _cases(), PITFALL, 0.25,
          ("last_epoch_resume",), doc="last_epoch on a fresh optimizer raises torch's KeyError or resumes",
          offered=_accepts_last_epoch, needs_state=False),
    Check("mismatch", lambda t, drawn, cid: mismatch.classify(t, *drawn),
          _mismatch_cases, CONTRACT, 0.25,
          variants=_mismatch_params, doc="a changed constructor value is followed or refused, never mixed",
          from_case=None),
    *[_loop(name) for name in LOOP_NAMES],
    _loop_pitfall("stepped_per_batch", per_batch_cases),
    _loop_pitfall("restarted_epoch", mid_epoch_cases),
    _loop_pitfall("sched_first_order", sched_first_cases),
    Check("serialization.weights_only", lambda t, case, cid: serialization.check_weights_only(t, case),
          _cases((1, 2)), doc="the state survives torch.load(weights_only=True)",
          needs_state=False),  # the one check that reports a missing or unloadable state
    _serialization("no_mutation", serialization.check_no_mutation, st.sampled_from(MEDIA_NAMES)),
    _serialization("load_twice", serialization.check_load_twice, st.sampled_from(MEDIA_NAMES + (DCP,))),
    Check("serialization.delayed", lambda t, drawn, cid: serialization.check_delayed(t, *drawn),
          _delayed_cases, CONTRACT, 0.25, from_case=lambda case: (case, 1)),
    _serialization("deepcopy", serialization.check_deepcopy),
    Check("distributed.ranks", lambda t, case, cid: distributed.check_ranks(t, case), _cases(max_epochs=RANK_STEPS),
          CONTRACT, RANK_BUDGET,
          doc="DDP on 2 gloo ranks, checkpointed and resumed through DCP: every rank's run is the reference",
          applies=distributed.unreachable),
    *[Check(f"distributed.{way}", lambda t, case, cid: distributed.check_reshard(t, case, cid.split(".")[1]),
            _cases(max_epochs=RANK_STEPS), CONTRACT, RANK_BUDGET,
            doc=f"a DCP checkpoint resumed on another number of ranks ({way})",
            applies=distributed.unreachable) for way in ("2_to_1", "1_to_2")],
    Check("distributed.world_size", lambda t, case, cid: distributed.check_world_size(t, case),
          _cases(max_epochs=RANK_STEPS), RECIPE_SUPPORT, RANK_BUDGET,
          doc="stepped k = world size times per optimizer step, resumed with another k: "
          "follows the checkpoint, the new k, raises, or a hybrid", always_result=True,
          applies=distributed.unreachable),
    Check("driver", lambda t, drawn, cid: frameworks.check_driver(t, *drawn, DRIVERS_BY_NAME[cid.split(".")[1]]),
          _driver_cases, CONTRACT, 1.0, variants=lambda t: [(d.name, d) for d in DRIVERS],
          doc="trained and resumed through a framework's own loop and checkpoint API (--driver NAME)",
          from_case=None),
]

# The reference checks: a built-in's uninterrupted run against an independent model of its documented
# schedule (`conformance.reference`), within `closed_form.ROUNDING_ULPS` per step; every other target skips them.
CHECKS += [
    Check("reference.schedule", lambda t, case, cid: reference.check_reference(t, case, cid), _cases(), CONTRACT, 1.0,
          doc="the uninterrupted run follows the documented schedule (an independent model), up to rounding",
          needs_state=False, applies=reference.no_model),
    Check("reference.edge", lambda t, case, cid: reference.check_reference(t, case, cid),
          lambda t, case: st.just(case), CONTRACT, variants=_pinned, needs_state=False, applies=reference.no_model,
          doc="the pinned edge cases follow the documented schedule, up to rounding"),
    Check("reference.epoch_argument",
          lambda t, case, cid: reference.check_reference(t, case, cid, epoch_stepping=True), _cases(), CONTRACT, 0.5,
          doc="stepped with step(epoch), the run still follows the documented schedule, up to rounding",
          needs_state=False, applies=lambda t: reference.no_model(t) or _steps_to_an_epoch(t)),
    Check("reference.last_epoch", lambda t, case, cid: reference.check_reference(t, case, cid, resumed=True),
          _cases(), CONTRACT, 0.5, doc="resumed by building with last_epoch=k-1, the run follows the documented "
          "schedule, up to rounding", needs_state=False,
          applies=lambda t: reference.no_model(t) or (None if t.capabilities.last_epoch_resume else
                                                      f"{t.name} does not declare last_epoch_resume")),
]

BY_ID = {c.id: c for c in CHECKS}


@dataclass(frozen=True)
class Planned:
    """One check on one target: an entry, and the variant it was expanded with."""

    check: Check
    id: str
    variant: Any = None
    variant_id: str = ""


def planned(target) -> list[Planned]:
    """Every check id the suite runs on `target`, in table order (capabilities not applied)."""
    out = []
    for check in CHECKS:
        if check.variants is None:
            out.append(Planned(check, check.id))
            continue
        for vid, value in check.variants(target):
            out.append(Planned(check, f"{check.id}.{vid}", value, vid))
    return out


def _undeclared(check: Check, target) -> Optional[str]:
    return next((cap for cap in check.requires if not getattr(target.capabilities, cap)), None)


def missing_capability(check: Check, target) -> Optional[str]:
    """Why `target` skips `check`, or None.

    Skipped: a check that needs what the target neither declares nor offers,
    and a check that resumes through state the target cannot give (no
    state_dict): `serialization.weights_only` is then the one red check. A
    check that needs a look at a built scheduler, when the probe could not
    build one, says so with the probe's error (`Probe.problem`).
    """
    if check.applies is not None:
        why = check.applies(target)
        if why:
            return why
    if check.needs_state:
        why = probe(target).missing_state
        if why:
            return (f"{target.name} cannot be checkpointed ({why}), so this check cannot judge its resume; "
                    "serialization.weights_only reports it")
    cap = _undeclared(check, target)
    if cap is None or result_only(check, target):
        return None
    return f"{target.name} does not declare {cap}"


def result_only(check: Check, target) -> bool:
    """True when `target` offers what `check` needs without declaring it: a result, not a contract."""
    return _undeclared(check, target) is not None and check.offered is not None and check.offered(
        target.capabilities)
