"""pytest hooks that turn each test's `Record` into one report record and write the report.

Workers' records reach the controller through `user_properties` (pytest-xdist); the controller adds pytest's
outcome and at session end writes report.json/.md/.html and the reproducers. A crashed worker leaves its test
`error`; a run stopped by Ctrl-C or SIGTERM, or killed (report.json is refreshed as it goes), leaves a report
marked incomplete.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from typing import Optional

import hypothesis
import pytest
import torch

import conformance
from conformance.checks.budget import base_settings
from conformance.plugin.hooks import BROKEN, DRIVERS, TARGETS, profile_in_effect
from conformance.plugin.record import KEY, Record
from conformance.reports import model, problems, writers
from conformance.targets import driving
from conformance.reports.model import ERROR, FAIL, PASS, SKIP, XFAIL, XPASS

DEFAULT_DIR = os.path.join("reports", "latest")
PROGRESS_EVERY = 5.0  # seconds between refreshes of report.json during a run


def pytest_addoption(parser):
    group = parser.getgroup("lrc-report", "LR-scheduler resume conformance: reports")
    group.addoption(
        "--report-dir", default=None, metavar="DIR",
        help="where to write report.json, report.md, report.html and reproducers "
        "(default: $LRC_REPORT_DIR or reports/latest under the rootdir)",
    )
    group.addoption("--no-report", action="store_true", default=False, help="write no report")


def pytest_configure(config):
    if hasattr(config, "workerinput") or config.getoption("no_report", False):  # an xdist worker
        return
    config.pluginmanager.register(Collector(config), "lrc-report-collector")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _git(root: str, *args: str) -> Optional[str]:
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _record(report) -> Record:
    for key, value in getattr(report, "user_properties", []) or []:
        if key == KEY:
            try:
                return Record.from_json(value)
            except (ValueError, TypeError):
                return Record(capture_error=f"unreadable {KEY} property")
    return Record()


def _skip_reason(report) -> str:
    lr = report.longrepr
    if isinstance(lr, tuple) and len(lr) == 3:
        return str(lr[2]).removeprefix("Skipped: ")
    return str(lr or "")


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join((text or "").rstrip().splitlines()[-lines:])


def _check_from_nodeid(nodeid: str) -> tuple[Optional[str], str]:
    """(target, test name) guessed from a node id, for tests that never reported."""
    name = nodeid.split("::")[-1]
    target = None
    if "[" in name and name.endswith("]"):
        name, target = name[:-1].split("[", 1)
    return target, name


class Collector:
    """Turns per-phase test reports into records and writes the report files."""

    def __init__(self, config) -> None:
        self.config = config
        self.entries: dict[str, dict] = {}  # nodeid -> record under construction
        self.order: list[str] = []
        self.expected: set[str] = set()
        self.started = _now()
        self.t0 = time.monotonic()
        self.interrupted: Optional[str] = None
        self.node_errors: dict[str, str] = {}
        self.last_progress = 0.0
        self.written: Optional[str] = None
        self.explicit_dir = bool(config.getoption("report_dir") or os.environ.get("LRC_REPORT_DIR"))
        self._old_sigterm = None
        if threading.current_thread() is threading.main_thread():
            try:
                self._old_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)
            except (ValueError, OSError):
                self._old_sigterm = None

    @property
    def report_dir(self) -> str:
        chosen = self.config.getoption("report_dir") or os.environ.get("LRC_REPORT_DIR")
        if chosen:
            return os.path.abspath(os.path.join(str(self.config.invocation_params.dir), chosen))
        return os.path.join(str(self.config.rootpath), DEFAULT_DIR)

    def _on_sigterm(self, signum, frame):
        self.interrupted = "terminated by SIGTERM (a timeout or a cancelled CI job)"
        raise KeyboardInterrupt(self.interrupted)

    def pytest_unconfigure(self, config):
        if self._old_sigterm is not None:
            try:
                signal.signal(signal.SIGTERM, self._old_sigterm)
            except (ValueError, OSError):
                pass

    def pytest_keyboard_interrupt(self, excinfo):
        if self.interrupted is None:
            self.interrupted = "interrupted by Ctrl-C (KeyboardInterrupt)"

    def pytest_collection_finish(self, session):
        self.expected.update(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        self.expected.update(ids)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        if error:
            self.node_errors[getattr(node.gateway, "id", str(node))] = str(error)

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem, report, sched):
        self._entry(crashitem)["crashed"] = True

    def _entry(self, nodeid: str) -> dict:
        if nodeid not in self.entries:
            target, test = _check_from_nodeid(nodeid)
            self.entries[nodeid] = {"id": nodeid, "target": target, "check": None, "test": test,
                                    "verdict": None, "examples": 0, "duration": 0.0}
            self.order.append(nodeid)
        return self.entries[nodeid]

    def pytest_runtest_logreport(self, report):
        entry = self._entry(report.nodeid)
        rec = _record(report)
        entry.update({k: v for k, v in (("target", rec.target), ("check", rec.check),
                                        ("target_info", rec.target_info)) if v})
        if rec.capture_error:
            entry.setdefault("notes", []).append(f"report capture failed: {rec.capture_error}")
        entry["duration"] = round(entry["duration"] + float(getattr(report, "duration", 0) or 0), 3)
        node = getattr(report, "node", None)
        worker = getattr(getattr(node, "gateway", None), "id", None) or getattr(report, "worker_id", None)
        if worker:
            entry["worker"] = worker
        when = report.when
        if when == "???":  # pytest-xdist: the worker died while running this test
            cause = str(report.longrepr or "worker crashed")
            if worker and worker in self.node_errors:
                cause += f"\n{self.node_errors[worker]}"
            entry.update(verdict=ERROR, message=f"{cause}\n(the worker process died; a segfault, os._exit or "
                         "out-of-memory kill in the target or torch)", crashed=True)
            self._finish(entry)
            return
        if when == "setup":
            if report.skipped:
                if hasattr(report, "wasxfail"):
                    entry.update(verdict=XFAIL, reason=report.wasxfail or _skip_reason(report))
                else:
                    entry.update(verdict=SKIP, reason=_skip_reason(report))
            elif report.failed:
                entry.update(verdict=ERROR, message="error in test setup:\n" + _tail(report.longreprtext))
        elif when == "call":
            self._call(entry, report, rec)
        elif when == "teardown":
            if report.failed and entry.get("verdict") in (None, PASS, XPASS):
                entry.update(verdict=ERROR, message="error in test teardown:\n" + _tail(report.longreprtext))
            if entry.get("verdict") is None:
                entry.update(verdict=ERROR, message="the test produced no outcome")
            self._finish(entry)

    def _call(self, entry: dict, report, rec: Record) -> None:
        entry["examples"] = rec.examples
        if rec.statuses:
            entry["statuses"] = rec.statuses
        for key in ("rejected", "warnings", "lr_never_changed"):  # what the suite observed besides the verdict
            if (getattr(rec, key) or {}) and (key != "rejected" or rec.rejected.get("count")):
                entry[key] = getattr(rec, key)
        if rec.results:
            entry["results"] = rec.results
            entry.update({k: rec.results[k] for k in ("recipes", "mismatch", "placement") if k in rec.results})
        failure = dict(rec.failure or {})
        xfail = hasattr(report, "wasxfail")
        if report.passed:
            entry.update(verdict=XPASS if xfail else PASS, **({"reason": report.wasxfail} if xfail else {}))
        elif report.skipped:
            entry.update({"verdict": XFAIL, "reason": report.wasxfail} if xfail else
                         {"verdict": SKIP, "reason": _skip_reason(report)})
        elif xfail or str(report.longrepr or "").startswith("[XPASS(strict)]"):  # a strict xfail that passed
            reason = getattr(report, "wasxfail", None) or str(report.longrepr).split("]", 1)[1].strip()
            entry.update(verdict=XPASS, reason=reason)
            return
        else:
            status = failure.get("status")
            entry["verdict"] = status if status in (FAIL, ERROR, model.NONDETERMINISTIC) else ERROR
        if report.failed or entry["verdict"] == XFAIL:
            message = failure.pop("message", None)
            if message is None and report.failed:
                message = "the test raised outside the check (a harness or test error):\n" + _tail(report.longreprtext)
            if message is not None:
                entry["message"] = message
            failure.pop("status", None)
            if failure:
                entry["failure"] = failure
            if rec.hypothesis_reproduce:
                entry.setdefault("failure", {})["hypothesis_reproduce"] = rec.hypothesis_reproduce

    def _finish(self, entry: dict) -> None:
        now = time.monotonic()
        if now - self.last_progress >= PROGRESS_EVERY:
            self.last_progress = now
            self._write(final=False)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        if exitstatus == pytest.ExitCode.INTERRUPTED and self.interrupted is None:
            self.interrupted = "interrupted"
        for stop in (getattr(session, "shouldstop", False), getattr(session, "shouldfail", False)):
            if stop and self.interrupted is None:
                self.interrupted = f"stopped early: {stop}"
        self._write(final=True, exitstatus=int(exitstatus))

    def pytest_terminal_summary(self, terminalreporter):
        if self.written:
            terminalreporter.write_line(f"lrc report: {self.written}")

    def records(self, final: bool = True) -> tuple[list[dict], list[str]]:
        """The records so far, and the tests not run. While the run goes on (`final` False),
        a test that has not reported yet is "not run", never an error."""
        records, not_run = [], []
        for nodeid in self.order:
            e = dict(self.entries[nodeid])
            if e.get("verdict") is None:
                if self.interrupted or not final:
                    not_run.append(nodeid)
                    continue
                e.update(verdict=ERROR, message="the test started but never finished reporting (its worker crashed?)")
            records.append(e)
        for nodeid in sorted(self.expected - set(self.entries)):
            if self.interrupted or not final:
                not_run.append(nodeid)
            else:
                target, test = _check_from_nodeid(nodeid)
                records.append({"id": nodeid, "target": target, "check": None, "test": test,
                                "verdict": ERROR, "examples": 0,
                                "message": "collected but never run: a crashed worker or an aborted "
                                           "session lost it"})
        return records, not_run

    def envelope(self, records: list[dict], not_run: list[str], final: bool, exitstatus=None) -> dict:
        root = str(self.config.rootpath)
        targets = []
        for t in self.config.stash.get(TARGETS, []):
            entry = {"name": t.name, "source": getattr(t, "source", "")}
            if getattr(t, "inferred", None):
                entry["inferred"] = dict(t.inferred)  # how each constructor argument was inferred
            if entry["source"] != "torch":
                entry["driven"] = driving.describe(t)  # how the loop steps it, and how that was decided
            targets.append(entry)
        broken = [{"name": b.name, "problem": b.problem} for b in self.config.stash.get(BROKEN, [])]
        problems.annotate_warnings(targets, records)
        if not hasattr(self, "_git_state"):
            self._git_state = (_git(root, "rev-parse", "HEAD"),
                               _git(root, "status", "--porcelain", "--untracked-files=no"))
        sha, dirty = self._git_state
        complete = final and self.interrupted is None and not not_run
        return {
            "schema_version": model.SCHEMA_VERSION,
            "suite": {"name": "lr-resume-conformance", "version": conformance.__version__,
                      "git_sha": sha, "git_dirty": bool(dirty) if dirty is not None else None},
            "environment": {
                "torch": torch.__version__, "python": platform.python_version(), "hypothesis": hypothesis.__version__,
                "pytest": pytest.__version__, "platform": platform.platform(), "machine": platform.machine(),
                "xdist_workers": getattr(self.config.option, "numprocesses", None),
                "drivers": {d.name: f"{d.distribution} {d.version()}" for d in self.config.stash.get(DRIVERS, [])},
            },
            "command": ["pytest", *self.config.invocation_params.args], "targets": targets, "broken_targets": broken,
            "hypothesis": {  # the profile is `dev` when none was chosen, as the checks run
                "profile": profile_in_effect()[0], "seed": self.config.getoption("hypothesis_seed", None),
                "max_examples": profile_in_effect()[1], "derandomize": base_settings().derandomize,
            },
            "started_at": self.started, "finished_at": _now() if final else None,
            "duration_s": round(time.monotonic() - self.t0, 2), "complete": complete,
            "status": "complete" if complete else ("running" if not final else "incomplete"),
            "incomplete_reason": None if complete else (
                self.interrupted or ("the run is still going" if not final else
                                     f"{len(not_run)} collected tests never ran")),
            "exitstatus": exitstatus, "not_run": not_run, "summary": model.summarize(records),
            "records": model.sort_records(records),
        }

    def _write(self, final: bool, exitstatus=None) -> None:
        if not self.entries and not self.explicit_dir:
            return  # e.g. the selftests: no conformance test ran, keep the last suite report
        if not self.explicit_dir and not any(e.get("check") for e in self.entries.values()) and final:
            return
        records, not_run = self.records(final)
        report = self.envelope(records, not_run, final, exitstatus)
        try:
            if final:
                writers.write_all(report, self.report_dir)
                self.written = os.path.join(self.report_dir, "report.html")
            else:
                problems.annotate(report)
                model.write_atomic(os.path.join(self.report_dir, "report.json"), model.dumps(report))
        except Exception as exc:  # noqa: BLE001 - never lose the test run to a report bug
            sys.stderr.write(f"lrc: could not write the report to {self.report_dir}: {exc!r}\n")
            if final:
                raise
