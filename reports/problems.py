"""Root causes: the failing records of a target grouped into problems (one bug, many checks, one problem).

Records group per target on their fields, never their message text, first match wins: `load` (the target did
not load), `stale_report` (lesser: only get_last_lr() is wrong, until the next step()), `warning on resume`,
`divergence` (grouped by mechanism, see mechanisms.py, else by the first divergence's values), `error` (type
and phase), `message` (the verdict's first line). Xfail records make `known_problems`, where a shared
registered reason also merges problems. `annotate` writes both into each `report["targets"]` entry.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Optional

from conformance.harness.observation import merged
from conformance.reports import mechanisms, model
from conformance.reports.model import BAD, SKIP, XFAIL, XPASS

OK, FAILING, KNOWN_ONLY = "ok", "failing", "known failures only"
LOAD, STALE_REPORT, DIVERGENCE = "load", mechanisms.STALE_REPORT, "divergence"
WARNING = "warning on resume"  # exact values, and a scheduler warning the uninterrupted run didn't emit
LESSER = frozenset({STALE_REPORT})  # real problems, but the lrs used are right: listed after the others
LOAD_TEST = "test_target_loads"

DETAIL = "Unsupported global: GLOBAL "  # what the first line of a weights_only refusal leaves out


def _value(x) -> str:
    if isinstance(x, dict) and "tensor" in x:
        inner = x["tensor"]
        return f"{_value(inner)}:{x.get('dtype')}" + ("" if x.get("device") in (None, "cpu") else f"@{x['device']}")
    if isinstance(x, float):
        return format(x, ".8g")
    if isinstance(x, list):
        return "[" + ",".join(_value(v) for v in x) + "]"
    return repr(x)


def divergence_text(d: dict) -> str:
    """The first divergence as the verdict's own `Divergence.describe()` wrote it."""
    return d.get("describe") or f"first divergence at optimizer step {d.get('step')}, field '{d.get('field')}'"


def _details(record: dict) -> list[str]:
    """The global a weights_only load refused, from the exception's own text (its first line leaves it out)."""
    text = (((record.get("failure") or {}).get("details") or {}).get("exception") or {}).get("text") or ""
    start = text.find(DETAIL)
    return [DETAIL + text[start + len(DETAIL):].split()[0]] if start >= 0 and text[start + len(DETAIL):].split() else []


def _status(record: dict) -> str:
    """The verdict's own status (a known failure's is fail, error or nondeterministic too)."""
    status = ((record.get("failure") or {}).get("signature") or {}).get("status")
    return status or (record.get("verdict") if record.get("verdict") in BAD else model.FAIL)


def is_load_test(record: dict) -> bool:
    return record.get("test") == LOAD_TEST or f"::{LOAD_TEST}[" in (record.get("id") or "")


def load_error(record: dict) -> Optional[str]:
    """The `broken_targets` entry of a target that did not load, put on its load test's record by `by_target`."""
    return record.get("load_error") if is_load_test(record) else None


def _divergence_key(record: dict, d: dict) -> tuple[str, str, str]:
    failure = record.get("failure") or {}
    title = divergence_text(d)
    if mechanisms.stale_report(failure):
        return STALE_REPORT, f"{STALE_REPORT}|{_status(record)}", f"{mechanisms.STALE_REPORT_TITLE}: {title}"
    mechanism = mechanisms.mechanism_of(failure, _status(record))
    if mechanism is not None and mechanism.behaviour != mechanisms.SINGLE:
        return DIVERGENCE, "divergence|" + mechanism.key, title
    key = "|".join(str(x) for x in (d.get("step"), d.get("group"), d.get("field"),
                                    _value(d.get("expected")), _value(d.get("actual"))))
    return DIVERGENCE, "divergence|" + key + (f"|{mechanism.key}" if mechanism else ""), title


def key_of(record: dict) -> tuple[str, str, str]:
    """(kind, key, title) of a failing record: what it is grouped on, and the problem's one-line message."""
    failure = record.get("failure") or {}
    loading = load_error(record)
    if loading:
        first = loading.splitlines()[0].strip()
        return LOAD, "load|" + first, f"did not load: {first}"
    d = failure.get("divergence")
    if isinstance(d, dict) and "step" in d:
        return _divergence_key(record, d)
    heard = (failure.get("details") or {}).get("warning")
    if isinstance(heard, dict):
        what = f"{heard.get('category')} in {heard.get('phase')}()"
        return WARNING, f"warning|{what}", \
            f"the resumed run warns, the uninterrupted one doesn't: {what}: {heard.get('message')}"
    raised = (failure.get("details") or {}).get("exception")
    if isinstance(raised, dict):  # raises group on the exception type and phase
        name, text = raised.get("type"), str(raised.get("text") or "").strip().split("\n", 1)[0].strip()
        short = text.split(". ")[0].rstrip(".") + " …" if len(text) > 120 and ". " in text else text
        return "error", f"error|{name}|{raised.get('phase')}", f"{name}: {short}" if short else name
    signature = failure.get("signature") or {}
    if signature.get("raised") not in (None, "", "timeout"):  # a record of an older suite
        return "error", f"error|{signature['raised']}|{signature.get('phase')}", signature["raised"]
    line = failure.get("summary") or f"{record.get('verdict')} (a record of an older suite: no summary line)"
    return "message", "message|" + line, line


