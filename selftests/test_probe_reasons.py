"""A target the probe cannot build skips the probe-dependent checks with the real reason, not a false one."""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.checks.table import BY_ID, missing_capability
from conformance.spec import TargetSpec

PROBED = ("consistency.closed_form", "recipe.epoch_argument", "recipe.epoch_fast_forward")


def _unbuildable(optimizer, config):
    return config["steps"] / config["zero"]  # ZeroDivisionError for every config, the simplest included


def _reasons(target) -> dict:
    return {check: missing_capability(BY_ID[check], target) for check in PROBED}


def test_a_build_error_is_the_skip_reason():
    target = TargetSpec("probe_reasons.unbuildable", _unbuildable,
                        configs=lambda groups: st.fixed_dictionaries({"steps": st.integers(1, 5), "zero": st.just(0)}))
    for check, why in _reasons(target).items():
        assert why and "could not be built for the probe" in why, (check, why)
        assert "ZeroDivisionError" in why and "'zero': 0" in why, (check, why)  # the error and the config
        assert "takes no epoch argument" not in why and "has no closed form" not in why, (check, why)


def test_a_broken_config_strategy_is_the_skip_reason():
    def configs(groups):
        return st.integers(0, 3).map(lambda n: {"n": 1 // (n - n)})  # raises while drawing

    target = TargetSpec("probe_reasons.broken_configs", lambda optimizer, config: None, configs=configs)
    for check, why in _reasons(target).items():
        assert why and "config strategy" in why and "ZeroDivisionError" in why, (check, why)
        assert "takes no epoch argument" not in why and "has no closed form" not in why, (check, why)
