"""The `dcp` medium: a checkpoint through torch.distributed.checkpoint, as torchtitan takes it.

Saved: the scheduler as a `Stateful` (its adapter's `state_dict()`), the
optimizer through `get_optimizer_state_dict` of a module holding the params,
the params themselves, and the loop position as plain values. One process,
no process group.

Loaded the way DCP loads: into the *fresh* objects' own state-dict layout.
`restore_optimizer` / `restore_scheduler` (called by every recipe) run
`dcp.load` on a `Stateful` of the fresh object, so state the fresh object
lacks is dropped and keys can change type, as they would for a user. What
the scheduler was handed, compared with what it saved, becomes a note on
the run: it names the keys DCP dropped or changed.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import shutil
import tempfile
import warnings
import weakref

import torch
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_optimizer_state_dict,
    set_optimizer_state_dict,
)
from torch.distributed.checkpoint.stateful import Stateful

from conformance.harness.errors import CheckpointError, TargetError, calling
from conformance.harness.scratch import scratch_dir
from conformance.model.statediff import difference

_OPTIONS = StateDictOptions(flatten_optimizer_state_dict=False)
# DCP logs every call at DEBUG (and every failure with its traceback) to this logger; the
# suite reports DCP's errors itself, so the log would only bury the verdict in pytest's output.
logging.getLogger("c10d-NullHandler-dcp_logger").disabled = True


def as_module(params) -> torch.nn.Module:
    """A module holding exactly these params (DCP names optimizer state by parameter FQN)."""
    module = torch.nn.Module()
    for i, p in enumerate(params):
        module.register_parameter(f"p{i}", p)
    return module


class SchedulerState(Stateful):
    def __init__(self, target, scheduler) -> None:
        self.target, self.scheduler = target, scheduler
        self.given = None  # what DCP handed to load_state_dict

    def state_dict(self):
        with calling("state_dict"):
            return self.target.adapter.state_dict(self.scheduler)

    def load_state_dict(self, state_dict) -> None:
        self.given = copy.deepcopy(state_dict)
        with calling("load_state_dict"):
            self.target.adapter.load_state_dict(self.scheduler, state_dict)


class OptimizerState(Stateful):
    """The optimizer, named by the FQNs of `module`'s params (a module holding them, or a DDP model)."""

    def __init__(self, module, optimizer) -> None:
        self.module, self.optimizer = module, optimizer

    def state_dict(self):
        return get_optimizer_state_dict(self.module, self.optimizer, options=_OPTIONS)

    def load_state_dict(self, state_dict) -> None:
        set_optimizer_state_dict(self.module, self.optimizer, state_dict, options=_OPTIONS)


class FixedState(Stateful):
    """A state already taken (the checkpoint's scheduler state, possibly replaced by a check)."""

    def __init__(self, state) -> None:
        self.state = state

    def state_dict(self):
        return self.state

    def load_state_dict(self, state_dict) -> None:
        self.state = state_dict


class DcpCheckpoint(dict):
    """The loop position and params, plus where DCP wrote the optimizer and scheduler.

    `saved_scheduler` is a copy of the scheduler state as it was saved;
    `notes` collects what the loads found DCP dropped or changed.
    """

    path: str = ""
    saved_scheduler = None
    notes: list


@contextlib.contextmanager
def dcp_errors(action: str):
    """DCP's own errors (some are BaseException subclasses) as CheckpointError; quiet single-process warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield
        except (TargetError, CheckpointError):
            raise
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - DCP raises CheckpointException(BaseException)
            raise CheckpointError(f"torch.distributed.checkpoint.{action}", _short(exc)) from exc


def _short(exc: BaseException) -> BaseException:
    """DCP's CheckpointException carries every rank's traceback; keep the first cause's line."""
    failures = getattr(exc, "failures", None)
    if isinstance(failures, dict) and failures:
        first = next(iter(failures.values()))
        cause = first[0] if isinstance(first, tuple) else first
        return RuntimeError(f"{type(exc).__name__} ({type(cause).__name__}: {str(cause).splitlines()[0]})")
    return exc


def _root() -> str:
    return tempfile.mkdtemp(prefix="dcp-", dir=scratch_dir())


def writer(path: str) -> dcp.FileSystemWriter:
    """DCP's own file writer; without fsync (durability is not what the suite tests, and it costs ms)."""
    return dcp.FileSystemWriter(path, sync_files=False, thread_count=1)


def save(ckpt: dict, session) -> DcpCheckpoint:
    """Write `ckpt` through dcp.save; the returned checkpoint loads through DCP.

    The directory lives as long as the returned checkpoint (a resume may
    load it twice, or in another process).
    """
    path = _root()
    position = {k: v for k, v in ckpt.items() if k not in ("model", "optimizer", "scheduler")}
    state = {
        "model": {f"p{i}": p.detach().clone() for i, p in enumerate(ckpt["model"])},
        "optimizer": OptimizerState(as_module(session.params), session.optimizer),
        "train_state": position,
    }
    if ckpt["scheduler"] is not None:
        state["lr_scheduler"] = FixedState(ckpt["scheduler"])
    with dcp_errors("save"):
        dcp.save(state, storage_writer=writer(path))
    out = DcpCheckpoint(_load_plain(path, ckpt, position))
    out.path = path
    out.saved_scheduler = copy.deepcopy(ckpt["scheduler"])
    out.notes = []
    weakref.finalize(out, shutil.rmtree, path, True)
    return out


def _load_plain(path: str, ckpt: dict, position: dict) -> dict:
    """The params and the loop position, read back through DCP."""
    state = {
        "model": {f"p{i}": torch.zeros_like(p) for i, p in enumerate(ckpt["model"])},
        "train_state": {k: copy.deepcopy(v) for k, v in position.items()},
    }
    with dcp_errors("load"):
        dcp.load(state, checkpoint_id=path)
    model = [state["model"][f"p{i}"] for i in range(len(ckpt["model"]))]
    return {**state["train_state"], "model": model, "optimizer": None, "scheduler": None}


def load_optimizer(session, ckpt: DcpCheckpoint) -> None:
    with dcp_errors("load"):
        dcp.load({"optimizer": OptimizerState(as_module(session.params), session.optimizer)}, checkpoint_id=ckpt.path)


def load_scheduler(target, session, ckpt: DcpCheckpoint) -> None:
    stateful = SchedulerState(target, session.scheduler)
    with dcp_errors("load"):
        dcp.load({"lr_scheduler": stateful}, checkpoint_id=ckpt.path)
    changed = difference(ckpt.saved_scheduler, stateful.given, "scheduler state")
    if changed:
        note = f"dcp: the scheduler state DCP handed to load_state_dict differs from the one saved: {changed}"
        if note not in ckpt.notes:
            ckpt.notes.append(note)
