"""Loading third-party targets from `MODULE:ATTR` (filled in by the plug-in API)."""

from __future__ import annotations


def load(ref: str) -> list:
    from conformance.registry import BrokenTarget

    return [BrokenTarget(ref, "MODULE:ATTR targets are not supported yet")]
