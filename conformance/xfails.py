"""Known failures of third-party targets, from a user's file (`--xfails-file PATH`) or a dict.

The file is TOML (`.toml`) or JSON (`.json`) with one table per target name;
each key is a check id or a family prefix (`"serialization"` covers every
`serialization.*` check), each value a reason or a `{reason, link}` table:

    [GreedyLR]
    "resume.canonical" = { reason = "tensor lr becomes a float", link = "https://..." }
    "serialization" = "state holds a custom class"

Matching tests are reported as xfail with the reason; an unexpected pass shows
as xpass. `TargetSpec.known_failures` ({check: reason}) works the same way.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Mapping, Optional


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


def match(known: Mapping[str, str], check: str) -> Optional[str]:
    """The reason for `check` in {check or family prefix: reason}, the longest key first."""
    for key in sorted(known, key=len, reverse=True):
        if check == key or check.startswith(key + "."):
            return known[key]
    return None
