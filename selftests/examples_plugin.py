"""A pytest plugin for selftests/test_shards.py: the examples each test ran, written to a file.

`-p selftests.examples_plugin --examples-json=PATH`: every Hypothesis test case
(generated, pinned or shrunk, and the `find` searches of the pitfall checks)
is observed through Hypothesis's observability callback and recorded under the
pytest node id that ran it, as a short digest of its drawn arguments (object
addresses in reprs blanked) in the order Hypothesis ran them. Each process (an
xdist worker too) writes its own `PATH.<worker>.json`, so a shard with `-n 2`
leaves two files; `load` joins them. Two runs drew the same examples in the same order exactly when the
lists are equal.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re

from hypothesis.internal import observability
from hypothesis.internal.observability import add_observability_callback, remove_observability_callback

ADDRESS = re.compile(r" at 0x[0-9a-f]+")  # an object's address in a repr belongs to the process, not the example


def pytest_addoption(parser):
    parser.addoption("--examples-json", default=None, metavar="PATH",
                     help="write each test's observed Hypothesis examples (digests) to PATH.<worker>.json")


class _Recorder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.seen: dict[str, list[str]] = {}
        self.current = None  # the node id of the test running now; None outside tests

    def pytest_runtest_protocol(self, item, nextitem):
        self.current = item.nodeid

    def pytest_runtest_logfinish(self, nodeid, location):
        self.current = None

    def __call__(self, observation, thread_id=None) -> None:
        if getattr(observation, "type", None) != "test_case":
            return
        current = self.current
        if current is None:
            return  # a draw outside any test (a target's probes while loading): not a test's example
        drawn = ADDRESS.sub(" at 0x…", json.dumps(observation.arguments, sort_keys=True, default=repr))
        digest = hashlib.sha256(drawn.encode()).hexdigest()[:16]
        self.seen.setdefault(current, []).append(f"{observation.how_generated}: {digest}")

    def write(self, worker: str) -> None:
        with open(f"{self.path}.{worker}.json", "w", encoding="utf-8") as f:
            json.dump(self.seen, f, indent=0, sort_keys=True)


def pytest_configure(config):
    path = config.getoption("examples_json")
    if path:
        recorder = _Recorder(path)
        config._lrc_examples = recorder
        config.pluginmanager.register(recorder, "lrc-examples-recorder")
        # Only the arguments are read: no line coverage per test case (Hypothesis supports setting this; the
        # coverage tracer doubled a shard run's CPU).
        observability.OBSERVABILITY_COLLECT_COVERAGE = False
        add_observability_callback(recorder, all_threads=True)


def pytest_unconfigure(config):
    recorder = getattr(config, "_lrc_examples", None)
    if recorder is not None:
        remove_observability_callback(recorder)
        recorder.write(os.environ.get("PYTEST_XDIST_WORKER", "main"))


def load(path: str) -> dict[str, list[str]]:
    """Node id -> the digests of its examples, joined over every process of one run."""
    joined: dict[str, list[str]] = {}
    for part in sorted(glob.glob(f"{glob.escape(path)}.*.json")):
        with open(part, encoding="utf-8") as f:
            for nodeid, examples in json.load(f).items():
                joined.setdefault(nodeid, []).extend(examples)
    return joined
