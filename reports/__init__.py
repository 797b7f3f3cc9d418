"""Reports of a conformance run: what ran, what failed, how to reproduce it, what changed.

`plugin` collects one record per target x check and writes report.json/.md/.html and reproducers; `problems`
groups failures into root causes per target; `python -m conformance.reports merge|compare` combines CI shards
and tells what changed between two runs (exit 1 on a regression).
"""

from conformance.reports.model import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION"]
