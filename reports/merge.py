"""`python -m conformance.reports merge A.json B.json ... -o OUT`: one report from CI shards.

A test reported by several shards keeps the worst verdict and notes the others. The merge is complete only
when every shard was, and pytest-split shards (`--splits N --group I`, read off the recorded command) form
groups 1..N of one N and one algorithm; differing environments or Hypothesis settings are `merge_warnings`.
`exitstatus` is a single run's: an internal/usage/interrupt code, else 1, else 0 (5 only when every shard got
no tests). Reproducers are regenerated from the records, so the merged report stands alone.
"""

from __future__ import annotations

import copy
from typing import Optional

from conformance.reports import model, problems

WORST = ("error", "fail", "nondeterministic", "xpass", "xfail", "skip", "pass")
SPLIT_OPTIONS = ("--splits", "--group")  # pytest-split's; the value may follow or come after '='
SPLIT_ONLY = ("--splits", "--group", "--splitting-algorithm", "--durations-path", "--store-durations",
              "--clean-durations")
DEFAULT_ALGORITHM = "duration_based_chunks"  # pytest-split's, when --splitting-algorithm is not given
NO_TESTS = 5  # pytest.ExitCode.NO_TESTS_COLLECTED


def option_value(command: list, name: str) -> Optional[str]:
    """The value of `--name V` or `--name=V` in a recorded pytest command, the last one given."""
    found = None
    for i, arg in enumerate(command or []):
        if arg == name and i + 1 < len(command):
            found = command[i + 1]
        elif isinstance(arg, str) and arg.startswith(name + "="):
            found = arg[len(name) + 1:]
    return found


def split_of(report: dict) -> Optional[tuple[int, int]]:
    """(splits, group) of a pytest-split shard, from its recorded command; None if it was no shard."""
    splits, group = (option_value(report.get("command") or [], o) for o in SPLIT_OPTIONS)
    try:
        return (int(splits), int(group)) if splits is not None and group is not None else None
    except ValueError:
        return None


def unsharded_command(command: list) -> list:
    """A shard's command without pytest-split's options: the run the shards make up together."""
    out, skip = [], False
    for arg in command or []:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0] if isinstance(arg, str) else arg
        if name in SPLIT_ONLY:
            skip = "=" not in arg and name not in ("--store-durations", "--clean-durations")
            continue
        out.append(arg)
    return out


def _splits_checked(reports: list[dict], sources: list[str]) -> tuple[list[str], list[str]]:
    """(reasons the merged run is incomplete, warnings) about the shards' pytest-split groups."""
    found = [(src, split_of(rep), rep) for src, rep in zip(sources, reports)]
    shards = [(src, sp) for src, sp, _ in found if sp is not None]
    if not shards:
        return [], []
    incomplete, warnings = [], []
    plain = [src for src, sp, _ in found if sp is None]
    if plain:
        warnings.append(f"merging pytest-split shards with reports that were no shard: {', '.join(plain)}")
    sizes = sorted({sp[0] for _, sp in shards})
    algorithms = sorted({option_value(rep.get("command") or [], "--splitting-algorithm") or DEFAULT_ALGORITHM
                         for _, sp, rep in found if sp is not None})
    for differ, what in ((len(sizes) > 1, f"of different splits (--splits {', '.join(map(str, sizes))})"),
                         (len(algorithms) > 1, f"split by different algorithms ({', '.join(algorithms)})")):
        if differ:
            incomplete.append(f"shards {what}: their groups don't partition one run, so tests may have run "
                              "twice or not at all")
            return incomplete, warnings
    n = sizes[0]
    groups: dict[int, list[str]] = {}
    for src, (_, group) in shards:
        groups.setdefault(group, []).append(src)
    missing = [g for g in range(1, n + 1) if g not in groups]
    if missing:
        incomplete.append(f"shard group{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} of "
                          f"{n} missing (--splits {n}): their tests never ran here")
    for group, srcs in sorted(groups.items()):
        if len(srcs) > 1:
            warnings.append(f"shard group {group}/{n} given {len(srcs)} times: {', '.join(srcs)}")
    return incomplete, warnings


