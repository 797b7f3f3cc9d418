"""Writers: report.json, report.md, report.html and the reproducers, all written atomically."""

from __future__ import annotations

import glob
import os
from collections import Counter
from typing import Iterable

from reports import model, reproducers
from reports.model import BAD, HAS_CASE, show

REPRO_DIR = "reproducers"
MARK = {
    "pass": "pass", "fail": "**FAIL**", "error": "**ERROR**", "nondeterministic": "**NONDET**",
    "xfail": "xfail", "xpass": "*xpass*", "skip": "skip",
}


# --------------------------------------------------------------------------- all files


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
    model.write_atomic(os.path.join(directory, stem + ".json"), model.dumps(report))
    prefix = os.path.relpath(directory)
    prefix = "" if prefix == "." else prefix.replace(os.sep, "/") + "/"
    if prefix.startswith("../../"):
        prefix = os.path.abspath(directory) + "/"
    model.write_atomic(os.path.join(directory, stem + ".md"), markdown(report, prefix))
    from reports import html

    model.write_atomic(os.path.join(directory, stem + ".html"), html.render(report, directory))
    return report


# --------------------------------------------------------------------------- tables


def matrix(report: dict) -> tuple[list[str], list[str], dict]:
    """(targets, checks, {(target, check): verdict}); several tests of one cell keep the worst."""
    rank = {v: i for i, v in enumerate(("pass", "skip", "xfail", "xpass", "nondeterministic", "fail", "error"))}
    cells: dict = {}
    for r in report.get("records", []):
        key = model.record_key(r)
        if key not in cells or rank.get(r["verdict"], 0) > rank.get(cells[key], 0):
            cells[key] = r["verdict"]
    targets = [t for t in model.targets_of(report) if any(k[0] == t for k in cells)]
    targets += sorted({k[0] for k in cells} - set(targets))
    checks = sorted({k[1] for k in cells})
    return targets, checks, cells


def family_table(report: dict, key: str) -> tuple[list[str], list[str], dict]:
    """(targets, names, {(target, name): result}) for results[key] (recipes, mismatch, placement)."""
    cells: dict = {}
    for r in report.get("records", []):
        for name, result in (r.get(key) or {}).items():
            cells[(r.get("target") or "-", name)] = result
    targets = sorted({t for t, _ in cells})
    names = sorted({n for _, n in cells})
    return targets, names, cells


SUPPORTED_RECIPES = ("canonical", "last_epoch", "fast_forward")


def supported_recipe(name: str, result) -> bool:
    """Supported recipes must be safe; pitfall recipes are expected to diverge."""
    if isinstance(result, dict) and "status" in result and "outcome" not in result:
        return True
    return name in SUPPORTED_RECIPES


def describe_result(key: str, result, name: str = "") -> str:
    """One table cell for a recipes / mismatch / placement result."""
    if not isinstance(result, dict):
        return str(result)
    if key == "recipes" and "safe" in result:
        text = "safe" if result["safe"] else "UNSAFE"
        outcome = result.get("outcome")
        if not result["safe"] and outcome and outcome not in ("diverges", "unsafe"):
            text += f": {outcome}"
        div = result.get("first_divergence")
        if not result["safe"] and isinstance(div, dict) and div.get("step") is not None:
            text += f" (step {div['step']})"
        elif result.get("status") not in (None, "pass", "fail"):
            text += f" ({result['status']})"
        return text
    for field in ("outcome", "verdict", "status", "safe"):
        if field in result:
            text = str(result[field])
            if result.get("step") is not None and text not in ("pass", "safe"):
                text += f" (step {result['step']})"
            return text
    return ", ".join(f"{k}={v}" for k, v in result.items() if not isinstance(v, (dict, list)))


def result_is_bad(key: str, result, name: str = "") -> bool:
    """A result the reader must look at: an unsafe supported recipe, a failing outcome."""
    if not isinstance(result, dict):
        return False
    if key == "recipes":
        return result.get("safe") is False and supported_recipe(name, result)
    return str(result.get("outcome", result.get("status", ""))) in BAD


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    out = ["| " + " | ".join(_md_escape(h) for h in header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return out


def headline(report: dict) -> str:
    s = report.get("summary") or model.summarize(report.get("records", []))
    parts = [f"{n} {v}" for v, n in s["verdicts"].items() if n]
    state = "complete" if report.get("complete") else f"INCOMPLETE: {report.get('incomplete_reason')}"
    verdict = "all checks passed" if s.get("ok") else f"{s.get('bad', 0)} failing"
    return f"{verdict} · {s['total']} records ({', '.join(parts) or 'none'}) · run {state}"


def environment_lines(report: dict) -> list[str]:
    env, suite, hyp = report.get("environment", {}), report.get("suite", {}), report.get("hypothesis", {})
    sha = (suite.get("git_sha") or "?")[:12] + (" (dirty)" if suite.get("git_dirty") else "")
    return [
        f"suite {suite.get('version')} at {sha} · torch {env.get('torch')} · Python {env.get('python')} · "
        f"Hypothesis {env.get('hypothesis')} · pytest {env.get('pytest')} · {env.get('platform')}",
        f"Hypothesis profile `{hyp.get('profile')}` (max_examples {hyp.get('max_examples')}, derandomize "
        f"{hyp.get('derandomize')}), seed {hyp.get('seed') if hyp.get('seed') is not None else 'random'} · "
        f"xdist workers {env.get('xdist_workers')}",
        f"started {report.get('started_at')} · finished {report.get('finished_at')} · "
        f"{report.get('duration_s')} s · `{' '.join(report.get('command', []))}`",
    ]


def failures(report: dict) -> list[dict]:
    return [r for r in report.get("records", []) if r["verdict"] in BAD]


def divergence_line(failure: dict) -> str:
    d = (failure or {}).get("divergence")
    if not d:
        return ""
    where = f"optimizer step {d['step']}" + ("" if d.get("group") is None else f", param group {d['group']}")
    rel = d.get("rel_error")
    info = f" (relative error {rel:.3g})" if isinstance(rel, float) and rel else ""
    return f"first divergence at {where}, field `{d['field']}`: expected `{show(d['expected'])}`, " \
           f"got `{show(d['actual'])}`{info}"


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
                           [[n] + [describe_result(key, got[(t, n)], n) if (t, n) in got else "·" for t in ts]
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
