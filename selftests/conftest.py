"""Self-tests of the suite. `shared_dir` is one folder for all xdist workers, where
subprocess runs are cached (see selftests/runner.py)."""

import os
import sys

import pytest
import torch

from conformance.drivers import DRIVERS, rank_modules
from conformance.processes import fresh

# Bytecode may be written, in this process and every interpreter the self-tests start: pytest keeps the
# assert-rewritten modules of its plugins (Hypothesis, the suite: ~200 files, ~1.2 s a start) only then, and
# a machine with PYTHONDONTWRITEBYTECODE set (as this one) made each of ~40 pytest starts rewrite them again.
# The caches go where Python puts them (`__pycache__`, ignored by git); what runs is the same.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False


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
    # Under -n: an idle worker takes pending tests from a busy one. A few self-tests wait tens of seconds
    # for a suite run; with plain `load` the two workers ended ~20 s apart.
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "worksteal"
    # One intra-op thread, as the suite's own runs have (plugin/hooks.py, README "Choices"): the self-tests
    # run checks, probes and searches in process, on tiny tensors, beside the other xdist worker. With the
    # default 2 threads on 2 busy cores a probe of StepDecay took 61 s instead of 7 (Muon's 2x2 matmuls:
    # 28 ms a call instead of 0.14), and parametrize_targets probes at import, before any hook of the suite.
    torch.set_num_threads(1)


def pytest_sessionstart(session):
    """Each process's fork server also imports what the drivers' loops import on a fresh rank, as it does
    under `--driver`: the in-process driver tests (test_drivers, test_accelerate_processes) run on ranks."""
    fresh.preload_modules([], rank_modules(driver for driver in DRIVERS if not driver.missing()))
