"""The report's tables and lines, shared by the Markdown and HTML writers and `compare`."""

from __future__ import annotations

from conformance.model import results
from conformance.reports import mechanisms, model, problems
from conformance.reports.model import BAD, XFAIL, show

MARK = {
    "pass": "pass", "fail": "**FAIL**", "error": "**ERROR**", "nondeterministic": "**NONDET**",
    "xfail": "xfail", "xpass": "*xpass*", "skip": "skip",
}


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


#: a recipe whose resumed run used exact lrs, with only get_last_lr() stale from the load to the next step()
STALE_CELL = "safe lrs, stale get_last_lr() after load"
STALE_FLAG = "stale_report"  # set on a recipe result's JSON by `family_table` (not a field of the result)


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
    targets = sorted({t for t, _ in cells})
    names = sorted({n for _, n in cells})
    return targets, names, cells


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
        verdict = f"{_n(n_problems, 'problem')} ({s.get('bad', 0)} failing records) in {failing} of " \
                  f"{_n(len(entries), 'target')}"
    if n_known:
        causes = len({problems.problem_label(p) for e in entries for p in e["known_problems"]})
        shared = f", {_n(causes, 'cause')}" if causes < n_known else ""
        verdict += f" · {_n(n_known, 'known problem')} ({s['verdicts'].get('xfail', 0)} xfail records{shared})"
    return f"{verdict} · {s['total']} records ({', '.join(parts) or 'none'}) · run {state}"


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


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
    ] + ([f"framework drivers: {', '.join(f'{k} ({v})' for k, v in env['drivers'].items())}"]
         if env.get("drivers") else [])


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
