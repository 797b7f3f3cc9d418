"""Check that two report.json files hold the same records, field by field.

`python -m conformance.reports compare` matches records on (target, check) and
compares verdicts and the mismatch / recipe / placement outcomes. This goes
further: every field of every record (messages, shrunk cases, divergences,
both trajectories of each failure, the outcome tables), after removing what
differs between any two runs:

- `duration` and `worker` of each record;
- object addresses in reprs (`<function f at 0x7f...>`);
- the venv path in tracebacks (`/work/venvs/<name>/`, `--venv` to add others).

Run from this folder, stdlib only:

    python same_records.py torch-2.13.0/report.json torch-2.15.0/report.json

Prints each remaining difference; exits 1 if there is any, 0 if none.
"""

import argparse
import json
import re
import sys

IGNORED = {"duration", "worker"}
ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def normalize(text, venvs):
    text = ADDRESS.sub("", text)
    for v in venvs:
        text = text.replace(v, "<venv>")
    return re.sub(r"/work/venvs/[^/]+/", "<venv>/", text)


def walk(a, b, path, venvs, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in IGNORED:
                walk(a.get(k), b.get(k), path + [k], venvs, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, path + [i], venvs, out)
    elif isinstance(a, str) and isinstance(b, str):
        if normalize(a, venvs) != normalize(b, venvs):
            out.append((path, a, b))
    elif a != b:
        out.append((path, a, b))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--venv", action="append", default=[], help="another venv path to blank out")
    args = p.parse_args(argv)
    old, new = (json.load(open(path)) for path in (args.old, args.new))
    key = lambda r: (r.get("target"), r.get("check"), r.get("test"))  # noqa: E731
    a = {key(r): r for r in old["records"]}
    b = {key(r): r for r in new["records"]}
    diffs = []
    for k in sorted(set(a) | set(b), key=str):
        if k not in a or k not in b:
            diffs.append(([k], k in a, k in b))
            continue
        found = []
        walk(a[k], b[k], [], args.venv, found)
        diffs += [([k] + path, x, y) for path, x, y in found]
    for path, x, y in diffs:
        print(f"{path}:\n  old: {str(x)[:300]}\n  new: {str(y)[:300]}")
    print(f"{len(a)} / {len(b)} records; {len(diffs)} differences "
          f"(ignoring {', '.join(sorted(IGNORED))}, object addresses and venv paths)")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
