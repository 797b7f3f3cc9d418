"""A broken scheduler as a full `TargetSpec` for selftests/test_shards.py.

`OffByOneOnLoad` (selftests/bestiary.py) as a plain class would have its configs
inferred by probes with a time budget in every process that loads it; under a
heavy load two shards could then draw from different ranges. Its own `configs`
make its examples depend on nothing but the seed.
"""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.spec import Capabilities, TargetSpec
from selftests.bestiary import OffByOneOnLoad

OFF_BY_ONE = TargetSpec(
    "OffByOneOnLoad",
    build=lambda optimizer, config: OffByOneOnLoad(optimizer, **config),
    configs=lambda groups: st.fixed_dictionaries({"every": st.integers(1, 5), "gamma": st.sampled_from([0.5, 0.1])}),
    capabilities=Capabilities(last_epoch_resume=True, accepts_last_epoch=True),
    boundaries=lambda config: [config["every"] * k for k in range(1, 6)],
    source="selftests.shard_targets:OFF_BY_ONE",
)
