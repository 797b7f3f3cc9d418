"""Which targets a run tests: `--target` options and `LRC_TARGETS`, resolved to `TargetSpec`s.

A reference is `torch` (all built-ins), a built-in's name (`StepLR`), or
`MODULE:ATTR` (see `conformance/loading.py`). A reference that cannot be
resolved becomes a `BrokenTarget` with one message saying what to fix; the
other targets still run.
"""

from __future__ import annotations

import os
from dataclasses import replace

from conformance.spec import TargetSpec
from conformance.targets.builtins import BUILTINS, BY_NAME
from conformance.targets.loading import BrokenTarget, load


def references(options: list[str]) -> list[str]:
    """The `--target` values, else `LRC_TARGETS` (comma-separated), else `torch`."""
    refs = [r for opt in options or [] for r in opt.split(",") if r.strip()]
    if not refs:
        refs = [r for r in os.environ.get("LRC_TARGETS", "").split(",") if r.strip()]
    return [r.strip() for r in refs] or ["torch"]


def resolve(ref: str) -> list:
    if ref == "torch":
        return list(BUILTINS)
    if ref in BY_NAME:
        return [BY_NAME[ref]]
    if ":" in ref:
        return load(ref)
    return [BrokenTarget(ref, f"--target {ref!r} is neither 'torch', a built-in scheduler name "
                              f"({', '.join(sorted(BY_NAME))}), nor MODULE:ATTR")]


def select(options: list[str]) -> tuple[list[TargetSpec], list[BrokenTarget]]:
    """The targets the references name, in order, and the ones that did not load.

    A target named twice runs once. Two different targets with one name (say a
    user's `StepLR` next to torch's) keep distinct test ids: the later one is
    renamed after its reference.
    """
    good, broken, seen = [], [], {}
    for ref in references(options):
        for t in resolve(ref):
            if isinstance(t, BrokenTarget):
                if t.name not in {b.name for b in broken}:
                    broken.append(t)
                continue
            if t.name in seen:
                if seen[t.name] is t:
                    continue
                t = replace(t, name=f"{t.name}@{t.source or ref}")
            seen[t.name] = t
            good.append(t)
    return good, broken
