"""The corpus on disk: a manifest, and per entry a case, checkpoints and a trajectory.

    DIR/manifest.json               who wrote it (torch, python, date) and the entries
    DIR/<target>/<n>/case.pkl       the `Case`, pickled (the suite's own file)
    DIR/<target>/<n>/trajectory.json  the uninterrupted run's records, exact
    DIR/<target>/<n>/checkpoint-<iteration>.pt  torch.save of the harness's checkpoint dict

A trajectory is stored as JSON: floats are written with `repr`, which
round-trips exactly (NaN and infinities included), tuples become lists and a
frozen tensor value (`Value`) becomes `{"tensor": number, "dtype", "device"}`,
so `decode(encode(records)) == records` value for value and type for type.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.model.case import Case
from conformance.model.trajectory import Value

FORMAT = 1
MANIFEST = "manifest.json"


class CorpusError(Exception):
    """The corpus cannot be read; the message says what to fix."""


def encode(x: Any) -> Any:
    """A trajectory (or any frozen value) as JSON-ready data."""
    if isinstance(x, Value):
        return {"tensor": x.number, "dtype": x.dtype, "device": x.device}
    if isinstance(x, (tuple, list)):
        return [encode(v) for v in x]
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    raise TypeError(f"a trajectory value the corpus cannot store: {x!r} ({type(x).__name__})")


def decode(x: Any) -> Any:
    """The inverse of `encode`: lists are tuples again, tensor values `Value`s."""
    if isinstance(x, dict):
        return Value(x["tensor"], x["dtype"], x["device"])
    if isinstance(x, list):
        return tuple(decode(v) for v in x)
    return x


@dataclass(frozen=True)
class StoredCheckpoint:
    file: str  # relative to the entry's folder
    iteration: int
    sched_steps: int
    opt_steps: int
    weights_only: bool = True  # did torch.load(weights_only=True) read it under the writing torch?


@dataclass(frozen=True)
class Entry:
    """One case of one target, as the manifest lists it."""

    id: str  # "<target>/<n>", also its folder
    target: str
    ref: str  # how `targets.selection.select` finds the target again
    checkpoints: tuple[StoredCheckpoint, ...]
    steps: int  # optimizer steps in the stored trajectory
    written_resume: str = "pass"  # the resume under the writing torch: "pass" or what differed
    described: str = ""  # the case in words, for a reader of the manifest
    scheduler_keys: tuple = ()

    def to_json(self) -> dict:
        return {"id": self.id, "target": self.target, "ref": self.ref, "steps": self.steps,
                "checkpoints": [vars(c) for c in self.checkpoints], "written_resume": self.written_resume,
                "scheduler_keys": list(self.scheduler_keys), "case": self.described}

    @classmethod
    def from_json(cls, data: dict) -> "Entry":
        return cls(data["id"], data["target"], data["ref"],
                   tuple(StoredCheckpoint(**c) for c in data["checkpoints"]), data["steps"],
                   data.get("written_resume", "pass"), data.get("case", ""), tuple(data.get("scheduler_keys", ())))


@dataclass
class Corpus:
    root: Path
    written_by: dict  # torch, python, hypothesis, suite, date
    entries: list[Entry] = field(default_factory=list)

    @property
    def torch(self) -> str:
        return self.written_by.get("torch", "?")

    def targets(self) -> list[tuple[str, str]]:
        """(name, ref) of every target, in the manifest's order."""
        seen: dict[str, str] = {}
        for e in self.entries:
            seen.setdefault(e.target, e.ref)
        return list(seen.items())

    def of(self, target: str) -> list[Entry]:
        return [e for e in self.entries if e.target == target]

    # ----- one entry's files

    def case(self, entry: Entry) -> Case:
        """The stored case (trusted: the suite wrote it)."""
        path = self.root / entry.id / "case.pkl"
        try:
            with open(path, "rb") as f:
                return pickle.load(f)
        except (OSError, pickle.UnpicklingError, AttributeError, ImportError, TypeError) as exc:
            raise CorpusError(f"{path}: the stored case cannot be read ({type(exc).__name__}: {exc})\n"
                              "  what to fix: the corpus was written by an incompatible version of the "
                              "suite; write it again with `python -m conformance.corpus write`") from None

    def trajectory(self, entry: Entry) -> list:
        path = self.root / entry.id / "trajectory.json"
        try:
            return list(decode(json.loads(path.read_text())["records"]))
        except (OSError, ValueError, KeyError) as exc:
            raise CorpusError(f"{path}: the stored trajectory cannot be read ({type(exc).__name__}: {exc})") from None

    def checkpoint_path(self, entry: Entry, stored: StoredCheckpoint) -> Path:
        return self.root / entry.id / stored.file

    # ----- the whole corpus

    def save_manifest(self) -> None:
        data = {"format": FORMAT, "written_by": self.written_by,
                "targets": [{"name": n, "ref": r} for n, r in self.targets()],
                "entries": [e.to_json() for e in self.entries]}
        (self.root / MANIFEST).write_text(json.dumps(data, indent=1) + "\n")


def write_entry_files(root: Path, entry_id: str, case: Case, records: list, checkpoints: dict) -> None:
    """The case, the trajectory and {file name: torch.save bytes} of one entry."""
    folder = root / entry_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.pkl").write_bytes(pickle.dumps(case, protocol=4))
    (folder / "trajectory.json").write_text(json.dumps({"records": encode(records)}, separators=(",", ":")) + "\n")
    for name, data in checkpoints.items():
        (folder / name).write_bytes(data)


def open_corpus(root) -> Corpus:
    """The corpus in folder `root`; `CorpusError` saying what to fix when it isn't one."""
    root = Path(root)
    path = root / MANIFEST
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise CorpusError(f"--resume-corpus {root}: no readable {MANIFEST} there ({exc.strerror})\n"
                          "  what to fix: give a folder written by `python -m conformance.corpus write DIR`") from None
    except ValueError as exc:
        raise CorpusError(f"{path}: not JSON ({exc})") from None
    if data.get("format") != FORMAT:
        raise CorpusError(f"{path}: corpus format {data.get('format')!r}, this suite reads format {FORMAT}\n"
                          "  what to fix: write the corpus again with this suite")
    return Corpus(root, data.get("written_by", {}), [Entry.from_json(e) for e in data.get("entries", [])])