def record_id(record: dict) -> str:
    return record.get("id") or "::".join(model.record_key(record))


def _problem(kind: str, key: str, title: str, records: list[dict], known: bool) -> dict:
    records = sorted(records, key=lambda r: (model.record_key(r)[1], record_id(r)))
    checks = sorted({model.record_key(r)[1] for r in records})
    details: list[str] = []
    for r in records:
        for detail in _details(r):
            if detail not in details and detail not in title:
                details.append(detail)
    example = min(records, key=_example_rank)
    if kind in (DIVERGENCE, STALE_REPORT):  # the values the reproducer shows
        title = key_of(example)[2]
    if details:
        title = f"{title} {' · '.join(details)}"
    out = {
        "kind": kind, "key": key, "title": title, "checks": checks,
        "verdicts": dict(Counter(r["verdict"] for r in records)),
        "records": [{"id": record_id(r), "check": model.record_key(r)[1], "verdict": r["verdict"],
                     "reproducer": (r.get("failure") or {}).get("reproducer")} for r in records],
        "example": {"id": record_id(example), "check": model.record_key(example)[1],
                    "reproducer": (example.get("failure") or {}).get("reproducer")},
    }
    if kind in LESSER:
        out["lesser"] = True
    mechanism = mechanisms.mechanism_of(example.get("failure"), _status(example))
    if mechanism is not None and kind == DIVERGENCE:
        out["mechanism"] = mechanism.as_json()
    examples = [{"id": record_id(r), "check": model.record_key(r)[1],
                 **{k: d.get(k) for k in ("step", "group", "field", "expected", "actual")},
                 "reproducer": (r.get("failure") or {}).get("reproducer")}
                for r in [example] + [r for r in records if r is not example]
                for d in [(r.get("failure") or {}).get("divergence")] if isinstance(d, dict) and "step" in d]
    if examples:  # each record's first divergence, the example's first
        out["examples"] = examples
    if kind == LOAD:
        fix = [ln.strip() for ln in (load_error(example) or "").splitlines() if ln.strip().startswith("what to fix:")]
        if fix:
            out["fix"] = fix[0].removeprefix("what to fix:").strip()
    if known:
        out["reasons"] = sorted({r.get("reason") or "" for r in records} - {""})
        out["observed"] = [title]
    return out


#: the check that shows a problem most plainly, first: its reproducer is the problem's example
EXAMPLE_ORDER = ("serialization.weights_only", "resume.canonical", "resume.", "serialization.", "recipe.",
                 "placement.", "mismatch.")


def _example_rank(record: dict) -> tuple:
    check = model.record_key(record)[1]
    rank = next((i for i, p in enumerate(EXAMPLE_ORDER) if check == p or (p.endswith(".") and check.startswith(p))),
                len(EXAMPLE_ORDER))
    return (not (record.get("failure") or {}).get("reproducer"), rank, check)


def group(records: Iterable[dict], known: bool = False) -> list[dict]:
    """The problems behind `records` (one target's), most checks first. With `known` (xfail records), records
    of different registered reasons stay apart, and problems sharing one merge (`observed` keeps each title)."""
    by_key: dict[str, tuple] = {}
    for r in records:
        kind, key, title = key_of(r)
        cause = (key, r.get("reason") or "") if known else (key, "")
        by_key.setdefault(cause, (kind, key, title, []))[3].append(r)
    groups = list(by_key.values())
    problems = [_problem(kind, key, title, recs, known) for kind, key, title, recs in groups]
    if known:
        problems = _merge_by_reason(problems, groups)
    problems.sort(key=lambda p: (p["kind"] in LESSER, -len(p["checks"]), p["checks"][0] if p["checks"] else "",
                                 p["title"]))
    return problems


