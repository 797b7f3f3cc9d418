"""Accelerate: the user's loop around `Accelerator`, `save_state` / `load_state` to resume.

Documented resume (https://huggingface.co/docs/accelerate/usage_guides/checkpoint):
`model, optimizer, dataloader, scheduler = accelerator.prepare(...)`, loop counters registered
with `accelerator.register_for_checkpointing`, `accelerator.save_state(dir)` during training; in
a fresh process, the same objects prepared by a fresh `Accelerator`, `accelerator.load_state(dir)`
and `accelerator.skip_first_batches(dataloader, n)` for the rest of an interrupted epoch. The
loop is the one of Accelerate's docs and examples (gradient accumulation guide,
examples/by_feature/checkpointing.py):

    for batch in dataloader:                      # skip_first_batches(...) in a resumed epoch
        with accelerator.accumulate(model):
            accelerator.backward(model(batch)); optimizer.step()
            scheduler.step()                      # interval "step"
            optimizer.zero_grad()
        if accelerator.sync_gradients: ...        # an optimizer step happened: count it, maybe save_state
    scheduler.step()                              # interval "epoch": once at the end of each epoch

A torch `LRScheduler` is prepared into Accelerate's `AcceleratedScheduler`, which steps the
scheduler only on the optimizer's steps (`step_scheduler_with_optimizer=True`) or on every call
(False: under gradient accumulation the scheduler then steps on every batch). Any other
scheduler is left as it is by `prepare`: it is registered for checkpointing (Accelerate's way
for custom objects) and stepped on optimizer steps only. Data: `torch.arange(batches_per_epoch)`,
batch size 1, no shuffle; each batch is its own index, `Tiny`'s loss at that index. The run ends
after exactly `case.plan.epochs` optimizer steps; with gradient accumulation an epoch's last
batch always makes an optimizer step (Accelerate's `sync_with_dataloader`).

Each run starts from reset Accelerate singletons (`AcceleratorState`, `GradientState`), as a
new process would; Accelerate's own tests reset them the same way between tests.

Interruption (`stop=k`): `save_state` right after optimizer step k and the scheduler step that
follows it (at an epoch's end with interval "epoch": after the epoch's scheduler step), then the
run ends. Metric-driven targets get `metric_at(case, i)`, i = optimizer steps done before this
one (interval "step") or the epoch index (interval "epoch"): both are restored on resume.

Processes: `processes` runs the reference and the interrupted run, `resume_processes` the
resume, each 1 (this process) or 2 (the persistent gloo CPU ranks of `distributed.*`, with
the environment `accelerate launch` sets, so the Accelerator is a MULTI_CPU one and `prepare`
shards the data and wraps the model in DDP). Every rank must record the same trajectory.
With `split_batches` the global batch of 2 is split across the processes and the prepared
scheduler steps once per optimizer step; without it each process takes batches of 1 and the
prepared scheduler steps once per process per optimizer step (AcceleratedScheduler). So a
resume on a different count without `split_batches` changes the scheduler's pace by design:
its reference is then the plain loop (`harness/ddp.py`) stepping the scheduler `processes`
times per optimizer step up to the checkpoint and `resume_processes` times after it, i.e.
the checkpoint's position kept at the new pace. A resume on a different count draws
interval "step" with `step_scheduler_with_optimizer` (an epoch's length changes with the
count), and `split_batches` for a metric-driven target or when the new pace would pass
OneCycleLR's `total_steps` (Accelerate then skips steps; the plain loop can't). A target the
ranks can't import (defined in a test file, built at run time) runs in 1 process only.

Options: `batches_per_epoch` (1-6), `gradient_accumulation_steps` (1-3),
`step_scheduler_with_optimizer`, `interval` ("step" / "epoch"), `stop`, `processes`,
`resume_processes`, `split_batches`.
Mistakes: `save_before_scheduler`: `save_state` between `optimizer.step()` and `scheduler.step()`,
so the saved scheduler is one step behind the saved counters. `global_skip`: the resumed epoch
skips the batches done times the number of processes, a position counted over all processes used
per process; invisible in one process, it ends a resumed epoch early on 2 ranks.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import warnings

import torch
import torch.distributed as dist
from hypothesis import strategies as st

from conformance.processes.fresh import unreachable
from conformance.processes.ranks import WORLD, group
from conformance.drivers.base import Driver
from conformance.drivers.common import objects, recording
from conformance.harness.ddp import train as plain_loop
from conformance.harness.errors import TargetError, calling
from conformance.harness.live import metric_at
from conformance.model.verdict import first_divergence
from conformance.spec import DEFAULT_ADAPTER

DOCS = "https://huggingface.co/docs/accelerate/usage_guides/checkpoint"
SCHEDULER_DOCS = ("https://huggingface.co/docs/accelerate/package_reference/torch_wrappers"
                  "#accelerate.scheduler.AcceleratedScheduler")


def _options(target, case):
    steps = case.plan.epochs
    counts = [1, WORLD] if unreachable(target) is None else [1]  # the ranks must be able to import the target
    drawn = st.fixed_dictionaries({
        "batches_per_epoch": st.integers(1, 6),
        "gradient_accumulation_steps": st.integers(1, 3),
        "step_scheduler_with_optimizer": st.booleans(),
        "interval": st.sampled_from(["step", "epoch"]),
        "stop": st.integers(1, max(1, steps - 1)),
        "processes": st.sampled_from(counts),
        "resume_processes": st.sampled_from(counts),
        "split_batches": st.booleans(),
    })
    cap = target.max_steps(case.config)
    return drawn.map(functools.partial(_within, steps=steps, cap=cap, metric_driven=target.capabilities.metric_driven))


def _within(options: dict, steps: int, cap, metric_driven: bool) -> dict:
    """The drawn options made a setup this driver can judge (see the module's doc)."""
    if options["processes"] != options["resume_processes"]:
        options = {**options, "interval": "step", "step_scheduler_with_optimizer": True}
        k, (n, m) = options["stop"], (options["processes"], options["resume_processes"])
        if metric_driven or (cap is not None and n * k + m * (steps - k) > cap):
            options["split_batches"] = True
    # Less accumulation when a scheduler stepped on every batch would pass its `max_steps` (OneCycleLR).
    while cap is not None and options["gradient_accumulation_steps"] > 1 and scheduler_steps(options, steps) > cap:
        options = {**options, "gradient_accumulation_steps": options["gradient_accumulation_steps"] - 1}
    return options


def pace_changes(target, case, options) -> bool:
    """Does a resume on another process count change how often the prepared scheduler steps?"""
    if options.get("processes", 1) == options.get("resume_processes", 1) or options.get("split_batches"):
        return False
    return isinstance(objects(target, case)[2], torch.optim.lr_scheduler.LRScheduler)  # what prepare() wraps


def expected(target, case, options):
    """For a resume that changes the pace: the plain loop keeping the checkpoint's position at the new pace."""
    if not pace_changes(target, case, options):
        return None
    k, steps = options["stop"], case.plan.epochs
    ks = [options["processes"]] * k + [options["resume_processes"]] * (steps - k)
    return (plain_loop(target, case, ks),
            f"the plain loop stepping the scheduler {options['processes']} times per optimizer step up to the "
            f"checkpoint and {options['resume_processes']} times after it (the prepared scheduler steps once per "
            f"process without split_batches: {SCHEDULER_DOCS})")


def scheduler_steps(options: dict, steps: int) -> int:
    """How many times the loop calls scheduler.step() with effect in a run of `steps` optimizer steps."""
    n, g = options["batches_per_epoch"], options["gradient_accumulation_steps"]
    done = calls = batch = 0
    while done < steps:
        batch += 1
        synced = batch % g == 0 or batch == n
        per_batch = options["interval"] == "step" and not options["step_scheduler_with_optimizer"]
        calls += options["interval"] == "step" and (synced or per_batch)
        if synced:
            done += 1
        if batch == n:
            calls += options["interval"] == "epoch"
            batch = 0
    return calls


def limitation(target, case, options):
    """Why Accelerate's documented loop can't drive or resume this setup, or None.

    None of the drawn setups (one process) is one Accelerate documents it cannot resume; a target
    stepped through an adapter of its own API is one its loop cannot drive. A metric-driven target's
    adapter is given the prepared scheduler (AcceleratedScheduler.step forwards its arguments).
    """
    if target.adapter.step is not DEFAULT_ADAPTER.step and not target.capabilities.metric_driven:
        return (f"{target.name} is stepped through its own API; Accelerate's loop and its AcceleratedScheduler "
                f"call scheduler.step() / step(metric) only ({SCHEDULER_DOCS})")
    return None


class Progress:
    """The loop's counters, saved with the state through `register_for_checkpointing`."""

    def __init__(self) -> None:
        self.epoch = 0
        self.batch = 0  # batches done in the current epoch
        self.opt_steps = 0

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "batch": self.batch, "opt_steps": self.opt_steps}

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.batch, self.opt_steps = int(state["epoch"]), int(state["batch"]), int(state["opt_steps"])

    def finish_step(self, batches_per_epoch: int) -> bool:
        """Count a synced batch (an optimizer step); True at the end of the epoch."""
        self.batch += 1
        self.opt_steps += 1
        return self.batch == batches_per_epoch


