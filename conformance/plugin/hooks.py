"""The pytest plugin (a `pytest11` entry point): options, targets, one test per check, known failures.

- `--target` / `LRC_TARGETS` choose the targets (`targets/selection.py`).
- The test module `conformance/tests/test_checks.py` has one test function
  per CHECKS entry; here each is parametrized per target (and per variant:
  `test_mismatch[StepLR-gamma]`), so its check id is known for every item.
- Capabilities a target does not declare skip its checks; known failures
  (`targets/known.py`, one rule) mark them xfail, and a known-failure entry
  that covers no check of its target gets a warning naming it.
- While a test runs its target, the target's warnings are counted for the
  report (one terminal line per target), and a test whose trajectories never
  changed the lr or momentum is recorded as blind (`harness/observation.py`):
  one terminal line per target names its blind checks. It is not a Python
  warning, so `-W error` can't turn the suite's own note into a red test.
"""

from __future__ import annotations

import os
import warnings

import pytest
import torch
from hypothesis import settings

import conformance
from conformance.checks import budget  # also registers the Hypothesis profiles
from conformance.checks.frameworks import FrameworkFailure, framework_failures
from conformance.checks.table import Planned, missing_capability, planned
from conformance.corpus.resume import CHECK as CORPUS_CHECK
from conformance.drivers import BY_NAME as DRIVERS_BY_NAME, NAMES as DRIVER_NAMES, rank_modules
from conformance.harness import timelimit
from conformance.harness.errors import exception_facts
from conformance.harness.observation import Observed, counted, merged, observing
from conformance.model.verdict import ConformanceFailure
from conformance.plugin.bridge import TestOutcome
from conformance.plugin.record import KEY as RECORD_KEY, Record, capture_target, capture_verdict, hypothesis_blob, jsonable
from conformance.processes import fresh
from conformance.spec import TargetSpec
from conformance.targets import driving
from conformance.targets.known import XfailsFileError, known_failure, load_file as load_xfails, stale
from conformance.targets.selection import select

TARGETS = pytest.StashKey[list]()
BROKEN = pytest.StashKey[list]()
XFAILS = pytest.StashKey[dict]()
OUTCOME = pytest.StashKey[TestOutcome]()
DRIVERS = pytest.StashKey[list]()
OBSERVED = pytest.StashKey[Observed]()  # the target's warnings, and whether its lr moved
NEVER_CHANGED = pytest.StashKey[str]()  # why the test could not judge its target


class StaleKnownFailure(UserWarning):
    """A known-failure entry that covers no check of its target: an upstream fix, or a typo."""


def pytest_addoption(parser):
    group = parser.getgroup("lrc", "LR-scheduler resume conformance")
    group.addoption(
        "--target", action="append", default=[], metavar="REF",
        help="target to test: 'torch' (all built-ins), a built-in name, or MODULE:ATTR; "
        "repeatable; default: $LRC_TARGETS or 'torch'",
    )
    group.addoption(
        "--xfails-file", default=None, metavar="PATH",
        help="known failures of third-party targets, TOML or JSON (see conformance/targets/known.py)",
    )
    group.addoption(
        "--lrc-timeout", type=float, default=None, metavar="SECONDS",
        help="per-example time limit for a target; a hang becomes an `error` verdict "
        "(default: $LRC_TIMEOUT or 60; 0 disables it)",
    )
    group.addoption(
        "--driver", action="append", default=[], metavar="NAME",
        help="run the targets through a framework's own loop and checkpoint API instead of the suite's "
        f"loops: {', '.join(DRIVER_NAMES)}, or 'all'; repeatable (checks driver.<name>)",
    )
    group.addoption(
        "--resume-corpus", default=None, metavar="DIR",
        help="resume the checkpoints of a corpus written by another torch "
        "(`python -m conformance.corpus write DIR`) and compare with its trajectories: "
        "check resume.corpus, conformance/tests/test_corpus.py",
    )


def pytest_configure(config):
    _collect_the_suite(config)
    config.stash[DRIVERS] = _selected_drivers(config.getoption("driver"))
    if config.getoption("lrc_timeout") is not None:
        timelimit.SECONDS = config.getoption("lrc_timeout")
    with observing(Observed()):  # loading probes the targets: their warnings are not this run's output
        good, broken = select(config.getoption("target"))
    xfails = {}
    if config.getoption("xfails_file"):
        try:
            xfails = load_xfails(config.getoption("xfails_file"))
        except XfailsFileError as exc:
            raise pytest.UsageError(str(exc)) from None
    config.stash[TARGETS] = good
    # Before any fresh process: the fork server imports the targets' modules, and what the drivers' loops import
    # on a rank, once.
    fresh.preload_modules(good, rank_modules(config.stash[DRIVERS]))
    config.stash[BROKEN] = broken
    config.stash[XFAILS] = xfails
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(WarningTotals(), "lrc-warning-totals")


