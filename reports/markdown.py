"""report.md: the per-target summary and problems first, then the target x check matrix, the family
tables, and every failure with its reproducer."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from conformance.reports import observations, problems
from conformance.reports.tables import (
    MARK, STALE_CELL, describe_result, divergence_line, environment_lines, failures, family_table, headline,
    matrix, rejected_lines, target_list,
)


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    out = ["| " + " | ".join(_md_escape(h) for h in header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return out


# --------------------------------------------------------------------------- markdown


def markdown(report: dict, repro_prefix: str = "") -> str:
    lines = ["# LR-scheduler resume conformance report", "", f"**{headline(report)}**", ""]
    if not report.get("complete"):
        lines += [f"> **This report is incomplete**: {report.get('incomplete_reason')}. "
                  f"{len(report.get('not_run', []))} collected tests did not run.", ""]
    entries = problems.by_target(report)
    lines += summary_md(entries)
    lines += problems_md(entries, repro_prefix)

    lines += ["## Run", ""]
    lines += [f"- {line}" for line in environment_lines(report)]
    lines += [f"- targets: {target_list(report)}"]
    for entry in report.get("targets", []):
        if entry.get("driven"):
            lines.append(f"- {entry['name']} is driven by {entry['driven']}")
        if entry.get("inferred"):
            how = "; ".join(f"`{arg}` {text}" for arg, text in entry["inferred"].items())
            lines.append(f"- configs of {entry['name']} inferred from its signature: {how}")
    lines += [f"- {line}" for line in rejected_lines(report)]
    for b in report.get("broken_targets", []):
        lines.append(f"- target that did not load: **{b['name']}**: {b['problem']}")
    lines.append("")
    lines += observations.markdown_lines(report)

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
         "must be safe; pitfall recipes are expected to be UNSAFE. `" + STALE_CELL + "`: every lr and momentum "
         "the resumed run used is exact, only `get_last_lr()` reports a stale value from `load_state_dict()` to "
         "the next `step()` (a lesser problem)."),
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
    problem_of = _problem_ids(entries)
    lines += [f"## Failures ({len(bad)})", ""]
    if not bad:
        lines += ["None.", ""]
    for r in bad:
        lines += _failure_md(r, repro_prefix, problem_of.get(problems.record_id(r)))
    xfails = [r for r in report.get("records", []) if r["verdict"] == "xfail"]
    if xfails:
        lines += [f"## Known failures (xfail, {len(xfails)})", ""]
        for r in xfails:
            repro = (r.get("failure") or {}).get("reproducer")
            extra = f" · reproducer `{repro_prefix}{repro}`" if repro else ""
            pid = problem_of.get(problems.record_id(r))
            tag = f" ({pid})" if pid else ""
            lines.append(f"- {r.get('target')} · `{r.get('check')}`{tag}: {r.get('reason', '')}{extra}")
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


def _problem_ids(entries: list[dict]) -> dict:
    """record id -> its problem's id (P1, K2, ...), to tag the per-record sections."""
    return {r["id"]: p["id"] for e in entries for p in e["problems"] + e["known_problems"] for r in p["records"]}


def summary_md(entries: list[dict]) -> list[str]:
    """The per-target summary: verdict, distinct problems, what to fix first."""
    out = [f"## Targets ({len(entries)}: {problems.verdict_counts(entries)})", ""]
    if not entries:
        return out + ["No target reported.", ""]
    rows = []
    for e in problems.ordered(entries):
        first = problems.fix_first(e)
        if first is None:
            fix = "—"
        else:
            known = "known " if first["id"].startswith("K") else ""
            known += first["id"] + (" (lesser)" if first.get("lesser") else "")
            fix = (f"{known}: {problems.shorten(problems.problem_label(first), 160)} — breaks "
                   f"{len(first['checks'])}: {problems.compact_checks(first['checks'], e['checks'], limit=4)}")
        name = e["name"] if e["name"] != "-" else "(no target)"
        verdict = f"**{e['verdict'].upper()}**" if e["verdict"] == problems.FAILING else e["verdict"]
        if e["unexpected_passes"]:
            verdict += f" ({e['unexpected_passes']} xpass)"
        rows.append([f"{name}" + (f" ({e['source']})" if e.get("source") else ""), verdict,
                     problems.problems_count(e), fix, problems.counts_line(e)])
    out += _md_table(["target", "verdict", "problems", "fix first", "records"], rows)
    return out + [""]


def problems_md(entries: list[dict], repro_prefix: str) -> list[str]:
    """Each target's problems (root causes), then its known problems, each with the checks it breaks."""
    out = []
    shared = problems.shared_causes(entries)
    if shared:
        out += [f"## Known causes shared by several targets: {len(shared)}", ""]
        out += [f"- {_md_escape(problems.shorten(cause, 200))} — {len(names)} targets: {', '.join(names)}"
                for cause, names in shared] + [""]
    for title, field in (("Problems", "problems"), ("Known problems (xfail)", "known_problems")):
        mine = [e for e in problems.ordered(entries) if e[field]]
        if not mine:
            continue
        n = sum(len(e[field]) for e in mine)
        records = sum(len(p["records"]) for e in mine for p in e[field])
        out += [f"## {title}: {n} from {records} records", ""]
        for e in mine:
            out += [f"### {e['name']}", ""]
            for p in e[field]:
                lesser = "(lesser) " if p.get("lesser") else ""
                out.append(f"- **{p['id']}** {lesser}{_md_escape(problems.problem_label(p))}")
                out.append(f"  - kind: {_md_escape(problems.kind_line(p))}")
                if p.get("fix"):
                    out.append(f"  - what to fix: {_md_escape(p['fix'])}")
                if problems.examples_line(p):
                    out.append(f"  - {_md_escape(problems.examples_line(p))}")
                if p.get("reasons"):
                    out += [f"  - observed: `{problems.shorten(t, 300)}`" for t in p.get("observed", [])]
                verdicts = ", ".join(f"{k} {v}" for k, v in p["verdicts"].items())
                out.append(f"  - breaks {problems.n_checks(p)} ({verdicts}): "
                           + ", ".join(f"`{c}`" for c in p["checks"]))
                if p["example"].get("reproducer"):
                    out.append(f"  - reproduce ({p['example']['check']}): "
                               f"`python {repro_prefix}{p['example']['reproducer']}`")
                if p.get("also_known_as"):
                    out.append(f"  - the same root cause as known problem {p['also_known_as']}")
            out.append("")
    return out


def _failure_md(r: dict, repro_prefix: str, problem_id: str | None = None) -> list[str]:
    failure = r.get("failure") or {}
    tag = f" ({problem_id})" if problem_id else ""
    out = [f"### {r.get('target')} · `{r.get('check')}` — {r['verdict']}{tag}", ""]
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
