"""A check's examples do not depend on which modules happen to be imported.

Hypothesis (6.170.17 here) sometimes draws a number from a pool of the literals in
every *local* module imported so far (not site-packages, not the stdlib, not
test files). The suite's own modules are local in a checkout and not once
installed, a worker imports what its earlier tests needed, and `-p
no:lrc-report` leaves the report's modules out: the same derandomized test
drew other cases. Under `ci` the contrib job's transformers.polynomial
`mismatch.lr_end` was `constructor` with the report plugin and `unobservable`
without it. The suite's searches run without that pool (`budget.without_local_constants`).
"""

from __future__ import annotations

import importlib
import sys


from conformance.checks import search as searches
from conformance.checks.runner import database_key, hypothesis_test
from conformance.checks.table import planned
from conformance.harness.errors import Rejected
from conformance.strategies.cases import cases
from conformance.targets.builtins import BY_NAME
from selftests.profile_plugin import profile

# Literals a strategy may draw: integers and floats of the ranges the plans and configs use (Hypothesis
# takes none from a module with more than 1024).
LITERALS = "VALUES = [" + ", ".join(
    [str(n) for n in range(100, 250)] + [repr(k / 613) for k in range(1, 613)] + [repr(1.0 + k / 53) for k in range(200)]
) + "]\n"


def _cases(target, check_id: str) -> list:
    plan = next(p for p in planned(target) if p.id == check_id)
    seen: list = []
    hypothesis_test(plan, target, database_key(target, plan), None,
                    lambda verdict: seen.append(verdict.case and verdict.case.describe()))()
    return seen


def _searched(target) -> list:
    tried: list = []

    def probe(case):
        tried.append(case.describe())
        raise Rejected("only the cases matter here")

    searches.search(cases(target), probe, 40, lambda case, exc: None)
    return tried


def _draws() -> tuple:
    """The cases a check's `@given` test and a pitfall search's `find` drew, under `ci`."""
    target = BY_NAME["StepLR"]
    return _cases(target, "mismatch.gamma"), _searched(target)


def test_draws_do_not_depend_on_the_modules_imported(tmp_path, monkeypatch):
    try:
        with profile("ci"):
            before = _draws()
            (tmp_path / "lrc_literals.py").write_text(LITERALS)
            monkeypatch.syspath_prepend(str(tmp_path))
            importlib.import_module("lrc_literals")  # a local module, new literals
            after = _draws()
    finally:
        sys.modules.pop("lrc_literals", None)
    assert before[0], "no example was judged: nothing compared"
    assert before == after