SUITE_TESTS = os.path.join(os.path.dirname(os.path.abspath(conformance.__file__)), "tests")  # not imported: tests use us


def _collect_the_suite(config) -> None:
    """`pytest --target X` with no test paths runs the suite's own checks, wherever it is installed.

    From a user's repo that installed the suite, the check modules live in
    site-packages; explicit paths (a user's own `parametrize_targets` file) are
    left as given.
    """
    asked = config.getoption("target") or os.environ.get("LRC_TARGETS")
    if not asked or config.args_source == pytest.Config.ArgsSource.ARGS:
        return
    if not any(os.path.abspath(arg).startswith(SUITE_TESTS) for arg in config.args):
        config.args[:] = [SUITE_TESTS]


def profile_in_effect() -> tuple[str, int, bool]:
    """The Hypothesis profile the checks run under, its max_examples, and whether it is the suite's default.

    With no `--hypothesis-profile`, Hypothesis's own `default` is current, but the
    checks run under the suite's `dev` (`checks/budget.py`).
    """
    current = settings.get_current_profile_name()
    defaulted = current == "default"
    return (budget.DEFAULT_PROFILE if defaulted else current), budget.base_settings().max_examples, defaulted


def pytest_report_header(config):
    names = ", ".join(t.name for t in config.stash[TARGETS]) or "(none)"
    profile, max_examples, defaulted = profile_in_effect()
    lines = [f"lrc: torch {torch.__version__}, hypothesis profile {profile}"
             f"{' (the default: no --hypothesis-profile)' if defaulted else ''}, max_examples {max_examples}, "
             f"time limit {timelimit.SECONDS:g} s per example",
             f"lrc targets: {names}"]
    for driver in config.stash.get(DRIVERS, []):
        lines.append(f"lrc driver: {driver.name} ({driver.distribution} {driver.version()})")
    for source in sorted({t.source for t in config.stash[TARGETS] if t.source != "torch"}):
        lines.append(f"lrc targets from {source}")
    for t in config.stash[TARGETS]:
        if t.source != "torch":
            lines.append(f"lrc driven: {t.name}: {driving.describe(t)}")
    for b in config.stash[BROKEN]:
        what = "skipped" if b.skip else "that did not load"
        lines.append(f"lrc target {what}: {b.name}: {b.problem.splitlines()[0]}")
    return lines


def _parametrized_by_user(metafunc, name: str) -> bool:
    """True when the test parametrizes `name` itself (conformance.library.parametrize_targets)."""
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        if name in names:
            return True
    return False


def pytest_generate_tests(metafunc):
    check = getattr(metafunc.function, "lrc_check", None)
    if check is not None:
        pairs = [(t, p) for t in metafunc.config.stash[TARGETS] for p in planned(t) if p.check is check]
        ids = [t.name + (f"-{p.variant_id}" if p.variant_id else "") for t, p in pairs]
        metafunc.parametrize(("target", "plan"), pairs, ids=ids)
    elif "target" in metafunc.fixturenames and not _parametrized_by_user(metafunc, "target"):
        targets = metafunc.config.stash[TARGETS]
        metafunc.parametrize("target", targets, ids=[t.name for t in targets])
    if "framework_failure" in metafunc.fixturenames:  # conformance/tests/test_frameworks.py: once per run
        found = framework_failures(metafunc.config.stash[DRIVERS])
        metafunc.parametrize("framework_failure", [
            pytest.param(f, marks=pytest.mark.xfail(reason=f.record.xfail_reason, raises=ConformanceFailure,
                                                    strict=False)) for f in found], ids=[f.id for f in found])
    if "any_target" in metafunc.fixturenames:  # conformance/tests/test_targets.py: one load check each
        every = metafunc.config.stash[TARGETS] + metafunc.config.stash[BROKEN]
        metafunc.parametrize("any_target", every, ids=[t.name for t in every])


def _params(item) -> dict:
    return getattr(getattr(item, "callspec", None), "params", {})


