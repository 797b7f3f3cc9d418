"""Writing a corpus: for each target, a few generated cases, their checkpoints and trajectories.

The cases are drawn by Hypothesis, derandomized (no database, a fixed seed),
so the same suite with the same Hypothesis and torch draws the same cases.
Each case has one interruption, in the canonical per-step loop or a per-epoch
loop with several batches. A case is kept only when it is meaningful evidence
for a reader under another torch:

- its optimizer exists in the writing torch (the strategies know optimizers
  newer than the oldest torch the suite supports);
- the uninterrupted run works and repeats itself (a nondeterministic schedule
  cannot be compared with anything);
- its checkpoint can be written with `torch.save`;
- it resumes exactly under the writing torch itself: a case the old torch
  already fails in-process says nothing about an upgrade (`written_resume`
  in the manifest records it).

Among the drawn candidates, longer runs and varied setups (optimizer, tensor
or float lr, group count) are tried first (`preferred`).
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import io
import pickle
import platform
import shutil
from pathlib import Path
from typing import Callable, Iterable, Optional

import hypothesis
import torch
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from conformance.processes.fresh import reference
from conformance.corpus.store import Corpus, Entry, StoredCheckpoint, write_entry_files
from conformance.harness.errors import CheckpointError, Rejected, TargetError
from conformance.harness import run as runs
from conformance.model.case import Case
from conformance.model.verdict import first_divergence
from conformance.spec import TargetSpec
from conformance.strategies.cases import cases
from conformance.strategies.loops import LOOPS

PER_TARGET = 3  # cases per target: two per-step, one per-epoch (metric-driven: one per "metric" loop)
MAX_EPOCHS = 30  # scheduler steps per case: enough for the boundaries plans favour, small on disk
CANDIDATES = 25  # derandomized draws per strategy to choose the cases from
MIN_EPOCHS = 6  # preferred: Hypothesis's first draws are minimal (2 steps, 1 group), little evidence


def _strategies(target: TargetSpec, per_target: int) -> list[tuple[int, st.SearchStrategy]]:
    """(how many cases, strategy of cases) for `target`: all per-step but one, batched."""
    other = "metric" if target.capabilities.metric_driven else "per_epoch"
    batched = LOOPS[other].flatmap(lambda loop: cases(target, (1, 1), loop=loop,
                                                      max_epochs=max(2, MAX_EPOCHS // loop.batches)))
    per_step = cases(target, (1, 1), max_epochs=MAX_EPOCHS)
    if per_target < 2:
        return [(per_target, per_step)]
    return [(per_target - 1, per_step), (1, batched)]


def draw_cases(strategy: st.SearchStrategy, count: int = CANDIDATES) -> list[Case]:
    """`count` cases from `strategy`, the same ones on every call (derandomized, no database)."""
    drawn: list[Case] = []

    @settings(derandomize=True, database=None, max_examples=count, deadline=None,
              phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(case):
        drawn.append(case)

    collect()
    return drawn


def preferred(candidates: list[Case]) -> list[Case]:
    """The candidates, distinct, in the order to try them.

    The longer runs first (Hypothesis's first draws are minimal: 2 steps, one
    group), then the rest. Within each, greedily the case that adds the most
    variety to those before it: a new optimizer, a tensor or float lr not yet
    seen, a new group count; the draw order breaks ties.
    """
    unique = list({repr(c): c for c in candidates}.values())
    out: list[Case] = []
    for group in ([c for c in unique if c.plan.epochs >= MIN_EPOCHS], [c for c in unique if c.plan.epochs < MIN_EPOCHS]):
        left = list(group)
        while left:
            seen = [(c.setup.name, c.setup.tensor_lr, c.setup.groups) for c in out]

            def novelty(case: Case) -> int:
                return sum(value not in {s[i] for s in seen}
                           for i, value in enumerate((case.setup.name, case.setup.tensor_lr, case.setup.groups)))

            best = max(left, key=novelty)  # max() keeps the first of equals: the draw order
            out.append(best)
            left.remove(best)
    return out


def _usable(target: TargetSpec, case: Case) -> Optional[str]:
    """Why `case` can't go into the corpus under this torch, or None."""
    if not hasattr(torch.optim, case.setup.name):
        return f"torch {torch.__version__} has no torch.optim.{case.setup.name}"
    try:
        first = runs.reference(target, case).records
        second = runs.reference(target, case).records
    except (TargetError, CheckpointError, Rejected) as exc:
        return f"the uninterrupted run raised: {exc}"
    if first_divergence(first, second) is not None:
        return "two uninterrupted runs disagree"
    return None


