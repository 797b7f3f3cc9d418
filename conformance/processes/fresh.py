"""A fresh interpreter per job: `fresh_run(target, case, job, **kwargs)`.

Each job runs in a new child of a `forkserver` whose server imported `PRELOAD`
(torch and the suite's harness) and the modules the targets come from
(`preload_modules`, `preload.py`), but never built or ran a target; the child was
forked ahead of need and has only waited for its job (`spares.py`). A fork of the test
process would copy its globals, and a reused worker would keep what an earlier
job left there; here every job starts from an interpreter that has never run
the target. The child finds the target by its reference (`reference`) with
`loading.quiet`, which never runs it, then runs `job(target, case, **kwargs)`.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
from typing import Callable, Optional

from conformance.harness.errors import CheckpointError, SuiteError, TargetError
from conformance.model.case import Case
from conformance.processes import preload
from conformance.processes.spares import Pool, collect, suite_failure
from conformance.spec import TargetSpec, split_source
from conformance.targets.loading import LoadError, quiet
from conformance.targets.selection import select

# What the fork server imports before it forks a child: torch, the suite's harness and (preload.py) the
# targets' modules; it never builds or runs a target.
PRELOAD = ["torch", "torch.distributed.checkpoint", "conformance.harness.run", "conformance.harness.ddp",
           "conformance.processes.warmup", "conformance.processes.ranks", "conformance.targets.selection",
           "conformance.processes.preload"]


def preload_modules(targets, more=()) -> list:
    """Have the fork server, when it starts, import the modules `targets` come from (only the importable
    'MODULE:ATTR' sources; built-ins need none) and the installed ones of `more` (the drivers' `rank_modules`).
    Call it before the first fresh job; returns the modules."""
    modules = sorted({split_source(t.source)[0] for t in targets if t.source != "torch"} - {""})
    modules = [m for m in [*modules, *more] if _importable(m)]
    os.environ[preload.VARIABLE] = ",".join(modules)  # the server inherits this process's environment
    return modules


class RemoteError(Exception):
    """The target raised in the other process; carries its own traceback text."""


def context():
    """The forkserver context every fresh process and rank is forked from."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


POOL = Pool(context)  # this process's spares: children of the server, waiting for a job


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def reference(target: TargetSpec) -> Optional[str]:
    """How another interpreter finds `target` (its 'MODULE:ATTR', or a built-in's name), or None when it can't."""
    if target.source == "torch":
        return target.name
    module, attr, _ = split_source(target.source)
    return f"{module}:{attr}" if module and _importable(module) else None


FIX = ("what to fix: set TargetSpec.source to the importable 'MODULE:ATTR' that holds it (e.g. "
       "'mypkg.schedulers:TARGETS', a module-level TargetSpec or a list or dict of them; a label may follow "
       "after a space: 'mypkg.schedulers:TARGETS (mypkg 1.2)')")


def unreachable(target: TargetSpec, where: str = "another interpreter") -> Optional[str]:
    """Why another process can't import `target`, or None; says what to set."""
    if reference(target) is not None:
        return None
    module, _, _ = split_source(target.source)
    if not target.source.strip():
        return f"{target.name} has no TargetSpec.source, so {where} can't import it; {FIX}"
    if not module:
        return (f"{target.name}'s source {target.source!r} is a label, not an importable 'MODULE:ATTR', so {where} "
                f"can't import it; {FIX}")
    return (f"{target.name}'s source {target.source!r} names the module {module!r}, which this process can't find by "
            f"name (a test file loaded by path, or a module built at run time?), so {where} can't import it; {FIX}, "
            f"or make {module!r} importable (install its package or put its folder on PYTHONPATH)")


def find(ref: str, name: str, capabilities) -> tuple:
    """In another process: (the target, "") that `ref` names, found without running it, or (None, why not)."""
    if ":" not in ref:  # a built-in, by name
        good, broken = select([ref])
        matches = [t for t in good if t.name == name] or good
        return (matches[0], "") if matches else (None, broken[0].problem if broken else f"{ref} gave no target")
    try:
        target = quiet(ref, name, capabilities)
    except LoadError as exc:
        return None, str(exc)
    return (target, "") if target is not None else (None, f"{ref} holds no target named {name!r}")


def answer(run_it) -> tuple:
    """In another process: `run_it()`'s records, or the target's or the checkpoint's error, as plain data."""
    try:
        return ("records", run_it())
    except TargetError as exc:
        return ("raised", exc.phase, f"{type(exc.exc).__name__}: {exc.exc}", exc.trace)
    except CheckpointError as exc:
        return ("checkpoint", str(exc))
    except Exception as exc:  # noqa: BLE001 - the suite's own code failed there: say so, with its traceback
        return suite_failure(exc)


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
    part = where.removeprefix("in the ").removeprefix("on ")
    if reply[0] == "suite":
        raise SuiteError(part, reply[1])
    raise SuiteError(part, f"{target.name} could not be loaded there (this process loaded it): {reply[1]}")


def job_in_child(ref: str, name: str, capabilities, case: Case, job: Callable, kwargs: dict) -> tuple:
    """In the child: find the target by `ref` (without running it), then `job(target, case, **kwargs)`."""
    import torch

    torch.set_num_threads(1)
    target, problem = find(ref, name, capabilities)
    if target is None:
        return ("unloadable", problem)
    return answer(lambda: job(target, case, **kwargs))


def warm(spares: int = 1) -> None:
    """The fork server started (it imports `PRELOAD`) and `spares` children waiting for a job, before the
    target's timed part: start-up is the suite's cost. A server that cannot start is a `SuiteError`."""
    POOL.ready(spares)


def fresh_run(target: TargetSpec, case: Case, job: Callable, where: str = "in the fresh process", **kwargs) -> list:
    """`job(target, case, **kwargs)`'s records, run in a new interpreter that never ran the target.

    `job` is a module-level function (it travels by reference). The target's
    errors come back as its own; a child that dies is a `SuiteError`.
    """
    args = (reference(target), target.name, target.capabilities, case, job, kwargs)
    spares = POOL.launch([(job_in_child, args)])
    reply, = collect(spares, [where.removeprefix("in the ")], f"the run {where}")
    return unpack(target, reply, where)
