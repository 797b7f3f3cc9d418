"""run_suite reads each test's exact outcome back: a non-strict xpass is not a pass."""

from __future__ import annotations

from selftests.runner import run_suite


def test_every_outcome_is_read_back_exactly(shared_dir):
    run = run_suite(shared_dir, "outcomes", ["selftests/outcomes_sample.py"])
    got = {name: status for name, (status, _) in run["tests"].items()}
    assert got == {"test_passes": "passed", "test_fails": "failed", "test_skips": "skipped",
                   "test_xfails": "xfailed", "test_xpasses": "xpassed", "test_xpasses_strictly": "failed",
                   "test_errors": "error"}, (got, run["output"][-3000:])
    messages = {name: message for name, (_, message) in run["tests"].items()}
    assert "fails on purpose" in messages["test_fails"] and "skips on purpose" in messages["test_skips"]
    assert "fails as expected" in messages["test_xfails"] and "expected to fail, passes" in messages["test_xpasses"]
    assert "XPASS(strict)" in messages["test_xpasses_strictly"] and "fixture breaks" in messages["test_errors"]
