"""Command line: `python -m conformance.reports compare|merge|render`.

Also `recipes` and `drivers` (tables of a report). Exit status: 2 when a report cannot be read; `compare` 1
when anything regressed; `merge --check` 1 when the merged run is red or incomplete, as one run would be.
"""

from __future__ import annotations

import argparse
import os
import sys

from conformance.reports import compare as compare_mod
from conformance.reports import merge as merge_mod
from conformance.reports import markdown, model, tables, writers


def _out_location(out: str) -> tuple[str, str]:
    if out.endswith(".json"):
        directory = os.path.dirname(os.path.abspath(out))
        return directory, os.path.basename(out)[: -len(".json")]
    return os.path.abspath(out), "report"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.reports", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("compare", help="what changed from OLD to NEW; exit 1 on regressions")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--md", metavar="OUT.md", help="also write the comparison as Markdown")
    p.add_argument("--strict", action="store_true",
                   help="also count vanished tests and changed mismatch/placement outcomes as regressions")
    p = sub.add_parser("merge", help="combine the reports of CI shards")
    p.add_argument("reports", nargs="+")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="directory, or a .json path")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when the merged run has a failing verdict or is incomplete")
    p = sub.add_parser("render", help="rewrite .md/.html/reproducers from a report.json")
    p.add_argument("report")
    p.add_argument("-o", "--output", metavar="OUT", help="directory or .json path (default: in place)")
    for name, what in (("recipes", "the recipe x target table of a report"),
                       ("drivers", "the target x framework driver table of a report")):
        p = sub.add_parser(name, help=what)
        p.add_argument("report")
        p.add_argument("--md", metavar="OUT.md", help="also write it to a Markdown file")
    args = parser.parse_args(argv)

    try:
        if args.command == "compare":
            c = compare_mod.compare(model.load(args.old), model.load(args.new), strict=args.strict)
            print(compare_mod.text(c))
            if args.md:
                model.write_atomic(args.md, compare_mod.markdown(c, args.old, args.new))
                print(f"written: {args.md}")
            return 1 if c.regressed else 0
        if args.command == "merge":
            loaded = [model.load(path) for path in args.reports]
            merged = merge_mod.merge(loaded, args.reports)
            directory, stem = _out_location(args.output)
            writers.write_all(merged, directory, stem)
            s = merged["summary"]
            print(f"merged {len(loaded)} reports: {s['total']} records, {s['bad']} failing, "
                  f"{'complete' if merged['complete'] else 'INCOMPLETE'} -> {os.path.join(directory, stem)}.json")
            for w in merged.get("merge_warnings", []):
                print(f"warning: {w}")
            if not merged["complete"]:
                print(f"incomplete: {merged.get('incomplete_reason')}")
            return 1 if args.check and (s["bad"] or not merged["complete"]) else 0
        report = model.load(args.report)
        if args.command in ("recipes", "drivers"):
            text = markdown.render((tables.recipe_table if args.command == "recipes" else tables.driver_table)(report))
            print(text, end="")
            if args.md:
                model.write_atomic(args.md, text)
            return 0
        directory, stem = _out_location(args.output or args.report)
        writers.write_all(report, directory, stem)
        print(f"written: {os.path.join(directory, stem)}.{{json,md,html}}")
        return 0
    except model.ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
