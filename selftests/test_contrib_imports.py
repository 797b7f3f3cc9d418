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

from conformance.targets import contrib
from conformance.targets.loading import BrokenTarget

# contrib module -> (the library's top-level package, its pip name)
LIBRARIES = {"transformers": ("transformers", "transformers"),
             "pytorch_optimizer": ("pytorch_optimizer", "pytorch-optimizer"),
             "pytorch_warmup": ("pytorch_warmup", "pytorch-warmup")}

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
    """Installed and importable (the lock installs all three): real targets, no stand-in."""
    for module in LIBRARIES:
        targets = importlib.import_module(f"conformance.targets.contrib.{module}").TARGETS
        assert targets and not any(isinstance(t, BrokenTarget) for t in targets), (module, targets)
