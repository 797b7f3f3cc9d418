"""`resume.fresh_process`: checkpoint in this interpreter, resume in another one.

Real jobs always resume in a new process. State kept in module globals or
class attributes survives an in-process resume (and the determinism check,
when its value is itself deterministic), but not this one.

The other interpreter is one persistent worker per test process, started
with `spawn` (a fork would copy the globals this check is about), with torch
imported once: an example costs milliseconds, not an interpreter start. It
gets the target's reference, the case and the checkpoint, finds the target
again by its reference, resumes with the canonical recipe and runs the rest
of the case; its records complete the trajectory. A target the worker cannot
import (defined in a test file) is skipped with that reason.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import importlib.util
import multiprocessing
from typing import Optional

from conformance.harness import timelimit
from conformance.harness.errors import CheckpointError, TargetError
from conformance.harness.oracle import compare, guarded, nondeterminism
from conformance.harness.run import run
from conformance.model.case import Case
from conformance.model.verdict import Verdict
from conformance.spec import TargetSpec
from conformance.targets.selection import select

CHECK = "resume.fresh_process"
_POOL: list = []


class RemoteError(Exception):
    """The target raised in the other process; carries its own traceback text."""


def reference(target: TargetSpec) -> Optional[str]:
    """How another interpreter finds `target`, or None when it can't."""
    if target.source == "torch":
        return target.name
    module, colon, _ = target.source.partition(":")
    if not colon:
        return None
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    return target.source if found else None


def unreachable(target: TargetSpec) -> Optional[str]:
    """Why the fresh process can't import `target`, or None (the check's `applies`)."""
    if reference(target) is None:
        return (f"{target.name} is defined where another interpreter can't import it "
                f"(source {target.source!r}: a test file or an object built at run time)")
    return None


def _worker() -> concurrent.futures.ProcessPoolExecutor:
    if not _POOL:
        _POOL.append(concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")))
        atexit.register(_stop)
    return _POOL[0]


def _stop() -> None:
    while _POOL:
        _POOL.pop().shutdown(wait=False, cancel_futures=True)


def find(ref: str, name: str):
    """In another process: the target named `name` that `ref` loads, or (None, why not)."""
    good, broken = select([ref])
    matches = [t for t in good if t.name == name] or good
    if not matches:
        return None, (broken[0].problem if broken else f"{ref} gave no target")
    return matches[0], ""


def answer(run_it) -> tuple:
    """In another process: `run_it()`'s records, or the target's or the checkpoint's error, as plain data."""
    try:
        return ("records", run_it())
    except TargetError as exc:
        return ("raised", exc.phase, f"{type(exc.exc).__name__}: {exc.exc}", exc.trace)
    except CheckpointError as exc:
        return ("checkpoint", str(exc))


def unpack(target: TargetSpec, reply: tuple, where: str) -> list:
    """Here: the records of an `answer` from another process (`where`), or its error raised again."""
    if reply[0] == "records":
        return reply[1]
    if reply[0] == "raised":
        _, phase, what, trace = reply
        error = TargetError(phase, RemoteError(f"{what} ({where})"))
        error.trace = trace
        raise error
    if reply[0] == "checkpoint":
        raise CheckpointError(where, RemoteError(reply[1]))
    raise TargetError(f"import {where}", RemoteError(f"{target.name} could not be loaded {where}: {reply[1]}"))


def rest_of_run(ref: str, name: str, case: Case, checkpoint: dict):
    """In the worker: find the target by `ref`, resume from `checkpoint`, run the rest of `case`."""
    import torch

    torch.set_num_threads(1)
    target, problem = find(ref, name)
    if target is None:
        return ("unloadable", problem)
    return answer(lambda: run(target, case, resume_from=checkpoint).records)


def _hand_over(target: TargetSpec, case: Case):
    ref = reference(target)

    def hand_over(checkpoint: dict) -> list:
        future = _worker().submit(rest_of_run, ref, target.name, case, checkpoint)
        try:
            reply = future.result(timeout=timelimit.SECONDS or None)
        except concurrent.futures.TimeoutError:
            _stop()  # the worker hangs: a new one serves the next example
            raise timelimit.TargetTimeout("the resumed run in the fresh process did not finish") from None
        return unpack(target, reply, "in the fresh process")

    return hand_over


def check_fresh_process(target: TargetSpec, case: Case) -> Verdict:
    """The run resumed in a fresh interpreter equals the uninterrupted run."""

    def body():
        expected = run(target, case, interruptions=())
        actual = run(target, case, hand_over=_hand_over(target, case))
        what = ("the run resumed in a fresh Python process (canonical recipe) differs from the "
                "uninterrupted run: state kept outside state_dict(), in module globals or class "
                "attributes, does not survive a new process")
        verdict = compare(target, case, CHECK, expected, actual, what)
        if verdict.ok:
            return verdict
        return nondeterminism(target, case, CHECK, expected) or verdict

    return guarded(target, CHECK, case, body)

