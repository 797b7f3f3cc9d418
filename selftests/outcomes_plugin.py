"""Writes each test's exact outcome to `--outcomes-json` (read back by selftests/runner.py).

JUnit XML has no node for a non-strict xpass, so it reads back as a pass;
here a test is passed, failed, skipped, xfailed, xpassed or error, keyed by
its JUnit name (the node id after the last "::"), with the message.
"""

from __future__ import annotations

import json

OUTCOMES: dict = {}


def pytest_addoption(parser):
    parser.addoption("--outcomes-json", default=None, help="where to write each test's exact outcome")


def _message(report) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):  # (path, line, reason)
        text = report.longrepr[2]
    else:
        text = report.longreprtext
    reason = getattr(report, "wasxfail", "")
    return f"{reason}\n{text}" if reason else text


def pytest_runtest_logreport(report):
    name = report.nodeid.split("::")[-1]
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        status = {"passed": "xpassed" if xfail else "passed", "failed": "failed",
                  "skipped": "xfailed" if xfail else "skipped"}[report.outcome]
    elif report.failed:
        status = "error"  # in setup or teardown
    elif report.skipped:  # in setup: a skip mark, or an xfail that does not run
        status = "xfailed" if xfail else "skipped"
    else:
        return
    if report.when == "teardown" and OUTCOMES.get(name, ("",))[0] in ("failed", "error"):
        return  # a teardown error after a red call: the call's outcome stands
    OUTCOMES[name] = (status, _message(report))


def pytest_collectreport(report):
    if report.failed:
        OUTCOMES[report.nodeid.split("::")[-1]] = ("error", report.longreprtext)


def pytest_sessionfinish(session):
    path = session.config.getoption("outcomes_json")
    if path and not hasattr(session.config, "workerinput"):  # the xdist controller sees every report
        with open(path, "w") as f:
            json.dump(OUTCOMES, f)
