"""Structural, exact comparison of state dicts (nested dicts, lists, tensors, numbers)."""

from __future__ import annotations

import math
from typing import Any, Optional

import torch


def difference(a: Any, b: Any, path: str = "state") -> Optional[str]:
    """The first place `a` and `b` differ, as a readable sentence, or None."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            return f"{path}: {type(a).__name__} became {type(b).__name__}"
        if a.dtype != b.dtype or a.shape != b.shape or a.device != b.device:
            return f"{path}: tensor {a.dtype}{tuple(a.shape)} became {b.dtype}{tuple(b.shape)}"
        if not torch.equal(a, b) and not (a.isnan().any() and torch.equal(a.nan_to_num(), b.nan_to_num())):
            return f"{path}: tensor values {a.tolist()} became {b.tolist()}"
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return f"{path}: keys {sorted(map(str, set(a) ^ set(b)))} are in only one of them"
        for key in a:
            found = difference(a[key], b[key], f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if type(a) is not type(b) or len(a) != len(b):
            return f"{path}: {type(a).__name__} of {len(a)} became {type(b).__name__} of {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            found = difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return None
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return f"{path}: {a!r} ({type(a).__name__}) became {b!r} ({type(b).__name__})"
    if type(a) is type(b) and type(a).__eq__ is object.__eq__ and hasattr(a, "__dict__"):
        # A plain object compares by identity; a copy of it is still the same state.
        return difference(vars(a), vars(b), f"{path}.__dict__")
    try:
        equal = bool(a == b)
    except Exception:  # noqa: BLE001 - objects without a usable ==
        equal = a is b
    return None if equal else f"{path}: {a!r} became {b!r}"
