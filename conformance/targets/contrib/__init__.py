"""Third-party schedulers as targets: transformers, pytorch-optimizer, pytorch-warmup.

Run one library with `--target conformance.targets.contrib.<module>:TARGETS`.
A library that is not installed yields one skipped `test_target_loads` with
the reason; nothing is faked.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from conformance.targets.loading import BrokenTarget


def unavailable(package: str, exc: BaseException) -> list:
    """The stand-in `TARGETS` of a contrib module whose library cannot be imported."""
    return [BrokenTarget(
        f"contrib.{package}",
        f"{package} is not importable ({type(exc).__name__}: {exc}); install it with "
        f"`pip install {package}` to test its schedulers",
        skip=True,
    )]


def library_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"
