"""PyTorch Lightning: `Trainer.fit`, the scheduler in `configure_optimizers`, `ModelCheckpoint` to resume.

Documented resume (https://lightning.ai/docs/pytorch/stable/common/checkpointing_basic.html):
a `ModelCheckpoint` writes the checkpoint; a fresh LightningModule and a fresh `Trainer`
(`max_steps` = the plan's length) resume with `trainer.fit(model, ckpt_path=path)`. The
scheduler comes back from the checkpoint's `lr_schedulers`, the loop position from its loop
state, and a mid-epoch position from the train loader's own `state_dict()` (Lightning saves
it for a stateful loader). The run is killed right after the checkpoint: the optimizer step
pre-hook raises before step `stop` + 1.

Options, from the scheduler config Lightning documents: `interval` ("step" or "epoch"),
`frequency`, `accumulate_grad_batches`, `batches_per_epoch`, and `save`: "steps"
(`every_n_train_steps=stop`, so a stop falls mid-epoch or on an epoch's last batch) or
"epoch_end" (`every_n_epochs`, `save_on_train_epoch_end=True`; `stop` is then a whole number of
epochs). With `validate`, a 1-batch validation loop runs (`check_val_every_n_epoch` 1-3 or None,
`val_check_interval` None, a number of batches or a fraction of the epoch; no sanity check).
A metric-driven target monitors the plan's metric (`metric_at`), logged in `training_step` as
`lrc_metric` (the index is the global step, or the epoch with `reduce_fx="max"`, so a part-epoch
gives the same value), or, with `monitor="val_loss"`, in `validation_step` (index: the global
step, which the checkpoint restores), with `strict` drawn. Lightning documents that a scheduler
monitoring a validation metric steps per epoch at a multiple of `check_val_every_n_epoch`;
other setups are a `limitation` (the metric is missing at some steps: strict=True stops with
MisconfigurationException, strict=False warns and skips, and logged metrics are not checkpointed).
Options without the newer keys (`save`, `validate`, `monitor`) mean steps, no validation, `lrc_metric`.

Mistakes: `checkpoint_mid_batch`, the checkpoint written by hand (`trainer.save_checkpoint`) from
`on_before_optimizer_step` of step k + 1, inside a batch that has not finished, instead of by
`ModelCheckpoint` at the end of batch k; `checkpoint_before_scheduler_step`, written by hand from
the optimizer's step post-hook of step k, before Lightning steps the scheduler (at an epoch's
end, before its epoch-interval step).
"""

from __future__ import annotations

import glob
import logging
import os
import warnings

import torch
from hypothesis import strategies as st

from conformance.drivers.base import Driver
from conformance.drivers.common import objects, recording
from conformance.harness.errors import calling
from conformance.harness.live import metric_at
from conformance.harness.scratch import scratch_dir
from conformance.spec import DEFAULT_ADAPTER

DOCS = "https://lightning.ai/docs/pytorch/stable/common/checkpointing_basic.html"
SCHEDULER_DOCS = ("https://lightning.ai/docs/pytorch/stable/api/lightning.pytorch.core.LightningModule.html"
                  "#lightning.pytorch.core.LightningModule.configure_optimizers")
METRIC = "lrc_metric"
VAL_METRIC = "val_loss"


class Interrupted(Exception):
    """The kill right after the checkpoint."""


class IndexLoader:
    """Batch i is its own index; stateful, so Lightning restores a mid-epoch position."""

    def __init__(self, n: int) -> None:
        self.n, self.start, self.pos = n, 0, -1

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        start, self.start = self.start, 0
        for self.pos in range(start, self.n):
            yield torch.tensor(self.pos)
        self.pos = -1

    def state_dict(self) -> dict:
        # After an epoch's last batch the next one is batch 0 of the next epoch.
        return {"next": (self.pos + 1) % self.n}

    def load_state_dict(self, state: dict) -> None:
        self.start = state["next"]


