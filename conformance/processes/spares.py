"""Children forked ahead of need, each waiting for its one job: `ready(n)`, `launch(jobs)`, `collect(...)`.

A spare is a new child of the fork server (`fresh.context()`): it has run
nothing but a wait for its job, so it is as fresh as a child forked on
demand. Forking one costs ~10 ms, more than a short resume; spares are
forked by a background thread while this process works, and topped up
before an example's timed part (`ready`), so that cost stays out of the
per-example time limit. Each spare runs exactly one job, answers, and exits.
"""

from __future__ import annotations

import threading
import traceback
import time
from multiprocessing.connection import wait
from typing import Callable, Optional

from conformance.harness import timelimit
from conformance.harness.errors import SuiteError

PART = "the fresh-process server"


class Spare:
    """A started child waiting on `conn` for `(function, args)`."""

    def __init__(self, context) -> None:
        self.conn, there = context.Pipe()
        self.process = context.Process(target=_wait_for_job, args=(there,), daemon=True)
        self.process.start()
        there.close()

    def discard(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()


_AFTER_ANSWER: list = []


def after_answer(cleanup: Callable[[], None]) -> None:
    """In a spare: run `cleanup` once the answer is sent (e.g. a process group's ~20 ms teardown)."""
    _AFTER_ANSWER.append(cleanup)


def suite_failure(exc: BaseException) -> tuple:
    """The answer that says the suite's own code failed in the child, with its traceback (a `SuiteError` here)."""
    return ("suite", f"{type(exc).__name__}: {exc}\n" + traceback.format_exc())


def _wait_for_job(conn) -> None:
    """The spare's whole life: one job, its answer sent back, its cleanups, exit."""
    try:
        function, args = conn.recv()
    except EOFError:  # the test process went away first
        return
    try:
        conn.send(function(*args))
    except BaseException as exc:  # noqa: BLE001 - the answer could not be made or sent: the suite's failure
        conn.send(suite_failure(exc))
    finally:
        conn.close()
        for cleanup in _AFTER_ANSWER:
            cleanup()


class Pool:
    """The spares of this process; only one thread starts processes at a time."""

    def __init__(self, context: Callable) -> None:
        self.context = context
        self.spares: list = []
        self.filler: Optional[threading.Thread] = None
        self.failed: Optional[str] = None

    def ready(self, n: int) -> None:
        """At least `n` spares waiting (started here if the background thread hasn't)."""
        self._settle()
        while len(self.spares) < n:
            self.spares.append(self._start())

    def launch(self, jobs: list) -> list:
        """Hand each `(function, args)` to a spare of its own; spares to replace them start in the background."""
        with timelimit.paused():
            self.ready(len(jobs))
        spares, self.spares = self.spares[:len(jobs)], self.spares[len(jobs):]
        for spare, job in zip(spares, jobs):
            spare.conn.send(job)
        self.refill(len(jobs))
        return spares

    def refill(self, n: int) -> None:
        """Start spares in the background until `n` wait."""
        self._settle()
        self.filler = threading.Thread(target=self._fill, args=(n,), daemon=True, name="lrc-spares")
        self.filler.start()

    def _fill(self, n: int) -> None:
        try:
            while len(self.spares) < n:
                self.spares.append(self._start())
        except SuiteError as exc:
            self.failed = str(exc)

    def _settle(self) -> None:
        if self.filler is not None:
            self.filler.join()
            self.filler = None
        if self.failed:
            failed, self.failed = self.failed, None
            raise SuiteError(PART, failed)

    def _start(self) -> Spare:
        try:
            return Spare(self.context())
        except Exception as exc:  # noqa: BLE001 - any failure to start is the suite's
            raise SuiteError(PART, f"{type(exc).__name__}: {exc}") from None


def collect(spares: list, parts: list, what: str) -> list:
    """Each launched spare's answer, in order.

    A spare that exits without answering is a `SuiteError` naming its part
    (`parts[i]`), at once; no answer within the time limit is a
    `TargetTimeout` ("`what` did not finish"). Spares that have not answered
    when this returns or raises are killed.
    """
    answers: dict = {}
    waiting = {spare.conn: i for i, spare in enumerate(spares)}
    deadline = time.monotonic() + (timelimit.SECONDS or float("inf"))
    try:
        while waiting:
            left = deadline - time.monotonic()
            ready = wait(list(waiting), timeout=None if left == float("inf") else max(left, 0))
            if not ready:
                raise timelimit.TargetTimeout(f"{what} did not finish within {timelimit.SECONDS:g} s")
            for conn in ready:
                i = waiting.pop(conn)
                try:
                    answers[i] = conn.recv()
                except (EOFError, OSError):  # closed, or reset by a child that died mid-answer
                    spares[i].process.join(timeout=5)
                    raise SuiteError(parts[i], f"it exited (code {spares[i].process.exitcode}) before it "
                                     "answered") from None
    finally:
        for spare in spares:
            if spare.conn in waiting:
                spare.discard()
            else:
                spare.conn.close()
    return [answers[i] for i in range(len(spares))]
