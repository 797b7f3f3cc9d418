"""ignite: an `Engine`, the scheduler as ignite's `LRScheduler` handler, `Checkpoint` to resume.

Documented resume (https://pytorch.org/ignite/generated/ignite.handlers.checkpoint.Checkpoint.html):
`Checkpoint(to_save={"trainer", "model", "optimizer", "lr_scheduler"}, DiskSaver(dir))` on an
event, then in fresh objects `Checkpoint.load_objects(to_load, checkpoint=path)` and
`trainer.run(data, max_epochs)`, which goes on from the loaded iteration. A torch
`LRScheduler` is wrapped in ignite's `LRScheduler` and attached to ITERATION_STARTED, as
ignite's docs show; other schedulers (metric-driven, composites without `get_lr()`, or not an
`LRScheduler`) are stepped by a plain handler on ITERATION_COMPLETED. The checkpoint is taken at ITERATION_COMPLETED of
iteration `stop`, after the scheduler's event.

A target whose scheduler is torch's ReduceLROnPlateau also draws `plateau` ("step": the plain
handler; "ignite": ignite's own `ReduceLROnPlateauScheduler` handler built from the case's
config (no `trainer`: it serves only `save_history`), stepped on the metric put in `engine.state.metrics`;
https://pytorch.org/ignite/generated/ignite.handlers.param_scheduler.ReduceLROnPlateauScheduler.html).
ignite's wrapper takes `min_lr` only with `param_group_index`; otherwise it sets 0, in both runs.

`load`: "path" (`load_objects` loads the file itself, `weights_only=True`) or "mapping" (the
state dict from the user's own trusted `torch.load(path, weights_only=False)`, which
`load_objects` accepts too).

Options: `epoch_length` (iterations per epoch, so a stop falls mid-epoch or on its end),
`load`, `plateau`.
Mistake `checkpoint_first`: the Checkpoint handler is registered on ITERATION_STARTED before
the scheduler's, so the saved scheduler state is one step behind the saved iteration.
"""

from __future__ import annotations

import logging
import os
import warnings

import torch
from hypothesis import strategies as st

from conformance.drivers.base import Driver
from conformance.drivers.common import batches, objects, recording
from conformance.harness.errors import calling
from conformance.harness.live import build_scheduler, metric_at
from conformance.harness.recorder import Recorder
from conformance.model.optimizer import model_and_optimizer
from conformance.spec import DEFAULT_ADAPTER

DOCS = "https://pytorch.org/ignite/generated/ignite.handlers.checkpoint.Checkpoint.html"
METRIC = "lrc_metric"


def _options(target, case):
    steps = case.plan.epochs
    drawn = {
        "epoch_length": st.integers(1, max(1, min(steps, 6))),
        "stop": st.integers(1, max(1, steps - 1)),
        "load": st.sampled_from(["path", "mapping"]),
    }
    if _plateau(target, case):
        drawn["plateau"] = st.sampled_from(["step", "ignite"])
    return st.fixed_dictionaries(drawn)


def _plateau(target, case) -> bool:
    """Is the target's scheduler torch's ReduceLROnPlateau (which ignite's own handler wraps)?"""
    try:  # built without seeding: this runs inside a Hypothesis draw, which must not touch `random`
        optimizer = case.setup.build(case.setup.make_params())
        return type(build_scheduler(target, optimizer, case.config)) is torch.optim.lr_scheduler.ReduceLROnPlateau
    except Exception:  # noqa: BLE001 - a target that can't be built is reported by the run itself
        return False


def wraps(target, scheduler) -> bool:
    """ignite's LRScheduler drives a torch LRScheduler through its get_lr(): composites have none."""
    base = torch.optim.lr_scheduler.LRScheduler
    return (isinstance(scheduler, base) and not target.capabilities.metric_driven
            and type(scheduler).get_lr is not base.get_lr)


def train(target, case, options, stop=None, save_to="", load_from="", mistake=""):
    with warnings.catch_warnings():  # ignite's import touches torch.jit (deprecated): not a verdict
        warnings.simplefilter("ignore")
        from ignite.engine import Engine, Events
        from ignite.handlers import Checkpoint, DiskSaver
        from ignite.handlers.param_scheduler import LRScheduler, ReduceLROnPlateauScheduler

    logging.getLogger("ignite").setLevel(logging.CRITICAL)  # an Engine logs the exceptions it re-raises
    ignite_plateau = options.get("plateau") == "ignite"
    if ignite_plateau:
        (model, optimizer), scheduler = model_and_optimizer(case.setup), None
    else:
        model, optimizer, scheduler = objects(target, case)
    steps, epoch_length = case.plan.epochs, options["epoch_length"]

    def update(engine, batch):
        model(batch).backward()
        with calling("optimizer.step"):
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    trainer = Engine(update)
    wrapped = not ignite_plateau and wraps(target, scheduler)
    if wrapped:
        handler = LRScheduler(scheduler)
        event = Events.ITERATION_STARTED
    elif ignite_plateau:
        handler = ReduceLROnPlateauScheduler(optimizer, METRIC, **case.config)  # trainer: only for save_history
        scheduler = handler.scheduler

        def step_scheduler(engine):
            engine.state.metrics[METRIC] = metric_at(target, case, engine.state.iteration - 1)
            with calling("step"):
                handler(engine)

        event = Events.ITERATION_COMPLETED
    else:
        handler = scheduler

        def step_scheduler(engine):
            with calling("step"):
                target.adapter.step(scheduler, metric_at(target, case, engine.state.iteration - 1))

        event = Events.ITERATION_COMPLETED
    to_save = {"trainer": trainer, "model": model, "optimizer": optimizer, "lr_scheduler": handler}
    checkpoint = Checkpoint(to_save, DiskSaver(save_to, require_empty=False), n_saved=None) if stop else None
    if checkpoint is not None and mistake == "checkpoint_first":
        trainer.add_event_handler(Events.ITERATION_STARTED(once=stop + 1), checkpoint)
        trainer.add_event_handler(Events.ITERATION_STARTED(once=stop + 1), lambda e: e.terminate())
    trainer.add_event_handler(event, handler if wrapped else step_scheduler)
    if checkpoint is not None and mistake != "checkpoint_first":
        trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop), checkpoint)
        trainer.add_event_handler(Events.ITERATION_COMPLETED(once=stop), lambda e: e.terminate())
    if load_from:
        (path,) = [os.path.join(load_from, f) for f in os.listdir(load_from) if f.endswith(".pt")]
        if options.get("load") == "mapping":  # the user's own (trusted) torch.load, as load_objects allows
            path = torch.load(path, weights_only=False)
        Checkpoint.load_objects(to_load=to_save, checkpoint=path)
    if ignite_plateau:
        recorder = Recorder()
        recorder.attach(optimizer, lambda: DEFAULT_ADAPTER.last_lr(scheduler))
    else:
        recorder = recording(target, optimizer, scheduler)
    epochs = -(-steps // epoch_length)
    trainer.run(batches(epoch_length), max_epochs=epochs, epoch_length=epoch_length)
    recorder.detach()
    return recorder.records


DRIVER = Driver("ignite", "pytorch-ignite", DOCS, _options, train,
                mistakes={"checkpoint_first": "the checkpoint is taken before the scheduler steps"},
                example_options={"epoch_length": 3, "stop": 4})
