"""A per-example time limit, so a hanging target becomes a verdict instead of a stalled run.

`limit(seconds)` arms SIGALRM through `signal.setitimer` for the duration of a
block. It works in the main thread only (pytest and xdist workers run tests
there); elsewhere, or on platforms without SIGALRM, it is a no-op. The limit is
set from `--lrc-timeout` (or `LRC_TIMEOUT`), 60 s by default; 0 disables it.
The limit covers a whole example (up to four runs of up to 200 optimizer
steps): a slow optimizer such as Muon on a busy machine needs tens of seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

SECONDS = float(os.environ.get("LRC_TIMEOUT", "60"))


class TargetTimeout(Exception):
    """The target did not return within the per-example time limit."""


def _usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


_warm = False


def warm_up() -> None:
    """Import what torch loads lazily on the first optimizer call (torch._dynamo, seconds
    on a busy machine), so that the first example's limit is not spent on it."""
    global _warm
    if not _warm:
        _warm = True
        import torch._dynamo  # noqa: F401


@contextlib.contextmanager
def limit(seconds: float | None = None):
    seconds = SECONDS if seconds is None else seconds
    if not seconds or seconds <= 0 or not _usable():
        yield
        return
    warm_up()

    def on_alarm(signum, frame):
        raise TargetTimeout(f"no result within the {seconds:g} s time limit (--lrc-timeout)")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)  # re-fires if swallowed
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def paused():
    """Stop a running limit's clock for a block of the suite's own work (starting its processes)."""
    if not _usable():
        yield
        return
    remaining, interval = signal.getitimer(signal.ITIMER_REAL)
    if not remaining:
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, remaining, interval)
