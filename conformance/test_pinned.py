"""Pinned edge cases, always run with the canonical recipe: check `resume.edge.<label>`."""

import pytest

from conformance.oracle import check_resume
from conformance.outcome import expect
from conformance.targets.pinned import PINNED


def _pinned(target):
    return PINNED.get(target.name, [])


@pytest.mark.check("resume.edge")
@pytest.mark.per_target("pinned", _pinned)
def test_resume_edge(target, pinned):
    label, case = pinned
    expect(check_resume(target, case, f"resume.edge.{label}"))
