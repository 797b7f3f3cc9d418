"""Resuming a corpus under the running torch: check `resume.corpus`.

For each stored checkpoint the reader does what a user does after a torch
upgrade: `torch.load(weights_only=True)` of the file, then the canonical
recipe (construct as originally, load the optimizer state, load the scheduler
state) and the rest of the case, in a fresh interpreter that has never run
the target (`conformance/processes/fresh.py`; in this process only for a
target no other process can import). The records of the resumed run, after
the stored ones up to the checkpoint, must equal the stored trajectory exactly.

When they don't, the verdict says which of two things happened:

- the running torch's own uninterrupted run differs from the stored one too:
  the schedule itself changed between the versions (and the resumed run is
  compared with the new schedule as well);
- it equals the stored one: the schedule is the same, the resume from the old
  checkpoint is what breaks.

and it lists the scheduler state-dict keys that differ between the stored
state and a fresh scheduler's `state_dict()` under the running torch.
"""

from __future__ import annotations

import pickle
from typing import Any, Optional

import torch

from conformance.corpus.store import Corpus, CorpusError, Entry, StoredCheckpoint
from conformance.harness.errors import CheckpointError, calling
from conformance.harness.live import fresh
from conformance.harness.oracle import guarded
from conformance.harness import run as runs
from conformance.model.verdict import ERROR, FAIL, PASS, Verdict, first_divergence
from conformance.processes.fresh import fresh_run, reference, warm
from conformance.spec import TargetSpec

CHECK = "resume.corpus"


