"""A scheduler broken only across torch versions: only `resume.corpus` can catch it.

`VersionedKeys` names its state-dict keys after the running torch version
(`t@torch-2.13.0`) and its `load_state_dict` silently ignores keys it does not
know. Within one torch every check passes: the names always match, in this
process and in a fresh one. A checkpoint written under another torch loads
nothing, and the resumed run starts its schedule over.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from conformance.spec import TargetSpec
from selftests.controls import StepDecay


def _suffix() -> str:
    return "@torch-" + str(torch.__version__).split("+")[0]


class VersionedKeys(StepDecay):
    """Names its state keys after torch.__version__ and ignores unknown keys on load: breaks across an upgrade."""

    def state_dict(self):
        return {key + _suffix(): value for key, value in super().state_dict().items()}

    def load_state_dict(self, state):
        mine = {key[: -len(_suffix())]: value for key, value in state.items() if key.endswith(_suffix())}
        if not mine:
            return  # nothing under this torch's names: silently keep the fresh state
        super().load_state_dict(mine)


# A decay every 2 steps: every stored case shows a restarted schedule (drawn configs with a long
# `every` would not change the lr within the run, and the corpus would be no evidence).
VERSIONED = TargetSpec("VersionedKeys", lambda opt, c: VersionedKeys(opt, **c),
                       lambda groups: st.just({"every": 2, "gamma": 0.5}), hyperparameters=(),
                       source="selftests.corpus_bestiary:VERSIONED")
