"""Transformers: the `Trainer` loop, the target passed as `optimizers=(optimizer, scheduler)`, `resume_from_checkpoint`.

Documented resume (https://huggingface.co/docs/transformers/trainer#checkpoints):
`TrainingArguments(save_strategy="steps", save_steps=k)` writes `output_dir/checkpoint-<step>`
(model, optimizer.pt, scheduler.pt, rng_state.pth, trainer_state.json) after the optimizer step,
the scheduler step and the evaluation of that step; a fresh model, optimizer, scheduler and a
fresh `Trainer` with the same arguments resume with `trainer.train(resume_from_checkpoint=path)`
(or `=True`: the last checkpoint in `output_dir`). The Trainer loads scheduler.pt into the
scheduler it was given, skips the batches already trained and goes on to `max_steps`.

The target is passed in as a custom scheduler, the path every target takes. The Trainer steps it
once per optimizer step (`scheduler.step()`), except a `ReduceLROnPlateau` (or transformers'
`GreedyLR`), which it steps at each evaluation with `metrics[metric_for_best_model]`: for a
metric-driven target the run evaluates every `eval_steps` optimizer steps and `evaluate()` (the
override the Trainer documents) returns the plan's metric for that evaluation.

The model is the suite's `Tiny` behind a module whose forward returns `{"loss": ...}`; the data
are the batch indices 0..batches-1 (batch size 1, sequential sampler); `case.plan.epochs` is
`max_steps` (optimizer steps). The interrupted run saves every `save_steps` steps (a divisor of
`stop`) and ends right after the checkpoint at step `stop` is written (`on_save` sets
`should_training_stop`). The uninterrupted reference run and the resumed run don't save
(`save_strategy="no"`, otherwise the same arguments): saving doesn't change the trajectory (but
for a state_dict() with side effects, which serialization.* checks), and writing a checkpoint every
`save_steps` steps of a 200-step plan would dominate the cost.

Options: `gradient_accumulation_steps` (1..3), `batches` (micro-batches per epoch, so a stop falls
mid-epoch, on an epoch's end, or on a short last accumulation), `save_steps`, `stop`,
`resume` ("path": the checkpoint-<stop> folder, "last": `resume_from_checkpoint=True`), and
`eval_steps` for metric-driven targets. For a target that is one of the Trainer's own named
schedules (`transformers.<name>`, torch's ReduceLROnPlateau as "reduce_lr_on_plateau"), the
route is drawn too: passed in, or built by the Trainer itself from `lr_scheduler_type=<name>`,
`warmup_steps` and `lr_scheduler_kwargs` (`optimizers=(optimizer, None)`): `trainer_schedule`
maps the case's config onto those arguments. The Trainer passes `num_training_steps=max_steps`
(the plan's length) to `get_scheduler`, not the config's. A metric-driven named schedule gets
the plan's metrics as a passed-in one does. Not drawn, but accepted: `save_only_model`
(documented as not resumable: a limitation).

Mistakes: `no_scheduler_state` resumes from a checkpoint copied without scheduler.pt (the Trainer
then silently loads neither optimizer.pt nor scheduler.pt); `checkpoint_before_scheduler` writes
the checkpoint of step k from `on_optimizer_step`, after the optimizer stepped but before the
scheduler did, so the saved scheduler state is one step behind the saved step.

Cost: the Trainer and its Accelerator call gc.collect() on every train(); after the first run
the driver calls gc.freeze() once for the process, which takes ~80% off each later run.
"""

from __future__ import annotations

import gc
import os
import warnings
from typing import Optional

import torch
from hypothesis import strategies as st

from conformance.drivers.base import Driver
from conformance.drivers.common import objects, recording
from conformance.harness.live import metric_at
from conformance.harness.recorder import Recorder
from conformance.harness.scratch import scratch_dir
from conformance.model.optimizer import Tiny, model_and_optimizer
from conformance.spec import DEFAULT_ADAPTER

