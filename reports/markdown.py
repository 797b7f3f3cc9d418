"""report.md: the target x check matrix, the family tables, and every failure with its reproducer."""

from __future__ import annotations

import os
from collections import Counter
from typing import Iterable

from conformance.reports.tables import (
    MARK, describe_result, divergence_line, environment_lines, failures, family_table, headline, matrix,
)


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    out = ["| " + " | ".join(_md_escape(h) for h in header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return out


def reproducer_command(report_dir_hint: str, failure: dict) -> str:
    path = (failure or {}).get("reproducer")
    return f"python {os.path.join(report_dir_hint, path)}" if path else ""


# --------------------------------------------------------------------------- markdown


def markdown(report: dict, repro_prefix: str = "") -> str:
    lines = ["# LR-scheduler resume conformance report", "", f"**{headline(report)}**", ""]
    if not report.get("complete"):
        lines += [f"> **This report is incomplete**: {report.get('incomplete_reason')}. "
                  f"{len(report.get('not_run', []))} collected tests did not run.", ""]
    lines += [f"- {line}" for line in environment_lines(report)]
    targets = ", ".join(f"{t['name']} ({t.get('source') or '?'})" for t in report.get("targets", []))
    lines += [f"- targets: {targets or '(none)'}"]
    for b in report.get("broken_targets", []):
        lines.append(f"- target that did not load: **{b['name']}**: {b['problem']}")
    lines.append("")

    targets_, checks, cells = matrix(report)
    lines += ["## Target × check", ""]
    if cells:
        lines += _md_table(["check"] + targets_,
                           [[f"`{c}`"] + [MARK.get(cells.get((t, c), ""), "") or "·" for t in targets_]
                            for c in checks])
    else:
        lines.append("No test reported.")
    lines.append("")

    for key, title, blurb in (
        ("mismatch", "Constructor/checkpoint mismatch (`mismatch.*`)",
         "Which value wins when the constructor argument on resume differs from the checkpoint."),
        ("recipes", "Recipe safety (`recipe.*`)",
         "Whether resuming with each recipe reproduces the uninterrupted trajectory "
         "(UNSAFE: first divergent step). Supported recipes (canonical, last_epoch, fast_forward) "
         "must be safe; pitfall recipes are expected to be UNSAFE."),
        ("placement", "Loop placement (`placement.*`)", ""),
    ):
        ts, names, got = family_table(report, key)
        if not got:
            continue
        lines += [f"## {title}", ""] + ([blurb, ""] if blurb else [])
        lines += _md_table([key[:-1] if key.endswith("s") else key] + ts,
                           [[n] + [describe_result(key, got[(t, n)]) if (t, n) in got else "·" for t in ts]
                            for n in names])
        lines.append("")

    bad = failures(report)
    lines += [f"## Failures ({len(bad)})", ""]
    if not bad:
        lines += ["None.", ""]
    for r in bad:
        lines += _failure_md(r, repro_prefix)
    xfails = [r for r in report.get("records", []) if r["verdict"] == "xfail"]
    if xfails:
        lines += [f"## Known failures (xfail, {len(xfails)})", ""]
        for r in xfails:
            repro = (r.get("failure") or {}).get("reproducer")
            extra = f" · reproducer `{repro_prefix}{repro}`" if repro else ""
            lines.append(f"- {r.get('target')} · `{r.get('check')}`: {r.get('reason', '')}{extra}")
        lines.append("")
    xpasses = [r for r in report.get("records", []) if r["verdict"] == "xpass"]
    if xpasses:
        lines += [f"## Unexpected passes (xpass, {len(xpasses)})", "",
                  "These known failures passed: fixed upstream? Update `known_failures.py`.", ""]
        lines += [f"- {r.get('target')} · `{r.get('check')}`: {r.get('reason', '')}" for r in xpasses]
        lines.append("")
    skips = Counter(r.get("reason", "") for r in report.get("records", []) if r["verdict"] == "skip")
    if skips:
        lines += [f"## Skipped ({sum(skips.values())})", ""]
        lines += [f"- {n} × {reason}" for reason, n in skips.most_common()]
        lines.append("")
    if report.get("not_run"):
        lines += [f"## Not run ({len(report['not_run'])})", ""]
        lines += [f"- `{n}`" for n in report["not_run"][:200]]
        if len(report["not_run"]) > 200:
            lines.append(f"- … and {len(report['not_run']) - 200} more")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _failure_md(r: dict, repro_prefix: str) -> list[str]:
    failure = r.get("failure") or {}
    out = [f"### {r.get('target')} · `{r.get('check')}` — {r['verdict']}", ""]
    out.append(f"test `{r.get('id')}` · {r.get('examples', 0)} examples tried")
    out.append("")
    div = divergence_line(failure)
    if div:
        out += [div, ""]
    out += ["```", (r.get("message") or "(no message)").rstrip(), "```", ""]
    if failure.get("reproducer"):
        out += [f"Reproduce without the suite: `python {repro_prefix}{failure['reproducer']}`", ""]
    if failure.get("hypothesis_reproduce"):
        out += [f"Replay in the suite: add `{failure['hypothesis_reproduce']}` to the test.", ""]
    return out
