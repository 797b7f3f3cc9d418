"""`python -m conformance.reports compare OLD.json NEW.json`: what changed between two runs.

Records match on (target, check). It *regressed* when a check fails that did not (a new failing test too), a
supported recipe is no longer safe, or the new run is incomplete; with `--strict`, also when a test vanished
or a mismatch / placement outcome changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.reports import markdown as md, model, tables as t
from conformance.reports.model import BAD, record_key
from conformance.reports.tables import divergence_line, result_of

FAMILIES = ("recipes", "mismatch", "placement")


@dataclass
class Comparison:
    old: dict
    new: dict
    new_failures: list = field(default_factory=list)  # (key, old verdict or None, new record)
    fixed: list = field(default_factory=list)  # (key, old verdict, new verdict)
    changed: list = field(default_factory=list)  # (key, old verdict, new verdict)
    results: list = field(default_factory=list)  # (target, family, name, old, new, regressed)
    vanished: list = field(default_factory=list)  # (key, old verdict)
    added: list = field(default_factory=list)  # (key, new verdict)
    warnings: list = field(default_factory=list)
    strict: bool = False

    @property
    def regressions(self) -> list[str]:
        out = [f"new failure: {k[0]} {k[1]} ({o or 'new test'} -> {r['verdict']})" for k, o, r in self.new_failures]
        out += [f"recipe no longer safe: {t} {n}" for t, f, n, o, nw, bad in self.results if bad]
        if not self.new.get("complete", True):
            out.append(f"the new run is incomplete: {self.new.get('incomplete_reason')}")
        if self.strict:
            out += [f"vanished: {k[0]} {k[1]}" for k, _ in self.vanished]
            out += [f"changed {f}: {t} {n}" for t, f, n, o, nw, bad in self.results if not bad]
        return out

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)

def _index(report: dict) -> dict:
    out: dict = {}
    for r in report.get("records", []):
        key = record_key(r)
        if key in out and out[key]["verdict"] not in BAD and r["verdict"] in BAD:
            out[key] = r  # several tests of one cell: the worst wins
        out.setdefault(key, r)
    return out


def _results(report: dict) -> dict:
    out = {}
    for r in report.get("records", []):
        for family in FAMILIES:
            for name, result in (r.get(family) or {}).items():
                out[(r.get("target") or "-", family, name)] = result
    return out


def compare(old: dict, new: dict, strict: bool = False) -> Comparison:
    c = Comparison(old, new, strict=strict)
    a, b = _index(old), _index(new)
    for key in sorted(set(a) | set(b)):
        ra, rb = a.get(key), b.get(key)
        if ra is None:
            c.added.append((key, rb["verdict"]))
            if rb["verdict"] in BAD:
                c.new_failures.append((key, None, rb))
            continue
        if rb is None:
            c.vanished.append((key, ra["verdict"]))
            continue
        va, vb = ra["verdict"], rb["verdict"]
        if vb in BAD and va not in BAD:
            c.new_failures.append((key, va, rb))
        elif va != vb:
            (c.fixed if va in BAD and vb in ("pass", "xpass") else c.changed).append((key, va, vb))
    ra, rb = _results(old), _results(new)
    for key in sorted(set(ra) | set(rb)):
        before, after = ra.get(key), rb.get(key)
        if before is None or after is None:
            continue  # the test itself is listed as vanished / new
        old_result, new_result = result_of(key[1], before), result_of(key[1], after)
        if old_result.describe() != new_result.describe():
            c.results.append((*key, old_result.describe(), new_result.describe(),
                              new_result.bad and not old_result.bad))
    for side, report in (("old", old), ("new", new)):
        if not report.get("complete", True):
            c.warnings.append(f"the {side} report is incomplete: {report.get('incomplete_reason')}")
    eo, en = old.get("environment", {}), new.get("environment", {})
    for k in ("torch", "python", "hypothesis", "platform"):
        if eo.get(k) != en.get(k):
            c.warnings.append(f"{k} differs: {eo.get(k)} -> {en.get(k)}")
    if (old.get("hypothesis") or {}).get("profile") != (new.get("hypothesis") or {}).get("profile"):
        c.warnings.append("the Hypothesis profiles differ; example budgets are not comparable")
    return c


def _label(report: dict, path: str) -> str:
    env, suite = report.get("environment", {}), report.get("suite", {})
    targets = ", ".join(model.targets_of(report)[:6])
    more = "" if len(model.targets_of(report)) <= 6 else f" … ({len(model.targets_of(report))} targets)"
    return (f"`{path}`: torch {env.get('torch')}, suite {suite.get('version')} "
            f"{(suite.get('git_sha') or '?')[:10]}, {report.get('started_at')}, targets {targets}{more}")


def markdown(c: Comparison, old_path: str = "OLD", new_path: str = "NEW") -> str:
    regressions = c.regressions
    blocks: list = [t.Heading(1, "Conformance comparison"),
                     t.Items([t.Item(f"before: {_label(c.old, old_path)}"), t.Item(f"after: {_label(c.new, new_path)}")]),
                     t.Para(t.Span(f"REGRESSED: {len(regressions)} regression(s)." if regressions else "No regressions.",
                                   bold=True))]
    blocks += [t.Items([t.Item(w) for w in c.warnings])] if c.warnings else []
    for title, header, rows in (
            ("New failures", ["target", "check", "before", "after", "first divergence / message"],
             [(k[0], t.code(k[1]), o or "(new test)", r["verdict"], divergence_line(r.get("failure") or {})
               or (r.get("message") or "").split("\n", 1)[0]) for k, o, r in c.new_failures]),
            ("Fixed", ["target", "check", "before", "after"], [(k[0], t.code(k[1]), o, n) for k, o, n in c.fixed]),
            ("Changed verdicts", ["target", "check", "before", "after"],
             [(k[0], t.code(k[1]), o, n) for k, o, n in c.changed]),
            ("Changed mismatch / recipe / placement outcomes", ["target", "family", "name", "before", "after", ""],
             [(tg, f, n, o, nw, t.Span("regressed", bold=True) if bad else "") for tg, f, n, o, nw, bad in c.results]),
            ("Vanished tests", ["target", "check", "last verdict"], [(k[0], t.code(k[1]), v) for k, v in c.vanished]),
            ("New tests", ["target", "check", "verdict"], [(k[0], t.code(k[1]), v) for k, v in c.added])):
        blocks.append(t.Heading(2, f"{title} ({len(rows)})"))
        blocks.append(t.Table(header, [[t.Cell(x if isinstance(x, t.Span) else str(x)) for x in row] for row in rows])
                      if rows else t.Para("None."))
    return md.render(blocks)


def text(c: Comparison) -> str:
    regressions = c.regressions
    out = ["REGRESSED" if regressions else "no regressions"] + [f"  {r}" for r in regressions]
    out += [f"warning: {w}" for w in c.warnings]
    for title, rows in (("fixed", [f"{k[0]} {k[1]}: {o} -> {n}" for k, o, n in c.fixed]),
                        ("changed", [f"{k[0]} {k[1]}: {o} -> {n}" for k, o, n in c.changed]),
                        ("changed outcomes", [f"{t} {f}.{n}: {o} -> {nw}" for t, f, n, o, nw, _ in c.results]),
                        ("vanished", [f"{k[0]} {k[1]} (was {v})" for k, v in c.vanished]),
                        ("new tests", [f"{k[0]} {k[1]}: {v}" for k, v in c.added])):
        if rows:
            out.append(f"{title} ({len(rows)}):")
            out += [f"  {r}" for r in rows]
    return "\n".join(out)
