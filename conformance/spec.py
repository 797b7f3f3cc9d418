"""`TargetSpec`: a scheduler under test, described as data.

A target says how to build the scheduler from an optimizer and a config, which
configs are valid (a Hypothesis strategy), how the loop drives it (the
`Adapter`), what it supports (`Capabilities`), where its schedule has
boundaries worth interrupting at, and which checks it is known to fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

from hypothesis import strategies as st

from conformance.model.optimizer import OptimizerNeeds

__all__ = ["Adapter", "Capabilities", "DEFAULT_ADAPTER", "OptimizerNeeds", "PartialSpec", "TargetSpec"]


def _step(scheduler, metric):
    if metric is None:
        scheduler.step()
    else:
        scheduler.step(metric)


def _last_lr(scheduler):
    getter = getattr(scheduler, "get_last_lr", None)
    return None if getter is None else getter()


@dataclass(frozen=True)
class Adapter:
    """How the loop steps, saves, loads and reads a target.

    `step(scheduler, metric)` gets `metric=None` unless the target is
    metric-driven. `last_lr(scheduler)` returns one value per param group, or
    None when the scheduler has no notion of it: the run is then compared on
    the optimizer's values alone.
    """

    step: Callable[[Any, Optional[float]], None] = _step
    state_dict: Callable[[Any], Any] = lambda scheduler: scheduler.state_dict()
    load_state_dict: Callable[[Any, Any], None] = (
        lambda scheduler, state: scheduler.load_state_dict(state)
    )
    last_lr: Callable[[Any], Optional[list]] = _last_lr


DEFAULT_ADAPTER = Adapter()


@dataclass(frozen=True)
class Capabilities:
    """What a target declares, and what it merely offers.

    A declared recipe is a contract: `recipe.last_epoch` fails the run when a
    target that declares `last_epoch_resume` does not resume with it. A recipe
    the target only offers (its constructor takes `last_epoch`; any scheduler
    can be fast-forwarded) is still tried, and the outcome is a result in the
    recipe-safety table, not a failure. Checks a target neither declares nor
    offers are skipped.
    """

    metric_driven: bool = False
    last_epoch_resume: bool = False  # declares: resumes with `last_epoch=k-1` (torch documents it)
    fast_forward: bool = True  # declares: replaying k scheduler steps reproduces the state
    cycles_momentum: bool = False  # may write momentum / betas[0]
    accepts_last_epoch: bool = False  # offers: its constructor takes the resume position (`resume_argument`)
    resume_argument: str = "last_epoch"  # the constructor argument the constructor recipe passes the position in
    resume_start: int = -1  # that argument's value in a run that never stepped: after k steps it is this + k
    position_argument: str = ""  # step() is told the count under this name (timm-style step(epoch)); "" if not
    position_metric: str = ""  # ... and the metric under this keyword, when it takes one too


@dataclass(frozen=True)
class TargetSpec:
    """One scheduler under test.

    - `build(optimizer, config)` returns a fresh scheduler. Recipes that resume
      through the constructor pass `config | {"last_epoch": k - 1}`.
    - `configs(groups)` is a strategy of config dicts for an optimizer with
      `groups` param groups; `needs(config)` says what the optimizer must have.
    - `boundaries(config)` lists scheduler-step counts where the schedule
      changes shape (milestones, cycle ends, ...); plans favour them.
    - `max_steps(config)` caps the scheduler steps a plan may take (OneCycleLR).
    - `known_failures` maps a check id or family prefix to a reason, or to a
      `KnownFailure` record (the built-ins get theirs from
      `conformance/targets/known_failures.py`).
    - `hyperparameters` names the config keys `mismatch.<param>` varies.
    - `pinned` holds `(label, Case)` edge cases, always run as `resume.edge.<label>`.
    """

    name: str
    build: Callable[[Any, Mapping[str, Any]], Any]
    configs: Callable[[int], st.SearchStrategy[dict]] = lambda groups: st.just({})
    adapter: Adapter = DEFAULT_ADAPTER
    capabilities: Capabilities = Capabilities()
    needs: Callable[[Mapping[str, Any]], OptimizerNeeds] = lambda config: OptimizerNeeds()
    boundaries: Callable[[Mapping[str, Any]], list] = lambda config: []
    max_steps: Callable[[Mapping[str, Any]], Optional[int]] = lambda config: None
    known_failures: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""  # where the target came from, e.g. "torch" or "pkg.mod:attr"
    # Constructor parameters the `mismatch.*` checks change at resume; None:
    # the keys of the target's simplest config.
    hyperparameters: Optional[tuple] = None
    pinned: tuple = ()
    # How each constructor argument was inferred, for a class or factory loaded without a
    # TargetSpec (e.g. {"gamma": "float 0.05..1 (probed)"}); empty for hand-written specs.
    inferred: Mapping[str, str] = field(default_factory=dict)
    # How the loop drives it, as inferred (e.g. "step(epoch) told the count 1, 2, ..."); "" when declared.
    driven: str = ""

    def __repr__(self) -> str:
        return f"TargetSpec({self.name!r})"

    def _repr_pretty_(self, printer, cycle) -> None:
        """Hypothesis prints a dataclass field by field (lambdas through their source) whatever its
        `__repr__`: ~5 ms each time it names a strategy of cases, which it does for every rejected one."""
        printer.text(repr(self))

    @staticmethod
    def infer(build: Callable, **fields) -> "PartialSpec":
        """A spec of the class or factory `build` with only `fields` set (e.g. `adapter=counter("step_update")`).

        What is not set is inferred when the target loads, as for a plain class
        named by `--target` (configs, capabilities, how it is driven); the given
        fields win. Nothing is run until then.
        """
        unknown = set(fields) - {f for f in TargetSpec.__dataclass_fields__ if f not in ("build", "inferred", "driven")}
        if unknown:
            raise TypeError(f"TargetSpec.infer got unknown fields {sorted(unknown)}; "
                            f"it takes TargetSpec's fields except build, inferred and driven")
        return PartialSpec(build, dict(fields))


@dataclass(frozen=True)
class PartialSpec:
    """A partial `TargetSpec` (`TargetSpec.infer`): completed by inference when it loads."""

    build: Callable
    fields: Mapping[str, Any]


def split_source(source: str) -> tuple:
    """`source` as (module, attr, label): 'pkg.mod:TARGETS (pkg 1.2)' -> ('pkg.mod', 'TARGETS', 'pkg 1.2').

    A source is the importable 'MODULE:ATTR' that holds the target, optionally
    followed by a space and a label for people (a library's version, say); a
    source without 'MODULE:ATTR' first is a label alone: ('', '', source).
    """
    ref, _, label = source.strip().partition(" ")
    module, colon, attr = ref.partition(":")
    if not (colon and module and all(part.isidentifier() for part in attr.split("."))):
        return "", "", source
    return module, attr, label.strip().removeprefix("(").removesuffix(")")
