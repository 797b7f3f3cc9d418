""""What does each framework do with each scheduler on resume?": the target x driver table of a report.

    python -m conformance.reports drivers REPORT.json [--md OUT.md]

A cell is the verdict of `driver.<name>` on that target, with the examples
it ran in brackets; a known failure is `xfail` with the number of its cause,
listed under the table with the targets it was registered on.
"""

from __future__ import annotations

PREFIX = "driver."


def table(report: dict) -> str:
    """The Markdown table, one row per target that ran a driver check, one column per driver."""
    cells: dict = {}
    causes: dict = {}  # reason -> (number, [(target, driver)])
    for record in report.get("records", []):
        check = record.get("check") or ""
        if not check.startswith(PREFIX):
            continue
        driver, verdict = check[len(PREFIX):], record.get("verdict", "?")
        text = f"{verdict} ({record.get('examples', '?')})"
        if verdict == "xfail":
            number, where = causes.setdefault(record.get("reason") or "?", (len(causes) + 1, []))
            where.append((record.get("target"), driver))
            text = f"xfail [{number}]"
        cells.setdefault(record.get("target") or "-", {})[driver] = text
    drivers = [d for d in (report.get("environment", {}).get("drivers") or {})
               if any(d in row for row in cells.values())]
    versions = report.get("environment", {}).get("drivers") or {}
    env = report.get("environment", {})
    lines = [f"From a `{report.get('hypothesis', {}).get('profile')}` run of torch {env.get('torch')}, suite "
             f"{report.get('suite', {}).get('version')} ({(report.get('suite', {}).get('git_sha') or '?')[:10]}): "
             + ", ".join(versions[d] for d in drivers) + ".",
             "",
             "| target | " + " | ".join(drivers) + " |",
             "|---|" + "---|" * len(drivers)]
    for target in sorted(cells):
        lines.append(f"| {target} | " + " | ".join(cells[target].get(d, "·") for d in drivers) + " |")
    lines.append("")
    for reason, (number, where) in causes.items():
        targets = sorted({t for t, _ in where})
        on = ", ".join(sorted({d for _, d in where}))
        lines.append(f"[{number}] {on}, {len(targets)} target{'s' if len(targets) > 1 else ''} "
                     f"({', '.join(targets)}): {reason}")
        lines.append("")
    return "\n".join(lines)
