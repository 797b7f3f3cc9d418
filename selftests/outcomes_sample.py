"""One test per outcome, run by selftests/test_runner.py through run_suite (not collected on its own)."""

import pytest


@pytest.fixture
def broken_fixture():
    raise RuntimeError("fixture breaks")


def test_passes():
    pass


def test_fails():
    assert False, "fails on purpose"


def test_skips():
    pytest.skip("skips on purpose")


@pytest.mark.xfail(reason="fails as expected")
def test_xfails():
    assert False


@pytest.mark.xfail(reason="expected to fail, passes", strict=False)
def test_xpasses():
    pass


@pytest.mark.xfail(reason="strictly expected to fail, passes", strict=True)
def test_xpasses_strictly():
    pass


def test_errors(broken_fixture):
    pass
