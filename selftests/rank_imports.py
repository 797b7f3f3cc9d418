"""A rank job for selftests/test_rank_imports.py: a driver's loop on a rank, noting what the rank imported."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch.distributed as dist


def new_modules(before: set) -> list:
    """The modules imported since `before`, the standard library's left out."""
    return sorted(name for name in set(sys.modules) - before if name.split(".")[0] not in sys.stdlib_module_names)


def noting_imports(target, case, inner, imports_to, **kwargs):
    """`inner(target, case, **kwargs)` on this rank; the modules it imported go to `imports_to`/rank<N>.json."""
    before = set(sys.modules)
    records = inner(target, case, **kwargs)
    Path(imports_to, f"rank{dist.get_rank() if dist.is_initialized() else 0}.json").write_text(json.dumps(new_modules(before)))
    return records
