"""Per-test example budgets, as a fraction of the active Hypothesis profile's."""

from hypothesis import HealthCheck, Phase, settings


def scaled(factor: float) -> settings:
    """Settings with `factor` times the profile's max_examples (at least 1).

    Use as a decorator on costly checks, so `dev`, `ci` and `thorough` keep
    their proportions instead of being overridden by a fixed number.
    """
    return settings(max_examples=max(1, round(settings.default.max_examples * factor)))


def search_settings(max_examples: int) -> settings:
    """Settings for a pitfall search with `hypothesis.find`: generation only.

    The first counterexample is kept as found. Shrinking it re-generates the
    case hundreds of times (Hypothesis bounds shrinks, not their cost), which
    cost more than all the searches' own runs; generation already starts from
    the simplest cases, so the one found is usually small.
    """
    return settings(
        settings.default, max_examples=max_examples, database=None,
        phases=[p for p in settings.default.phases if p is not Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
