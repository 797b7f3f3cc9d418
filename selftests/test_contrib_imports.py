"""A contrib library that is not installed is a skip; one that is installed and fails to import is an error.

Each contrib target module is loaded from its file against a fake library
(a package in a temporary folder, first on sys.path) or a blocked one
(None in sys.modules, as for a package that is not there).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

from conformance.checks.fresh_process import check_fresh_process
from conformance.model.case import Case, Plan
from conformance.model.optimizer import OptimizerSetup
from conformance.processes.fresh import find, reference, unreachable
from conformance.spec import TargetSpec
from conformance.targets import contrib
from conformance.targets.loading import BrokenTarget

# contrib module -> (the library's top-level package, its pip name)
LIBRARIES = {"transformers": ("transformers", "transformers"),
             "pytorch_optimizer": ("pytorch_optimizer", "pytorch-optimizer"),
             "pytorch_warmup": ("pytorch_warmup", "pytorch-warmup"),
             "torchtune": ("torchtune", "torchtune")}

# The fake library's __init__.py ({top}: its name) -> what its import raises
BROKEN = {
    "raise RuntimeError('boom at import')": "RuntimeError",
    "raise AttributeError('module torch has no attribute boom')": "AttributeError",
    "from json import no_such_name": "ImportError",  # a name missing inside an installed module
    "import {top}.no_such_part": "ModuleNotFoundError",  # a part of the installed library is missing
}


def _targets(module: str, monkeypatch, absent: bool = False) -> list:
    """TARGETS of contrib/<module>.py, executed afresh (the suite's own copy stays as it is)."""
    top = LIBRARIES[module][0]
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        monkeypatch.delitem(sys.modules, name)
    if absent:
        monkeypatch.setitem(sys.modules, top, None)  # what a package that is not there looks like to import
    path = Path(contrib.__file__).parent / f"{module}.py"
    spec = importlib.util.spec_from_file_location(f"_contrib_under_test_{module}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.TARGETS


def _fake_library(tmp_path, monkeypatch, top: str, source: str) -> None:
    (tmp_path / top).mkdir()
    (tmp_path / top / "__init__.py").write_text(source + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.mark.parametrize("module", LIBRARIES)
def test_not_installed_is_a_skip_naming_pip_install(module, monkeypatch):
    top, dist = LIBRARIES[module]
    (stand_in,) = _targets(module, monkeypatch, absent=True)
    assert isinstance(stand_in, BrokenTarget) and stand_in.skip, stand_in
    assert "pip install" in stand_in.problem and (dist in stand_in.problem or top in stand_in.problem), stand_in


@pytest.mark.parametrize("module", LIBRARIES)
def test_a_missing_dependency_is_a_skip_naming_it(module, tmp_path, monkeypatch):
    top, dist = LIBRARIES[module]
    _fake_library(tmp_path, monkeypatch, top, "import lrc_no_such_dependency_xyz")
    (stand_in,) = _targets(module, monkeypatch)
    assert isinstance(stand_in, BrokenTarget) and stand_in.skip, stand_in
    assert "lrc_no_such_dependency_xyz" in stand_in.problem and "pip install" in stand_in.problem, stand_in


@pytest.mark.parametrize("module", LIBRARIES)
def test_a_missing_dependency_behind_the_librarys_own_message_is_a_skip_naming_it(module, tmp_path, monkeypatch):
    """torchtune re-raises a missing torchao as its own ImportError ("torchao not installed"): still a skip."""
    top, dist = LIBRARIES[module]
    _fake_library(tmp_path, monkeypatch, top, "try:\n    import lrc_no_such_dependency_xyz\nexcept ImportError as e:\n"
                  "    raise ImportError('lrc_no_such_dependency_xyz not installed; see the install docs') from e")
    (stand_in,) = _targets(module, monkeypatch)
    assert isinstance(stand_in, BrokenTarget) and stand_in.skip, stand_in
    assert "needs 'lrc_no_such_dependency_xyz'" in stand_in.problem and "pip install" in stand_in.problem, stand_in


@pytest.mark.parametrize("source", BROKEN)
@pytest.mark.parametrize("module", LIBRARIES)
def test_installed_but_raising_is_an_error_naming_library_and_exception(module, source, tmp_path, monkeypatch):
    top, dist = LIBRARIES[module]
    _fake_library(tmp_path, monkeypatch, top, source.format(top=top))
    (stand_in,) = _targets(module, monkeypatch)
    assert isinstance(stand_in, BrokenTarget), stand_in
    assert not stand_in.skip, f"an installed library whose import raises was skipped: {stand_in.problem}"
    assert dist in stand_in.problem and BROKEN[source] in stand_in.problem, stand_in.problem
    assert "what to fix" in stand_in.problem, stand_in.problem


def test_the_real_libraries_load():
    """Installed and importable (the lock installs all four): real targets, no stand-in."""
    for module in LIBRARIES:
        targets = importlib.import_module(f"conformance.targets.contrib.{module}").TARGETS
        assert targets and not any(isinstance(t, BrokenTarget) for t in targets), (module, targets)


def _real_targets():
    for module, (top, dist) in LIBRARIES.items():
        for target in importlib.import_module(f"conformance.targets.contrib.{module}").TARGETS:
            yield module, dist, target


def test_every_contrib_target_is_reachable_from_other_processes():
    """resume.fresh_process and distributed.* run on contrib targets: their source is the importable
    'MODULE:ATTR' that holds them, which another process resolves to the same target by name. The
    library's version stays in the source, where the pytest header and the reports show it."""
    for module, dist, target in _real_targets():
        assert unreachable(target) is None, unreachable(target)
        assert unreachable(target, "the ranks (other processes)") is None, target
        ref = reference(target)
        assert ref == f"conformance.targets.contrib.{module}:TARGETS", (target, target.source)
        assert f"({dist} {contrib.library_version(dist)})" in target.source, target.source
        found, why = find(ref, target.name, target.capabilities)
        assert found is not None and found.name == target.name, (target, why)


def test_a_contrib_target_resumes_in_a_fresh_process():
    """The fresh child finds a contrib target by its source and resumes it there."""
    linear = {t.name: t for _, _, t in _real_targets()}["transformers.linear"]
    case = Case(OptimizerSetup("SGD", (0.1,)), {"num_warmup_steps": 2, "num_training_steps": 8}, Plan(9, (3,)))
    verdict = check_fresh_process(linear, case)
    assert verdict.ok, verdict


@pytest.mark.parametrize("source, says", [
    ("transformers 4.x", "is a label, not an importable 'MODULE:ATTR'"),
    ("", "has no TargetSpec.source"),
    ("lrc_no_such_module_xyz:TARGETS", "names the module 'lrc_no_such_module_xyz'"),
])
def test_an_unreachable_source_is_named_truly_with_what_to_set(source, says):
    """The skip reason of resume.fresh_process and distributed.* says why and what to set; a label is
    called a label (the target may well be defined in an importable module)."""
    reason = unreachable(TargetSpec("Mine", build=lambda optimizer, config: None, source=source))
    assert says in reason and "set TargetSpec.source to the importable 'MODULE:ATTR' that holds it" in reason, reason
    assert "is defined where" not in reason, reason