def _merge_by_reason(problems: list[dict], groups: list[tuple]) -> list[dict]:
    """`problems[i]` came from `groups[i]` (kind, key, title, records)."""
    source = {id(p): g for p, g in zip(problems, groups)}
    clusters: list[list[dict]] = []
    owner: dict[str, list] = {}
    for p in sorted(problems, key=lambda p: -len(p["records"])):  # the largest names the merged problem
        into = next((owner[reason] for reason in p["reasons"] if reason in owner), None)
        if into is None:
            clusters.append(into := [])
        into.append(p)
        for reason in p["reasons"]:
            owner.setdefault(reason, into)
    out = []
    for head, *rest in clusters:
        if rest:
            records = [r for p in [head] + rest for r in source[id(p)][3]]
            head = {**_problem(head["kind"], head["key"], source[id(head)][2], records, known=True),
                    "observed": [p["title"] for p in [head] + rest]}
        out.append(head)
    return out


def annotate_warnings(targets: list[dict], records: list[dict]) -> None:
    """Give each target entry that emitted warnings its `warnings` (count, each kind's first), from `records`."""
    for entry in (e for e in targets if isinstance(e, dict)):
        summaries = [r["warnings"] for r in records if r.get("target") == entry["name"] and r.get("warnings")]
        entry.pop("warnings", None)
        if summaries:
            entry["warnings"] = merged(summaries)


def by_target(report: dict) -> list[dict]:
    """One entry per target: name, source, verdict, counts, problems and known problems (numbered P1.., K1..)."""
    records = report.get("records", [])
    sources = {t["name"]: t.get("source") for t in report.get("targets", []) if isinstance(t, dict)}
    names = model.targets_of(report)
    if any(not r.get("target") for r in records):
        names.append("-")
    load_errors = {b.get("name"): b.get("problem") for b in report.get("broken_targets", []) if isinstance(b, dict)}
    out = []
    for name in names:
        mine = [r for r in records if (r.get("target") or "-") == name]
        if load_errors.get(name):  # its load test's problem says what failed, in the loader's words
            mine = [dict(r, load_error=load_errors[name]) if is_load_test(r) else r for r in mine]
        bad = [r for r in mine if r["verdict"] in BAD]
        xfails = [r for r in mine if r["verdict"] == XFAIL]
        problems, known = group(bad), group(xfails, known=True)
        for letter, found in (("P", problems), ("K", known)):
            for i, p in enumerate(found, 1):
                p["id"] = f"{letter}{i}"
        known_keys = {k["key"]: k["id"] for k in known}
        for p in problems:
            if p["key"] in known_keys:
                p["also_known_as"] = known_keys[p["key"]]
        counts = Counter(r["verdict"] for r in mine)
        out.append({
            "name": name, "source": sources.get(name),
            "verdict": FAILING if bad else (KNOWN_ONLY if xfails else OK),
            "counts": {v: counts[v] for v in model.VERDICTS if counts.get(v)},
            "checks": sorted({model.record_key(r)[1] for r in mine if r["verdict"] != SKIP}),
            "failing_checks": sorted({model.record_key(r)[1] for r in bad}),
            "unexpected_passes": counts.get(XPASS, 0),
            "problems": problems, "known_problems": known,
        })
    return out


def shared_causes(entries: list[dict]) -> list[tuple[str, list[str]]]:
    """Known-problem causes registered on several targets (a framework's own failure): (cause, targets)."""
    targets: dict[str, list[str]] = {}
    for e in entries:
        for p in e["known_problems"]:
            targets.setdefault(problem_label(p), []).append(e["name"])
    return [(cause, names) for cause, names in targets.items() if len(names) > 1]


def ordered(entries: list[dict]) -> list[dict]:
    """Failing targets first, then those with known failures only, then the clean ones; run order within."""
    rank = {FAILING: 0, KNOWN_ONLY: 1, OK: 2}
    return sorted(entries, key=lambda e: rank.get(e["verdict"], 3))


def annotate(report: dict) -> dict:
    """Write each target's verdict, problems and known problems into `report["targets"]` (schema 1.2)."""
    entries = by_target(report)
    targets = [t if isinstance(t, dict) else {"name": t} for t in report.get("targets", [])]
    index = {t["name"]: t for t in targets}
    for e in entries:
        if e["name"] not in index:  # a target seen only in records (merged or hand-made reports)
            targets.append(index.setdefault(e["name"], {"name": e["name"], "source": e["source"], "listed": False}))
        index[e["name"]].update(verdict=e["verdict"], problems=e["problems"], known_problems=e["known_problems"])
    report["targets"] = targets
    report.setdefault("summary", model.summarize(report.get("records", []))).update(
        problems=sum(len(e["problems"]) for e in entries),
        known_problems=sum(len(e["known_problems"]) for e in entries),
        failing_targets=sum(e["verdict"] == FAILING for e in entries))
    report["schema_version"] = model.SCHEMA_VERSION
    return report


def problem_label(problem: dict) -> str:
    """A known problem is named by its registered reason; any other by what was observed."""
    reasons = problem.get("reasons") or []
    return reasons[0] if len(reasons) == 1 else problem["title"]