@functools.cache
def _accelerate():
    """Accelerate imported once, its logging off; the package's directory (to tell its frames apart)."""
    import accelerate
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState, GradientState

    logging.getLogger("accelerate").setLevel(logging.ERROR)
    return Accelerator, AcceleratorState, GradientState, os.path.dirname(accelerate.__file__) + os.sep


def _fresh_accelerator(options: dict):
    """An Accelerator as in a new process: Accelerate keeps process-wide singletons, reset here first."""
    Accelerator, AcceleratorState, GradientState, _ = _accelerate()
    from accelerate.utils import DataLoaderConfiguration

    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()
    return Accelerator(cpu=True, gradient_accumulation_steps=options["gradient_accumulation_steps"],
                       step_scheduler_with_optimizer=options["step_scheduler_with_optimizer"],
                       dataloader_config=DataLoaderConfiguration(split_batches=bool(options.get("split_batches"))))


class Batches(torch.nn.Module):
    """The case's `Tiny` over a batch of indices: the sum of its losses at each."""

    def __init__(self, tiny) -> None:
        super().__init__()
        self.tiny = tiny

    def forward(self, batch):
        return sum(self.tiny(i) for i in batch)


@contextlib.contextmanager
def _target_or_framework(phase: str):
    """`calling(phase)`, except that an exception raised in Accelerate's own code stays Accelerate's.

    The check's `framework()` then names Accelerate (a wrapper's bug is not the target's).
    """
    package = _accelerate()[3]
    try:
        with calling(phase):
            yield
    except TargetError as exc:
        tb = exc.exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None and tb.tb_frame.f_code.co_filename.startswith(package):
            raise exc.exc from None
        raise


