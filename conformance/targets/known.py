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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union



@dataclass(frozen=True)
class KnownFailure:
    target: str
    check: str
    reason: str
    link: str = ""
    versions: str = ""
    observed: str = ""  # what the example showed when it was registered
    example: Any = None  # the failing example as data: exactly what the check draws
    medium: str = ""  # only failures through this checkpoint medium are this one ("": any)
    options: Any = None  # only failures of a driver example that drew these option values are this one

    def outside(self, verdict) -> str:
        """Why the bad `verdict` is not this known failure (another medium, other driver options), or ""."""
        case = verdict.case
        if self.medium and case is not None and case.plan.medium != self.medium:
            return f"it covers the {self.medium} medium only, this example went through {case.plan.medium}"
        drawn = verdict.details.get("options") or {}
        if self.options and any(drawn.get(k, "") != v for k, v in self.options.items()):
            scope = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
            return f"it covers the driver options {scope} only, this example drew {drawn}"
        return ""


    @property
    def xfail_reason(self) -> str:
        return self.reason + (f" ({self.link})" if self.link else "")



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
