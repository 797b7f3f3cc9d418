"""Deliberately broken schedulers, and a pytest plugin that crashes or stops a run, for the report self-tests.

- `ForgetfulStepLR` leaves `last_epoch` out of its `state_dict`, so a resumed
  run restarts the schedule: the suite must report `fail` and a reproducer
  that reproduces it.
- Loaded with `-p`, this module is also a plugin: `LRC_SELFTEST_CRASH=<substring>`
  kills the process running the matching test (an xdist worker crash), and
  `LRC_SELFTEST_SIGTERM=<substring>` sends SIGTERM to the run there (a CI
  timeout), so the report must come out incomplete, and
  `LRC_SELFTEST_PEEK=<substring>` writes the mid-run report there and keeps a
  copy as `report.midrun.json` (what a reader opening it mid-run sees).
"""

from __future__ import annotations

import os
import shutil
import signal

from torch.optim.lr_scheduler import StepLR

from conformance.spec import TargetSpec


class ForgetfulStepLR(StepLR):
    """StepLR whose checkpoint forgets where the schedule was."""

    def __init__(self, optimizer, step_size: int = 2, gamma: float = 0.5, last_epoch: int = -1):
        super().__init__(optimizer, step_size=step_size, gamma=gamma, last_epoch=last_epoch)

    def state_dict(self):
        state = super().state_dict()
        state.pop("last_epoch", None)
        state.pop("_step_count", None)
        return state


def _forgetful(optimizer, config):
    return ForgetfulStepLR(optimizer, **config)


# A list of specs whose builder is a module function, as a library's TARGETS is.
FORGETFUL_LIST = [TargetSpec(name="ForgetfulSpec", build=lambda optimizer, config: _forgetful(optimizer, config))]


def pytest_runtest_call(item):
    crash = os.environ.get("LRC_SELFTEST_CRASH")
    if crash and crash in item.nodeid:
        os._exit(3)
    stop = os.environ.get("LRC_SELFTEST_SIGTERM")
    if stop and stop in item.nodeid:
        os.kill(os.getpid(), signal.SIGTERM)
    peek = os.environ.get("LRC_SELFTEST_PEEK")
    if peek and peek in item.nodeid:
        collector = item.config.pluginmanager.get_plugin("lrc-report-collector")
        collector._write(final=False)
        shutil.copy(os.path.join(collector.report_dir, "report.json"),
                    os.path.join(collector.report_dir, "report.midrun.json"))
