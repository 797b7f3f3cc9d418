"""A run from the warm server (selftests/warm.py) decides as `python -m pytest` in a new interpreter does.

The run is a freshness-sensitive one: `GlobalCheckpoint` and `WarmupFlagGlobal` keep
state at module level, and the second's "warmup is over" flag, had the server ever
stepped one, would change what its runs in the child see. Both ways must give every
test the same outcome and message (object addresses aside), and the same exit status;
and the server must hold no module of the self-tests but its own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from selftests.runner import ROOT
from selftests.warm import WARM

# A module pytest would rewrite, imported by the server beforehand, would warn (an error here).
ARGS = ["-W", "error::pytest.PytestAssertRewriteWarning", "-n", "0", "-q", "-p", "no:cacheprovider", "-p", "selftests.profile_plugin", "--hypothesis-profile",
        "ci-detect", "-p", "no:lrc-report", "-p", "selftests.outcomes_plugin", "--lrc-timeout=0",
        "--target=selftests.bestiary:GlobalCheckpoint", "--target=selftests.bestiary:WarmupFlagGlobal",
        "-k", "fresh_process or resume_canonical or determinism",
        "conformance/tests/test_checks.py"]
ADDRESS = re.compile(r" at 0x[0-9a-f]+")  # `<function f at 0x7f...>` in a message: the process's, not the run's


def _outcomes(path) -> dict:
    return {test: [status, ADDRESS.sub(" at 0x…", message)] for test, (status, message) in
            json.loads(path.read_text()).items()}


def test_a_warm_run_decides_as_a_new_interpreter_does(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_XDIST_WORKER", None)
    warm, new = tmp_path / "warm.json", tmp_path / "new.json"
    code = WARM.run([*ARGS, f"--outcomes-json={warm}"], env, ROOT, tmp_path / "warm.out", timeout=600)
    proc = subprocess.run([sys.executable, "-m", "pytest", *ARGS, f"--outcomes-json={new}"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert code == proc.returncode == 1, (tmp_path / "warm.out").read_text()[-3000:] + proc.stdout[-3000:]
    warm_outcomes = _outcomes(warm)
    assert warm_outcomes == _outcomes(new)
    assert warm_outcomes["test_resume_fresh_process[GlobalCheckpoint]"][0] == "failed"
    assert warm_outcomes["test_determinism[GlobalCheckpoint]"][0] == "passed"
    # The server ran nothing of the self-tests: none of their modules (a target's among them) is imported there.
    assert [m for m in WARM.modules() if m.startswith("selftests.")] == []  # itself: `__main__`
