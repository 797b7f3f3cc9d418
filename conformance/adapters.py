"""Ready-made `Adapter`s for schedulers with non-standard APIs.

An adapter tells the loop how to step, save, load and read a target. Pick one
in a `TargetSpec(adapter=...)`:

- `renamed(...)`: the standard shape under other method names;
- `counter(...)`: `step(epoch)` / `step_update(num_updates)` schedulers that
  are told the count (timm-style); the loop's count is saved in the
  checkpoint, as a training script saves its epoch;
- `handler(...)`: objects called once per iteration (ignite-style
  `handler(engine)`);
- `wrapped(...)`: a scheduler stepped inside a wrapper's context manager
  (pytorch-warmup style `with warmup.dampening(): scheduler.step()`), built
  as a `Wrapped(scheduler, wrapper)` pair;
- `NO_LAST_LR`: compare on the optimizer's values alone.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from typing import Any, Callable, Optional

from conformance.spec import DEFAULT_ADAPTER, Adapter

NO_LAST_LR = replace(DEFAULT_ADAPTER, last_lr=lambda scheduler: None)


def _method(scheduler, name: str, what: str):
    fn = getattr(scheduler, name, None)
    if not callable(fn):
        raise AttributeError(
            f"{type(scheduler).__name__} has no {name}() method; {what} (declare the right "
            f"method names with conformance.adapters.renamed)"
        )
    return fn


def renamed(
    step: str = "step",
    state_dict: str = "state_dict",
    load_state_dict: str = "load_state_dict",
    last_lr: Optional[str] = "get_last_lr",
) -> Adapter:
    """The standard adapter with other method names; `last_lr=None` when there is none."""

    def do_step(scheduler, metric):
        fn = _method(scheduler, step, "the loop cannot step the scheduler")
        fn() if metric is None else fn(metric)

    def read(scheduler):
        if last_lr is None or not hasattr(scheduler, last_lr):
            return None
        return getattr(scheduler, last_lr)()

    return Adapter(
        step=do_step,
        state_dict=lambda s: _method(s, state_dict, "a scheduler must save its state to be resumed")(),
        load_state_dict=lambda s, state: _method(s, load_state_dict, "a scheduler must load its state")(state),
        last_lr=read,
    )


class _Counts:
    """The loop's own step count per live scheduler (dropped with the scheduler)."""

    def __init__(self) -> None:
        self._counts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, scheduler) -> int:
        return self._counts.get(scheduler, 0)

    def set(self, scheduler, n: int) -> None:
        self._counts[scheduler] = n


def counter(method: str = "step", start: int = 1, metric_keyword: Optional[str] = "metric",
            base: Adapter = DEFAULT_ADAPTER) -> Adapter:
    """A scheduler told the count: `scheduler.<method>(start + n)` on its n-th step.

    timm: `counter("step_update")` for per-update stepping, `counter("step")`
    for per-epoch stepping. The metric, when the target is metric-driven, is
    passed as `metric_keyword=metric`. The checkpoint holds
    `{"scheduler": state, "count": n}`.
    """
    counts = _Counts()

    def step(scheduler, metric):
        n = counts.get(scheduler)
        fn = _method(scheduler, method, f"the loop calls {method}(count)")
        if metric is None or metric_keyword is None:
            fn(start + n)
        else:
            fn(start + n, **{metric_keyword: metric})
        counts.set(scheduler, n + 1)

    def save(scheduler):
        return {"scheduler": base.state_dict(scheduler), "count": counts.get(scheduler)}

    def load(scheduler, state):
        base.load_state_dict(scheduler, state["scheduler"])
        counts.set(scheduler, int(state["count"]))

    return replace(base, step=step, state_dict=save, load_state_dict=load)


def handler(argument: Callable[[Any, int], tuple] = lambda scheduler, n: (None,),
            base: Adapter = DEFAULT_ADAPTER) -> Adapter:
    """A handler called once per scheduler step: `scheduler(*argument(scheduler, n))`.

    ignite's param schedulers are called as `handler(engine)`; they keep their
    own event count, so the default passes `None` for the engine.
    """
    counts = _Counts()

    def step(scheduler, metric):
        n = counts.get(scheduler)
        scheduler(*argument(scheduler, n))
        counts.set(scheduler, n + 1)

    def load(scheduler, state):
        base.load_state_dict(scheduler, state["scheduler"])
        counts.set(scheduler, int(state["count"]))

    return replace(
        base, step=step, load_state_dict=load,
        state_dict=lambda s: {"scheduler": base.state_dict(s), "count": counts.get(s)},
    )


@dataclass
class Wrapped:
    """A scheduler (or None) and the wrapper that steps it, built together."""

    scheduler: Any
    wrapper: Any


def wrapped(context: str = "dampening", inner: Adapter = DEFAULT_ADAPTER,
            wrapper_last_lr: bool = False) -> Adapter:
    """`with pair.wrapper.<context>(): inner.step(pair.scheduler)`; both states are saved.

    The last lr is the inner scheduler's (what a loop that logs
    `get_last_lr()` sees), or None without an inner scheduler.
    """

    def step(pair: Wrapped, metric):
        with _method(pair.wrapper, context, f"the loop steps inside {context}()")():
            if pair.scheduler is not None:
                inner.step(pair.scheduler, metric)

    def save(pair: Wrapped):
        state = {"wrapper": pair.wrapper.state_dict()}
        if pair.scheduler is not None:
            state["scheduler"] = inner.state_dict(pair.scheduler)
        return state

    def load(pair: Wrapped, state):
        if pair.scheduler is not None:
            inner.load_state_dict(pair.scheduler, state["scheduler"])
        pair.wrapper.load_state_dict(state["wrapper"])

    def read(pair: Wrapped):
        if wrapper_last_lr:
            return DEFAULT_ADAPTER.last_lr(pair.wrapper)
        return None if pair.scheduler is None else inner.last_lr(pair.scheduler)

    return Adapter(step=step, state_dict=save, load_state_dict=load, last_lr=read)
