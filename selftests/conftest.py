"""Self-tests of the suite. `shared_dir` is one folder for all xdist workers, where
subprocess runs are cached (see selftests/runner.py)."""

import pytest


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory, worker_id):
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """The self-tests write no report of their own: reports/latest stays the main suite's.

    (Their library tests are real target x check tests, which the report plugin would
    record.) An explicit --report-dir still gets one.
    """
    if config.getoption("report_dir", None) is None:
        config.option.no_report = True
