"""The report's sections, computed once: `page(report)` is every block of report.md and report.html.

Blocks are data (heading, paragraph, list, table, preformatted text, plot, section), inline text a str or a
list of `Span`s; `markdown.py` and `html.py` only format them, as do the `recipes` and `drivers` commands.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional, Union

from conformance.harness.observation import counted
from conformance.model import results
from conformance.reports import mechanisms, model, problems
from conformance.reports.model import BAD, XFAIL, show


@dataclass
class Span:
    text: str
    code: bool = False
    bold: bool = False
    href: str = ""  # HTML only
    cls: str = ""  # HTML only


Inline = Union[str, list]


@dataclass
class Heading:
    level: int
    text: Inline
    anchor: str = ""


@dataclass
class Para:
    text: Inline
    cls: str = ""
    anchor: str = ""


@dataclass
class Item:
    text: Inline
    subs: list = field(default_factory=list)  # lines under it: nested items in Markdown, divs in HTML
    attrs: dict = field(default_factory=dict)
    cls: str = ""


@dataclass
class Items:
    items: list
    ordered: bool = False
    cls: str = ""
    anchor: str = ""


@dataclass
class Cell:
    text: Inline
    cls: str = ""
    note: Inline = ""  # Markdown: " (note)"; HTML: a small line under the text
    sub: Inline = ""  # Markdown: " — sub"; HTML: a line under the text


@dataclass
class Table:
    header: list
    rows: list  # of lists of Cell, or (attrs, [Cell])
    cls: str = ""
    scroll: bool = False  # HTML: in its own sideways-scrolling box
    cols: list = field(default_factory=list)  # HTML: column classes


@dataclass
class Pre:
    text: str
    cls: str = ""


@dataclass
class Plot:
    record: dict


@dataclass
class Section:
    blocks: list
    attrs: dict = field(default_factory=dict)


def code(text) -> Span:
    return Span(str(text), code=True)


MARK = {"fail": "FAIL", "error": "ERROR", "nondeterministic": "NONDET"}  # bold; the others as they are
STALE_CELL = "safe lrs, stale get_last_lr() after load"
STALE_FLAG = "stale_report"  # set on a recipe result's JSON by `family_table` (not a field of the result)


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
    return targets, sorted({k[1] for k in cells}), cells


def stale_recipe(record: dict, name: str) -> bool:
    """The record of check `recipe.<name>` failed only because get_last_lr() was stale after a load."""
    return (model.record_key(record)[1] == f"recipe.{name}" and record.get("verdict") in BAD | {XFAIL}
            and mechanisms.stale_report(record.get("failure")))


def family_table(report: dict, key: str) -> tuple[list[str], list[str], dict]:
    """(targets, names, {(target, name): result}) for results[key] (recipes, mismatch, placement)."""
    cells: dict = {}
    for r in report.get("records", []):
        for name, result in (r.get(key) or {}).items():
            if key == results.RECIPES and isinstance(result, dict) and stale_recipe(r, name):
                result = {**result, STALE_FLAG: True}
            cells[(r.get("target") or "-", name)] = result
    return sorted({t for t, _ in cells}), sorted({n for _, n in cells}), cells


def result_of(family: str, result):
    """The typed result (`conformance.model.results`) of a record's JSON result."""
    return results.from_json(family, upgrade_result(family, result))


def upgrade_result(family: str, result: dict) -> dict:
    """A result written by report schema 1.x (before typed results), in today's shape."""
    if not isinstance(result, dict) or "family" in result:
        return result
    if family == results.MISMATCH:
        return {"name": "", **result}
    old = result.get("outcome")
    if family == results.PLACEMENT:
        outcome = {"harmless": results.SAFE, "shown": results.RAISES if result.get("raised") else results.DIVERGES}
        div = {k: result[k] for k in ("step", "group", "field", "expected", "actual") if k in result}
        return {"family": family, "name": "", "outcome": outcome.get(old, old), "divergence": div or None,
                "error": result.get("raised", ""), "case": result.get("example", "")}
    supported = "outcome" not in result
    outcome = (results.SAFE if result.get("safe") else results.DIVERGES) if supported else \
        {"silent": results.DIVERGES, "wrong error": results.RAISES}.get(old, old)
    return {"family": family, "name": "", "outcome": outcome, "supported": supported,
            "divergence": result.get("first_divergence"), "error": result.get("error", "")}


