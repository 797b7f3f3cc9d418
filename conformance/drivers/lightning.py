"""PyTorch Lightning: `Trainer.fit`, the scheduler in `configure_optimizers`, `ModelCheckpoint` to resume.

Documented resume (https://lightning.ai/docs/pytorch/stable/common/checkpointing_basic.html):
a `ModelCheckpoint(every_n_train_steps=k)` writes the checkpoint at optimizer step k; a fresh
LightningModule and a fresh `Trainer` resume with `trainer.fit(model, ckpt_path=path)`. The
scheduler comes back from the checkpoint's `lr_schedulers`, the loop position from its loop
state, and a mid-epoch position from the train loader's own `state_dict()` (Lightning saves
it for a stateful loader).

Options, from the scheduler config Lightning documents: `interval` ("step" or "epoch"),
`frequency`, `monitor` for a metric-driven target (the plan's metric, logged as `lrc_metric`
with `reduce_fx="max"`, so a part-epoch gives the same value), `accumulate_grad_batches`,
`batches_per_epoch` (so a stop falls mid-epoch or on an epoch's end). The run is killed right
after the checkpoint: the optimizer step pre-hook raises before step k + 1.

Mistake `checkpoint_mid_batch`: the checkpoint is written by hand (`trainer.save_checkpoint`)
from `on_before_optimizer_step` of step k + 1, inside a batch that has not finished, instead of
by `ModelCheckpoint` at the end of batch k.
"""

from __future__ import annotations

import glob
import logging
import os
import warnings

import torch
from hypothesis import strategies as st

from conformance.drivers.base import Driver
from conformance.drivers.common import metric_at, objects, recording
from conformance.harness.errors import calling
from conformance.harness.scratch import scratch_dir
from conformance.spec import DEFAULT_ADAPTER

DOCS = "https://lightning.ai/docs/pytorch/stable/common/checkpointing_basic.html"
METRIC = "lrc_metric"


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


def _options(target, case):
    steps = case.plan.epochs
    return st.fixed_dictionaries({
        "interval": st.sampled_from(["step", "epoch"]),
        "frequency": st.integers(1, 3),
        "accumulate_grad_batches": st.integers(1, 2),
        "batches_per_epoch": st.integers(1, 5),
        "stop": st.integers(1, max(1, steps - 1)),
    })


def limitation(target, case, options):
    if target.adapter.step is not DEFAULT_ADAPTER.step and not target.capabilities.metric_driven:
        return (f"{target.name} is stepped through its own API; Lightning calls scheduler.step() itself "
                f"(lr_scheduler_step can be overridden: {DOCS})")
    return None


def train(target, case, options, stop=None, save_to="", load_from="", mistake=""):
    import pytorch_lightning as pl
    from pytorch_lightning.callbacks import Callback, ModelCheckpoint

    for name in ("pytorch_lightning", "lightning_fabric", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    steps = case.plan.epochs
    per_epoch = options["batches_per_epoch"] * options["accumulate_grad_batches"]
    held = {}

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            model, optimizer, scheduler = objects(target, case)
            self.tiny = model
            held.update(optimizer=optimizer, scheduler=scheduler)

        def training_step(self, batch, batch_idx):
            if target.capabilities.metric_driven:
                at = self.global_step if options["interval"] == "step" else self.current_epoch
                self.log(METRIC, float(metric_at(target, case, at)), on_step=options["interval"] == "step",
                         on_epoch=options["interval"] == "epoch", reduce_fx="max", logger=False)
            return self.tiny(batch)

        def configure_optimizers(self):
            optimizer, scheduler = held["optimizer"], held["scheduler"]
            config = {"scheduler": scheduler, "interval": options["interval"], "frequency": options["frequency"]}
            if target.capabilities.metric_driven:
                config["monitor"] = METRIC
            return {"optimizer": optimizer, "lr_scheduler": config}

        def lr_scheduler_step(self, scheduler, metric):
            with calling("step"):
                target.adapter.step(scheduler, metric)

    class BeforeScheduler(Callback):
        """The mistake: save by hand from inside batch k + 1, before its optimizer step."""

        def on_before_optimizer_step(self, trainer, module, optimizer):
            if trainer.global_step == stop:
                trainer.save_checkpoint(os.path.join(save_to, "early.ckpt"))

    module = Module()
    optimizer = held["optimizer"]
    done = []

    def kill(opt, args, kwargs):
        if stop is not None and len(done) >= stop:
            raise Interrupted()
        done.append(1)

    optimizer.register_step_pre_hook(kill)
    recorder = recording(target, optimizer, held["scheduler"])
    callbacks = []
    if stop is not None and mistake == "checkpoint_mid_batch":
        callbacks.append(BeforeScheduler())
    elif stop is not None:
        callbacks.append(ModelCheckpoint(dirpath=save_to, filename="{step}", every_n_train_steps=stop,
                                         save_top_k=-1, enable_version_counter=False))
    trainer = pl.Trainer(max_steps=steps, max_epochs=-1, accelerator="cpu", devices=1, logger=False,
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                         limit_val_batches=0, enable_checkpointing=any(isinstance(c, ModelCheckpoint) for c in callbacks),
                         callbacks=callbacks, default_root_dir=save_to or load_from or scratch_dir(),
                         accumulate_grad_batches=options["accumulate_grad_batches"])
    path = None
    if load_from:
        (path,) = glob.glob(os.path.join(load_from, "*.ckpt"))
    with warnings.catch_warnings():  # Lightning's advice (num_workers, ckpt_path callbacks) is not a verdict
        warnings.simplefilter("ignore")
        try:
            trainer.fit(module, train_dataloaders=IndexLoader(per_epoch), ckpt_path=path)
        except Interrupted:
            pass
    recorder.detach()
    return recorder.records


DRIVER = Driver("lightning", "pytorch-lightning", DOCS, _options, train, limitation,
                mistakes={"checkpoint_mid_batch": "the checkpoint is saved by hand inside the next batch"},
                example_options={"interval": "step", "frequency": 1, "accumulate_grad_batches": 1,
                                 "batches_per_epoch": 3, "stop": 4})
