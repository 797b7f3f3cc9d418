"""What the suite observed of the targets besides verdicts (`conformance/harness/observation.py`), for the report:

- the warnings each target emitted while the suite ran it: per test in its
  record (`warnings`), per target in `targets` (merged), and a short section
  of report.md with the first message of each kind;
- the checks that could not tell right from wrong, because no trajectory they
  recorded ever changed the lr or momentum (`lr_never_changed` in a record).
"""

from __future__ import annotations

from conformance.harness.observation import counted


def _one_line(text: str) -> str:
    return str(text).replace("\n", " ").replace("`", "'")


def sections(report: dict) -> list[tuple[str, str, str, list[tuple[str, str, str]]]]:
    """(anchor, title, intro, items) of the observation sections, computed once for report.md and the HTML;
    an item is (text, code, rest): `code` is shown as code between the two texts. A text that starts with
    two spaces is an item under the one before."""
    out = []
    warned = [t for t in report.get("targets", []) if t.get("warnings")]
    if warned:
        items = []
        for t in warned:
            total = t["warnings"]
            items.append((f"{t['name']}: {counted(total['count'], 'warning')} of "
                          f"{counted(len(total['kinds']), 'kind')}", "", ""))
            items += [(f"  {k['count']:,} × {k['category']} at", k["where"], ": " + _one_line(k["first"]))
                      for k in total["kinds"]]
        out.append(("warnings", "Warnings the targets emitted",
                    "Counted while the suite ran each target, and kept out of the terminal; the first of each kind:",
                    items))
    blind = [r for r in report.get("records", []) if r.get("lr_never_changed")]
    if blind:
        out.append(("blind", "Checks that could not tell right from wrong", "",
                    [(f"{r.get('target')} ·", str(r.get("check")), f": {r['lr_never_changed']}") for r in blind]))
    return out


def markdown_lines(report: dict) -> list[str]:
    """The observation sections of report.md."""
    out = []
    for _, title, intro, items in sections(report):
        out += [f"## {title}", ""] + ([intro, ""] if intro else [])
        for text, code, rest in items:
            indent = "  " if text.startswith("  ") else ""
            out.append(f"{indent}- {text.strip()}" + (f" `{code}`" if code else "") + rest)
        out.append("")
    return out
