"""The `ci-detect`, `ci-seeded-detect` and `ci-wiring` Hypothesis profiles for the self-tests' subprocess runs.

They are `ci` and `ci-seeded` without the shrink phase: the same examples, so
the same first failing example is found, but the self-tests only need to see
a broken scheduler reported, not its minimal example. Set
LRC_SELFTEST_SHRINK=1 to run the plain `ci` profile instead.

`ci-wiring` is `ci` with 4 examples a test instead of 15: for a run whose point is
the plugin's wiring (options, entry points, the report), not the search.
"""

from contextlib import contextmanager

from hypothesis import Phase, settings

import conformance.checks.budget  # noqa: F401 - registers `ci`

for _detect, _parent in (("ci-detect", "ci"), ("ci-seeded-detect", "ci-seeded")):
    settings.register_profile(
        _detect, settings.get_profile(_parent), phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    )
settings.register_profile("ci-wiring", settings.get_profile("ci"), max_examples=4)


@contextmanager
def profile(name: str, **changes):
    """Hypothesis profile `name` (with `changes`, registered as `name-selftest`) loaded for a block of an
    in-process self-test, and whatever profile was loaded before put back afterwards."""
    previous = settings.get_current_profile_name()
    if changes:
        settings.register_profile(f"{name}-selftest", settings.get_profile(name), **changes)
        name = f"{name}-selftest"
    settings.load_profile(name)
    try:
        yield
    finally:
        settings.load_profile(previous)
