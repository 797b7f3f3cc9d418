"""Hypothesis profiles, and each check's share of the active one.

Profiles, selected with `--hypothesis-profile NAME`: `dev` (fast, the
default), `ci` (derandomized, no deadline, no database: the same examples on
every run), `ci-seeded` (the `ci` budget from `--hypothesis-seed N`) and
`thorough` (bug hunting).

Every Hypothesis search of the suite runs `without_local_constants`: its
examples then depend on the test alone, not on the modules imported so far.

Every check has a budget factor in the CHECKS table. `check_settings` turns
it into settings under the profile in force (`dev`, `ci`, `thorough`), so the
profiles keep their proportions. Outside a suite profile (a user's own test
file that chose none) the `dev` profile is the parent: Hypothesis's own
default, with its 200 ms deadline, would make whole training runs flaky.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from hypothesis import HealthCheck, Phase, settings
from hypothesis.internal.conjecture import providers

# Examples are whole training runs; generation is cheap next to them. The
# `explain` phase is left out: it re-runs failing examples many times over
# (and imports libcst), while the verdict already says what diverged. A failure ends generation:
# Hypothesis would otherwise hunt for other bugs until 10 s of wall time after the first, so a
# loaded machine would run fewer examples (selftests/test_profiles_clock_free.py).
_COMMON = dict(
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
    phases=[p for p in Phase if p is not Phase.explain],
)
PROFILES = {
    "dev": dict(max_examples=8),
    "ci": dict(max_examples=15, derandomize=True, database=None),
    # The `ci` budget from one seed for every test: with `--hypothesis-seed N`, for
    # seed-robustness runs (benchmarks/seeds.py) and for comparing two suite versions.
    "ci-seeded": dict(max_examples=15, derandomize=False, database=None),
    "thorough": dict(max_examples=300),
}
DEFAULT_PROFILE = "dev"
for _name, _values in PROFILES.items():
    settings.register_profile(_name, **_values, **_COMMON)


def base_settings() -> settings:
    """The active profile, or `dev` while Hypothesis's own default is in force."""
    if settings.get_current_profile_name() == "default":
        return settings.get_profile(DEFAULT_PROFILE)
    return settings.default


def examples(factor: float) -> int:
    """`factor` times the profile's max_examples, at least 1."""
    return max(1, round(base_settings().max_examples * factor))


def check_settings(factor: float, known_failure: bool = False) -> settings:
    """Settings for one check on one target.

    A registered known failure is not shrunk: its example is on file, and
    shrinking a failure the run expects would spend most of the time budget
    on an xfail.
    """
    base = base_settings()
    chosen = settings(base, max_examples=examples(factor))
    if known_failure:
        chosen = settings(chosen, phases=[p for p in chosen.phases if p is not Phase.shrink])
    return chosen


def search_settings(max_examples: int) -> settings:
    """Settings for a pitfall search with `hypothesis.find`: generation only (see `checks.search`)."""
    return settings(
        base_settings(), max_examples=max_examples, database=None,
        phases=[p for p in base_settings().phases if p is not Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )


_NO_CONSTANTS = providers.Constants() if hasattr(providers, "Constants") else None


@contextmanager
def without_local_constants() -> Iterator[None]:
    """Hypothesis draws as if no local module were imported, while the suite's own test or search runs.

    Hypothesis sometimes draws a literal found in the *local* modules imported
    so far (not site-packages, not the stdlib, not test files). Which ones are
    imported and local depends on the plugins loaded (`-p no:lrc-report`),
    on what a worker's earlier tests imported, on the suite being a checkout or
    installed, and on every literal of every module: the same derandomized test
    drew other cases (selftests/test_draws_import_free.py). Without the pool,
    a test's examples depend on the test alone. Scoped to the suite's own
    searches, so the other Hypothesis tests of a session keep the pool.
    """
    saved = getattr(providers, "_get_local_constants", None)
    if saved is None or _NO_CONSTANTS is None:  # a Hypothesis without the pool
        yield
        return
    providers._get_local_constants = lambda: _NO_CONSTANTS
    providers.CONSTANTS_CACHE.cache.clear()  # it holds the pool's constants per kind of draw
    try:
        yield
    finally:
        providers._get_local_constants = saved
        providers.CONSTANTS_CACHE.cache.clear()  # the other tests draw from their own pool again
