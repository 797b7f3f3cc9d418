"""Third-party schedulers as targets: transformers, pytorch-optimizer, pytorch-warmup, torchtune.

Run one library with `--target conformance.targets.contrib.<module>:TARGETS`.
A library that is not installed yields one skipped `test_target_loads` with
the reason; one that is installed but fails to import yields one failing
`test_target_loads` naming the error (`library`); nothing is faked.
"""

from __future__ import annotations

import importlib
import importlib.util
import traceback
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import Optional

from conformance.targets.loading import BrokenTarget


def library(module: str, dist: str) -> tuple[Optional[ModuleType], list]:
    """(`module` imported, []), or (None, the stand-in `TARGETS`) when it cannot be.

    Only a package that is not installed skips: the library (pip name `dist`) or
    a dependency it imports. An installed library whose import raises anything
    else is an error naming the library and the exception.
    """
    top = module.partition(".")[0]
    if not _installed(top):
        return None, unavailable(dist, ModuleNotFoundError(f"No module named {top!r}", name=top), top)
    try:
        return importlib.import_module(module), []
    except Exception as exc:  # noqa: BLE001 - sorted below: a missing package skips, the rest is an error
        cause = _missing_module(exc)
        if cause is not None and not _installed(cause.name):
            dep = cause.name.partition(".")[0]
            return None, [BrokenTarget(f"contrib.{top}", (
                f"{dist} needs {dep!r}, which is not installed ({type(cause).__name__}: {cause}); install it with "
                f"`pip install {dep}` (or the package that provides it) to test its schedulers"), skip=True)]
        return None, [BrokenTarget(f"contrib.{top}", _broken(module, dist, exc))]


def _missing_module(exc: BaseException) -> Optional[ImportError]:
    """The ImportError naming the module whose absence raised `exc`, or None.

    A library may re-raise its own message from the ImportError of a missing
    dependency (torchtune does for torchao): the chain of causes says which.
    """
    while isinstance(exc, ImportError):
        if exc.name:
            return exc
        exc = exc.__cause__
    return None


def _installed(name: str) -> bool:
    """True when the top-level package of `name` can be found (without importing it)."""
    try:
        return importlib.util.find_spec(name.partition(".")[0]) is not None
    except (ImportError, ValueError):  # found, but odd: the import itself says what is wrong
        return True


def _broken(module: str, dist: str, exc: BaseException) -> str:
    try:
        where = importlib.util.find_spec(module.partition(".")[0]).origin
    except (ImportError, ValueError, AttributeError):
        where = "location unknown"
    release = library_version(dist)
    ours = (__file__, importlib.__file__)  # this helper's and importlib's frames are not the library's
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename not in ours and not f.filename.startswith("<frozen")]
    return (f"{dist}{'' if release == 'not installed' else ' ' + release} is installed ({where}), but importing "
            f"{module} raised {type(exc).__name__}: {exc}\n  what to fix: reinstall it (`pip install "
            f"--force-reinstall {dist}`) or install a version of {dist} that works with this torch and Python; "
            f"uninstall it to skip its targets\n  the library's traceback:\n"
            + "".join(traceback.format_list(frames) + traceback.format_exception_only(exc)))


def unavailable(package: str, exc: BaseException, name: Optional[str] = None) -> list:
    """The skipped stand-in `TARGETS` of a contrib module whose library is not installed."""
    return [BrokenTarget(
        f"contrib.{name or package}",
        f"{package} is not installed ({type(exc).__name__}: {exc}); install it with "
        f"`pip install {package}` to test its schedulers",
        skip=True,
    )]


def source(module: str, dist: str) -> str:
    """A contrib target's `TargetSpec.source`: the importable reference that holds it, then the library's version.

    e.g. 'conformance.targets.contrib.transformers:TARGETS (transformers 5.24.0)': other
    processes (`resume.fresh_process`, `distributed.*`) find the target by the reference;
    the pytest header and the reports show the whole string.
    """
    return f"{module}:TARGETS ({dist} {library_version(dist)})"


def library_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"
