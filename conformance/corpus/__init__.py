"""The cross-torch-version corpus: checkpoints written by one torch, resumed under another.

`python -m conformance.corpus write DIR` stores, for every built-in target
(or the `--target`s given) and a few generated cases each, the case, the
checkpoint at its interruption point (`torch.save` of the harness's
checkpoint dict) and the uninterrupted trajectory, with the torch version
that wrote them (`store.py` describes the files). `pytest --resume-corpus DIR`
resumes each stored checkpoint under the running torch and compares the run
with the stored trajectory, exactly: check `resume.corpus` (`resume.py`).

This is where a torch upgrade in the middle of a training run goes wrong:
scheduler state-dict keys change across releases, and a checkpoint from the
old release must still resume into the new one.
"""

from conformance.corpus.resume import CHECK, CorpusCheck, check_entry, check_target
from conformance.corpus.store import Corpus, CorpusError, Entry, open_corpus
from conformance.corpus.write import write

__all__ = ["CHECK", "Corpus", "CorpusCheck", "CorpusError", "Entry", "check_entry", "check_target", "open_corpus", "write"]
