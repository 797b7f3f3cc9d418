"""This process's scratch folder for checkpoints, removed at exit."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_SCRATCH: list = []


def scratch_dir() -> str:
    if not _SCRATCH:
        _SCRATCH.append(tempfile.mkdtemp(prefix=f"lrc-{os.getpid()}-"))
        atexit.register(shutil.rmtree, _SCRATCH[0], ignore_errors=True)
    return _SCRATCH[0]
