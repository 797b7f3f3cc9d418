"""Tables in the docs that are generated from a committed run, never edited by hand."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generated_section(doc: str, name: str) -> str:
    """The text of `doc` (a path from the repo root) between `<!-- name: start -->` and `<!-- name: end -->`."""
    text = (ROOT / doc).read_text()
    return text.split(f"<!-- {name}: start -->\n")[1].split(f"<!-- {name}: end -->")[0]


def committed_report(folder: str) -> dict:
    """The report.json of a committed run (`reports/examples/<folder>/`)."""
    return json.loads((ROOT / "reports/examples" / folder / "report.json").read_text())
