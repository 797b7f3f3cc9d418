"""Known failures: the one rule that matches them, and the user's file of them.

A target's known failures are `{check id or family prefix: reason}`, from
three places: the torch records (`known_failures.py`, attached to the
built-ins), `TargetSpec.known_failures`, and a user's `--xfails-file`. One
rule matches them all (`match`): an exact check id, or a family prefix
(`"serialization"` covers every `serialization.*` check), the longest key
first. The marking, the example budget and the library API all use it.

The file is TOML (`.toml`) or JSON (`.json`) with one table per target name;
each key is a check id or a family prefix, each value a reason or a
`{reason, link}` table:

    [GreedyLR]
    "resume.canonical" = { reason = "tensor lr becomes a float", link = "https://..." }
    "serialization" = "state holds a custom class"

Matching tests are reported as xfail with the reason; an unexpected pass shows
as xpass. `TargetSpec.known_failures` ({check: reason}) works the same way.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Union

import torch

from conformance.model.verdict import Signature


@dataclass(frozen=True)
class KnownFailure:
    """One registered failure: where it applies (scope) and how it fails (signature).

    Scope: the check, and optionally the medium, the driver options and a
    predicate on the drawn case and options (`when`, as PyTorch's `DecorateInfo(active_if=)`).
    Signature: how the replayed `example` fails, as data (`Signature`). A bad
    verdict is this failure only inside the scope and of the signature's kind;
    the replay must fail with the signature exactly. A record without an
    example or signature (a user's plain reason) covers its whole check.
    """

    target: str
    check: str
    reason: str
    link: str = ""
    versions: str = ""  # "2.13.0, 2.15.0" (torch), or "pytorch-lightning 2.6.6, torch 2.13.0"
    example: Any = None  # the failing example as data: exactly what the check draws
    signature: Optional[Signature] = None  # how `example` fails (`Signature.of` its replayed verdict)
    medium: str = ""  # only failures through this checkpoint medium are this one ("": any)
    options: Any = None  # only failures of a driver example that drew these option values are this one
    when: Optional[Callable[[Any, dict], bool]] = None  # only failures where when(case, driver options) holds
    when_doc: str = ""  # what `when` requires, for messages
    fields: tuple = ()  # the divergent fields of its kind (default: the signature's own)
    relation: str = ""  # the link is "same bug" or a "related" report
    also: tuple = ()  # other known failures of the same target x check, each with its own scope and signature

    @property
    def records(self) -> tuple:
        """This record and the others registered on the same check (`also`)."""
        return (self, *self.also)

    def outside(self, verdict) -> str:
        """Why the bad `verdict` is not this known failure (out of scope, another kind of failure), or ""."""
        return self.out_of_scope(verdict) or self.other_kind(verdict)

    def out_of_scope(self, verdict) -> str:
        """Why `verdict`'s example lies outside this failure's scope (medium, driver options, `when`), or ""."""
        case = verdict.case
        if self.medium and case is not None and case.plan.medium != self.medium:
            return f"it covers the {self.medium} medium only, this example went through {case.plan.medium}"
        drawn = verdict.details.get("options") or {}
        if self.options and any(drawn.get(k, "") != v for k, v in self.options.items()):
            scope = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
            return f"it covers the driver options {scope} only, this example drew {drawn}"
        if self.when is not None and case is not None and not self.when(case, drawn):
            return f"it covers cases with {self.when_doc or 'its predicate'} only"
        return ""

    def other_kind(self, verdict) -> str:
        """Why the bad `verdict` fails another way than the signature (status, phase, exception, field), or ""."""
        if self.signature is None:
            return ""
        seen = Signature.of(verdict)
        fields = self.fields or (self.signature.field,)
        if seen.kind[:3] == self.signature.kind[:3] and seen.field in fields:
            return ""
        return f"another kind of failure: registered {self.signature.describe()}, now {seen.describe()}"

    def changed(self, replayed) -> str:
        """Why the replayed example's bad verdict is not the registered signature, or ""."""
        if self.signature is None:
            return ""
        seen = Signature.of(replayed)
        return "" if seen.same_as(self.signature) else f"registered {self.signature.describe()}, now {seen.describe()}"

    def strict(self) -> bool:
        """True when every package `versions` names runs at a listed version: an unexpected pass is then red."""
        return bool(self.versions) and in_versions(self.versions)

    @property
    def xfail_reason(self) -> str:
        link = f" ({self.relation + ': ' if self.relation else ''}{self.link})" if self.link else ""
        others = dict.fromkeys(k.xfail_reason for k in self.also if k.reason != self.reason)
        return self.reason + link + "".join(f"; and: {reason}" for reason in others)


def grouped(records) -> dict:
    """{check: record} from records of one target; several on one check become one with `also`."""
    out: dict = {}
    for record in records:
        first = out.get(record.check)
        out[record.check] = record if first is None else replace(first, also=first.also + (record,))
    return out


def installed(dist: str) -> str:
    """The running version of `dist` ("torch" without a local tag such as +cpu), or ""."""
    if dist == "torch":
        return torch.__version__.split("+")[0]
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


def in_versions(versions: str) -> bool:
    """`versions` is "[dist ]version, ..." (no dist: torch); True when each named dist runs a listed version."""
    listed: dict[str, set] = {}
    for item in versions.split(","):
        words = item.split()
        if not words:
            continue
        dist, version = (words[0], words[-1]) if len(words) > 1 else ("torch", words[0])
        listed.setdefault(dist, set()).add(version)
    return all(installed(dist) in wanted for dist, wanted in listed.items())



class XfailsFileError(Exception):
    """The file cannot be read; the message says what to fix."""


def load_file(path: str) -> dict[str, dict[str, str]]:
    """{target: {check or prefix: reason (with its link)}} from a TOML or JSON file."""
    p = Path(path)
    try:
        text = p.read_text()
        data = json.loads(text) if p.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise XfailsFileError(f"--xfails-file {path}: {type(exc).__name__}: {exc}\n  what to fix: "
                              "give a readable TOML or JSON file (see conformance/xfails.py)") from None
    out: dict[str, dict[str, str]] = {}
    for target, checks in data.items():
        if not isinstance(checks, dict):
            raise XfailsFileError(f"--xfails-file {path}: [{target}] should be a table of check -> reason")
        out[target] = {check: _reason(path, target, check, v) for check, v in checks.items()}
    return out


def _reason(path: str, target: str, check: str, value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("reason"), str):
        link = value.get("link", "")
        return value["reason"] + (f" ({link})" if link else "")
    raise XfailsFileError(f"--xfails-file {path}: {target}.{check} should be a reason string "
                          "or a table with a `reason` (and optionally a `link`)")


Entry = Union[str, KnownFailure]


def covers(key: str, check: str) -> bool:
    return check == key or check.startswith(key + ".")


def match(known: Mapping[str, Entry], check: str) -> Optional[KnownFailure]:
    """The known failure for `check` in {check or family prefix: entry}, the longest key first."""
    for key in sorted(known, key=len, reverse=True):
        if covers(key, check):
            entry = known[key]
            return entry if isinstance(entry, KnownFailure) else KnownFailure("", key, entry)
    return None


def entries(target, from_file: Optional[Mapping[str, Mapping[str, str]]] = None) -> dict:
    """Every known failure of `target`: its own (torch's records included), then the user's file."""
    return {**dict(target.known_failures), **dict((from_file or {}).get(target.name, {}))}


def known_failure(target, check: str, from_file=None) -> Optional[KnownFailure]:
    return match(entries(target, from_file), check)


def stale(target, check_ids: Iterable[str], from_file=None) -> list[str]:
    """The target's known-failure keys that cover none of `check_ids` (an upstream fix, or a typo)."""
    ids = list(check_ids)
    return [key for key in entries(target, from_file) if not any(covers(key, c) for c in ids)]
