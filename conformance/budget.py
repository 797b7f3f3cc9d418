"""Per-test example budgets, as a fraction of the active Hypothesis profile's."""

from hypothesis import settings


def scaled(factor: float) -> settings:
    """Settings with `factor` times the profile's max_examples (at least 1).

    Use as a decorator on costly checks, so `dev`, `ci` and `thorough` keep
    their proportions instead of being overridden by a fixed number.
    """
    return settings(max_examples=max(1, round(settings.default.max_examples * factor)))