def _exitstatus(reports: list[dict]) -> Optional[int]:
    codes = [rep.get("exitstatus") for rep in reports]
    if any(c is None for c in codes):
        return None
    severe = [c for c in codes if c not in (0, 1, NO_TESTS)]
    if severe:
        return max(severe)
    if 1 in codes:
        return 1
    return NO_TESTS if all(c == NO_TESTS for c in codes) else 0


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
            kept = by_id.setdefault(rid, r)
            if kept is not r:
                worse = r["verdict"] in WORST and kept["verdict"] in WORST \
                    and WORST.index(r["verdict"]) < WORST.index(kept["verdict"])
                if worse:  # the new record wins, noting the kept one
                    r.setdefault("notes", []).append(f"also reported by {kept.get('shard')} as {kept['verdict']}")
                    by_id[rid] = r
                else:
                    kept.setdefault("notes", []).append(f"also reported by {src} as {r['verdict']}")
    for field in ("torch", "python", "hypothesis", "platform"):
        values = {str((rep.get("environment") or {}).get(field)) for rep in reports}
        if len(values) > 1:
            warnings.append(f"shards differ in {field}: {', '.join(sorted(values))}")
    for field in ("profile", "seed", "derandomize", "max_examples"):
        values = {str(rep["hypothesis"].get(field)) for rep in reports if rep.get("hypothesis")}
        if len(values) > 1:
            warnings.append(f"shards differ in the Hypothesis {field}: {', '.join(sorted(values))}; "
                            "their examples are not one run's")
    split_missing, split_warnings = _splits_checked(reports, sources)
    warnings.extend(split_warnings)
    shas = {(rep.get("suite") or {}).get("git_sha") for rep in reports}
    if len(shas) > 1:
        warnings.append(f"shards ran different suite commits: {', '.join(sorted(str(s) for s in shas))}")
    unique: dict = {}
    for t in (t for rep in reports for t in rep.get("targets", [])):
        unique.setdefault(t["name"] if isinstance(t, dict) else t, t)
    targets = list(unique.values())
    broken = {b["name"]: b for rep in reports for b in rep.get("broken_targets", [])}
    not_run = sorted({n for rep in reports for n in rep.get("not_run", [])} - set(by_id))
    reasons = [f"{src}: {rep.get('incomplete_reason')}" for src, rep in zip(sources, reports)
               if not rep.get("complete")] + split_missing
    records = list(by_id.values())
    problems.annotate_warnings(targets, records)  # each target's warnings, over every shard
    starts = [rep.get("started_at") for rep in reports if rep.get("started_at")]
    ends = [rep.get("finished_at") for rep in reports if rep.get("finished_at")]
    complete = not reasons and not not_run
    base.update(
        targets=targets, broken_targets=list(broken.values()), started_at=min(starts) if starts else None,
        finished_at=max(ends) if ends and len(ends) == len(reports) else None,
        duration_s=max((rep.get("duration_s") or 0) for rep in reports),
        complete=complete, status="complete" if complete else "incomplete",
        incomplete_reason="; ".join(reasons) if reasons else (f"{len(not_run)} tests never ran" if not_run else None),
        not_run=not_run,
        shards=[{"source": src, "started_at": rep.get("started_at"), "complete": rep.get("complete"),
                 "records": len(rep.get("records", [])), "environment": rep.get("environment"),
                 "command": rep.get("command"), "exitstatus": rep.get("exitstatus"),
                 "split": list(split_of(rep)) if split_of(rep) else None} for src, rep in zip(sources, reports)],
        merge_warnings=warnings, summary=model.summarize(records), records=model.sort_records(records))
    if split_of(base):
        base["command"] = unsharded_command(base["command"])  # each shard's own is under `shards`
    if _exitstatus(reports) is not None:
        base["exitstatus"] = _exitstatus(reports)
    return base
