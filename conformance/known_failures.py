"""Known failures of the torch built-ins: the one reviewed file.

Each record names a target and a check, why it fails, where upstream tracks
it, and the torch versions it was seen on. Matching tests are reported as
xfail; an unexpected pass shows as xpass, so upstream fixes get noticed.
Third-party targets carry their own in `TargetSpec.known_failures` or a
user-supplied file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class KnownFailure:
    target: str
    check: str
    reason: str
    link: str = ""
    versions: str = ""
    example: str = ""  # the shrunk failing case, as the report printed it


KNOWN_FAILURES: list[KnownFailure] = [
    # --- resume.*, determinism, serialization.weights_only
    KnownFailure(
        "ConstantLR", "resume.edge.factor_zero",
        "torch accepts factor=0 (its check is `factor < 0`) and then divides by it once "
        "last_epoch reaches total_iters: ZeroDivisionError mid-schedule, resumed or not. "
        "The generated configs exclude factor=0 for this reason.",
        "https://github.com/pytorch/pytorch/issues/185006", "2.13.0",
        "config {'factor': 0.0, 'total_iters': 3}, SGD momentum 0.9, 6 steps, interrupted at 2",
    ),
    # --- recipe.* and serialization.* (no_mutation, load_twice, delayed, deepcopy)
    # --- mismatch.* and placement.*
]


def lookup(target: str, check: str, extra: Optional[dict] = None) -> Optional[KnownFailure]:
    """The known failure for (target, check), from this file or `extra` ({check: reason})."""
    if extra and check in extra:
        return KnownFailure(target, check, extra[check])
    for known in KNOWN_FAILURES:
        if known.target == target and (known.check == check or check.startswith(known.check + ".")):
            return known
    return None
