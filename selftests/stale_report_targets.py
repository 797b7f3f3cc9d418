"""Schedulers for selftests/test_problem_kinds.py: a reported lr stale after load, and two resume bugs.

Each is `selftests.controls.StepDecay` with one change, loaded with
`--target selftests.stale_report_targets:NAME`.
"""

from __future__ import annotations

from selftests.controls import StepDecay


class StaleLastLrAfterLoad(StepDecay):
    """load_state_dict() restores the schedule but not what get_last_lr() reports: until the next
    step() it reports the constructor's lr, while the optimizer uses the exact lr it loaded."""

    def load_state_dict(self, state):
        self.t, self.every, self.gamma = state["t"], state["every"], state["gamma"]
        self.base_lrs = list(state["base_lrs"])  # self._last keeps the constructor's values


class ForgetsCounter(StepDecay):
    """state_dict() leaves out the step counter: the resumed run repeats the schedule from its start."""

    def state_dict(self):
        return {"every": self.every, "gamma": self.gamma, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state):
        self.every, self.gamma, self.base_lrs = state["every"], state["gamma"], list(state["base_lrs"])
        self._last = self._values()
