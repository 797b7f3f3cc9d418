"""`driver.<name>`: the target resumed through a framework's own loop and checkpoint API.

The reference is the framework's own uninterrupted run; the interrupted run
stops after `options["stop"]` optimizer steps, checkpoints the framework's
way, and fresh objects resume the framework's documented way. Both
trajectories come from the optimizer step pre-hook and are compared
exactly, as for every check. A setup the framework documents it cannot
resume is a result naming the limitation and its doc link, not a failure.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, fields, replace

from conformance.drivers.base import Driver
from conformance.harness.errors import CheckpointError, Rejected, TargetError
from conformance.harness.oracle import compare, guarded, nondeterminism
from conformance.harness.run import RunResult
from conformance.harness.scratch import scratch_dir
from conformance.model.case import Case
from conformance.model.verdict import PASS, Verdict
from conformance.spec import TargetSpec
from conformance.targets.framework_failures import BY_CHECK
from conformance.targets.known import KnownFailure


@dataclass(frozen=True)
class DriverCase(Case):
    """A case run by a driver: the loop, the stop and the checkpoint are the framework's (the driver line)."""

    def describe(self) -> str:
        metrics = f", metrics {list(self.plan.metrics)}" if self.plan.metrics else ""
        return "\n".join([f"  config:    {self.config!r}", f"  optimizer: {self.setup!r}",
                          f"  run:       {self.plan.epochs} optimizer steps in the framework's loop{metrics}"])


def describe(driver: Driver, options: dict) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in sorted(options.items()))
    return f"  driver:    {driver.name} {driver.version()} ({shown})"


@contextlib.contextmanager
def framework(driver: Driver, what: str, as_error):
    """The framework's own exceptions (not the target's) as a failed checkpoint or an error, naming it."""
    try:
        yield
    except (TargetError, CheckpointError, Rejected):
        raise
    except Exception as exc:  # noqa: BLE001 - raised inside the framework
        raise as_error(f"{driver.name} {driver.version()}: {what}", exc) from exc


@dataclass(frozen=True)
class FrameworkFailure:
    """A framework's known failure as one test: `test_framework_failure[lightning-save=epoch_end]`."""

    driver: str
    record: KnownFailure

    @property
    def name(self) -> str:  # the report lists it under the framework, not under a target
        return f"{self.driver} (framework)"

    @property
    def id(self) -> str:
        scope = ",".join(f"{k}={v}" for k, v in (self.record.options or {}).items())
        return f"{self.driver}-{scope or self.record.check}"


def framework_failures(drivers) -> list[FrameworkFailure]:
    return [FrameworkFailure(d.name, known) for d in drivers for known in BY_CHECK.get(f"driver.{d.name}", [])]


def _framework_failure(driver: Driver, verdict: Verdict) -> Verdict:
    """A bad verdict inside a framework failure's scope: of its kind, the framework's; otherwise still red.

    The framework's own failure is reported once, as its xfail
    (`conformance/tests/test_frameworks.py`); the target is judged on the
    examples outside its scope.
    """
    for known in BY_CHECK.get(verdict.check, []):
        if known.out_of_scope(verdict):
            continue
        other = known.other_kind(verdict)
        if other:
            verdict.message += (f"\n  note: inside the scope of a known {driver.name} failure, but failing "
                                f"differently ({other}), so it is the target's: {known.xfail_reason}")
            return verdict
        seen = verdict.divergence.describe() if verdict.divergence is not None else verdict.message.split("\n")[0]
        return replace(verdict, status=PASS, divergence=None,
                       message=f"not judged: {driver.name}'s own known failure, for any scheduler (reported once, "
                       f"as {driver.name}'s xfail): {known.xfail_reason}\n  seen here: {seen}",
                       details={**verdict.details, "framework_failure": known.check})
    return verdict


def check_driver(target: TargetSpec, case: Case, options: dict, driver: Driver, attribute: bool = True) -> Verdict:
    """The driver check; `attribute=False` keeps a framework failure's verdict as it is (its own replay)."""
    check = f"driver.{driver.name}"
    case = DriverCase(**{f.name: getattr(case, f.name) for f in fields(Case)})

    def body():
        limitation = driver.limitation(target, case, options)
        if limitation:
            return Verdict(target.name, check, PASS, case, message=f"not resumable by design: {limitation}",
                           details={"limitation": limitation, "options": options})
        predicted = driver.expected(target, case, options)
        reference = "the framework's uninterrupted run"
        if predicted is None:
            with framework(driver, "the uninterrupted run", TargetError):
                expected = RunResult(driver.train(target, case, options))
        else:
            expected, reference = RunResult(predicted[0]), predicted[1]
        where = tempfile.mkdtemp(prefix=f"{driver.name}-", dir=scratch_dir())
        stop = options["stop"]
        with framework(driver, f"the checkpoint after optimizer step {stop}", CheckpointError):
            first = driver.train(target, case, options, stop=stop, save_to=where)
        with framework(driver, "the resume", CheckpointError):
            actual = RunResult(first + driver.train(target, case, options, load_from=where))
        what = (f"through {driver.name}: the run checkpointed the framework's way after optimizer step {stop} "
                f"and resumed in fresh objects differs from {reference}\n" + describe(driver, options))
        verdict = compare(target, case, check, expected, actual, what)
        verdict.details["options"] = options
        if not verdict.ok and attribute:
            verdict = _framework_failure(driver, verdict)
        if verdict.ok or predicted is not None:
            return verdict
        unrepeatable = nondeterminism(target, case, check, expected, where=f" through {driver.name}",
                                      again=lambda: RunResult(driver.train(target, case, options)))
        if unrepeatable is None:
            return verdict
        unrepeatable.message += "\n" + describe(driver, options)
        return unrepeatable

    verdict = guarded(target, check, case, body)
    if "options" not in verdict.details:  # a raise or a failed checkpoint: still say which options drew it
        verdict.details["options"] = options
        verdict.message += "\n" + describe(driver, options)
    return verdict