def check_of(item) -> str | None:
    """The check id of a test: its planned check, or a library `Check` parameter."""
    params = _params(item)
    if _is_check(item):
        return params["plan"].id
    if "framework_failure" in params:
        return params["framework_failure"].record.check
    check = params.get("check")
    return getattr(check, "id", None) if check is not None else None


def _is_check(item) -> bool:
    """A test of the suite's own check module, parametrized with a target and a planned check."""
    return hasattr(getattr(item, "function", None), "lrc_check") and isinstance(
        _params(item).get("target"), TargetSpec) and isinstance(_params(item).get("plan"), Planned)


def _placeholder(item) -> bool:
    """pytest's stand-in for a check test with no values for any selected target (or no framework failure)."""
    function = getattr(item, "function", None)
    if getattr(function, "__name__", "") == "test_framework_failure":
        return not isinstance(_params(item).get("framework_failure"), FrameworkFailure)
    return hasattr(function, "lrc_check") and not isinstance(_params(item).get("target"), TargetSpec)


def _selected_drivers(names: list) -> list:
    """The drivers `--driver` names; a name unknown or not installed stops the run with what to do."""
    if "all" in names:
        names = list(DRIVER_NAMES)
    chosen = []
    for name in dict.fromkeys(names):
        driver = DRIVERS_BY_NAME.get(name)
        if driver is None:
            raise pytest.UsageError(f"--driver {name}: no such driver; choose from {', '.join(DRIVER_NAMES)} or 'all'")
        if driver.missing():
            raise pytest.UsageError(f"--driver {name}: {driver.missing()}")
        chosen.append(driver)
    return chosen


def _driver_filter(config, item) -> bool:
    """Keep `item`? With --driver, only the chosen drivers' checks run; without it, no driver check."""
    plan = _params(item).get("plan")
    is_driver = isinstance(plan, Planned) and plan.check.id == "driver"
    chosen = {d.name for d in config.stash[DRIVERS]}
    if not chosen:
        return not is_driver
    return is_driver and plan.variant_id in chosen


def pytest_collection_modifyitems(config, items):
    placeholders = [item for item in items if _placeholder(item)]
    if placeholders:
        items[:] = [item for item in items if not _placeholder(item)]
        config.hook.pytest_deselected(items=placeholders)
    others = [item for item in items if _is_check(item) and not _driver_filter(config, item)]
    if others:
        dropped = set(others)
        items[:] = [item for item in items if item not in dropped]
        config.hook.pytest_deselected(items=others)
    if any(_is_check(item) for item in items):
        # The tensors are tiny: intra-op threads only contend with the xdist workers
        # (Muon's matmuls ran 20x slower with 2 threads on a 2-core machine).
        torch.set_num_threads(1)
    from_file = config.stash[XFAILS]
    for item in items:
        if not _is_check(item):
            continue
        target, plan = _params(item)["target"], _params(item)["plan"]
        with observing(Observed()):  # a probe of what the target offers: its warnings are not this run's output
            reason = missing_capability(plan.check, target)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
        known = known_failure(target, plan.id, from_file)
        if known is not None:
            item.add_marker(pytest.mark.xfail(reason=known.xfail_reason, raises=ConformanceFailure, strict=False))
    if not hasattr(config, "workerinput"):
        for target in config.stash[TARGETS]:
            for key in stale(target, [p.id for p in planned(target)] + [CORPUS_CHECK], from_file):
                warnings.warn(StaleKnownFailure(
                    f"known failure {target.name} {key!r} covers no check the suite runs on {target.name}: "
                    "remove it if upstream fixed it, or correct the check id"))