def record_case(target: TargetSpec, case: Case) -> tuple[list, dict, list[StoredCheckpoint], str]:
    """The uninterrupted records, {file: checkpoint bytes}, their positions, and the in-process resume.

    The checkpoints are the harness's own (`checkpoint()`: model, optimizer,
    scheduler, loop position), saved with torch.save as they are taken.
    """
    reference_run = runs.reference(target, case)
    files: dict[str, bytes] = {}
    stored: list[StoredCheckpoint] = []

    def keep(session, ckpt):
        buffer = io.BytesIO()
        torch.save(ckpt, buffer)
        name = f"checkpoint-{ckpt['iteration']}.pt"
        files[name] = buffer.getvalue()
        try:
            torch.load(io.BytesIO(files[name]), weights_only=True)
            weights_only = True
        except pickle.UnpicklingError:
            weights_only = False
        stored.append(StoredCheckpoint(name, ckpt["iteration"], ckpt["sched_steps"], ckpt["opt_steps"],
                                       weights_only))
        return ckpt

    resumed = runs.resumed(target, case, on_checkpoint=keep)
    div = first_divergence(reference_run.records, resumed.records)
    verdict = "pass" if div is None else div.describe()
    return reference_run.records, files, stored, verdict


def _scheduler_keys(checkpoint_bytes: bytes) -> tuple:
    state = torch.load(io.BytesIO(checkpoint_bytes), weights_only=False)["scheduler"]
    return tuple(sorted(map(str, state))) if isinstance(state, dict) else ()


def written_by() -> dict:
    try:
        suite = importlib.metadata.version("lr-resume-conformance")
    except importlib.metadata.PackageNotFoundError:
        suite = "?"
    return {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "hypothesis": hypothesis.__version__,
        "suite": suite,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def write(root, targets: Iterable[TargetSpec], per_target: int = PER_TARGET,
          say: Callable[[str], None] = print) -> Corpus:
    """Write a corpus of `targets` into folder `root` (emptied first when it holds a corpus)."""
    root = Path(root)
    if (root / "manifest.json").exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(root, written_by())
    for target in targets:
        ref = reference(target)
        if ref is None:
            say(f"{target.name}: skipped, another interpreter could not find it again (source {target.source!r})")
            continue
        kept = 0
        for wanted, strategy in _strategies(target, per_target):
            taken = 0
            for case in preferred(draw_cases(strategy)):
                if taken >= wanted:
                    break
                if _usable(target, case) is not None:
                    continue
                try:
                    records, files, stored, verdict = record_case(target, case)
                except Exception as exc:  # noqa: BLE001 - e.g. state torch.save cannot write
                    say(f"{target.name}: a case left out: {type(exc).__name__}: {exc}")
                    continue
                if verdict != "pass":
                    say(f"{target.name}: a case left out, it does not resume exactly under torch "
                        f"{torch.__version__} itself: {verdict}")
                    continue
                entry_id = f"{target.name}/{kept}"
                write_entry_files(root, entry_id, case, records, files)
                keys = _scheduler_keys(next(iter(files.values())))
                corpus.entries.append(Entry(entry_id, target.name, ref, tuple(stored), len(records), verdict,
                                            case.describe(), keys))
                kept += 1
                taken += 1
        say(f"{target.name}: {kept} case(s)")
    corpus.save_manifest()
    return corpus
