""""Which resume recipe should I use?": the recipe x target table, made from a report's results.

    python -m conformance.reports recipes REPORT.json [--md OUT.md]

A cell says what the recipe does to the target's runs: `safe` (the resumed
run is the uninterrupted one, bit for bit), `drifts` (the last bits differ;
the largest relative error seen), `wrong` (the first divergent optimizer
step and field), `raises`, or `·` when the recipe doesn't apply. A recipe
whose resumed run used exactly the right lrs and momenta, and whose only
fault is a stale `get_last_lr()` from `load_state_dict()` to the next
`step()`, reads `safe lrs, stale get_last_lr() after load`: not unsafe,
but a (lesser) problem the report lists.
"""

from __future__ import annotations

from conformance.model import results
from conformance.reports.tables import STALE_CELL, result_of, stale_recipe

COLUMNS = [  # (recipe, heading)
    ("canonical", "canonical"),
    ("last_epoch", "`last_epoch`"),
    ("fast_forward", "fast-forward"),
    ("reset_lr_last_epoch", "reset lr, then `last_epoch`"),
    ("epoch_argument", "`step(epoch)` throughout"),
    ("epoch_fast_forward", "one `step(k)`, then `step()`"),
]
DOCS = ("`step(epoch)` is deprecated by torch's own docs: "
        "<https://docs.pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate>.")


def cell(result, stale: bool = False) -> str:
    if result is None:
        return "·"
    if stale:  # only get_last_lr() was wrong, and only until the next step()
        return STALE_CELL
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


def table(report: dict) -> str:
    """The Markdown table, one row per target that has recipe results."""
    found: dict = {}
    stale: set = set()
    for record in report.get("records", []):
        for name, data in (record.get("recipes") or {}).items():
            found.setdefault(record.get("target") or "-", {})[name] = result_of(results.RECIPES, data)
            if stale_recipe(record, name):
                stale.add((record.get("target") or "-", name))
    env = report.get("environment", {})
    lines = [f"From `{report.get('hypothesis', {}).get('profile')}` run of torch {env.get('torch')}, "
             f"suite {report.get('suite', {}).get('version')} ({(report.get('suite', {}).get('git_sha') or '?')[:10]}).",
             "",
             "| scheduler | " + " | ".join(h for _, h in COLUMNS) + " |",
             "|---|" + "---|" * len(COLUMNS)]
    for target in sorted(found):
        lines.append(f"| {target} | " + " | ".join(cell(found[target].get(name), (target, name) in stale)
                                                    for name, _ in COLUMNS) + " |")
    lines += ["", DOCS]
    return "\n".join(lines) + "\n"
