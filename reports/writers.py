"""Writers: report.json (with each target's problems), report.md, report.html and the reproducers, all
written atomically."""

from __future__ import annotations

import glob
import os
from collections import Counter

from conformance.reports import html, markdown, model, problems, reproducers
from conformance.reports.model import HAS_CASE

REPRO_DIR = "reproducers"


def write_reproducers(report: dict, directory: str) -> None:
    """One script per failure with a case; sets `failure.reproducer` (relative to `directory`)."""
    repro_dir = os.path.join(directory, REPRO_DIR)
    for stale in glob.glob(os.path.join(repro_dir, "repro_*.py")):
        try:
            os.unlink(stale)
        except OSError:
            pass
    used: Counter = Counter()
    stamp = report.get("finished_at") or report.get("started_at") or ""
    for record in report.get("records", []):
        failure = record.get("failure")
        if record.get("verdict") not in HAS_CASE or not failure:
            continue
        text = reproducers.render(record, report.get("suite", {}).get("version", ""), stamp)
        if text is None:
            continue
        name = reproducers.file_name(record)
        used[name] += 1
        if used[name] > 1:
            name = name[:-3] + f"_{used[name]}.py"
        model.write_atomic(os.path.join(repro_dir, name), text)
        failure["reproducer"] = f"{REPRO_DIR}/{name}"


def write_all(report: dict, directory: str, stem: str = "report") -> dict:
    """Write reproducers, <stem>.json, <stem>.md and <stem>.html into `directory`."""
    os.makedirs(directory, exist_ok=True)
    write_reproducers(report, directory)
    problems.annotate(report)  # after the reproducers: each problem names its example's script
    model.write_atomic(os.path.join(directory, stem + ".json"), model.dumps(report))
    prefix = os.path.relpath(directory)
    prefix = "" if prefix == "." else prefix.replace(os.sep, "/") + "/"
    if prefix.startswith("../../"):
        prefix = os.path.abspath(directory) + "/"
    model.write_atomic(os.path.join(directory, stem + ".md"), markdown.markdown(report, prefix))
    model.write_atomic(os.path.join(directory, stem + ".html"), html.render(report, directory))
    return report
