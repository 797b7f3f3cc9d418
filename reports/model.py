"""The report model: one envelope, one record per target x check, in strict JSON (no NaN literals).

Values keep their identity: a float is a number or "nan" / "inf" / "-inf"; a tensor scalar is
``{"tensor": number, "dtype": "torch.float32", "device": "cpu"}``; an absent value is ``null``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from typing import Any, Iterable, Optional

from conformance.plugin.record import jsonable  # noqa: F401 - the report's values, made where the test ran

# Changes when a field changes meaning; compare and merge refuse another major version. 1.1: typed family
# results; 1.2: targets[] carry verdict and problems (worked out again for older reports); 1.3: a failure's
# raise as data (`details.exception`) and its verdict's first line (`summary`), which problems group on.
SCHEMA_VERSION = "1.3"

PASS, FAIL, ERROR, NONDETERMINISTIC = "pass", "fail", "error", "nondeterministic"
XFAIL, XPASS, SKIP = "xfail", "xpass", "skip"
VERDICTS = (PASS, FAIL, ERROR, NONDETERMINISTIC, XFAIL, XPASS, SKIP)
BAD = frozenset({FAIL, ERROR, NONDETERMINISTIC})  # a verdict that makes the run red
HAS_CASE = frozenset({FAIL, ERROR, NONDETERMINISTIC, XFAIL})  # may carry a shrunk case


def number(x: Any) -> Optional[float]:
    """The plain number inside a JSON value (for plots and relative errors)."""
    if isinstance(x, dict) and "tensor" in x:
        x = x["tensor"]
    return float(x) if isinstance(x, (int, float)) or x in ("nan", "inf", "-inf") else None


def show(x: Any) -> str:
    """A JSON value as a reader would write it: `0.1`, `tensor(0.1, dtype=torch.float64)`."""
    if isinstance(x, dict) and "tensor" in x:
        device = "" if x.get("device") in (None, "cpu") else f", device={x['device']}"
        return f"tensor({show(x['tensor'])}, dtype={x.get('dtype')}{device})"
    if x in ("nan", "inf", "-inf"):
        return f"float('{x}')"
    if x is None:
        return "None"
    return repr(x) if not isinstance(x, str) else x


def record_key(record: dict) -> tuple[str, str]:
    """What `compare` and `merge` match records on: target and check (test id as fallback)."""
    return (record.get("target") or "-", record.get("check") or record.get("test") or record.get("id") or "-")


def summarize(records: Iterable[dict]) -> dict:
    records = list(records)
    counts = Counter(r["verdict"] for r in records)
    per_target: dict[str, Counter] = {}
    for r in records:
        per_target.setdefault(r.get("target") or "-", Counter())[r["verdict"]] += 1
    return {
        "total": len(records),
        "verdicts": {v: counts.get(v, 0) for v in VERDICTS},
        "bad": sum(counts.get(v, 0) for v in BAD),
        "ok": not any(counts.get(v, 0) for v in BAD),
        "targets": {t: dict(c) for t, c in sorted(per_target.items())},
    }


def sort_records(records: Iterable[dict]) -> list[dict]:
    return sorted(records, key=lambda r: (record_key(r), r.get("id") or ""))


def targets_of(report: dict) -> list[str]:
    names = [t["name"] if isinstance(t, dict) else t for t in report.get("targets", [])]
    for r in report.get("records", []):
        if r.get("target") and r["target"] not in names:
            names.append(r["target"])
    return names


class ReportError(Exception):
    """A report file that cannot be used; the message says which and why."""


def load(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    except FileNotFoundError as exc:
        raise ReportError(f"{path}: no such report file") from exc
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not a JSON report ({exc})") from exc
    if not isinstance(report, dict) or "schema_version" not in report or "records" not in report:
        raise ReportError(f"{path}: not a conformance report (no schema_version / records)")
    major = str(report["schema_version"]).split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise ReportError(f"{path}: report schema {report['schema_version']} cannot be read by this version "
                          f"(schema {SCHEMA_VERSION}); regenerate it or use the matching suite version")
    return report


def write_atomic(path: str, text: str) -> None:
    """Write `text` to `path` so a reader never sees a half-written file."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def dumps(report: dict) -> str:
    return json.dumps(report, indent=1, sort_keys=False, allow_nan=False) + "\n"
