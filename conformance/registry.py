"""Which targets a run tests: `--target` options and `LRC_TARGETS`, resolved to `TargetSpec`s.

A reference is `torch` (all built-ins), a built-in's name (`StepLR`), or
`MODULE:ATTR` (see `conformance/loading.py`). A reference that cannot be
resolved becomes a `BrokenTarget` with one message saying what to fix; the
other targets still run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from conformance.spec import TargetSpec
from conformance.targets.builtins import BUILTINS, BY_NAME


@dataclass(frozen=True)
class BrokenTarget:
    name: str
    problem: str


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
        from conformance.loading import load

        return load(ref)
    return [BrokenTarget(ref, f"--target {ref!r} is neither 'torch', a built-in scheduler name "
                              f"({', '.join(sorted(BY_NAME))}), nor MODULE:ATTR")]


def select(options: list[str]) -> tuple[list[TargetSpec], list[BrokenTarget]]:
    good, broken, seen = [], [], set()
    for ref in references(options):
        for t in resolve(ref):
            if t.name in seen:
                continue
            seen.add(t.name)
            (broken if isinstance(t, BrokenTarget) else good).append(t)
    return good, broken
