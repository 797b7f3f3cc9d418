"""`resume.corpus`: checkpoints written by another torch, resumed under this one (`--resume-corpus DIR`).

One test per target of the corpus, `test_resume_corpus[StepLR]`: every stored
checkpoint of the target is loaded with `torch.load(weights_only=True)`,
resumed with the canonical recipe, and the run is compared with the stored
trajectory (`conformance/corpus/resume.py`). Without `--resume-corpus` the
test is deselected, and the terminal summary says why (a skipped stand-in
would show in the report as a target of its own). Known failures
(`resume.corpus`) mark it xfail, as for every other check.
"""

from __future__ import annotations

import os
import warnings

import pytest

from conformance.checks.runner import UncoveredFailure, settled
from conformance.corpus import CorpusCheck, CorpusError, open_corpus
from conformance.model.verdict import ConformanceFailure
from conformance.plugin.hooks import XFAILS, outcome_of
from conformance.spec import TargetSpec
from conformance.targets.known import known_failure
from conformance.targets.selection import select

NO_CORPUS = ("no corpus given: pass --resume-corpus DIR, a folder written by "
             "`python -m conformance.corpus write DIR` under another torch (the committed one: corpus/torch-2.4.0)")


class CorpusNote(UserWarning):
    """A corpus checkpoint resumed exactly, but only through the trusted load."""


class _NoCorpus:
    """Deselects the corpus test's stand-in when no corpus is given (registered during collection)."""

    name = "lrc-no-corpus"

    def __init__(self) -> None:
        self.deselected = 0

    def pytest_collection_modifyitems(self, config, items):
        stand_ins = [item for item in items if getattr(item, "function", None) is test_resume_corpus]
        if stand_ins:
            items[:] = [item for item in items if item not in stand_ins]
            config.hook.pytest_deselected(items=stand_ins)
            self.deselected += len(stand_ins)

    def pytest_terminal_summary(self, terminalreporter):
        if self.deselected:
            terminalreporter.write_line(f"lrc: test_resume_corpus deselected: {NO_CORPUS}")


def _params(config) -> list:
    where = config.getoption("resume_corpus")
    if not where:
        if not config.pluginmanager.has_plugin(_NoCorpus.name):
            config.pluginmanager.register(_NoCorpus(), _NoCorpus.name)
        return [pytest.param(None, None, id="no-corpus", marks=pytest.mark.skip(reason=NO_CORPUS))]
    try:
        corpus = open_corpus(os.path.abspath(where))
    except CorpusError as exc:
        raise pytest.UsageError(str(exc)) from None
    check = CorpusCheck(corpus)
    params = []
    for name, ref in corpus.targets():
        good, broken = select([ref])
        found = [t for t in good if t.name == name] or good
        target = found[0] if found else (broken[0] if broken else ref)
        marks = []
        if isinstance(target, TargetSpec):
            known = known_failure(target, check.id, config.stash[XFAILS])
            if known is not None:
                marks.append(pytest.mark.xfail(reason=known.xfail_reason, raises=ConformanceFailure, strict=False))
        params.append(pytest.param(target, check, id=name, marks=marks))
    return params


def pytest_generate_tests(metafunc):
    # A parametrize mark (not metafunc.parametrize): the plugin leaves a test that parametrizes
    # `target` itself alone, as it does for conformance.library.parametrize_targets.
    if metafunc.function is test_resume_corpus:
        metafunc.definition.add_marker(pytest.mark.parametrize(("target", "check"), _params(metafunc.config)))


def _registered_entry(target, known, verdicts, bad) -> list:
    """A corpus known failure covers its own entry ("folder:entry id") failing with its signature, nothing else.

    Any other entry that fails, or the entry failing another way, is red; the
    entry passing on a version the record lists is a stale record.
    """
    entry = known.example.partition(":")[2]
    others = [v for v in bad if v.details.get("entry") != entry]
    if others:
        raise UncoveredFailure(f"a failure that is not the registered known failure (it covers entry {entry} only, "
                               f"this is {others[0].details.get('entry')}); registered: {known.xfail_reason}\n"
                               + others[0].explain())
    replayed = [v for v in verdicts if v.details.get("entry") == entry]
    mine = [v for v in replayed if not v.ok]
    if replayed:
        settled(known, (mine or replayed)[0], f"Corpus entry {entry} of {target.name}")
    return mine


def test_resume_corpus(target, check, request):
    """Every stored checkpoint of the target resumes under this torch into the stored trajectory."""
    if not isinstance(target, TargetSpec):
        problem = getattr(target, "problem", f"{target!r} gave no target")
        pytest.fail(f"the corpus names a target this environment cannot load: {problem}", pytrace=False)
    verdicts = check(target)
    observe = outcome_of(request.node).observe
    for verdict in verdicts:
        observe(verdict)
    bad = [v for v in verdicts if not v.ok]
    known = known_failure(target, check.id, request.config.stash[XFAILS])
    if known is not None and isinstance(known.example, str):
        bad = _registered_entry(target, known, verdicts, bad)
    if bad:
        first = bad[0]
        if len(bad) > 1:
            first.message += (f"\n({len(bad)} of the {len(verdicts)} stored checkpoints of {target.name} "
                              "diverge; this is the first)")
        raise ConformanceFailure(first)
    for verdict in verdicts:
        if verdict.details.get("notes"):
            warnings.warn(CorpusNote(f"{target.name}, {verdict.details['entry']}: " + "; ".join(verdict.details["notes"])))
    if not verdicts:
        pytest.skip(f"the corpus holds no checkpoint of {target.name}")
