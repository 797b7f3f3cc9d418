"""`ci-seeded`: the `ci` profile with a pinned seed instead of per-test derandomization.

Used to compare two versions of the suite on the very same examples:
`-p seeded_profile --hypothesis-profile ci-seeded --hypothesis-seed N`.
"""
from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "ci-seeded", max_examples=15, derandomize=False, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow], print_blob=True,
    phases=[p for p in Phase if p is not Phase.explain],
)
