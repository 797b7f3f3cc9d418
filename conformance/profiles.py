"""Hypothesis profiles: `dev` (fast, the default), `ci` (derandomized, no deadline), `thorough`.

Select one with `--hypothesis-profile NAME`.
"""

from hypothesis import HealthCheck, Phase, settings

# Examples are whole training runs; generation is cheap next to them. The
# `explain` phase is left out: it re-runs failing examples many times over
# (and imports libcst), while the verdict already says what diverged.
_common = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
    phases=[p for p in Phase if p is not Phase.explain],
)

settings.register_profile("dev", max_examples=8, **_common)
settings.register_profile("ci", max_examples=15, derandomize=True, database=None, **_common)
settings.register_profile("thorough", max_examples=300, **_common)
settings.load_profile("dev")
