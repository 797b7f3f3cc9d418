"""One test per CHECKS entry (`conformance/checks/table.py`), parametrized per target by the plugin.

`test_resume_canonical[StepLR]`, `test_mismatch[StepLR-gamma]`, ... Each runs
its check's Hypothesis test (or pitfall search) and fails with the verdict's
full explanation.
"""

from conformance.checks.runner import run_check
from conformance.checks.table import CHECKS
from conformance.plugin.hooks import XFAILS, outcome_of
from conformance.targets.known import known_failure


def _test_for(check):
    def test(target, plan, request):
        known = known_failure(target, plan.id, request.config.stash[XFAILS])
        run_check(plan, target, known, outcome_of(request.node).observe)

    test.__name__ = test.__qualname__ = check.test_name
    test.__doc__ = check.doc or check.id
    test.lrc_check = check
    return test


for _check in CHECKS:
    globals()[_check.test_name] = _test_for(_check)
