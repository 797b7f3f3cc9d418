"""Checkpoint media: how a checkpoint dict travels from the run to the resume.

`file` and `memory` save with torch.save and load with weights_only=True.
When that load is refused (state that needs unsafe unpickling), they fall
back to the trusted load and say so: one root cause, one red check
(`serialization.weights_only`), while every other check still judges the
resume logic. State torch.save cannot write at all falls back to deepcopy. `dcp` goes through
torch.distributed.checkpoint (`harness/dcp.py`).
"""

from __future__ import annotations

import copy
import io
import os
import pickle

import torch

from conformance.harness import dcp
from conformance.harness.scratch import scratch_dir
from conformance.harness.errors import CheckpointError


TRUSTED = (
    "torch.load(weights_only=True) refused the checkpoint, so this resume went through the trusted "
    "medium (the suite's own file, loaded without weights_only): the resume logic is still judged, "
    "and serialization.weights_only reports the refusal"
)
UNWRITABLE = (
    "torch.save could not write the checkpoint, so this resume went through an in-memory deepcopy: "
    "the resume logic is still judged, and serialization.weights_only reports the problem"
)


def _load(source, trusted: bool = False):
    return torch.load(source, weights_only=not trusted)


def _save(obj, dest) -> None:
    torch.save(obj, dest)


def _round_trip(checkpoint: dict, make_dest, reopen) -> tuple[dict, str]:
    """Save, then load with weights_only=True; on a refusal, the trusted load, with a note."""
    dest = make_dest()
    try:
        _save(checkpoint, dest)
    except Exception:  # noqa: BLE001 - unpicklable state belongs to the target
        return through_deepcopy(checkpoint), UNWRITABLE
    try:
        return _load(reopen(dest)), ""
    except pickle.UnpicklingError:
        try:
            return _load(reopen(dest), trusted=True), TRUSTED
        except Exception as exc:  # noqa: BLE001
            raise CheckpointError("the checkpoint could not be read back even without weights_only", exc) from exc


def through_file(checkpoint: dict) -> tuple[dict, str]:
    path = os.path.join(scratch_dir(), "checkpoint.pt")
    try:
        return _round_trip(checkpoint, lambda: path, lambda dest: dest)
    finally:
        if os.path.exists(path):
            os.remove(path)


def through_memory(checkpoint: dict) -> tuple[dict, str]:
    def reopen(buffer):
        buffer.seek(0)
        return buffer

    return _round_trip(checkpoint, io.BytesIO, reopen)


def through_deepcopy(checkpoint: dict) -> dict:
    try:
        return copy.deepcopy(checkpoint)
    except Exception as exc:  # noqa: BLE001
        raise CheckpointError("copy.deepcopy failed on the checkpoint", exc) from exc


def through_trusted(checkpoint: dict) -> tuple[dict, str]:
    """The suite's own file, loaded without weights_only."""
    buffer = io.BytesIO()
    _save(checkpoint, buffer)
    buffer.seek(0)
    return _load(buffer, trusted=True), ""


# Each medium carries a checkpoint taken from the live objects `session` and says how it
# travelled ("" when as asked). Only `dcp` reads the live objects (it saves them as Statefuls).
THROUGH = {
    "file": lambda checkpoint, session: through_file(checkpoint),
    "memory": lambda checkpoint, session: through_memory(checkpoint),
    "deepcopy": lambda checkpoint, session: (through_deepcopy(checkpoint), ""),
    "trusted": lambda checkpoint, session: through_trusted(checkpoint),
    "dcp": lambda checkpoint, session: (dcp.save(checkpoint, session), ""),
}
