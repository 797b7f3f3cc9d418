"""Installed from a wheel, the suite runs in a user's own repo: no conftest of ours, no checkout.

The wheel is built from this checkout and installed into a throwaway venv
that holds only what the wheel declares: torch first (the lock's CPU build,
as the README says), then the wheel with its declared dependencies at the
lock's versions. A package the suite needs but does not declare fails here
(numpy did: DCP's load on the ranks needs it). `conformance` can only come
from the wheel.
The run happens in a temp directory holding only a user module, plus folders
named `reports` and `strategies` of the user's own, which the installed suite
must not shadow.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from selftests.runner import once

ROOT = Path(__file__).resolve().parent.parent
USER_MODULE = textwrap.dedent('''
    class Sched:
        """lr = base * gamma ** (t // every), with its whole state saved."""

        def __init__(self, optimizer, every=3, gamma=0.5):
            self.optimizer, self.every, self.gamma, self.t = optimizer, every, gamma, 0
            # A copy, not the optimizer's own lr tensor: DCP loads tensors in place, so an alias
            # would take the optimizer's loaded lr as its base (distributed.* catches that).
            self.base_lrs = [group["lr"].clone() if hasattr(group["lr"], "clone") else group["lr"]
                             for group in optimizer.param_groups]

        def step(self):
            self.t += 1
            for group, base in zip(self.optimizer.param_groups, self.base_lrs):
                group["lr"] = base * self.gamma ** (self.t // self.every)

        def get_last_lr(self):
            return [group["lr"] for group in self.optimizer.param_groups]

        def state_dict(self):
            return {"t": self.t, "base_lrs": list(self.base_lrs)}

        def load_state_dict(self, state):
            self.t, self.base_lrs = state["t"], list(state["base_lrs"])
''')
# A profile of the user's own: the suite's check budgets scale from whatever profile is in force.
USER_CONFTEST = textwrap.dedent('''
    from hypothesis import settings

    settings.register_profile("smoke", settings.get_profile("ci"), max_examples=3)
''')
USER_TEST = textwrap.dedent('''
    from conformance.library import parametrize_targets
    from reports import MARK
    from usersched import Sched

    def test_my_own_reports_package_is_mine():
        assert MARK == "the user's own"

    @parametrize_targets([Sched], checks=["resume.canonical"])
    def test_library(target, check):
        check(target)
''')


def run(cmd, cwd, env=None, timeout=900):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def installed(shared_dir):
    """(python of the throwaway venv, the user's repo) with the suite installed from its wheel: built once per
    session, whichever xdist worker asks first (the others wait for it)."""
    base, _ = once(shared_dir, "install", _install)
    return base / "venv" / "bin" / "python", base / "user"


def _install(base: Path) -> dict:
    code, out = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                     "-w", str(base / "dist"), str(ROOT)], cwd=base)
    assert code == 0, out[-3000:]
    (wheel,) = (base / "dist").glob("lr_resume_conformance-*.whl")
    # No pip in the venv (ensurepip took 2.4 s): this pip installs into it with --python.
    code, out = run([sys.executable, "-m", "venv", "--without-pip", str(base / "venv")], cwd=base)
    assert code == 0, out
    python = base / "venv" / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--disable-pip-version-check",
           "--no-compile"]
    lock = ROOT / "requirements" / "lock.txt"
    torch_pin = next(line.strip() for line in lock.read_text().splitlines() if line.startswith("torch=="))
    for args in ([torch_pin], ["-c", str(lock), str(wheel)]):  # torch first: the local CPU wheel
        code, out = run(pip + args, cwd=base)
        assert code == 0, out[-3000:]
    # One import that writes the bytecode of what a pytest start imports, as a user's first import does:
    # --no-compile spared compiling all of torch, and the whole-suite run's processes would otherwise each
    # compile it (5.0 s a start instead of 1.8). Bytecode may be written: the self-tests' conftest allows it.
    code, out = run([str(python), "-c", "import conformance.plugin.hooks, conformance.reports.plugin, torch._dynamo, "
                     "xdist.plugin, _hypothesis_pytestplugin, pytest"], cwd=base, env=env_without_checkout())
    assert code == 0, out[-3000:]
    user = base / "user"
    (user / "reports").mkdir(parents=True, exist_ok=True)
    (user / "strategies").mkdir(exist_ok=True)
    (user / "reports" / "__init__.py").write_text('MARK = "the user\'s own"\n')
    (user / "strategies" / "__init__.py").write_text("")
    (user / "usersched.py").write_text(USER_MODULE)
    (user / "conftest.py").write_text(USER_CONFTEST)
    return {}


def env_without_checkout():
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_XDIST_WORKER")}
    return env


def test_the_wheel_holds_the_suite_under_its_own_name(installed):
    python, user = installed
    code, out = run([str(python), "-c", "import conformance, conformance.reports, conformance.strategies;"
                     "print(conformance.__file__)"], cwd=user, env=env_without_checkout())
    assert code == 0 and str(ROOT) not in out and "site-packages" in out, out
    code, out = run([str(python), "-c", "import importlib.util as u, sys; sys.path.remove(''); "
                     "print(u.find_spec('strategies'), u.find_spec('reports'))"], cwd=user, env=env_without_checkout())
    assert out.strip() == "None None", out  # no generic top-level names taken in site-packages


def test_pytest_target_runs_the_whole_suite_from_the_users_repo(installed):
    """Every check passes (exit 0): fresh processes, ranks and DCP included, all from site-packages, under
    the user's own profile (`ci` with 3 examples, from their conftest.py: what is proved here is the wiring;
    the suite's search power is the bestiary's, at `ci`).

    (That the suite's start-up is not timed as the target's, which this run once showed beside busy
    processes, selftests/test_startup_untimed.py shows with a start-up slower than the time limit.)"""
    python, user = installed
    code, out = run([str(python), "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "--hypothesis-profile", "smoke",
                     "--target", "usersched:Sched"], cwd=user, env=env_without_checkout())
    assert code == 0, out[-4000:]
    assert str(ROOT) not in out.split("lrc report:")[0], "the checkout must not be used"
    report = json.loads((user / "reports" / "latest" / "report.json").read_text())
    checks = {r["check"] for r in report["records"] if r["target"] == "Sched"}
    assert {"determinism", "resume.canonical", "resume.multi", "serialization.weights_only",
            "recipe.fast_forward", "placement.amp", "mismatch.base_lr"} <= checks, sorted(checks)
    assert report["hypothesis"]["profile"] == "smoke" and report["summary"]["ok"]
    assert "hypothesis profile smoke" in out and "max_examples 3" in out, out[:2000]
    assert list((user / "reports" / "latest").glob("report.html"))


def test_the_library_from_the_users_own_test_file(installed, tmp_path):
    python, shared = installed
    user = tmp_path / "user"  # a copy: the whole-suite run may be going on in the shared one (another worker)
    shutil.copytree(shared, user, ignore=shutil.ignore_patterns("reports"))
    shutil.copytree(shared / "reports", user / "reports", ignore=shutil.ignore_patterns("latest"))
    (user / "test_mine.py").write_text(USER_TEST)
    code, out = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-report", "test_mine.py"],
                    cwd=user, env=env_without_checkout())
    assert code == 0 and "2 passed" in out, out[-3000:]
