"""Imported by the fork server: the targets' modules and the drivers' `rank_modules` (`LRC_PRELOAD_MODULES`), never run.

A restarted job imports its libraries again, and an import runs only module-level
code, the same in every new interpreter. So the server imports each target's
module once (transformers, torchtune, ... with it), and no child pays for it;
building and stepping a target happens only in a child. A module that fails to
import here is left alone: the child imports it again and reports its own error.
"""

from __future__ import annotations

import importlib
import os

VARIABLE = "LRC_PRELOAD_MODULES"
FAILED: dict = {}  # module -> the error its import raised in the server

for _name in filter(None, os.environ.get(VARIABLE, "").split(",")):
    try:
        importlib.import_module(_name)
    except Exception as _exc:  # noqa: BLE001 - never the server's death: the child tells
        FAILED[_name] = f"{type(_exc).__name__}: {_exc}"
