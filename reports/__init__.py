"""Reports of a conformance run: what ran, what failed, how to reproduce it, what changed.

- `conformance.reports.plugin`: pytest hooks that collect one record per target x check and
  write `report.json`, `report.md`, `report.html` and reproducers (`--report-dir`);
- `conformance.reports.problems`: failures that share a root cause (the same error, or the same
  first divergence) grouped into one problem per target; the pages lead with one row per target:
  its verdict, how many distinct problems, what to fix first;
- `python -m conformance.reports merge A.json B.json -o OUT`: combine CI shards;
- `python -m conformance.reports compare OLD.json NEW.json [--md OUT.md]`: what changed; exits 1
  when anything regressed.
"""

from conformance.reports.model import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION"]
