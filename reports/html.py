"""report.html: one self-contained page (inline CSS, plots as base64 PNG, no scripts).

It leads with one row per target (verdict, distinct problems, what to fix first) that reads at
1280 px without scrolling sideways; the wide target x check matrix scrolls in its own box below.
"""

from __future__ import annotations

import base64
import html
import re
from collections import Counter

from conformance.reports import observations, plots, problems
from conformance.reports.model import show
from conformance.reports.tables import (
    MARK, STALE_CELL, describe_result, divergence_line, environment_lines, failures, family_table,
    headline, matrix, rejected_lines, result_is_bad, target_list,
)

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#1d1d1f}
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
.headline{font-weight:600;padding:.5em .8em;border-radius:6px;background:#e8f5e9}
.headline.bad{background:#fdecea}.incomplete{background:#fff4e5;border-left:4px solid #f0a000;padding:.6em .8em}
table{border-collapse:collapse;margin:.5em 0;font-size:12.5px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:center}
th{background:#f5f5f7;position:sticky;top:0}td.name,th.name{text-align:left;white-space:nowrap}
.v-pass{background:#e6f4ea}.v-fail,.v-error,.v-nondeterministic,.bad{background:#f8d7da;font-weight:600}
.v-xfail{background:#fff3cd}.v-xpass{background:#d1ecf1;font-style:italic}.v-skip{color:#888}
pre{background:#f6f8fa;padding:.7em;overflow:auto;font-size:12px;border-radius:4px;white-space:pre-wrap}
code{background:#f6f8fa;padding:0 3px;border-radius:3px}
section.failure{border:1px solid #e0e0e0;border-radius:6px;padding:.2em 1em 1em;margin:1em 0}
div.scroll{overflow-x:auto;max-width:100%}img.plot{max-width:100%;border:1px solid #eee}.muted{color:#777}ul.env{padding-left:1.2em}
body{box-sizing:border-box;overflow-wrap:anywhere}div.scroll table{overflow-wrap:normal}
div.scroll td.name{position:sticky;left:0;background:#fff;z-index:1}div.scroll th.name{left:0;z-index:2}
table.summary{width:100%;table-layout:fixed}
table.summary td,table.summary th{text-align:left;vertical-align:top;white-space:normal}
col.c-target{width:26%}col.c-verdict{width:10%}col.c-problems{width:9%}col.c-fix{width:43%}col.c-records{width:12%}
.t-failing{background:#f8d7da;font-weight:600}.t-known{background:#fff3cd}.t-ok{background:#e6f4ea}
.checks{color:#555;font-size:12px}ol.problems{padding-left:1.4em}ol.problems>li{margin:.4em 0}
.pid{font-weight:600;font-family:ui-monospace,monospace}.src{color:#777;font-size:11.5px}
"""


def _e(x) -> str:
    return html.escape(str(x), quote=True)


CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _breakable(name) -> str:
    """`name` escaped, with line breaks allowed after dots and underscores and between camelCase humps."""
    text = CAMEL.sub("\0", str(name))
    return _e(text).replace(".", ".\0").replace("_", "_\0").replace("\0", "<wbr>")


def _table(header, rows, name_cols=1) -> str:
    out = ["<table><thead><tr>"]
    out += [f"<th class=\"{'name' if i < name_cols else ''}\">{_breakable(h)}</th>" for i, h in enumerate(header)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for i, (text, cls) in enumerate(row):
            cls = ("name " if i < name_cols else "") + (cls or "")
            out.append(f"<td class=\"{cls.strip()}\">{_e(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render(report: dict, directory: str = "") -> str:
    summary = report.get("summary") or {}
    bad = not summary.get("ok", True)
    parts = [
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>Resume conformance report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>LR-scheduler resume conformance report</h1>",
        f"<p id=\"headline\" class=\"headline{' bad' if bad else ''}\">{_e(headline(report))}</p>",
    ]
    if not report.get("complete"):
        parts.append(f"<p id=\"incomplete\" class=\"incomplete\"><b>This report is incomplete</b>: "
                     f"{_e(report.get('incomplete_reason'))}. {len(report.get('not_run', []))} collected "
                     f"tests did not run.</p>")
    entries = problems.by_target(report)
    problem_of = {r["id"]: p["id"] for e in entries for p in e["problems"] + e["known_problems"]
                  for r in p["records"]}
    anchors = {problems.record_id(r): f"rec-{i}" for i, r in enumerate(failures(report), 1)}
    parts.append(_summary(entries, anchors))
    parts.append(_problems(entries, anchors))

    parts.append("<h2 id=\"run\">Run</h2>")
    parts.append("<ul id=\"environment\" class=\"env\">")
    parts += [f"<li>{_e(line.replace('`', ''))}</li>" for line in environment_lines(report)]
    parts.append(f"<li>targets: {_e(target_list(report))}</li>")
    parts += [f"<li>{_e(line)}</li>" for line in rejected_lines(report)]
    for b in report.get("broken_targets", []):
        parts.append(f"<li class=\"bad\">target that did not load: {_e(b['name'])}: {_e(b['problem'])}</li>")
    parts.append("</ul>")

    ts, checks, cells = matrix(report)
    parts.append("<h2 id=\"matrix\">Target × check</h2>")
    if cells:
        rows = [[(c, "")] + [(MARK.get(cells.get((t, c)), "·").strip("*"), f"v-{cells.get((t, c), 'none')}")
                             for t in ts] for c in checks]
        parts.append("<div class=\"scroll\">" + _table(["check"] + ts, rows) + "</div>")
    else:
        parts.append("<p>No test reported.</p>")

    for key, title in (("mismatch", "Constructor/checkpoint mismatch (mismatch.*)"),
                       ("recipes", "Recipe safety (recipe.*)"),
                       ("placement", "Loop placement (placement.*)")):
        tts, names, got = family_table(report, key)
        if not got:
            continue
        parts.append(f"<h2 id=\"{key}\">{_e(title)}</h2>")
        rows = [[(n, "")] + [(describe_result(key, got[(t, n)]),
                              "bad" if result_is_bad(key, got[(t, n)]) else "")
                             if (t, n) in got else ("·", "") for t in tts] for n in names]
        if key == "recipes":
            parts.append("<p>Supported recipes (canonical, last_epoch, fast_forward) must be safe; "
                         f"pitfall recipes are expected to be UNSAFE. <i>{_e(STALE_CELL)}</i>: every lr and "
                         "momentum the resumed run used is exact, only get_last_lr() reports a stale value "
                         "from load_state_dict() to the next step() (a lesser problem).</p>")
        parts.append("<div class=\"scroll\">" + _table([key] + tts, rows) + "</div>")

    bad_records = failures(report)
    parts.append(f"<h2 id=\"failures\">Failures ({len(bad_records)})</h2>")
    if not bad_records:
        parts.append("<p>None.</p>")
    have_plots = plots.available()
    if bad_records and not have_plots:
        parts.append("<p class=\"muted\" id=\"no-plots\">Trajectory plots need matplotlib: "
                     "<code>pip install 'lr-resume-conformance[plots]'</code>.</p>")
    for r in bad_records:
        rid = problems.record_id(r)
        parts.append(_failure(r, have_plots, anchors.get(rid, ""), problem_of.get(rid)))

    xfails = [r for r in report.get("records", []) if r["verdict"] == "xfail"]
    if xfails:
        parts.append(f"<h2 id=\"xfail\">Known failures (xfail, {len(xfails)})</h2><ul>")
        for r in xfails:
            repro = (r.get("failure") or {}).get("reproducer")
            link = f" · <a href=\"{_e(repro)}\">reproducer</a>" if repro else ""
            pid = problem_of.get(problems.record_id(r))
            tag = f" <span class=\"pid\">{_e(pid)}</span>" if pid else ""
            parts.append(f"<li>{_e(r.get('target'))} · <code>{_e(r.get('check'))}</code>{tag}: "
                         f"{_e(r.get('reason', ''))}{link}</li>")
        parts.append("</ul>")
    xpasses = [r for r in report.get("records", []) if r["verdict"] == "xpass"]
    if xpasses:
        parts.append(f"<h2 id=\"xpass\">Unexpected passes (xpass, {len(xpasses)})</h2>"
                     "<p>These known failures passed: fixed upstream?</p><ul>")
        parts += [f"<li>{_e(r.get('target'))} · <code>{_e(r.get('check'))}</code>: {_e(r.get('reason', ''))}</li>"
                  for r in xpasses]
        parts.append("</ul>")
    for anchor, title, intro, items in observations.sections(report):
        parts.append(f"<h2 id=\"{anchor}\">{_e(title)}</h2>" + (f"<p>{_e(intro)}</p>" if intro else "") + "<ul>")
        parts += [f"<li>{_e(text.strip())}" + (f" <code>{_e(code)}</code>" if code else "") + f"{_e(rest)}</li>"
                  for text, code, rest in items]
        parts.append("</ul>")
    skips = Counter(r.get("reason", "") for r in report.get("records", []) if r["verdict"] == "skip")
    if skips:
        parts.append(f"<h2 id=\"skip\">Skipped ({sum(skips.values())})</h2><ul>")
        parts += [f"<li>{n} × {_e(reason)}</li>" for reason, n in skips.most_common()]
        parts.append("</ul>")
    if report.get("not_run"):
        parts.append(f"<h2 id=\"not-run\">Not run ({len(report['not_run'])})</h2><ul>")
        parts += [f"<li><code>{_e(n)}</code></li>" for n in report["not_run"][:200]]
        parts.append("</ul>")
    parts.append("<p class=\"muted\">Full data: report.json next to this page.</p></body></html>")
    return "\n".join(parts) + "\n"


def _failure(r: dict, have_plots: bool, anchor: str = "", problem_id: str | None = None) -> str:
    failure = r.get("failure") or {}
    ident = f" id=\"{_e(anchor)}\"" if anchor else ""
    tag = f" · problem <span class=\"pid\">{_e(problem_id)}</span>" if problem_id else ""
    out = [f"<section class=\"failure\" data-target=\"{_e(r.get('target'))}\" "
           f"data-check=\"{_e(r.get('check'))}\" data-verdict=\"{_e(r['verdict'])}\"{ident}>",
           f"<h3>{_e(r.get('target'))} · <code>{_e(r.get('check'))}</code> — "
           f"<span class=\"v-{_e(r['verdict'])}\">{_e(r['verdict'])}</span>{tag}</h3>",
           f"<p class=\"muted\">test <code>{_e(r.get('id'))}</code> · {r.get('examples', 0)} examples tried</p>"]
    d = failure.get("divergence")
    if d:
        out.append(f"<p class=\"divergence\">{_e(divergence_line(failure).replace('`', ''))}</p>")
        out.append("<div class=\"scroll\">" + _table(
            ["", "step", "group", "field", "expected", "actual"],
            [[("first divergence", ""), (d.get("step"), ""), (d.get("group"), ""),
              (d.get("field"), ""), (show(d.get("expected")), ""), (show(d.get("actual")), "bad")]]) + "</div>")
    out.append(f"<pre class=\"message\">{_e((r.get('message') or '(no message)').rstrip())}</pre>")
    if have_plots and failure.get("trajectories"):
        try:
            png = plots.trajectory_png(r)
        except Exception as exc:  # noqa: BLE001 - a broken plot must not cost the page
            png = None
            out.append(f"<p class=\"muted\">plot failed: {_e(repr(exc))}</p>")
        if png:
            b64 = base64.b64encode(png).decode("ascii")
            out.append(f"<img class=\"plot\" alt=\"uninterrupted vs resumed trajectory of "
                       f"{_e(r.get('target'))} {_e(r.get('check'))}\" src=\"data:image/png;base64,{b64}\">")
    if failure.get("reproducer"):
        out.append(f"<p>Reproduce without the suite: <code>python {_e(failure['reproducer'])}</code> "
                   f"(<a href=\"{_e(failure['reproducer'])}\">script</a>, path relative to this page)</p>")
    if failure.get("hypothesis_reproduce"):
        out.append(f"<p>Replay in the suite: add <code>{_e(failure['hypothesis_reproduce'])}</code> to the test.</p>")
    out.append("</section>")
    return "\n".join(out)


VERDICT_CLASS = {problems.FAILING: "t-failing", problems.KNOWN_ONLY: "t-known", problems.OK: "t-ok"}


def _summary(entries: list[dict], anchors: dict) -> str:
    """One row per target: verdict, distinct problems, the problem to fix first and the checks it breaks."""
    out = [f"<h2 id=\"summary\">Targets ({len(entries)}: {_e(problems.verdict_counts(entries))})</h2>"]
    if not entries:
        return "\n".join(out + ["<p>No target reported.</p>"])
    out.append("<table class=\"summary\"><colgroup><col class=\"c-target\"><col class=\"c-verdict\">"
               "<col class=\"c-problems\"><col class=\"c-fix\"><col class=\"c-records\"></colgroup>"
               "<thead><tr><th>target</th><th>verdict</th><th>problems</th><th>fix first</th>"
               "<th>records</th></tr></thead><tbody>")
    for e in problems.ordered(entries):
        first = problems.fix_first(e)
        if first is None:
            fix = "<span class=\"muted\">—</span>"
        else:
            known = "known " if first["id"].startswith("K") else ""
            lesser = " (lesser)" if first.get("lesser") else ""
            fix = (f"<a class=\"pid\" href=\"#{_e(_problem_anchor(e, first))}\">{known}{_e(first['id'])}</a>{lesser} "
                   f"{_e(problems.shorten(problems.problem_label(first), 200))}"
                   f"<div class=\"checks\">breaks {len(first['checks'])}: "
                   f"{_e(problems.compact_checks(first['checks'], e['checks'], limit=5))}</div>")
        verdict = _e(e["verdict"]) + (f" <span class=\"muted\">({e['unexpected_passes']} xpass)</span>"
                                      if e["unexpected_passes"] else "")
        source = f"<div class=\"src\">{_e(e['source'])}</div>" if e.get("source") else ""
        name = e["name"] if e["name"] != "-" else "(no target)"
        out.append(f"<tr data-target=\"{_e(e['name'])}\" data-verdict=\"{_e(e['verdict'])}\">"
                   f"<td>{_breakable(name)}{source}</td>"
                   f"<td class=\"{VERDICT_CLASS.get(e['verdict'], '')}\">{verdict}</td>"
                   f"<td>{_e(problems.problems_count(e))}</td><td>{fix}</td>"
                   f"<td class=\"checks\">{_e(problems.counts_line(e))}</td></tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _problem_anchor(entry: dict, problem: dict) -> str:
    return f"problem-{entry['name']}-{problem['id']}".replace(" ", "_")


def _problems(entries: list[dict], anchors: dict) -> str:
    """Each target's problems, then its known problems: the one-line cause and every check it breaks."""
    out = []
    for title, field, ident in (("Problems", "problems", "problems"),
                                ("Known problems (xfail)", "known_problems", "known-problems")):
        mine = [e for e in problems.ordered(entries) if e[field]]
        if not mine:
            continue
        n = sum(len(e[field]) for e in mine)
        records = sum(len(p["records"]) for e in mine for p in e[field])
        out.append(f"<h2 id=\"{ident}\">{title}: {n} from {records} records</h2>")
        for e in mine:
            out.append(f"<h3>{_e(e['name'])}</h3><ol class=\"problems\">")
            for p in e[field]:
                lesser = " <span class=\"muted\">(lesser)</span>" if p.get("lesser") else ""
                items = [f"<li id=\"{_e(_problem_anchor(e, p))}\" data-problem=\"{_e(p['id'])}\" "
                         f"data-checks=\"{len(p['checks'])}\"><span class=\"pid\">{_e(p['id'])}</span>{lesser} "
                         f"{_e(problems.problem_label(p))}",
                         f"<div class=\"checks kind\" data-kind=\"{_e(p.get('kind', ''))}\">kind: "
                         f"{_e(problems.kind_line(p))}</div>"]
                if p.get("fix"):
                    items.append(f"<div class=\"checks\">what to fix: {_e(p['fix'])}</div>")
                if problems.examples_line(p):
                    items.append(f"<div class=\"checks\">{_e(problems.examples_line(p).replace('`', ''))}</div>")
                if p.get("reasons"):
                    items += [f"<div class=\"checks\">observed: <code>{_e(problems.shorten(t, 300))}</code></div>"
                              for t in p.get("observed", [])]
                links = []
                for rec in p["records"]:  # each check links to its failure section, or to its script
                    href = f"#{anchors[rec['id']]}" if rec["id"] in anchors else rec.get("reproducer")
                    code = f"<code>{_e(rec['check'])}</code>"
                    links.append(f"<a href=\"{_e(href)}\">{code}</a>" if href else code)
                verdicts = ", ".join(f"{k} {v}" for k, v in p["verdicts"].items())
                items.append(f"<div class=\"checks\">breaks {problems.n_checks(p)} ({_e(verdicts)}): "
                             f"{' '.join(links)}</div>")
                repro = p["example"].get("reproducer")
                if repro:
                    items.append(f"<div class=\"checks\">reproduce ({_e(p['example']['check'])}): "
                                 f"<code>python {_e(repro)}</code> (<a href=\"{_e(repro)}\">script</a>)</div>")
                if p.get("also_known_as"):
                    items.append(f"<div class=\"checks\">the same root cause as known problem "
                                 f"{_e(p['also_known_as'])}</div>")
                out.append("".join(items) + "</li>")
            out.append("</ol>")
    return "\n".join(out)

