"""Self-tests of the suite. `shared_dir` is one folder for all xdist workers, where
subprocess runs are cached (see selftests/runner.py)."""

import pytest


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory, worker_id):
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base
