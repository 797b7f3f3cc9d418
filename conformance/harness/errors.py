"""Errors raised by a target, kept apart from the harness's own."""

from __future__ import annotations

import contextlib
import traceback

from conformance.harness.observation import heard


def exception_facts(exc: BaseException, phase: str) -> dict:
    """What the report groups a raise on, as data: its type, where it was raised, its own text."""
    return {"type": type(exc).__name__, "phase": phase, "text": str(exc)}


class TargetError(Exception):
    """The target raised while the harness called it in `phase`."""

    def __init__(self, phase: str, exc: BaseException) -> None:
        self.phase = phase
        self.exc = exc
        self.trace = "".join(traceback.format_exception(exc))
        self.notes: list = []  # how the checkpoints travelled, when not as asked (dcp changes)
        super().__init__(f"{phase}: {type(exc).__name__}: {exc}")

    def facts(self) -> dict:
        """A verdict's `details` for this raise: the phase and the exception's type, and the exception as data."""
        return {"phase": self.phase, "raised": type(self.exc).__name__, "exception": exception_facts(self.exc, self.phase)}


class CheckpointError(Exception):
    """The checkpoint could not be written or read back with weights_only=True."""

    def __init__(self, action: str, exc: BaseException) -> None:
        self.action = action
        self.exc = exc
        self.notes: list = []
        super().__init__(f"{action}: {type(exc).__name__}: {exc}")

    def facts(self) -> dict:
        return {"phase": "checkpoint", "raised": type(self.exc).__name__,
                "exception": exception_facts(self.exc, "checkpoint")}


class SuiteError(Exception):
    """The suite's own machinery failed (a process that died, a rank that can't import): never the target's.

    `part` names it ("the fresh process", "rank 1 of 2").
    """

    def __init__(self, part: str, cause: str) -> None:
        self.part = part
        super().__init__(f"{part}: {cause}")


class Rejected(Exception):
    """The uninterrupted run raised: the case is invalid for this target.

    A generated case the target cannot even run uninterrupted is no evidence
    about resuming; checks filter it out (`hypothesis.reject`) instead of
    giving a verdict. `kind` names the exception and where it was raised
    ("ZeroDivisionError in step()"), for the report's count of rejections.
    """

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind or message.split(":", 1)[0]


@contextlib.contextmanager
def calling(phase: str):
    """Attribute any exception inside to the target, under `phase`; log a scheduler call's warnings."""
    try:
        with heard(phase):
            yield
    except (TargetError, CheckpointError):
        raise
    except Exception as exc:  # noqa: BLE001 - the target's own error, reported as such
        raise TargetError(phase, exc) from exc
