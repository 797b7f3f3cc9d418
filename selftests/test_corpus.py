"""`resume.corpus` catches what only a torch upgrade shows, and passes what survives one.

`VersionedKeys` (selftests/corpus_bestiary.py) names its state keys after
`torch.__version__` and ignores unknown keys on load. Its corpus is written
here with `torch.__version__` patched to "2.4.0", then one real pytest run
under the running torch gives it every in-process check and the corpus: the
corpus check is its only red test, and its message names the keys. torch's
StepLR, written into the same corpus, resumes exactly.
"""

from __future__ import annotations

import json
import math

import pytest
import torch
from filelock import FileLock

from conformance.corpus import CorpusCheck, open_corpus, write
from conformance.corpus.resume import key_diff
from conformance.corpus.store import decode, encode
from conformance.model.trajectory import Value
from conformance.model.verdict import FAIL
from conformance.targets.builtins import BY_NAME
from conformance.targets.loading import load
from selftests.runner import ROOT, run_suite

FILES = ["conformance/tests/test_targets.py", "conformance/tests/test_checks.py", "conformance/tests/test_corpus.py"]
OLD = "2.4.0"
NEW = str(torch.__version__).split("+")[0]


def _write_old_corpus(where) -> None:
    """The corpus as torch "2.4.0" writes it (torch.__version__ patched while writing)."""
    targets = [*load("selftests.corpus_bestiary:VERSIONED"), BY_NAME["StepLR"]]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch, "__version__", OLD)
        write(where, targets, per_target=2, say=lambda _: None)


@pytest.fixture(scope="session")
def corpus_run(shared_dir):
    where = shared_dir / "corpus-versioned-keys"
    with FileLock(str(shared_dir / "corpus-versioned-keys.lock")):
        if not (where / "manifest.json").exists():
            _write_old_corpus(where)
    return run_suite(shared_dir, "corpus", ["--target=selftests.corpus_bestiary:VERSIONED", "--lrc-timeout=0",
                                            f"--resume-corpus={where}", *FILES])


def test_only_the_corpus_catches_keys_named_after_the_torch_version(corpus_run):
    tests = corpus_run["tests"]
    assert "test_resume_corpus[VersionedKeys]" in tests, corpus_run["output"][-3000:]
    red = sorted(t for t, (s, _) in tests.items() if s in ("failed", "error"))
    assert red == ["test_resume_corpus[VersionedKeys]"], red
    checked = [t for t in tests if t.startswith("test_") and t.endswith("[VersionedKeys]")
               and not t.startswith("test_resume_corpus")]
    assert len(checked) >= 20 and tests["test_resume_fresh_process[VersionedKeys]"][0] == "passed", checked
    message = tests["test_resume_corpus[VersionedKeys]"][1]
    assert "[fail] target VersionedKeys, check resume.corpus" in message
    assert f"torch {torch.__version__}'s own uninterrupted run equals the stored one" in message
    assert "first divergence at optimizer step" in message
    gone = next(line for line in message.splitlines() if "only in the stored state" in line)
    new = next(line for line in message.splitlines() if f"only under torch {torch.__version__}" in line)
    assert f"['t@torch-{OLD}']" in gone and f"['t@torch-{NEW}']" in new, message


def test_a_correct_scheduler_resumes_the_old_corpus(corpus_run):
    assert corpus_run["tests"]["test_resume_corpus[StepLR]"][0] == "passed", corpus_run["output"][-3000:]


def test_a_changed_schedule_is_told_apart_from_a_broken_resume(tmp_path):
    """A stored trajectory the running torch does not reproduce uninterrupted: the schedule changed."""
    corpus = write(tmp_path, [BY_NAME["StepLR"]], per_target=1, say=lambda _: None)
    (entry,) = corpus.entries
    path = tmp_path / entry.id / "trajectory.json"
    data = json.loads(path.read_text())
    last = data["records"][-1][0]
    if isinstance(last[0], dict):  # a tensor lr
        last[0]["tensor"] *= 2
    else:
        last[0] *= 2
    path.write_text(json.dumps(data))
    (verdict,) = CorpusCheck(open_corpus(tmp_path))(BY_NAME["StepLR"])
    assert verdict.status == FAIL
    assert "the schedule itself changed between the versions" in verdict.message, verdict.message
    assert "the resumed run equals torch" in verdict.message
    assert verdict.divergence.step == entry.steps - 1


def test_trajectories_round_trip_exactly():
    records = [((0.1, None, Value(0.30000000000000004, "torch.float32", "cpu")), (math.inf, 0.9, -0.0)),
               ((1, (0.9, 0.999), "<missing>"),)]
    back = decode(json.loads(json.dumps(encode(records))))
    assert list(back) == records and type(back[0][0][2]) is Value and type(back[1][0][0]) is int
    nan = decode(json.loads(json.dumps(encode([((math.nan,),)]))))
    assert math.isnan(nan[0][0][0])


def test_key_diff_lists_nested_keys():
    old = {"verbose": False, "_schedulers": [{"last_epoch": 3, "verbose": False}], "base_lrs": [0.1]}
    new = {"_is_initial": False, "_schedulers": [{"last_epoch": 0, "_is_initial": False}], "base_lrs": [0.1]}
    diff = key_diff(old, new)
    assert diff["removed"] == ["['_schedulers'][0]['verbose']", "['verbose']"]
    assert diff["added"] == ["['_is_initial']", "['_schedulers'][0]['_is_initial']"]
    assert key_diff({"lr": 0.1}, {"lr": torch.tensor(0.1)})["retyped"] == ["['lr']: float -> Tensor"]


def test_the_committed_corpus_covers_every_builtin():
    corpus = open_corpus(ROOT / "corpus" / "torch-2.4.0")
    assert corpus.torch.startswith("2.4.0")
    assert [name for name, _ in corpus.targets()] == list(BY_NAME)
    assert all(e.checkpoints and e.written_resume == "pass" for e in corpus.entries)
