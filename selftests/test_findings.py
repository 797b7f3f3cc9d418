"""The findings that no registered known failure replays, each checked on its own.

A registered failure (torch's, a framework's, a contrib target's) replays its
example with its signature in `test_known_failures.py`. The claims below sit in
`reports/contrib-findings.md` and `reports/framework-findings.md` as prose: a
strategy exclusion, an oddity seen outside the checks, a framework's documented
limit. Each test builds the objects directly, as a user's script would, so a
library release that changes the behaviour shows up here and the report can be
corrected (or a strategy widened). A library that is not installed skips.
"""

from __future__ import annotations

import io

import pytest
import torch

from conformance.harness.oracle import check_resume
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.targets.contrib.pytorch_warmup import TENSOR_LR


def _sgd(lr=1.0):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def _steps(optimizer, scheduler, n):
    lrs = []
    for _ in range(n):
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


# --- reports/contrib-findings.md -------------------------------------------------------------

def test_transformers_polynomial_divides_by_zero_when_warmup_fills_the_schedule():
    """"transformers.polynomial: ZeroDivisionError when warmup fills the schedule", so the strategy
    draws num_training_steps > num_warmup_steps."""
    optimization = pytest.importorskip("transformers.optimization")
    optimizer = _sgd(0.1)
    scheduler = optimization.get_polynomial_decay_schedule_with_warmup(optimizer, num_warmup_steps=3,
                                                                      num_training_steps=3)
    with pytest.raises(ZeroDivisionError):
        _steps(optimizer, scheduler, 3)
    linear = optimization.get_linear_schedule_with_warmup(_sgd(0.1), num_warmup_steps=3, num_training_steps=3)
    _steps(linear.optimizer, linear, 5)  # the other warmup factories take equal lengths


def test_the_polynomial_strategy_never_draws_equal_lengths():
    from hypothesis import given, settings

    from conformance.targets.contrib import transformers as contrib

    if not hasattr(contrib, "MISSING"):
        pytest.skip("transformers is not installed")

    @settings(max_examples=200, database=None, deadline=None)
    @given(contrib.polynomial(1))
    def drawn(config):
        assert config["num_training_steps"] > config["num_warmup_steps"], config

    drawn()


def test_pytorch_optimizer_linear_scheduler_goes_negative_after_t_max():
    """"LinearScheduler keeps extrapolating after t_max, below min_lr and then negative"
    (t_max=2, max_lr=1e-3, min_lr=0, warmup_steps=0: -5e-4 at step 4)."""
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    optimizer = _sgd()
    scheduler = pytorch_optimizer.LinearScheduler(optimizer, t_max=2, max_lr=1e-3, min_lr=0.0, warmup_steps=0)
    assert _steps(optimizer, scheduler, 4) == [1e-3, 5e-4, 0.0, -5e-4]
    assert not hasattr(scheduler, "state_dict"), "it has a state now: the registered no-state record is stale"


def test_pytorch_optimizer_chebyshev_lambda_returns_numpy_scalars():
    """The mechanism behind the registered chebyshev record: the param-group lr becomes a numpy scalar."""
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    np = pytest.importorskip("numpy")
    optimizer = _sgd()
    scheduler = pytorch_optimizer.get_chebyshev_schedule(optimizer, num_epochs=4)
    _steps(optimizer, scheduler, 1)
    assert isinstance(optimizer.param_groups[0]["lr"], np.floating), type(optimizer.param_groups[0]["lr"])


@pytest.mark.parametrize("name", ["LinearWarmup", "ExponentialWarmup"])
def test_pytorch_warmup_float_lrs_and_an_immediate_checkpoint_resume_exactly(name):
    """"Float lrs are unaffected, and a checkpoint written at once (resume.canonical through a file)
    resumes exactly": the aliasing records cover only the tensor-lr checks they name."""
    from conformance.targets.contrib import pytorch_warmup

    targets = {t.name: t for t in pytorch_warmup.TARGETS}
    if f"pytorch_warmup.{name}" not in targets:
        pytest.skip("pytorch-warmup is not installed")
    target = targets[f"pytorch_warmup.{name}"]
    floats = Case(OptimizerSetup("ASGD", (1.0,)), TENSOR_LR.config, TENSOR_LR.plan)
    for case in (TENSOR_LR, floats):
        verdict = check_resume(target, case, "resume.canonical")
        assert verdict.ok, verdict.explain()