def _stale(result) -> bool:
    return isinstance(result, dict) and bool(result.get(STALE_FLAG))


def describe_result(family: str, result) -> str:
    """One table cell for a recipes / mismatch / placement result."""
    return STALE_CELL if _stale(result) else result_of(family, result).describe()


def result_is_bad(family: str, result) -> bool:
    """A result the reader must look at: an unsafe supported recipe, a hybrid (not a stale get_last_lr())."""
    return not _stale(result) and result_of(family, result).bad


def headline(report: dict) -> str:
    """One line: how many problems (root causes) in how many targets, then the record counts."""
    s = report.get("summary") or model.summarize(report.get("records", []))
    entries = problems.by_target(report)
    parts = [f"{n} {v}" for v, n in s["verdicts"].items() if n]
    state = "complete" if report.get("complete") else f"INCOMPLETE: {report.get('incomplete_reason')}"
    n_problems = sum(len(e["problems"]) for e in entries)
    n_known = sum(len(e["known_problems"]) for e in entries)
    failing = sum(e["verdict"] == problems.FAILING for e in entries)
    if s.get("ok"):
        verdict = "all checks passed"
    else:
        verdict = f"{counted(n_problems, 'problem')} ({s.get('bad', 0)} failing records) in {failing} of " \
                  f"{counted(len(entries), 'target')}"
    if n_known:
        causes = len({problems.problem_label(p) for e in entries for p in e["known_problems"]})
        shared = f", {counted(causes, 'cause')}" if causes < n_known else ""
        verdict += f" · {counted(n_known, 'known problem')} ({s['verdicts'].get('xfail', 0)} xfail records{shared})"
    return f"{verdict} · {s['total']} records ({', '.join(parts) or 'none'}) · run {state}"


def target_list(report: dict, most: int = 8) -> str:
    """The loaded targets with their sources; past `most`, only how many (the summary lists them all)."""
    listed = [t for t in report.get("targets", []) if not isinstance(t, dict) or t.get("listed", True)]
    if len(listed) > most:
        return f"{len(listed)}, listed in the summary above"
    return ", ".join(f"{t['name']} ({t.get('source') or '?'})" if isinstance(t, dict) else str(t)
                     for t in listed) or "(none)"


def rejected_lines(report: dict) -> list[str]:
    """Per target: how many generated configs were rejected as outside its domain, and the first of each kind."""
    inferred = {t.get("name") for t in report.get("targets", []) if isinstance(t, dict) and t.get("inferred")}
    count: dict = {}
    kinds: dict = {}
    for r in report.get("records", []):
        rejected = r.get("rejected") or {}
        if rejected.get("count"):
            count[r["target"]] = count.get(r["target"], 0) + rejected["count"]
            for kind, where in (rejected.get("kinds") or {}).items():
                kinds.setdefault(r["target"], {}).setdefault(kind, where)
    lines = []
    for target in sorted(count):
        what = "inferred" if target in inferred else "generated"
        first = "; ".join(f"{kind} {where}" for kind, where in kinds[target].items())
        lines.append(f"{count[target]} {what} configs of {target} rejected (its uninterrupted run raised, so they "
                     f"lie outside its domain and were not judged): {first}")
    return lines


def environment_lines(report: dict) -> list[Inline]:
    env, suite, hyp = report.get("environment", {}), report.get("suite", {}), report.get("hypothesis", {})
    sha = (suite.get("git_sha") or "?")[:12] + (" (dirty)" if suite.get("git_dirty") else "")
    return [
        f"suite {suite.get('version')} at {sha} · torch {env.get('torch')} · Python {env.get('python')} · "
        f"Hypothesis {env.get('hypothesis')} · pytest {env.get('pytest')} · {env.get('platform')}",
        ["Hypothesis profile ", code(hyp.get("profile")), f" (max_examples {hyp.get('max_examples')}, derandomize "
         f"{hyp.get('derandomize')}), seed {hyp.get('seed') if hyp.get('seed') is not None else 'random'} · "
         f"xdist workers {env.get('xdist_workers')}"],
        [f"started {report.get('started_at')} · finished {report.get('finished_at')} · "
         f"{report.get('duration_s')} s · ", code(" ".join(report.get("command", [])))],
    ] + ([f"framework drivers: {', '.join(f'{k} ({v})' for k, v in env['drivers'].items())}"]
         if env.get("drivers") else [])


