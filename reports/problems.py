"""Root causes: the failing records of a target grouped into problems.

One bug usually breaks many checks. A scheduler whose `state_dict` holds a numpy
scalar fails every check that takes a checkpoint with the same
`UnpicklingError`; a scheduler that forgets a counter diverges at the same step
in every resume check. The report counts such a bug once, as a *problem* that
lists the checks it breaks, so a maintainer reads "2 problems", not "57 failures".

Records are grouped per target by a key made of the record's fields (never parsed out of its
message), first match wins:

1. **load**: the target did not load (`test_target_loads`): the load error's first line,
   from the report's `broken_targets` (the problem shows it and its "what to fix" line);
2. **stale_report** (a lesser problem, listed after the others): only the reported lr
   (`get_last_lr()`) is wrong, from `load_state_dict()` to the next `step()`, while every lr
   and momentum the optimizer used is exact; one such problem per target;
3. **warning on resume**: every value exact, but a scheduler call warned more often in the
   resumed run than in the uninterrupted one (`failure.details.warning`: grouped on category and phase);
4. **divergence**: the record's `failure.divergence`, grouped by *mechanism* (status, field
   and how the divergence behaves over the resumed run: a restart, a lag of d steps, a constant
   factor ..., see `mechanisms.py`), read from the failure's trajectories. The individual
   divergences are the problem's `examples`, its reproducer's first. Without trajectories, or
   with one diverging step that no pattern explains, the key is the first divergence's values
   (step, param group, field, expected and actual, numbers to 8 significant digits, dtypes kept);
5. **error**: the exception's type and the phase that raised it (`failure.details.exception`); the
   title is the type and the first line of the exception's own text;
6. **message**: the verdict's own first line (`failure.summary`).
   A record of an older suite lacks these two fields: its errors group on type and phase, titled
   by the type, and its other failures on their verdict.

Failing records (fail, error, nondeterministic) make `problems`; known failures
(xfail) make `known_problems`, where records that carry the same registered
reason are also one problem (the reason is a person's statement of the root
cause). `annotate` writes both into each `report["targets"]` entry, with the
target's verdict: ok, failing, or known failures only.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Optional

from conformance.harness.observation import merged
from conformance.reports import mechanisms, model
from conformance.reports.model import BAD, SKIP, XFAIL, XPASS, show

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


def _first_line(text) -> str:
    return str(text or "").strip().split("\n", 1)[0].strip()


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
    """The load error of a target that did not load: the report's `broken_targets` entry, put on the record by
    `by_target`."""
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
        name, text = raised.get("type"), _first_line(raised.get("text"))
        short = text.split(". ")[0].rstrip(".") + " …" if len(text) > 120 and ". " in text else text
        return "error", f"error|{name}|{raised.get('phase')}", f"{name}: {short}" if short else name
    signature = failure.get("signature") or {}
    if signature.get("raised") not in (None, "", "timeout"):  # a record of an older suite
        return "error", f"error|{signature['raised']}|{signature.get('phase')}", signature["raised"]
    line = failure.get("summary") or f"{record.get('verdict')} (a record of an older suite: no summary line)"
    return "message", "message|" + line, line


# --------------------------------------------------------------------------- grouping


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
        "kind": kind,
        "key": key,
        "title": title,
        "checks": checks,
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
    examples = _examples([example] + [r for r in records if r is not example])
    if examples:
        out["examples"] = examples
    if kind == LOAD:
        fix = [ln.strip() for ln in (load_error(example) or "").splitlines() if ln.strip().startswith("what to fix:")]
        if fix:
            out["fix"] = fix[0].removeprefix("what to fix:").strip()
    if known:
        out["reasons"] = sorted({r.get("reason") or "" for r in records} - {""})
        out["observed"] = [title]
    return out


def _examples(records: list[dict]) -> list[dict]:
    """Each record's first divergence (the values one mechanism showed), the example's first."""
    out = []
    for r in records:
        d = (r.get("failure") or {}).get("divergence")
        if isinstance(d, dict) and "step" in d:
            out.append({"id": record_id(r), "check": model.record_key(r)[1],
                        **{k: d.get(k) for k in ("step", "group", "field", "expected", "actual")},
                        "reproducer": (r.get("failure") or {}).get("reproducer")})
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
    """The problems behind `records` (one target's), most checks first.

    With `known` (xfail records), the registered reason is a person's statement of the root cause:
    records with different reasons stay apart, and problems whose records share one are merged
    (`observed` keeps each way it showed).
    """
    by_key: dict[str, tuple] = {}
    for r in records:
        kind, key, title = key_of(r)
        # two registered causes stay two, even when they show alike
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
            into = []
            clusters.append(into)
        into.append(p)
        for reason in p["reasons"]:
            owner.setdefault(reason, into)
    out = []
    for cluster in clusters:
        head = cluster[0]
        if len(cluster) == 1:
            out.append(head)
            continue
        records = [r for p in cluster for r in source[id(p)][3]]
        merged = _problem(head["kind"], head["key"], source[id(head)][2], records, known=True)
        merged["observed"] = [p["title"] for p in cluster]
        out.append(merged)
    return out


def annotate_warnings(targets: list[dict], records: list[dict]) -> None:
    """Give each target entry that emitted warnings its `warnings`, from `records` (also a merge's, of several
    shards): the count, and each kind with its first message."""
    for entry in targets:
        if not isinstance(entry, dict):
            continue
        summaries = [r["warnings"] for r in records if r.get("target") == entry["name"] and r.get("warnings")]
        entry.pop("warnings", None)
        if summaries:
            entry["warnings"] = merged(summaries)


def verdict_of(bad: int, xfails: int) -> str:
    return FAILING if bad else (KNOWN_ONLY if xfails else OK)


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
        for i, p in enumerate(problems, 1):
            p["id"] = f"P{i}"
        for i, p in enumerate(known, 1):
            p["id"] = f"K{i}"
        known_keys = {k["key"]: k["id"] for k in known}
        for p in problems:
            if p["key"] in known_keys:
                p["also_known_as"] = known_keys[p["key"]]
        counts = Counter(r["verdict"] for r in mine)
        out.append({
            "name": name,
            "source": sources.get(name),
            "verdict": verdict_of(len(bad), len(xfails)),
            "counts": {v: counts[v] for v in model.VERDICTS if counts.get(v)},
            "checks": sorted({model.record_key(r)[1] for r in mine if r["verdict"] != SKIP}),
            "failing_checks": sorted({model.record_key(r)[1] for r in bad}),
            "unexpected_passes": counts.get(XPASS, 0),
            "problems": problems,
            "known_problems": known,
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
        t = index.get(e["name"])
        if t is None:  # a target seen only in records (merged or hand-made reports)
            t = {"name": e["name"], "source": e["source"], "listed": False}
            targets.append(t)
            index[e["name"]] = t
        t.update(verdict=e["verdict"], problems=e["problems"], known_problems=e["known_problems"])
    report["targets"] = targets
    summary = report.setdefault("summary", model.summarize(report.get("records", [])))
    summary["problems"] = sum(len(e["problems"]) for e in entries)
    summary["known_problems"] = sum(len(e["known_problems"]) for e in entries)
    summary["failing_targets"] = sum(e["verdict"] == FAILING for e in entries)
    report["schema_version"] = model.SCHEMA_VERSION
    return report


def problem_label(problem: dict) -> str:
    """A known problem is named by its registered reason; any other by what was observed."""
    reasons = problem.get("reasons") or []
    return reasons[0] if len(reasons) == 1 else problem["title"]