def test_onecycle_linear_goes_negative_on_its_last_allowed_step():
    """Built-ins, "for completeness": OneCycleLR with anneal_strategy='linear' can set a negative lr on its
    last allowed step (step == total_steps, past the last phase's end)."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=2, pct_start=0.1,
                                                    anneal_strategy="linear")
    assert _steps(optimizer, scheduler, 2)[-1] < 0


def test_linear_lr_with_a_tiny_end_factor_ends_slightly_negative():
    """Built-ins: "LinearLR with a tiny nonzero end_factor can end at about -1e-18" (the chainable form's
    rounding)."""
    optimizer = _sgd()
    scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, end_factor=5e-324, total_iters=4)
    last = _steps(optimizer, scheduler, 4)[-1]
    assert -1e-17 < last < 0, last


# --- reports/framework-findings.md -----------------------------------------------------------

def _ignite_lrs(make, event=None, steps=6):
    """The lr each optimizer step used: torch's own loop (`event` None), or ignite's LRScheduler on `event`."""
    optimizer = _sgd()
    seen = []
    if event is None:
        scheduler = make(optimizer)
        for _ in range(steps):
            seen.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        return seen
    engine = pytest.importorskip("ignite.engine")
    param_scheduler = pytest.importorskip("ignite.handlers.param_scheduler")

    def update(e, batch):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()

    trainer = engine.Engine(update)
    trainer.add_event_handler(getattr(engine.Events, event), param_scheduler.LRScheduler(make(optimizer)))
    trainer.run([0] * steps, max_epochs=1)
    return seen


def test_ignite_cosine_warm_restarts_on_iteration_started_is_one_step_ahead():
    """Seen while writing the drivers: ignite's LRScheduler(CosineAnnealingWarmRestarts) on ITERATION_STARTED
    is one step off torch's own run, even uninterrupted (StepLR, the same way, is not)."""
    restarts = lambda optimizer: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=3)
    torch_run, ignite_run = _ignite_lrs(restarts, steps=7), _ignite_lrs(restarts, "ITERATION_STARTED", steps=7)
    assert ignite_run != torch_run[:7] and ignite_run[:6] == torch_run[1:7], (torch_run, ignite_run)
    step = lambda optimizer: torch.optim.lr_scheduler.StepLR(optimizer, 2, 0.5)
    assert _ignite_lrs(step, "ITERATION_STARTED") == _ignite_lrs(step)


def _plateau_handler(optimizer, **kwargs):
    param_scheduler = pytest.importorskip("ignite.handlers.param_scheduler")
    return param_scheduler.ReduceLROnPlateauScheduler(optimizer, metric_name="loss", patience=0, **kwargs)


def test_ignite_plateau_handler_replaces_min_lr_without_param_group_index():
    """"Without param_group_index, the handler replaces a min_lr it is given with 0" (in both runs)."""
    assert _plateau_handler(_sgd(), min_lr=0.5).scheduler.min_lrs == [0]
    assert _plateau_handler(_sgd(), min_lr=0.5, param_group_index=0).scheduler.min_lrs == [0.5]


def _process(engine, batch):
    return None


def _set_loss(evaluator):
    evaluator.state.metrics["loss"] = 1.0


def _evaluate(trainer, evaluator):
    evaluator.run([0])


def test_ignite_plateau_handler_with_a_trainer_cannot_be_saved_once_it_ran():
    """"With trainer= given, as in its docs' example, torch.save can't even write it": after a run, the
    state holds the engine, which holds weakrefs."""
    engine = pytest.importorskip("ignite.engine")
    trainer, evaluator = engine.Engine(_process), engine.Engine(_process)
    handler = _plateau_handler(_sgd(), trainer=trainer)
    evaluator.add_event_handler(engine.Events.COMPLETED, _set_loss)
    evaluator.add_event_handler(engine.Events.COMPLETED, handler)
    trainer.add_event_handler(engine.Events.EPOCH_COMPLETED, _evaluate, evaluator)
    trainer.run([0, 1], max_epochs=2)
    with pytest.raises(TypeError, match="weakref"):
        torch.save(handler.state_dict(), io.BytesIO())


def test_ignite_deterministic_engine_checkpoint_is_refused_by_load_objects(tmp_path):
    """"DeterministicEngine checkpoints hold numpy RNG state, which load_objects(path) refuses with
    weights_only=True"."""
    engine = pytest.importorskip("ignite.engine")
    handlers = pytest.importorskip("ignite.handlers")
    trainer = engine.DeterministicEngine(_process)
    trainer.run([0, 1], max_epochs=1)
    handlers.Checkpoint({"trainer": trainer}, handlers.DiskSaver(str(tmp_path), require_empty=False))(trainer)
    (path,) = tmp_path.iterdir()
    with pytest.raises(Exception, match="numpy") as raised:
        handlers.Checkpoint.load_objects({"trainer": engine.DeterministicEngine(_process)}, str(path))
    assert "Weights only load failed" in str(raised.value), raised.value
