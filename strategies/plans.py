"""Plans: run length, interruption points, metric streams, checkpoint medium."""

from __future__ import annotations

from hypothesis import assume, strategies as st

from conformance.model.case import Plan
from conformance.model.loop import Loop
from conformance.strategies.observed import observed_boundaries

MAX_EPOCHS = 200


def interruption_points(loop: Loop, epochs: int, boundaries, count: int):
    """`count` distinct iteration indices, biased toward schedule boundaries.

    A boundary b (a scheduler-step count) contributes the iteration right
    after b scheduler steps and the one a step earlier.
    """
    total = len(loop.iterations(epochs))
    near = sorted(
        {loop.after_sched_steps(b + d) for b in boundaries for d in (0, -1)}
        & set(range(1, total))
    )
    anywhere = st.integers(1, total - 1)
    point = st.one_of(st.sampled_from(near), anywhere) if near else anywhere
    return st.lists(point, min_size=count, max_size=count, unique=True).map(
        lambda xs: tuple(sorted(xs))
    )


@st.composite
def metric_streams(draw, config: dict, length: int):
    """Validation metrics with improvements, plateaus, ties and threshold-edge values.

    "edge" is exactly the value ReduceLROnPlateau's `_is_better` compares
    against (best * (1 - threshold) or best - threshold, mirrored for "max"),
    which does not count as an improvement; "tie" repeats the best value.
    """
    up = 1.0 if config.get("mode", "min") == "max" else -1.0  # direction of "better"
    threshold = config.get("threshold", 1e-4)
    rel = config.get("threshold_mode", "rel") == "rel"
    best = draw(st.sampled_from([1.0, 10.0, 0.5]), label="first metric")
    values = [best]
    moves = st.sampled_from(["improve", "plateau", "tie", "worse", "edge"])
    for _ in range(length - 1):
        move = draw(moves, label="metric move")
        edge = best * (1 + up * threshold) if rel else best + up * threshold
        if move == "edge":
            value = edge
        elif move == "improve":
            value = best = edge + up * (0.05 * abs(best) + 0.01)
        elif move == "worse":
            value = best - up * (0.1 * abs(best) + 0.01)
        else:
            value = best
        values.append(value)
    return tuple(values)


@st.composite
def plans(draw, target, config, loop: Loop, interruptions=(1, 1), media=st.just("file"),
          max_epochs: int = MAX_EPOCHS, setup=None):
    """`max_epochs` caps the run length (cheap checks with many-batch loops lower it).

    Interruptions favour the target's boundaries: its declared ones, else those seen in its
    uninterrupted run under `setup` (`observed.py`).
    """
    lo, hi = interruptions
    cap = min(max_epochs, target.max_steps(config) or max_epochs)
    # Each interruption needs an iteration of its own after the first.
    min_epochs = max(2, -(-(lo + 1) // loop.batches))
    assume(min_epochs <= cap)  # e.g. a OneCycleLR too short for this many interruptions
    # Mostly short runs, sometimes up to the cap: boundaries sit early in most configs.
    short = st.integers(min_epochs, max(min_epochs, min(cap, 50)))
    epochs = draw(short | st.integers(min_epochs, cap), label="epochs")
    total = len(loop.iterations(epochs))
    count = draw(st.integers(lo, min(hi, total - 1)), label="interruption count")
    boundaries = target.boundaries(config)
    if not boundaries and setup is not None:
        boundaries = observed_boundaries(target, config, setup, epochs)
    points = draw(
        interruption_points(loop, epochs, boundaries, count),
        label="interruptions",
    )
    metrics = ()
    if target.capabilities.metric_driven:
        metrics = draw(metric_streams(config, epochs), label="metrics")
    medium = draw(media, label="medium")
    return Plan(epochs, points, metrics, medium)
