"""A framework's own known failures (`targets/framework_failures.py`), each reported once per run.

With `--driver NAME`, every failure registered for that framework replays
its example on the correct built-in it names: xfail while it fails with its
registered signature, red when it fails differently, and red when it passes
on a version the record lists (fixed upstream?). The targets themselves are
judged outside these scopes (`checks/frameworks.py`).
"""

from conformance.checks.frameworks import check_driver
from conformance.checks.runner import replay_known
from conformance.drivers import BY_NAME as DRIVERS_BY_NAME
from conformance.checks.table import planned
from conformance.model.verdict import ConformanceFailure
from conformance.plugin.hooks import outcome_of
from conformance.targets.builtins import BY_NAME


def test_framework_failure(framework_failure, request):
    known = framework_failure.record
    target = BY_NAME[known.target]
    plan = next(p for p in planned(target) if p.id == known.check)
    driver = DRIVERS_BY_NAME[framework_failure.driver]
    failing = replay_known(plan, target, known, outcome_of(request.node).observe,
                           run=lambda t, drawn, cid: check_driver(t, *drawn, driver, attribute=False))
    if failing is not None:
        raise ConformanceFailure(failing)
