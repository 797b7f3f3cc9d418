"""`python -m conformance.corpus write DIR [--target REF ...] [--per-target N]`.

Writes a corpus under the running torch (every built-in by default); commit
it, then resume it under another torch with `pytest --resume-corpus DIR`.
"""

from __future__ import annotations

import argparse
import sys

from conformance.corpus.store import MANIFEST
from conformance.corpus.write import PER_TARGET, write
from conformance.targets.selection import select


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.corpus",
                                     description="the cross-torch-version resume corpus")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="write a corpus under the running torch into DIR")
    w.add_argument("dir", metavar="DIR")
    w.add_argument("--target", action="append", default=[], metavar="REF",
                   help="as pytest's --target: 'torch' (all built-ins, the default), a built-in name, or MODULE:ATTR")
    w.add_argument("--per-target", type=int, default=PER_TARGET, metavar="N",
                   help=f"cases per target (default {PER_TARGET})")
    args = parser.parse_args(argv)
    good, broken = select(args.target or ["torch"])
    for b in broken:
        print(f"{b.name}: not written: {b.problem.splitlines()[0]}", file=sys.stderr)
    if not good:
        print("no target to write", file=sys.stderr)
        return 2
    corpus = write(args.dir, good, args.per_target)
    size = sum(p.stat().st_size for p in corpus.root.rglob("*") if p.is_file())
    print(f"wrote {len(corpus.entries)} entries for {len(corpus.targets())} targets under torch "
          f"{corpus.torch} into {corpus.root} ({size / 1024:.0f} KiB); see {corpus.root / MANIFEST}")
    return 0 if corpus.entries else 1


if __name__ == "__main__":
    sys.exit(main())
