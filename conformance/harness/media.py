"""Checkpoint media: how a checkpoint dict travels from the run to the resume."""

from __future__ import annotations

import copy
import atexit
import io
import os
import pickle
import shutil
import tempfile

import torch

from conformance.harness.errors import CheckpointError


_SCRATCH: list = []  # this process's scratch folder, removed at exit


def _scratch_dir() -> str:
    if not _SCRATCH:
        _SCRATCH.append(tempfile.mkdtemp(prefix=f"lrc-{os.getpid()}-"))
        atexit.register(shutil.rmtree, _SCRATCH[0], ignore_errors=True)
    return _SCRATCH[0]


def _load(source):
    try:
        return torch.load(source, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            "torch.load(weights_only=True) refused the checkpoint; the scheduler's "
            "state_dict holds objects that need unsafe unpickling",
            exc,
        ) from exc


def _save(obj, dest) -> None:
    try:
        torch.save(obj, dest)
    except Exception as exc:  # noqa: BLE001 - unpicklable state belongs to the target
        raise CheckpointError("torch.save could not write the checkpoint", exc) from exc


def through_file(checkpoint: dict) -> dict:
    path = os.path.join(_scratch_dir(), "checkpoint.pt")
    try:
        _save(checkpoint, path)
        return _load(path)
    finally:
        if os.path.exists(path):
            os.remove(path)


def through_memory(checkpoint: dict) -> dict:
    buffer = io.BytesIO()
    _save(checkpoint, buffer)
    buffer.seek(0)
    return _load(buffer)


def through_deepcopy(checkpoint: dict) -> dict:
    try:
        return copy.deepcopy(checkpoint)
    except Exception as exc:  # noqa: BLE001
        raise CheckpointError("copy.deepcopy failed on the checkpoint", exc) from exc


THROUGH = {"file": through_file, "memory": through_memory, "deepcopy": through_deepcopy}
