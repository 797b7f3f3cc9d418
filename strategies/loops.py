"""Loop strategies: the training-loop shapes of the `placement.*` checks.

Each loop name maps to a strategy of `Loop`s; `placement_cases` draws a whole
case for one of them, with skipped steps for the GradScaler loop.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.model.loop import PER_STEP, Loop
from conformance.strategies.cases import cases

batches = st.integers(2, 4)

LOOPS = {
    "per_step": st.just(PER_STEP),
    "per_epoch": st.builds(Loop, st.just("per_epoch"), batches=batches),
    # Metric-driven targets only: one step(metric) per epoch.
    "metric": st.builds(Loop, st.just("metric"), batches=st.integers(1, 4)),
    "accumulation": st.builds(
        Loop, st.just("accumulation"), batches=st.integers(1, 3), accumulate=st.integers(2, 4)
    ),
    "amp": st.builds(Loop, st.just("amp"), batches=st.integers(1, 3), scaler=st.just(True)),
    "sched_first": st.builds(
        Loop, st.just("sched_first"), batches=st.integers(1, 3), sched_first=st.just(True)
    ),
}
LOOP_NAMES = tuple(LOOPS)

# Runs get long with several batches per epoch; boundaries mostly sit early.
MAX_EPOCHS = 60


def skipped_steps(opt_steps: int, after_resumes: tuple = ()):
    """Optimizer steps whose gradients are inf: the first step, the first after a resume, some others."""
    anywhere = st.integers(0, max(0, opt_steps - 1))
    favoured = st.sampled_from((0,) + tuple(s for s in after_resumes if s < opt_steps))
    return st.sets(favoured | anywhere, max_size=min(6, opt_steps)).map(frozenset)


def first_steps_after(case) -> tuple:
    """The index of the first optimizer step after each interruption."""
    its = case.loop.iterations(case.plan.epochs)
    return tuple(sum(1 for it in its[:i] for action in it if action == "opt") for i in case.plan.interruptions)


@st.composite
def placement_cases(draw, target, name: str, interruptions=(1, 3)):
    """A case for loop `name`, interrupted 1-3 times anywhere (mid-epoch included)."""
    loop = draw(LOOPS[name], label=f"{name} loop")
    cap = max(2, MAX_EPOCHS // (loop.batches * loop.accumulate))
    case = draw(cases(target, interruptions, loop=loop, max_epochs=cap), label="case")
    if loop.scaler:
        steps = case.plan.epochs * loop.batches
        case = case.with_plan(skips=draw(skipped_steps(steps, first_steps_after(case)),
                                         label="skipped optimizer steps"))
    return case


# --- pitfall cases: uninterrupted unless the pitfall is about the resume ---

PITFALL_ITERATIONS = 30  # searches run several cases per example: keep them short


def per_batch_cases(target):
    """A per-epoch loop (2-4 batches), uninterrupted: the pitfall steps it per batch."""
    return LOOPS["per_epoch"].flatmap(
        lambda loop: cases(target, (0, 0), loop=loop, max_epochs=PITFALL_ITERATIONS // loop.batches)
    )


@st.composite
def mid_epoch_cases(draw, target):
    """A per-epoch loop with one interruption strictly inside an epoch."""
    loop = draw(LOOPS["per_epoch"], label="per_epoch loop")
    case = draw(cases(target, (1, 1), loop=loop, max_epochs=PITFALL_ITERATIONS // loop.batches), label="case")
    epoch = draw(st.integers(0, case.plan.epochs - 1), label="interrupted epoch")
    batch = draw(st.integers(1, loop.batches - 1), label="batches done in that epoch")
    return case.with_plan(interruptions=(epoch * loop.batches + batch,))


def sched_first_cases(target):
    """scheduler.step() before optimizer.step() from the very first iteration, uninterrupted."""
    return cases(target, (0, 0), loop=Loop("sched_first", sched_first=True), max_epochs=PITFALL_ITERATIONS)