class RanksDisagree(Exception):
    """The ranks of one run recorded different trajectories."""


def train(target, case, options, stop=None, save_to="", load_from="", mistake=""):
    processes = options.get("resume_processes" if load_from else "processes", 1)
    if processes == 1:
        return _quietly(target, case, options, stop, save_to, load_from, mistake)
    runs = group().run(target, case, run=on_rank, options=options, stop=stop, save_to=save_to,
                       load_from=load_from, mistake=mistake)
    for rank, records in enumerate(runs[1:], 1):
        div = first_divergence(runs[0], records)
        if div is not None:
            raise RanksDisagree(f"rank {rank} of {len(runs)} recorded another trajectory than rank 0: {div.describe()}")
    return runs[0]


def on_rank(target, case, options, stop, save_to, load_from, mistake):
    """One rank of a multi-process run: the environment `accelerate launch` gives it, then the loop."""
    rank, world = dist.get_rank(), dist.get_world_size()
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(world),
                      OMP_NUM_THREADS="1")
    return _quietly(target, case, options, stop, save_to, load_from, mistake)


def _quietly(target, case, options, stop, save_to, load_from, mistake):
    # Framework advice is not a verdict: e.g. torch's "lr_scheduler.step() before optimizer.step()",
    # which step_scheduler_with_optimizer=False under accumulation gives on the first batch.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _train(target, case, options, stop, save_to, load_from, mistake)


