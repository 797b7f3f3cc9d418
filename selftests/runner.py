"""Running the suite in a subprocess for the self-tests, once per session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

from filelock import FileLock

from selftests.warm import WARM

ROOT = Path(__file__).resolve().parent.parent


def _statuses(path: Path) -> dict:
    """test id (e.g. test_resume_canonical[StepDecay]) -> (status, message), as selftests/outcomes_plugin.py wrote it.

    status: passed, failed, error, skipped, xfailed or xpassed (a non-strict xpass is not a pass).
    """
    return json.loads(path.read_text())


def run_suite(shared: Path, key: str, args: list, profile: str = "", report: bool = False) -> dict:
    """Run `python -m pytest *args` once per session (`once`); {exit, output, tests, report}.

    The profile is `ci-detect` (`ci` without shrinking; `ci` itself with LRC_SELFTEST_SHRINK=1) unless given.
    With `report`, the run also writes its report to `shared/<key>/report/` (the result's `report`), so that a
    self-test of the report reads the same run instead of running the suite again.
    """
    def make(folder: Path) -> dict:
        xml, outcomes, report_dir, out = (folder / name for name in ("junit.xml", "outcomes.json", "report",
                                                                      "output.txt"))
        chosen = profile or ("ci" if os.environ.get("LRC_SELFTEST_SHRINK") == "1" else "ci-detect")
        cmd = [sys.executable, "-m", "pytest", "-n", "0", "-q", "-p", "no:cacheprovider",
               "-p", "selftests.profile_plugin", "--hypothesis-profile", chosen, f"--junitxml={xml}",
               "-p", "selftests.outcomes_plugin", f"--outcomes-json={outcomes}",
               *([f"--report-dir={report_dir}"] if report else
                 ["-p", "no:lrc-report"]),  # the report writer is tested in selftests/test_reports*.py
               *args]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("PYTEST_XDIST_WORKER", None)
        code = WARM.run(cmd[3:], env, ROOT, out, timeout=900)  # `python -m pytest` from the warm server
        return {"exit": code, "output": out.read_text(errors="replace"),
                "tests": _statuses(outcomes) if outcomes.exists() else {}, "cmd": " ".join(cmd),
                "report": str(report_dir) if report else None}

    return once(shared, key, make)[1]


def once(shared: Path, key: str, make: Callable[[Path], dict]) -> tuple[Path, dict]:
    """`make(folder)` once per self-test session, whichever xdist worker asks first (a module-scoped fixture
    runs once per worker that runs its tests); (the folder `shared/<key>`, make's JSON-able result)."""
    folder, done = shared / key, shared / f"{key}.json"
    with FileLock(str(shared / f"{key}.lock")):
        if not done.exists():
            folder.mkdir(exist_ok=True)
            done.write_text(json.dumps(make(folder)))
    return folder, json.loads(done.read_text())


def completed(proc: subprocess.CompletedProcess) -> dict:
    """A finished subprocess as JSON, for `once`; `as_process` turns it back."""
    return {"args": [str(a) for a in proc.args], "returncode": proc.returncode, "stdout": proc.stdout,
            "stderr": proc.stderr}


def as_process(saved: dict) -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess(saved["args"], saved["returncode"], saved["stdout"], saved["stderr"])