def outcome_of(item) -> TestOutcome:
    """The outcome of the running test, kept on the item for the report."""
    if OUTCOME not in item.stash:
        item.stash[OUTCOME] = TestOutcome()
    return item.stash[OUTCOME]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Observe the target while the test runs it: count its warnings, flag an lr that never moved."""
    target = _params(item).get("target")
    if not isinstance(target, TargetSpec):
        return (yield)
    seen = item.stash[OBSERVED] = Observed()
    with observing(seen):
        result = yield  # a test that raised did judge its target: no blindness to report then
    outcome = item.stash.get(OUTCOME, None)
    # A constant schedule still tells right from wrong against a model (`reference.*`): never blind there.
    judged_by_model = (check_of(item) or "").startswith("reference.")
    why = None if judged_by_model else seen.never_moved(outcome.examples if outcome is not None else 0)
    if why:
        item.stash[NEVER_CHANGED] = why
    return result


def _target_of(item):
    params = _params(item)
    return params.get("target", params.get("broken_target", params.get("framework_failure")))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """The one record of each test phase (`plugin/record.py`), for the report and the terminal lines."""
    report = yield
    try:
        target = _target_of(item)
        rec = Record(target=getattr(target, "name", None), check=check_of(item))
        if call.when == "setup" and hasattr(target, "build"):
            rec.target_info = capture_target(target, item.config.getoption("target", None) or [])
        seen = item.stash.get(OUTCOME, None)
        if call.when == "call" and seen is not None:
            rec.examples, rec.statuses, rec.results = seen.examples, dict(seen.statuses), seen.results_json()
            rec.rejected = {"count": seen.rejected, "kinds": seen.rejected_kinds}
            observation = item.stash.get(OBSERVED, None)
            if observation is not None and observation.kinds:
                rec.warnings = observation.warnings_json()
            rec.lr_never_changed = item.stash.get(NEVER_CHANGED, None)
        if call.when == "call":
            raised = call.excinfo.value if call.excinfo is not None else None
            bad = raised.verdict if isinstance(raised, ConformanceFailure) else getattr(seen, "last_bad", None)
            if bad is not None:
                rec.failure = capture_verdict(bad)
            elif isinstance(raised, Exception):  # raised outside the check: the test's or the harness's error
                rec.failure = {"details": {"exception": exception_facts(raised, "the test")}}
            rec.hypothesis_reproduce = hypothesis_blob(raised)
        rec.results = jsonable(rec.results)
        text = rec.to_json()
    except Exception as exc:  # noqa: BLE001 - a report problem must not fail the test
        text = Record(capture_error=repr(exc)).to_json()
    report.user_properties.append((RECORD_KEY, text))
    return report


class WarningTotals:
    """The warnings each target emitted and its blind checks, totalled from the tests' records (also from
    xdist workers): one terminal line per target instead of one per warning or test."""

    def __init__(self) -> None:
        self.by_target: dict[str, list] = {}
        self.tests: dict[str, int] = {}
        self.blind: dict[str, list[str]] = {}

    def pytest_runtest_logreport(self, report):
        for key, value in report.user_properties if report.when == "call" else ():
            if key == RECORD_KEY:
                record = Record.from_json(value)
                if record.warnings:
                    self.by_target.setdefault(record.target, []).append(record.warnings)
                if record.examples:
                    self.tests[record.target] = self.tests.get(record.target, 0) + 1
                if record.lr_never_changed:
                    self.blind.setdefault(record.target, []).append(record.check)

    def pytest_terminal_summary(self, terminalreporter):
        for name, summaries in self.by_target.items():
            total = merged(summaries)
            first, kinds = total["kinds"][0], counted(len(total["kinds"]), "kind")
            terminalreporter.write_line(
                f"lrc: {name} emitted {counted(total['count'], 'warning')} of {kinds} while the suite ran it, kept "
                f"out of this output (all in the report); the first: {first['category']} at {first['where']}: "
                f"{first['first'][:120]}")
        for name, checks in self.blind.items():
            if len(checks) == self.tests.get(name, 0):
                terminalreporter.write_line(
                    f"lrc: {name}: the lr and momentum never changed in any of its {counted(len(checks), 'test')}: "
                    "these checks can't tell right from wrong. Is the scheduler stepped the way its schedule "
                    "counts, per optimizer step or per epoch?", yellow=True)
            else:
                terminalreporter.write_line(
                    f"lrc: {name}: the lr and momentum never changed in the examples of {len(checks)} of its "
                    f"{counted(self.tests[name], 'test')} ({', '.join(sorted(checks))}): those could not tell "
                    "right from wrong (all in the report)")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if config.option.collectonly:
        return
    ran = sum(len(terminalreporter.stats.get(k, [])) for k in ("passed", "failed", "xfailed", "xpassed"))
    if ran == 0 and exitstatus == 0:
        terminalreporter.write_line("lrc: no test was executed; a run that tests nothing fails", red=True)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    config = session.config
    if reporter is None or exitstatus != 0 or config.option.collectonly or hasattr(config, "workerinput"):
        return
    ran = sum(len(reporter.stats.get(k, [])) for k in ("passed", "failed", "xfailed", "xpassed"))
    if ran == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