def failures(report: dict) -> list[dict]:
    return [r for r in report.get("records", []) if r["verdict"] in BAD]


def divergence_line(failure: dict) -> str:
    """The first divergence as the verdict described it (`Divergence.describe()`), or ""."""
    d = (failure or {}).get("divergence")
    return problems.divergence_text(d) if d else ""


def compact_checks(checks: list[str], ran: Iterable[str] = (), limit: int = 0) -> str:
    """`checks` short: `recipe.* (9)` when every check of the family that ran is in it, else
    `placement.{amp, per_step}`; with `limit`, at most that many families, then `+N more`."""
    ran = set(ran) | set(checks)
    families: dict[str, list] = {}
    for c in sorted(checks):
        families.setdefault(c.split(".", 1)[0] if "." in c else c, []).append(c)
    items = []
    for fam, members in families.items():
        everyone = sorted(c for c in ran if c.startswith(fam + "."))
        if members == [fam]:
            items.append(fam)
        elif len(members) > 2 and members == everyone:
            items.append(f"{fam}.* ({len(members)})")
        elif len(members) > 1:
            items.append(fam + ".{" + ", ".join(m[len(fam) + 1:] for m in members) + "}")
        else:
            items += members
    if limit and len(items) > limit:
        return ", ".join(items[:limit]) + f", +{len(items) - limit} more"
    return ", ".join(items)


