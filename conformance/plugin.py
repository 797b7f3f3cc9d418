"""The pytest plugin: options, target selection, parametrization, known failures, results."""

from __future__ import annotations

import json

import pytest
import torch

import conformance.profiles  # noqa: F401 - registers the Hypothesis profiles
from conformance import outcome
from conformance.known_failures import lookup
from conformance import timelimit
from conformance.registry import select
from conformance.spec import TargetSpec
from conformance.xfails import XfailsFileError, load_file as load_xfails, match as xfail_match


def pytest_addoption(parser):
    group = parser.getgroup("lrc", "LR-scheduler resume conformance")
    group.addoption(
        "--target", action="append", default=[], metavar="REF",
        help="target to test: 'torch' (all built-ins), a built-in name, or MODULE:ATTR; "
        "repeatable; default: $LRC_TARGETS or 'torch'",
    )
    group.addoption(
        "--xfails-file", default=None, metavar="PATH",
        help="known failures of third-party targets, TOML or JSON (see conformance/xfails.py)",
    )
    group.addoption(
        "--lrc-timeout", type=float, default=None, metavar="SECONDS",
        help="per-example time limit for a target; a hang becomes an `error` verdict "
        "(default: $LRC_TIMEOUT or 60; 0 disables it)",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "check(id): the check id a test implements")
    config.addinivalue_line("markers", "requires(capability): skip targets without it")
    config.addinivalue_line(
        "markers", "per_target(argname, fn): parametrize argname per target with fn(target) -> [(id, value)]"
    )
    # The tensors are tiny: intra-op threads only contend with the xdist workers
    # (Muon's matmuls ran 20x slower with 2 threads on a 2-core machine).
    torch.set_num_threads(1)
    if config.getoption("lrc_timeout") is not None:
        timelimit.SECONDS = config.getoption("lrc_timeout")
    good, broken = select(config.getoption("target"))
    xfails = {}
    if config.getoption("xfails_file"):
        try:
            xfails = load_xfails(config.getoption("xfails_file"))
        except XfailsFileError as exc:
            raise pytest.UsageError(str(exc)) from None
    config.stash[TARGETS] = good
    config.stash[BROKEN] = broken
    config.stash[XFAILS] = xfails


TARGETS = pytest.StashKey[list]()
BROKEN = pytest.StashKey[list]()
XFAILS = pytest.StashKey[dict]()


def pytest_report_header(config):
    from hypothesis import settings

    names = ", ".join(t.name for t in config.stash[TARGETS]) or "(none)"
    lines = [f"lrc: torch {torch.__version__}, hypothesis profile {settings._current_profile}, "
             f"time limit {timelimit.SECONDS:g} s per example",
             f"lrc targets: {names}"]
    for source in sorted({t.source for t in config.stash[TARGETS] if t.source != "torch"}):
        lines.append(f"lrc targets from {source}")
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
    if "target" in metafunc.fixturenames and not _parametrized_by_user(metafunc, "target"):
        targets = metafunc.config.stash[TARGETS]
        per_target = metafunc.definition.get_closest_marker("per_target")
        if per_target is None:
            metafunc.parametrize("target", targets, ids=[t.name for t in targets])
        else:
            # @pytest.mark.per_target("name", fn): fn(target) -> [(id, value), ...];
            # the test receives the (id, value) pair, and its check id gains ".<id>".
            argname, values_of = per_target.args
            pairs = [(t, (i, v)) for t in targets for i, v in values_of(t)]
            metafunc.parametrize(
                ("target", argname), pairs, ids=[f"{t.name}-{iv[0]}" for t, iv in pairs]
            )
    if "broken_target" in metafunc.fixturenames:
        broken = metafunc.config.stash[BROKEN]
        metafunc.parametrize("broken_target", broken, ids=[b.name for b in broken])
    if "any_target" in metafunc.fixturenames:  # conformance/test_targets.py: one load check each
        every = metafunc.config.stash[TARGETS] + metafunc.config.stash[BROKEN]
        metafunc.parametrize("any_target", every, ids=[t.name for t in every])


def check_of(item) -> str | None:
    """The check id: the `check` marker, plus ".<id>" for per-target parameters."""
    mark = item.get_closest_marker("check")
    if mark is None:
        return None
    per_target = item.get_closest_marker("per_target")
    if per_target is None or not hasattr(item, "callspec"):
        return mark.args[0]
    value = item.callspec.params.get(per_target.args[0])
    if not isinstance(value, tuple):  # no values for this target: pytest's empty-set skip
        return mark.args[0]
    return f"{mark.args[0]}.{value[0]}"


def _placeholder(item) -> bool:
    """pytest's stand-in for a per_target test with no values for any selected target."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    return item.get_closest_marker("per_target") is not None and not isinstance(params.get("target"), TargetSpec)


def pytest_collection_modifyitems(config, items):
    placeholders = [item for item in items if _placeholder(item)]
    if placeholders:
        items[:] = [item for item in items if not _placeholder(item)]
        config.hook.pytest_deselected(items=placeholders)
    for item in items:
        target = getattr(getattr(item, "callspec", None), "params", {}).get("target")
        check = check_of(item)
        if not isinstance(target, TargetSpec) or check is None:
            continue  # not a check
        for mark in item.iter_markers("requires"):
            if not getattr(target.capabilities, mark.args[0]):
                item.add_marker(pytest.mark.skip(reason=f"{target.name} does not declare {mark.args[0]}"))
        extra = {**config.stash[XFAILS].get(target.name, {}), **target.known_failures}
        reason = xfail_match(extra, check)
        known = lookup(target.name, check, {check: reason} if reason is not None else None)
        if known is not None:
            reason = known.reason + (f" ({known.link})" if known.link else "")
            item.add_marker(pytest.mark.xfail(reason=reason, raises=outcome.ConformanceFailure, strict=False))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    outcome.CURRENT = outcome.TestOutcome()
    try:
        return (yield)
    finally:
        item.stash[OUTCOME] = outcome.CURRENT
        outcome.CURRENT = None


OUTCOME = pytest.StashKey[outcome.TestOutcome]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    seen = item.stash.get(OUTCOME, None)
    if call.when == "call" and seen is not None:
        target = item.callspec.params.get("target") if hasattr(item, "callspec") else None
        record = {
            "target": getattr(target, "name", None),
            "check": check_of(item),
            "examples": seen.examples,
            "statuses": dict(seen.statuses),
            "results": seen.results,
        }
        bad = seen.last_bad
        if bad is not None:
            record.update(status=bad.status, message=bad.explain())
        report.user_properties.append(("lrc", json.dumps(record, default=repr)))
    return report


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