def _train(target, case, options, stop, save_to, load_from, mistake):
    accelerator = _fresh_accelerator(options)
    tiny, optimizer, scheduler = objects(target, case)
    steps, interval = case.plan.epochs, options["interval"]
    indices = torch.arange(options["batches_per_epoch"])
    data = torch.utils.data.DataLoader(indices, batch_size=2 if options.get("split_batches") else 1, shuffle=False)
    model, prepared, data, stepped = accelerator.prepare(Batches(tiny), optimizer, data, scheduler)
    n = len(data)  # this process's batches per epoch
    progress = Progress()
    accelerator.register_for_checkpointing(progress)
    wrapped = stepped is not scheduler  # an AcceleratedScheduler (torch LRSchedulers)
    if not wrapped:
        accelerator.register_for_checkpointing(scheduler)
    if load_from:
        accelerator.load_state(load_from)
        if mistake == "global_skip":  # the epoch position taken as counted over all processes
            progress.batch *= accelerator.num_processes
        if progress.batch >= n:  # saved by another process count, whose epochs were longer
            progress.epoch, progress.batch = progress.epoch + 1, 0

    def step_scheduler(i: int) -> None:
        with _target_or_framework("step"):
            target.adapter.step(stepped, metric_at(target, case, i))

    recorder = recording(target, optimizer, scheduler)
    try:
        while progress.opt_steps < steps:
            batches = accelerator.skip_first_batches(data, progress.batch) if progress.batch else data
            for batch in batches:
                with accelerator.accumulate(model):
                    accelerator.backward(model(batch))
                    with _target_or_framework("optimizer.step"):
                        prepared.step()
                    synced = accelerator.sync_gradients
                    if mistake == "save_before_scheduler" and synced and progress.opt_steps + 1 == stop:
                        if progress.finish_step(n):
                            progress.epoch, progress.batch = progress.epoch + 1, 0
                        _save(accelerator, save_to)
                        return recorder.records
                    if interval == "step" and (wrapped or synced):
                        step_scheduler(progress.opt_steps)
                    prepared.zero_grad()
                if not synced:
                    progress.batch += 1
                    continue
                if progress.finish_step(n):
                    if interval == "epoch":
                        step_scheduler(progress.epoch)
                    progress.epoch, progress.batch = progress.epoch + 1, 0
                if progress.opt_steps == stop:
                    _save(accelerator, save_to)
                    return recorder.records
                if progress.opt_steps == steps:
                    return recorder.records
            if progress.batch:
                raise RuntimeError(f"the dataloader ended after {progress.batch} of {n} batches without an "
                                   "optimizer step (sync_with_dataloader should have synced its last batch)")
        return recorder.records
    finally:
        recorder.detach()


def _save(accelerator, where: str) -> None:
    accelerator.save_state(where)
    accelerator.wait_for_everyone()  # every rank's files are written before any rank goes on


DRIVER = Driver("accelerate", "accelerate", DOCS, _options, train, limitation=limitation, expected=expected,
                mistakes={"save_before_scheduler": "save_state is called between optimizer.step() and "
                                                   "scheduler.step(): the saved scheduler is one step behind",
                          "global_skip": "the resumed epoch skips the batches done times the number of processes "
                                         "(a position counted over all processes, used per process)"},
                mistake_options={"global_skip": {"processes": WORLD, "resume_processes": WORLD, "interval": "epoch",
                                                 "batches_per_epoch": 6, "stop": 4}},
                example_options={"batches_per_epoch": 3, "gradient_accumulation_steps": 1,
                                 "step_scheduler_with_optimizer": True, "interval": "step", "stop": 4,
                                 "processes": 1, "resume_processes": 1, "split_batches": False},
                # prepare() on a MULTI_CPU Accelerator imports `datasets` and torchdata's StatefulDataLoader
                # when installed (data_loader.py); save_state numpy.random and numpy.ctypeslib
                # (selftests/test_rank_imports.py names what is missing).
                rank_modules=("accelerate", "accelerate.accelerator", "accelerate.data_loader", "datasets",
                              "torchdata.stateful_dataloader", "numpy.random", "numpy.ctypeslib"))