def shorten(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def fix_first(entry: dict) -> Optional[dict]:
    """The problem to fix first: the one breaking the most checks (known problems when nothing else fails)."""
    return (entry["problems"] or entry["known_problems"] or [None])[0]


def kind_line(problem: dict) -> str:
    """"divergence · mechanism: 'lr' repeats the schedule ...": what kind of problem, and how it shows."""
    kind = problem.get("kind", "")
    if kind in problems.LESSER:
        return f"{kind} (lesser: get_last_lr() is wrong from load_state_dict() to the next step(); every lr and " \
               "momentum the optimizer used is exact)"
    return f"{kind} · mechanism: {problem['mechanism']['text']}" if problem.get("mechanism") else kind


def examples_line(problem: dict, limit: int = 6) -> Inline:
    """"3 examples: `resume.canonical` step 2, group 0: expected 0.5, got 1.0; ...", or "" for one."""
    examples = problem.get("examples") or []
    if len(examples) < 2:
        return ""
    out: list = [f"{len(examples)} examples: "]
    for i, x in enumerate(examples[:limit]):
        out += (["; "] if i else []) + [code(x["check"]), f" step {x['step']}"
                                        + ("" if x.get("group") is None else f", group {x['group']}")
                                        + f", '{x['field']}': expected {show(x['expected'])}, got {show(x['actual'])}"]
    return out + ([f"; +{len(examples) - limit} more"] if len(examples) > limit else [])


def problems_count(entry: dict) -> str:
    n, k = len(entry["problems"]), len(entry["known_problems"])
    return (counted(n, "problem") if n else "0") + (f" (+{k} known)" if k else "")


def counts_line(entry: dict) -> str:
    return ", ".join(f"{n} {v}" for v, n in entry["counts"].items()) or "no records"


def summary(entries: list[dict]) -> list:
    """The per-target summary: verdict, distinct problems, what to fix first."""
    counts = Counter(e["verdict"] for e in entries)  # "2 failing, 14 ok", worst first
    verdicts = ", ".join(f"{counts[v]} {v}" for v in (problems.FAILING, problems.KNOWN_ONLY, problems.OK)
                         if counts.get(v)) or "none"
    out: list = [Heading(2, f"Targets ({len(entries)}: {verdicts})", "summary")]
    if not entries:
        return out + [Para("No target reported.")]
    rows = []
    cls = {problems.FAILING: "t-failing", problems.KNOWN_ONLY: "t-known", problems.OK: "t-ok"}
    for e in problems.ordered(entries):
        first = fix_first(e)
        fix = Cell("—")
        if first is not None:
            which = ("known " if first["id"].startswith("K") else "") + first["id"]
            fix = Cell([Span(which, href="#" + problem_anchor(e, first), cls="pid"),
                        (" (lesser)" if first.get("lesser") else "") + ": " + shorten(problems.problem_label(first), 160)],
                       sub=f"breaks {len(first['checks'])}: {compact_checks(first['checks'], e['checks'], limit=4)}")
        failing = e["verdict"] == problems.FAILING
        xpass = f" ({e['unexpected_passes']} xpass)" if e["unexpected_passes"] else ""
        rows.append(({"data-target": e["name"], "data-verdict": e["verdict"]}, [
            Cell(e["name"] if e["name"] != "-" else "(no target)", note=e.get("source") or ""),
            Cell([Span(e["verdict"].upper() if failing else e["verdict"], bold=failing), xpass], cls[e["verdict"]]),
            Cell(problems_count(e)), fix, Cell(counts_line(e), "checks")]))
    return out + [Table(["target", "verdict", "problems", "fix first", "records"], rows, cls="summary",
                        cols=["c-target", "c-verdict", "c-problems", "c-fix", "c-records"])]


def problem_anchor(entry: dict, problem: dict) -> str:
    return f"problem-{entry['name']}-{problem['id']}".replace(" ", "_")


def problem_list(entries: list[dict], anchors: Optional[dict] = None) -> list:
    """Each target's problems (root causes), then its known problems, each with the checks it breaks."""
    anchors = anchors or {}
    out: list = []
    shared = problems.shared_causes(entries)
    if shared:
        out += [Heading(2, f"Known causes shared by several targets: {len(shared)}"),
                Items([Item(f"{shorten(cause, 200)} — {len(names)} targets: {', '.join(names)}")
                       for cause, names in shared])]
    for title, key, ident in (("Problems", "problems", "problems"),
                              ("Known problems (xfail)", "known_problems", "known-problems")):
        mine = [e for e in problems.ordered(entries) if e[key]]
        if not mine:
            continue
        n, records = sum(len(e[key]) for e in mine), sum(len(p["records"]) for e in mine for p in e[key])
        out.append(Heading(2, f"{title}: {n} from {records} records", ident))
        for e in mine:
            out += [Heading(3, e["name"]), Items([_problem_item(e, p, anchors) for p in e[key]], True, "problems")]
    return out


def _problem_item(entry: dict, p: dict, anchors: dict) -> Item:
    subs: list = [f"kind: {kind_line(p)}"]
    subs += [f"what to fix: {p['fix']}"] if p.get("fix") else []
    subs += [examples_line(p)] if examples_line(p) else []
    subs += [["observed: ", code(shorten(t, 300))] for t in p.get("observed", [])] if p.get("reasons") else []
    links: list = []
    for rec in p["records"]:  # each check links to its failure section (HTML), or to its script
        href = f"#{anchors[rec['id']]}" if rec["id"] in anchors else rec.get("reproducer") or ""
        links += ([", "] if links else []) + [Span(rec["check"], code=True, href=href)]
    verdicts = ", ".join(f"{k} {v}" for k, v in p["verdicts"].items())
    subs.append([f"breaks {counted(len(p['checks']), 'check')} ({verdicts}): "] + links)
    if p["example"].get("reproducer"):
        subs.append([f"reproduce ({p['example']['check']}): ", code(f"python {{prefix}}{p['example']['reproducer']}")])
    if p.get("also_known_as"):
        subs.append(f"the same root cause as known problem {p['also_known_as']}")
    lesser = " (lesser)" if p.get("lesser") else ""
    return Item([Span(p["id"], bold=True, cls="pid"), f"{lesser} {problems.problem_label(p)}"], subs,
                {"id": problem_anchor(entry, p), "data-problem": p["id"], "data-checks": len(p["checks"]),
                 "data-kind": p.get("kind", "")})


def run_section(report: dict) -> list:
    lines: list = environment_lines(report) + [f"targets: {target_list(report)}"]
    for entry in report.get("targets", []):
        if entry.get("driven"):
            lines.append(f"{entry['name']} is driven by {entry['driven']}")
        if entry.get("inferred"):
            how: list = []
            for arg, text in entry["inferred"].items():
                how += (["; "] if how else []) + [code(arg), f" {text}"]
            lines.append([f"configs of {entry['name']} inferred from its signature: "] + how)
    items = [Item(line) for line in lines + rejected_lines(report)]
    items += [Item(["target that did not load: ", Span(b["name"], bold=True), f": {b['problem']}"], cls="bad")
              for b in report.get("broken_targets", [])]
    return [Heading(2, "Run", "run"), Items(items, cls="env", anchor="environment")]


def observation_sections(report: dict) -> list:
    """The warnings each target emitted, and the checks that could not tell right from wrong."""
    out: list = []
    warned = [t for t in report.get("targets", []) if isinstance(t, dict) and t.get("warnings")]
    if warned:
        items = []
        for t in warned:
            total = t["warnings"]
            kinds = [[f"{k['count']:,} × {k['category']} at ", code(k["where"]),
                      ": " + str(k["first"]).replace("\n", " ").replace("`", "'")] for k in total["kinds"]]
            items.append(Item(f"{t['name']}: {counted(total['count'], 'warning')} of "
                              f"{counted(len(total['kinds']), 'kind')}", kinds))
        out += [Heading(2, "Warnings the targets emitted", "warnings"),
                Para("Counted while the suite ran each target, and kept out of the terminal; the first of each kind:"),
                Items(items)]
    blind = [r for r in report.get("records", []) if r.get("lr_never_changed")]
    if blind:
        out += [Heading(2, "Checks that could not tell right from wrong", "blind"),
                Items([Item([f"{r.get('target')} · ", code(r.get("check")), f": {r['lr_never_changed']}"])
                       for r in blind])]
    return out


def matrix_section(report: dict) -> list:
    targets, checks, cells = matrix(report)
    out: list = [Heading(2, "Target × check", "matrix")]
    if not cells:
        return out + [Para("No test reported.")]
    rows = [[Cell(code(c))] + [_verdict_cell(cells.get((t, c))) for t in targets] for c in checks]
    return out + [Table(["check"] + targets, rows, scroll=True)]


def _verdict_cell(v: Optional[str]) -> Cell:
    return Cell("·", "v-none") if v is None else Cell(Span(MARK[v], bold=True) if v in MARK else v, f"v-{v}")


FAMILIES = (
    ("mismatch", "Constructor/checkpoint mismatch (`mismatch.*`)",
     "Which value wins when the constructor argument on resume differs from the checkpoint."),
    ("recipes", "Recipe safety (`recipe.*`)",
     "Whether resuming with each recipe reproduces the uninterrupted trajectory (UNSAFE: first divergent step). "
     "Supported recipes (canonical, last_epoch, fast_forward) must be safe; pitfall recipes are expected to be "
     f"UNSAFE. `{STALE_CELL}`: every lr and momentum the resumed run used is exact, only `get_last_lr()` reports a "
     "stale value from `load_state_dict()` to the next `step()` (a lesser problem)."),
    ("placement", "Loop placement (`placement.*`)", ""),
)


def family_sections(report: dict) -> list:
    out: list = []
    for key, title, blurb in FAMILIES:
        targets, names, got = family_table(report, key)
        if not got:
            continue
        rows = [[Cell(n)] + [Cell(describe_result(key, got[(t, n)]), "bad" if result_is_bad(key, got[(t, n)]) else "")
                             if (t, n) in got else Cell("·") for t in targets] for n in names]
        out += [Heading(2, _inline(title), key)] + ([Para(_inline(blurb))] if blurb else [])
        out.append(Table([key[:-1] if key.endswith("s") else key] + targets, rows, scroll=True))
    return out


def _inline(text: str) -> Inline:
    """`text` with its `code` spans as Spans."""
    parts = text.split("`")
    return [code(p) if i % 2 else p for i, p in enumerate(parts) if p]


def failure_section(r: dict, anchor: str = "", problem_id: Optional[str] = None) -> Section:
    failure = r.get("failure") or {}
    tag = f" ({problem_id})" if problem_id else ""
    blocks: list = [Heading(3, [f"{r.get('target')} · ", code(r.get("check")), f" — {r['verdict']}{tag}"]),
                    Para(["test ", code(r.get("id")), f" · {r.get('examples', 0)} examples tried"], "muted")]
    d = failure.get("divergence")
    if d:
        blocks.append(Para(divergence_line(failure), "divergence"))
        blocks.append(Table(["", "step", "group", "field", "expected", "actual"], [[
            Cell("first divergence"), Cell(str(d.get("step"))), Cell(str(d.get("group"))), Cell(str(d.get("field"))),
            Cell(show(d.get("expected"))), Cell(show(d.get("actual")), "bad")]], scroll=True))
    blocks.append(Pre((r.get("message") or "(no message)").rstrip(), "message"))
    if failure.get("trajectories"):
        blocks.append(Plot(r))
    if failure.get("reproducer"):
        blocks.append(Para(["Reproduce without the suite: ", code(f"python {{prefix}}{failure['reproducer']}"), " (",
                            Span("script", href=failure["reproducer"]), ", path relative to this page)"]))
    if failure.get("hypothesis_reproduce"):
        blocks.append(Para(["Replay in the suite: add ", code(failure["hypothesis_reproduce"]), " to the test."]))
    attrs = {"class": "failure", "data-target": r.get("target"), "data-check": r.get("check"),
             "data-verdict": r["verdict"], "id": anchor}
    return Section(blocks, attrs)


def page(report: dict) -> list:
    """Every block of the report, in order; `{prefix}` in code spans is the reproducers' path prefix."""
    bad = not (report.get("summary") or {}).get("ok", True)
    out: list = [Heading(1, "LR-scheduler resume conformance report"),
                 Para(Span(headline(report), bold=True), "headline bad" if bad else "headline", "headline")]
    if not report.get("complete"):
        out.append(Para([Span("This report is incomplete", bold=True), f": {report.get('incomplete_reason')}. "
                         f"{len(report.get('not_run', []))} collected tests did not run."], "incomplete", "incomplete"))
    entries = problems.by_target(report)
    problem_of = {r["id"]: p["id"] for e in entries for p in e["problems"] + e["known_problems"] for r in p["records"]}
    bad_records = failures(report)
    anchors = {problems.record_id(r): f"rec-{i}" for i, r in enumerate(bad_records, 1)}
    out += summary(entries) + problem_list(entries, anchors) + run_section(report) + observation_sections(report)
    out += matrix_section(report) + family_sections(report)
    out += [Heading(2, f"Failures ({len(bad_records)})", "failures")] + ([Para("None.")] if not bad_records else [])
    out += [failure_section(r, anchors[problems.record_id(r)], problem_of.get(problems.record_id(r)))
            for r in bad_records]
    records = report.get("records", [])
    xfails = [r for r in records if r["verdict"] == "xfail"]
    if xfails:
        items = []
        for r in xfails:
            pid = problem_of.get(problems.record_id(r))
            repro = (r.get("failure") or {}).get("reproducer")
            items.append(Item([f"{r.get('target')} · ", code(r.get("check")), f" ({pid})" if pid else "",
                               f": {r.get('reason', '')}"]
                              + ([" · reproducer ", Span(f"{{prefix}}{repro}", code=True, href=repro)] if repro else [])))
        out += [Heading(2, f"Known failures (xfail, {len(xfails)})", "xfail"), Items(items)]
    xpasses = [r for r in records if r["verdict"] == "xpass"]
    if xpasses:
        out += [Heading(2, f"Unexpected passes (xpass, {len(xpasses)})", "xpass"),
                Para(["These known failures passed: fixed upstream? Update ", code("known_failures.py"), "."]),
                Items([Item([f"{r.get('target')} · ", code(r.get("check")), f": {r.get('reason', '')}"])
                       for r in xpasses])]
    skips = Counter(r.get("reason", "") for r in records if r["verdict"] == "skip")
    if skips:
        out += [Heading(2, f"Skipped ({sum(skips.values())})", "skip"),
                Items([Item(f"{n} × {reason}") for reason, n in skips.most_common()])]
    not_run = report.get("not_run") or []
    if not_run:
        more = [Item(f"… and {len(not_run) - 200} more")] if len(not_run) > 200 else []
        out += [Heading(2, f"Not run ({len(not_run)})", "not-run"), Items([Item(code(n)) for n in not_run[:200]] + more)]
    return out


RECIPE_COLUMNS = [  # (recipe, heading)
    ("canonical", "canonical"), ("last_epoch", "`last_epoch`"), ("fast_forward", "fast-forward"),
    ("reset_lr_last_epoch", "reset lr, then `last_epoch`"), ("epoch_argument", "`step(epoch)` throughout"),
    ("epoch_fast_forward", "one `step(k)`, then `step()`"),
]
RECIPE_DOCS = ("`step(epoch)` is deprecated by torch's own docs: "
               "<https://docs.pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate>.")


def recipe_cell(result, stale: bool = False) -> str:
    """"Which resume recipe should I use?": `safe`, `drifts (1e-16)`, `wrong (step 3, lr)`, `raises (...)`, `·`."""
    if result is None or stale:  # stale: only get_last_lr() was wrong, and only until the next step()
        return "·" if result is None else STALE_CELL
    div = result.divergence or {}
    if result.outcome == results.SAFE:
        return "safe"
    if result.outcome == results.DRIFTS:
        rel = div.get("rel_error")
        return f"drifts ({rel:.0e})" if isinstance(rel, float) else "drifts"
    if result.outcome == results.DIVERGES:
        where = f"step {div['step']}" if div.get("step") is not None else "?"
        return f"wrong ({where}, {div.get('field', 'lr')})"
    if result.outcome == results.RAISES:
        return f"raises ({(result.error or '?').split(':')[0]})"
    return result.outcome


def _from(report: dict, a: str = "") -> str:
    env, suite = report.get("environment", {}), report.get("suite", {})
    return (f"From {a}`{report.get('hypothesis', {}).get('profile')}` run of torch {env.get('torch')}, "
            f"suite {suite.get('version')} ({(suite.get('git_sha') or '?')[:10]})")


def recipe_table(report: dict) -> list:
    """The recipe x target table, one row per target that has recipe results (`recipes` command)."""
    found: dict = {}
    stale: set = set()
    for record in report.get("records", []):
        for name, data in (record.get("recipes") or {}).items():
            found.setdefault(record.get("target") or "-", {})[name] = result_of(results.RECIPES, data)
            if stale_recipe(record, name):
                stale.add((record.get("target") or "-", name))
    rows = [[target] + [recipe_cell(found[target].get(name), (target, name) in stale) for name, _ in RECIPE_COLUMNS]
            for target in sorted(found)]
    return [Para(_from(report) + "."), Table(["scheduler"] + [h for _, h in RECIPE_COLUMNS], rows), Para(RECIPE_DOCS)]


def driver_table(report: dict) -> list:
    """The target x driver table: each cell the verdict of `driver.<name>` with its examples, a known failure
    `xfail [n]` with its cause listed under the table (`drivers` command)."""
    cells: dict = {}
    causes: dict = {}  # reason -> (number, [(target, driver)])
    for record in report.get("records", []):
        check = record.get("check") or ""
        if not check.startswith("driver."):
            continue
        driver, verdict = check[len("driver."):], record.get("verdict", "?")
        text = f"{verdict} ({record.get('examples', '?')})"
        if verdict == "xfail":
            number, where = causes.setdefault(record.get("reason") or "?", (len(causes) + 1, []))
            where.append((record.get("target"), driver))
            text = f"xfail [{number}]"
        cells.setdefault(record.get("target") or "-", {})[driver] = text
    versions = report.get("environment", {}).get("drivers") or {}
    drivers = [d for d in versions if any(d in row for row in cells.values())]
    out: list = [Para(_from(report, "a ") + ": " + ", ".join(versions[d] for d in drivers) + "."),
                 Table(["target"] + drivers, [[t] + [cells[t].get(d, "·") for d in drivers] for t in sorted(cells)])]
    for reason, (number, where) in causes.items():
        targets = sorted({t for t, _ in where})
        out.append(Para(f"[{number}] {', '.join(sorted({d for _, d in where}))}, {counted(len(targets), 'target')} "
                        f"({', '.join(targets)}): {reason}"))
    return out