DOCS = "https://huggingface.co/docs/transformers/trainer#checkpoints"
CUSTOMIZE_DOCS = "https://huggingface.co/docs/transformers/trainer#customize"
ARGS_DOCS = "https://huggingface.co/docs/transformers/main_classes/trainer#transformers.TrainingArguments"
TRAINER_DOCS = "https://huggingface.co/docs/transformers/main_classes/trainer#transformers.Trainer"
METRIC = "lrc_metric"
METRIC_NAMES = ("reduce_lr_on_plateau", "greedy")  # named schedules the Trainer steps on a metric
NAMED_METRICS = (1.0, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8, 0.85)  # the metrics of a named schedule whose target has none
_FROZEN = []  # gc.freeze() once per process, after the first run


class Interrupted(Exception):
    """The kill of the `checkpoint_before_scheduler` mistake."""


class LossModule(torch.nn.Module):
    """The case's `Tiny` (same parameters) with the forward the Trainer expects: `{"loss": ...}`."""

    def __init__(self, tiny: Tiny) -> None:
        super().__init__()
        self.tiny = tiny

    def forward(self, index):
        return {"loss": self.tiny(index)}


def _stops(draw, steps: int):
    stop = draw(st.integers(1, max(1, steps - 1)), label="stop")
    # save_steps divides stop (the checkpoint falls on it), at most 4 checkpoints written
    every = [d for d in range(1, stop + 1) if stop % d == 0 and stop // d <= 4]
    return stop, draw(st.sampled_from(every), label="save_steps")


def _options(target, case):
    @st.composite
    def drawn(draw):
        stop, save_steps = _stops(draw, case.plan.epochs)
        options = {
            "gradient_accumulation_steps": draw(st.integers(1, 3), label="gradient_accumulation_steps"),
            "batches": draw(st.integers(1, 6), label="batches"),
            "save_steps": save_steps,
            "stop": stop,
            "resume": draw(st.sampled_from(["path", "last"]), label="resume"),
        }
        if target.capabilities.metric_driven:
            options["eval_steps"] = draw(st.integers(1, 3), label="eval_steps")
        named = trainer_schedule(target, case)
        if named and draw(st.sampled_from(["optimizers", "lr_scheduler_type"]), label="scheduler via") != "optimizers":
            options.update(named)
        return options

    return drawn()


def trainer_schedule(target, case) -> Optional[dict]:
    """The TrainingArguments with which the Trainer builds the target's schedule itself, or None.

    `transformers.<name>` (contrib) and torch's ReduceLROnPlateau ("reduce_lr_on_plateau") map to
    `lr_scheduler_type=<name>`, `warmup_steps=num_warmup_steps`, `lr_scheduler_kwargs=` the rest
    of the config. What `get_scheduler` (transformers 5.24) forwards:
    - constant: nothing; constant_with_warmup: num_warmup_steps only (both configs hold no more);
    - inverse_sqrt, reduce_lr_on_plateau, greedy: everything, the schedule is the config's;
    - warmup_stable_decay: everything, and num_training_steps=max_steps, unused as the config
      sets num_stable_steps (the factory warns that it prefers num_stable_steps);
    - linear, cosine, cosine_with_restarts, polynomial, cosine_with_min_lr,
      cosine_warmup_with_min_lr: num_training_steps is always the Trainer's max_steps (a
      kwarg of the same name would be passed twice): the config's is replaced by the plan's
      length, so the route is offered only where the target's strategy allows that length
      (num_warmup_steps <= it; < for polynomial, which divides by zero at equality).
    """
    from transformers import SchedulerType

    names = {"ReduceLROnPlateau": "reduce_lr_on_plateau"} if target.source == "torch" else {}
    if target.source.startswith(("transformers", "conformance.targets.contrib.transformers:")):
        names = {f"transformers.{kind.value}": kind.value for kind in SchedulerType}
    name = names.get(target.name)
    if name is None:
        return None
    kwargs = dict(case.config)
    warmup = kwargs.pop("num_warmup_steps", 0)
    if kwargs.pop("num_training_steps", None) is not None and warmup + (name == "polynomial") > case.plan.epochs:
        return None
    return {"lr_scheduler_type": name, "warmup_steps": warmup, "lr_scheduler_kwargs": kwargs}


def _plateau_types() -> tuple:
    """What the Trainer steps at evaluation with a metric instead of after every optimizer step."""
    import transformers.optimization

    greedy = getattr(transformers.optimization, "GreedyLR", None)  # transformers >= 5
    return (torch.optim.lr_scheduler.ReduceLROnPlateau,) + ((greedy,) if greedy is not None else ())


def limitation(target, case, options):
    if options.get("save_only_model"):
        return ("save_only_model=True saves the model weights only, not the optimizer, scheduler or RNG state: "
                f"it 'prevents resuming training from the checkpoint' (TrainingArguments.save_only_model, {ARGS_DOCS})")
    if options.get("lr_scheduler_type"):
        return None  # the Trainer's own schedule: the target is not used
    metric_driven = target.capabilities.metric_driven
    if target.adapter.step is not DEFAULT_ADAPTER.step and not metric_driven:
        return (f"{target.name} is stepped through its own API, but the Trainer calls lr_scheduler.step() itself "
                f"inside its training loop, after every optimizer step; none of the methods it documents for "
                f"overriding steps the scheduler ({CUSTOMIZE_DOCS})")
    try:
        scheduler = objects(target, case)[2]
    except Exception:  # noqa: BLE001 - a target that can't be built is reported by the run itself
        return None
    if metric_driven and not isinstance(scheduler, _plateau_types()):
        return (f"{target.name} needs a metric, but the Trainer passes one (the evaluation's "
                f"metric_for_best_model) only to a torch ReduceLROnPlateau or transformers' GreedyLR; it steps any "
                f"other scheduler with step() after every optimizer step ({ARGS_DOCS})")
    if not metric_driven and not callable(getattr(scheduler, "get_last_lr", None)):
        return (f"{target.name} has no get_last_lr(), which the Trainer calls after every scheduler step: its "
                f"`optimizers` argument takes a torch LRScheduler ({TRAINER_DOCS})")
    return None


def _quiet() -> None:
    """transformers' logging at error, once per process (the Trainer keeps it: log_level="passive")."""
    import transformers

    if transformers.logging.get_verbosity() < transformers.logging.ERROR:
        transformers.logging.set_verbosity_error()


def _fresh_accelerate_state() -> None:
    """The Trainer builds an Accelerator, whose state is process-wide: start each run as a new process would."""
    from accelerate.state import AcceleratorState, GradientState

    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()


def train(target, case, options, stop=None, save_to="", load_from="", mistake=""):
    from transformers import Trainer, TrainerCallback, TrainingArguments
    from transformers.trainer_callback import PrinterCallback

    _quiet()
    _fresh_accelerate_state()
    named = options.get("lr_scheduler_type")
    if named:
        (tiny, optimizer), scheduler = model_and_optimizer(case.setup), None
    else:
        tiny, optimizer, scheduler = objects(target, case)
    metric_driven = named in METRIC_NAMES if named else isinstance(scheduler, _plateau_types())
    every = options.get("eval_steps", 1)
    accumulate = options.get("gradient_accumulation_steps", 1)

    class LrcTrainer(Trainer):
        def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix="eval"):
            # The evaluation after optimizer step g is the ceil(g / eval_steps)-th (the last one may
            # fall between two eval_steps): it reports the plan's metric for that scheduler step.
            evals = -(-self.state.global_step // every)
            value = None if target is None else metric_at(target, case, evals - 1)
            value = NAMED_METRICS[(evals - 1) % len(NAMED_METRICS)] if value is None else float(value)
            metrics = {f"{metric_key_prefix}_{METRIC}": value}
            self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
            return metrics

    class StopAfterSave(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            if state.global_step >= stop:
                control.should_training_stop = True

    class SaveBeforeScheduler(TrainerCallback):
        """The mistake: checkpoint-<stop> written after optimizer step `stop` but before its scheduler step."""

        def on_optimizer_step(self, args, state, control, **kwargs):
            if state.global_step == stop - 1:
                state.global_step = stop
                trainer._save_checkpoint(trainer.model_wrapped, trial=None)
                raise Interrupted()

    saving = stop is not None and mistake != "checkpoint_before_scheduler"
    save_steps = options.get("save_steps") or stop or 1
    if stop is not None and stop % save_steps:
        save_steps = stop  # the interruption is a checkpoint at step `stop`, whatever the options say
    extra = {}
    if metric_driven:
        extra.update(eval_strategy="steps", eval_steps=every, metric_for_best_model=METRIC,
                     per_device_eval_batch_size=1)
    if named:
        extra.update(lr_scheduler_type=named, warmup_steps=options.get("warmup_steps", 0),
                     lr_scheduler_kwargs=options.get("lr_scheduler_kwargs") or {})
    args = TrainingArguments(
        output_dir=save_to or load_from or scratch_dir(),
        max_steps=case.plan.epochs,
        per_device_train_batch_size=1,
        gradient_accumulation_steps=accumulate,
        train_sampling_strategy="sequential",
        save_strategy="steps" if saving else "no",
        save_steps=save_steps,
        save_only_model=bool(options.get("save_only_model")),
        report_to=[],
        disable_tqdm=True,
        logging_strategy="no",
        use_cpu=True,
        max_grad_norm=0.0,  # no clipping: the lr trajectory doesn't depend on it
        dataloader_pin_memory=False,
        **extra,
    )
    data = [{"index": torch.tensor(i)} for i in range(options.get("batches", 1))]
    callbacks = []
    if saving:
        callbacks.append(StopAfterSave())
    elif stop is not None:
        callbacks.append(SaveBeforeScheduler())
    trainer = LrcTrainer(model=LossModule(tiny), args=args, train_dataset=data,
                         eval_dataset=data[:1] if metric_driven else None,
                         optimizers=(optimizer, scheduler), callbacks=callbacks)
    trainer.remove_callback(PrinterCallback)  # it prints the final metrics even with logging off
    resume = None
    if load_from:
        checkpoints = [d for d in os.listdir(load_from) if d.startswith("checkpoint-")]
        last = max(checkpoints, key=lambda d: int(d.split("-")[1]))
        if mistake == "no_scheduler_state":
            for d in checkpoints:  # a copy of the checkpoint without scheduler.pt
                os.remove(os.path.join(load_from, d, "scheduler.pt"))
        resume = True if options.get("resume") == "last" else os.path.join(load_from, last)
    recorder = _recording_named(optimizer, trainer) if named else recording(target, optimizer, scheduler)
    try:
        with warnings.catch_warnings():  # the mapped warmup_stable_decay has both (trainer_schedule)
            warnings.filterwarnings("ignore", "Both num_training_steps and num_stable_steps", UserWarning)
            trainer.train(resume_from_checkpoint=resume)
    except Interrupted:
        pass
    finally:
        recorder.detach()
    if not _FROZEN:
        # The Trainer and its Accelerator run gc.collect() on every train(); a collection scans every
        # live object of the process (the torch and transformers modules: most of a run's time).
        # Freezing them once, after the first run has imported everything, leaves it only what the
        # runs allocate.
        _FROZEN.append(True)
        gc.collect()
        gc.freeze()
    return recorder.records


def _recording_named(optimizer, trainer):
    """The recorder for the Trainer's own schedule (created inside train()): its last lr, once it exists."""

    def last_lr():
        scheduler = trainer.lr_scheduler
        return None if scheduler is None else DEFAULT_ADAPTER.last_lr(scheduler)

    recorder = Recorder()
    recorder.attach(optimizer, last_lr)
    return recorder


DRIVER = Driver(
    "transformers", "transformers", DOCS, _options, train, limitation,
    mistakes={
        "no_scheduler_state": "the checkpoint is resumed without its scheduler.pt (the Trainer then silently "
                              "loads neither the optimizer nor the scheduler state)",
        "checkpoint_before_scheduler": "the checkpoint of step k is written after the optimizer step but before "
                                       "the scheduler step",
    },
    example_options={"gradient_accumulation_steps": 2, "batches": 5, "save_steps": 2, "stop": 4, "resume": "path"},
)