def _refusal(exc: Exception) -> str:
    """The informative line of torch's weights_only refusal (which global it would not load)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if "WeightsUnpickler error" in line or "Unsupported global" in line:
            return line.split(". Please use")[0].removeprefix("WeightsUnpickler error: ")
    return lines[0] if lines else type(exc).__name__


def load_checkpoint(path) -> tuple[dict, str]:
    """The checkpoint as a user loads it (weights_only=True); on a refusal, the trusted load and a note."""
    try:
        return torch.load(path, weights_only=True), ""
    except pickle.UnpicklingError as exc:
        refusal = _refusal(exc)
        try:
            ckpt = torch.load(path, weights_only=False)
        except Exception as again:  # noqa: BLE001
            raise CheckpointError("the stored checkpoint could not be read even without weights_only", again) from again
        return ckpt, (f"torch {torch.__version__}'s torch.load(weights_only=True) refused the stored checkpoint "
                      f"({refusal}), so it was loaded without weights_only (the suite wrote it): the resume "
                      "logic is still judged")
    except (OSError, RuntimeError, EOFError) as exc:
        raise CheckpointError(f"the stored checkpoint {path} could not be read", exc) from exc


def key_paths(state: Any, prefix: str = "") -> dict[str, str]:
    """{path of every dict key, nested dicts and lists of them included: type name of its value}."""
    out: dict[str, str] = {}
    if isinstance(state, dict):
        for key, value in state.items():
            path = f"{prefix}[{key!r}]"
            out[path] = type(value).__name__
            out.update(key_paths(value, path))
    elif isinstance(state, (list, tuple)):
        for i, value in enumerate(state):
            if isinstance(value, (dict, list, tuple)):
                out.update(key_paths(value, f"{prefix}[{i}]"))
    return out


def key_diff(stored: Any, current: Any) -> dict[str, list]:
    """Keys only in the stored state, only in the current one, and keys whose value changed type."""
    a, b = key_paths(stored), key_paths(current)
    numbers = {"int", "float", "bool"}
    retyped = [f"{p}: {a[p]} -> {b[p]}" for p in sorted(set(a) & set(b))
               if a[p] != b[p] and "NoneType" not in (a[p], b[p]) and not {a[p], b[p]} <= numbers]
    return {"removed": sorted(set(a) - set(b)), "added": sorted(set(b) - set(a)), "retyped": retyped}


def describe_key_diff(diff: dict, old: str, new: str) -> str:
    if not any(diff.values()):
        return (f"scheduler state keys: the stored state (torch {old}) and a fresh scheduler's state_dict() "
                f"under torch {new} have the same keys")
    lines = [f"scheduler state keys, stored (torch {old}) against a fresh scheduler's state_dict() under torch {new}:"]
    if diff["removed"]:
        lines.append(f"  only in the stored state (gone in {new}): {', '.join(diff['removed'])}")
    if diff["added"]:
        lines.append(f"  only under torch {new} (new since {old}): {', '.join(diff['added'])}")
    if diff["retyped"]:
        lines.append(f"  value type changed: {'; '.join(diff['retyped'])}")
    return "\n".join(lines)


def _current_state(target: TargetSpec, case) -> Any:
    session = fresh(target, case)
    with calling("state_dict"):
        return target.adapter.state_dict(session.scheduler)


def resume_stored(target: TargetSpec, case, path: str) -> list:
    """In the fresh process: load the stored checkpoint as a user does, resume, run the rest of the case."""
    ckpt, _ = load_checkpoint(path)
    return runs.resumed(target, case, interruptions=(), resume_from=ckpt).records


def check_entry(target: TargetSpec, corpus: Corpus, entry: Entry, stored: StoredCheckpoint) -> Verdict:
    """`resume.corpus` for one stored checkpoint of one entry."""
    try:
        case = corpus.case(entry)
        expected = corpus.trajectory(entry)
    except CorpusError as exc:
        return Verdict(target.name, CHECK, ERROR, message=str(exc), details={"entry": entry.id})
    old, new = corpus.torch, torch.__version__
    where = (f"corpus entry {entry.id}, {stored.file}, taken at iteration {stored.iteration} after "
             f"{stored.opt_steps} optimizer and {stored.sched_steps} scheduler steps")

    def body() -> Verdict:
        path = corpus.checkpoint_path(entry, stored)
        ckpt, note = load_checkpoint(path)
        if reference(target) is not None:  # a pristine interpreter, as after a real upgrade
            resumed = fresh_run(target, case, resume_stored, "in the fresh process", path=str(path))
        else:
            resumed = runs.resumed(target, case, interruptions=(), resume_from=ckpt).records
        actual = expected[:stored.opt_steps] + resumed
        div = first_divergence(expected, actual)
        notes = [note] if note else []
        if note:
            notes.append(f"torch {old}, which wrote it, loaded it with weights_only=True" if stored.weights_only
                         else f"torch {old}, which wrote it, refused it with weights_only=True as well")
        details = {"entry": entry.id, "checkpoint": stored.file, "written_by": corpus.written_by,
                   "expected": expected, "actual": actual, "notes": notes}
        if div is None:
            message = "\n".join(f"note: {n}" for n in notes)
            return Verdict(target.name, CHECK, PASS, case, message=message, details=details)
        now = runs.reference(target, case).records
        schedule = first_divergence(expected, now)
        lines = [f"a checkpoint written by torch {old}, resumed under torch {new} with the canonical recipe, "
                 f"differs from the trajectory torch {old} recorded ({where})"]
        if schedule is None:
            lines.append(f"torch {new}'s own uninterrupted run equals the stored one: the schedule is unchanged, "
                         f"so the resume from the torch {old} checkpoint is what differs")
        else:
            lines.append(f"torch {new}'s own uninterrupted run differs from the stored one too, so the schedule "
                         f"itself changed between the versions, not (only) the resume: {schedule.describe()}")
            against_new = first_divergence(now, actual)
            lines.append(f"the resumed run equals torch {new}'s own uninterrupted run" if against_new is None else
                         f"the resumed run differs from torch {new}'s own uninterrupted run as well: "
                         f"{against_new.describe()}")
        diff = key_diff(ckpt.get("scheduler"), _current_state(target, case))
        lines.append(describe_key_diff(diff, old, new))
        if entry.written_resume != "pass":
            lines.append(f"note: this checkpoint did not resume exactly under torch {old} either "
                         f"({entry.written_resume}): an in-process failure there, not only a version change")
        lines += [f"note: {n}" for n in notes]
        details.update(schedule_changed=schedule is not None, keys=diff, uninterrupted_now=now)
        return Verdict(target.name, CHECK, FAIL, case, div, message="\n".join(lines), details=details)

    verdict = guarded(target, CHECK, case, body, start=warm)
    if not verdict.ok and where not in verdict.message:
        verdict.message = f"{where}, written by torch {old}:\n{verdict.message}"
    return verdict


def check_target(target: TargetSpec, corpus: Corpus, entries: Optional[list] = None) -> list[Verdict]:
    """One verdict per stored checkpoint of `target` (all its entries, or `entries`)."""
    return [check_entry(target, corpus, entry, stored)
            for entry in (corpus.of(target.name) if entries is None else entries)
            for stored in entry.checkpoints]


class CorpusCheck:
    """`resume.corpus` over one corpus, callable on a target (a `(target, check)` test parameter)."""

    id = CHECK

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus

    def __call__(self, target: TargetSpec) -> list[Verdict]:
        return check_target(target, self.corpus)

    def __repr__(self) -> str:
        return CHECK