@st.composite
def _options(draw, target, case):
    last = max(1, case.plan.epochs - 1)  # the latest stop
    options = {
        "interval": draw(st.sampled_from(["step", "epoch"]), label="interval"),
        "frequency": draw(st.integers(1, 3), label="frequency"),
        "accumulate_grad_batches": draw(st.integers(1, 2), label="accumulate_grad_batches"),
        "save": draw(st.sampled_from(["steps", "epoch_end"]), label="save"),
    }
    if options["save"] == "steps":
        options["batches_per_epoch"] = draw(st.integers(1, 5), label="batches_per_epoch")
        options["stop"] = draw(st.integers(1, last), label="stop")
    else:  # batches_per_epoch optimizer steps per epoch: the stop is a whole number of epochs
        per = options["batches_per_epoch"] = draw(st.integers(1, min(5, last)), label="batches_per_epoch")
        options["stop"] = per * draw(st.integers(1, max(1, last // per)), label="stop epochs")
    if draw(st.booleans(), label="validate"):
        batches = options["batches_per_epoch"] * options["accumulate_grad_batches"]
        every = draw(st.sampled_from([1, 2, 3, None]), label="check_val_every_n_epoch")
        whole = st.integers(1, batches if every else 2 * batches)
        options.update(validate=True, check_val_every_n_epoch=every, val_check_interval=draw(
            whole if every is None else st.one_of(st.none(), whole, st.sampled_from([0.25, 0.5, 1.0])),
            label="val_check_interval"))
        if target.capabilities.metric_driven and draw(st.booleans(), label="metric from validation_step"):
            options.update(monitor=VAL_METRIC, strict=draw(st.booleans(), label="strict"))
    return options


def limitation(target, case, options):
    if target.adapter.step is not DEFAULT_ADAPTER.step and not target.capabilities.metric_driven:
        return (f"{target.name} is stepped through its own API; Lightning calls scheduler.step() itself "
                f"(lr_scheduler_step can be overridden: {DOCS})")
    every = options.get("check_val_every_n_epoch")
    if options.get("monitor") == VAL_METRIC and not (
            options["interval"] == "epoch" and every and options["frequency"] % every == 0):
        return ("a scheduler monitoring a validation metric must step per epoch with a frequency that is a multiple "
                "of check_val_every_n_epoch; otherwise the metric is missing at some steps and Lightning stops "
                "(strict=True: MisconfigurationException) or warns and skips the step (strict=False), and logged "
                f"metrics are not in the checkpoint: {SCHEDULER_DOCS}")
    return None


def train(target, case, options, stop=None, save_to="", load_from="", mistake=""):
    import pytorch_lightning as pl
    from pytorch_lightning.callbacks import Callback, ModelCheckpoint

    for name in ("pytorch_lightning", "lightning_fabric", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    steps = case.plan.epochs
    per_epoch = options["batches_per_epoch"] * options["accumulate_grad_batches"]
    monitor = options.get("monitor", METRIC) if target.capabilities.metric_driven else None
    validate = options.get("validate", False)
    held = {}

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            model, optimizer, scheduler = objects(target, case)
            self.tiny = model
            held.update(optimizer=optimizer, scheduler=scheduler)

        def training_step(self, batch, batch_idx):
            if monitor == METRIC:
                at = self.global_step if options["interval"] == "step" else self.current_epoch
                self.log(METRIC, float(metric_at(target, case, at)), on_step=options["interval"] == "step",
                         on_epoch=options["interval"] == "epoch", reduce_fx="max", logger=False)
            return self.tiny(batch)

        def validation_step(self, batch, batch_idx):
            if monitor == VAL_METRIC:  # the documented pattern; global_step comes back on resume
                self.log(VAL_METRIC, float(metric_at(target, case, self.global_step)), logger=False)

        def configure_optimizers(self):
            optimizer, scheduler = held["optimizer"], held["scheduler"]
            config = {"scheduler": scheduler, "interval": options["interval"], "frequency": options["frequency"]}
            if monitor:
                config.update(monitor=monitor, strict=options.get("strict", True))
            return {"optimizer": optimizer, "lr_scheduler": config}

        def lr_scheduler_step(self, scheduler, metric):
            with calling("step"):
                target.adapter.step(scheduler, metric)

    class BeforeScheduler(Callback):
        """The mistake: save by hand from inside batch k + 1, before its optimizer step, then stop."""

        def on_before_optimizer_step(self, trainer, module, optimizer):
            if trainer.global_step == stop:
                trainer.save_checkpoint(os.path.join(save_to, "early.ckpt"))
                raise Interrupted()

    module = Module()
    optimizer = held["optimizer"]
    done = []

    def kill(opt, args, kwargs):  # the mid-batch mistake stops itself, after this hook
        if stop is not None and len(done) >= stop and mistake != "checkpoint_mid_batch":
            raise Interrupted()
        done.append(1)

    def save_early(opt, args, kwargs):  # the mistake: before Lightning steps the scheduler
        if len(done) == stop:
            held["trainer"].save_checkpoint(os.path.join(save_to, "early.ckpt"))

    optimizer.register_step_pre_hook(kill)
    if stop is not None and mistake == "checkpoint_before_scheduler_step":
        optimizer.register_step_post_hook(save_early)
    recorder = recording(target, optimizer, held["scheduler"])
    callbacks = []
    if stop is not None and mistake == "checkpoint_mid_batch":
        callbacks.append(BeforeScheduler())
    elif stop is not None and not mistake:
        cadence = ({"every_n_epochs": stop // options["batches_per_epoch"], "save_on_train_epoch_end": True}
                   if options.get("save") == "epoch_end" else {"every_n_train_steps": stop})
        callbacks.append(ModelCheckpoint(dirpath=save_to, filename="{step}", save_top_k=-1,
                                         enable_version_counter=False, **cadence))
    val = {"limit_val_batches": 0}
    if validate:
        val = {"limit_val_batches": 1, "check_val_every_n_epoch": options["check_val_every_n_epoch"],
               "val_check_interval": options["val_check_interval"]}
    trainer = held["trainer"] = pl.Trainer(
        max_steps=steps, max_epochs=-1, accelerator="cpu", devices=1, logger=False, enable_progress_bar=False,
        enable_model_summary=False, num_sanity_val_steps=0, callbacks=callbacks,
        enable_checkpointing=any(isinstance(c, ModelCheckpoint) for c in callbacks),
        default_root_dir=save_to or load_from or scratch_dir(),
        accumulate_grad_batches=options["accumulate_grad_batches"], **val)
    path = None
    if load_from:
        (path,) = glob.glob(os.path.join(glob.escape(load_from), "*.ckpt"))
    with warnings.catch_warnings():  # Lightning's advice (num_workers, ckpt_path callbacks) is not a verdict
        warnings.simplefilter("ignore")
        try:
            trainer.fit(module, train_dataloaders=IndexLoader(per_epoch),
                        val_dataloaders=IndexLoader(1) if validate else None, ckpt_path=path)
        except Interrupted:
            pass
    recorder.detach()
    return recorder.records


DRIVER = Driver("lightning", "pytorch-lightning", DOCS, _options, train, limitation,
                mistakes={"checkpoint_mid_batch": "the checkpoint is saved by hand inside the next batch",
                          "checkpoint_before_scheduler_step": "the checkpoint is saved by hand right after "
                          "optimizer step k, before Lightning steps the scheduler"},
                example_options={"interval": "step", "frequency": 1, "accumulate_grad_batches": 1,
                                 "batches_per_epoch": 3, "stop": 4})
