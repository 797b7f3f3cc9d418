"""`python -m conformance.reports merge A.json B.json ... -o OUT`: one report from CI shards.

Records are concatenated; a test id reported by several shards keeps the worst
verdict and notes the others. The merged run is complete only when every
shard was, and a test that some shard ran is no longer "not run". Shards
that ran on different torch / Python / Hypothesis versions are merged but
flagged in `merge_warnings`. Reproducers are regenerated into the output
directory from the records, so the merged report stands alone.
"""

from __future__ import annotations

import copy

from conformance.reports import model, observations

WORST = ("error", "fail", "nondeterministic", "xpass", "xfail", "skip", "pass")


def merge(reports: list[dict], sources: list[str] | None = None) -> dict:
    if not reports:
        raise model.ReportError("merge needs at least one report")
    sources = sources or [f"shard {i}" for i in range(len(reports))]
    base = copy.deepcopy(reports[0])
    by_id: dict = {}
    warnings: list[str] = []
    for src, rep in zip(sources, reports):
        for r in rep.get("records", []):
            rid = r.get("id") or "::".join(model.record_key(r))
            r = copy.deepcopy(r)
            r.setdefault("shard", src)
            if rid in by_id:
                kept = by_id[rid]
                worse = WORST.index(r["verdict"]) < WORST.index(kept["verdict"]) \
                    if r["verdict"] in WORST and kept["verdict"] in WORST else False
                note = f"also reported by {src if not worse else kept.get('shard')} as " \
                       f"{r['verdict'] if not worse else kept['verdict']}"
                if worse:
                    r.setdefault("notes", []).append(note)
                    by_id[rid] = r
                else:
                    kept.setdefault("notes", []).append(note)
            else:
                by_id[rid] = r
    for field in ("torch", "python", "hypothesis", "platform"):
        values = {str((rep.get("environment") or {}).get(field)) for rep in reports}
        if len(values) > 1:
            warnings.append(f"shards differ in {field}: {', '.join(sorted(values))}")
    shas = {(rep.get("suite") or {}).get("git_sha") for rep in reports}
    if len(shas) > 1:
        warnings.append(f"shards ran different suite commits: {', '.join(sorted(str(s) for s in shas))}")
    targets, seen = [], set()
    for rep in reports:
        for t in rep.get("targets", []):
            name = t["name"] if isinstance(t, dict) else t
            if name not in seen:
                seen.add(name)
                targets.append(t)
    broken = {b["name"]: b for rep in reports for b in rep.get("broken_targets", [])}
    ran = set(by_id)
    not_run = sorted({n for rep in reports for n in rep.get("not_run", [])} - ran)
    reasons = [f"{src}: {rep.get('incomplete_reason')}" for src, rep in zip(sources, reports)
               if not rep.get("complete")]
    records = list(by_id.values())
    observations.annotate_targets(targets, records)  # each target's warnings, over every shard
    starts = [rep.get("started_at") for rep in reports if rep.get("started_at")]
    ends = [rep.get("finished_at") for rep in reports if rep.get("finished_at")]
    base.update(
        targets=targets,
        broken_targets=list(broken.values()),
        started_at=min(starts) if starts else None,
        finished_at=max(ends) if ends and len(ends) == len(reports) else None,
        duration_s=max((rep.get("duration_s") or 0) for rep in reports),
        complete=not reasons and not not_run,
        status="complete" if not reasons and not not_run else "incomplete",
        incomplete_reason="; ".join(reasons) if reasons else (
            f"{len(not_run)} tests never ran" if not_run else None),
        not_run=not_run,
        shards=[{"source": src, "started_at": rep.get("started_at"), "complete": rep.get("complete"),
                 "records": len(rep.get("records", [])), "environment": rep.get("environment"),
                 "command": rep.get("command")} for src, rep in zip(sources, reports)],
        merge_warnings=warnings,
        summary=model.summarize(records),
        records=model.sort_records(records),
    )
    return base
