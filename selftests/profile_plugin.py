"""The `ci-detect` Hypothesis profile for the self-tests' subprocess runs.

It is the `ci` profile without the shrink phase: the same derandomized
examples, so the same first failing example is found, but the self-tests
only need to see a broken scheduler reported, not its minimal example.
Set LRC_SELFTEST_SHRINK=1 to run the plain `ci` profile instead.
"""

from hypothesis import Phase, settings

import conformance.checks.budget  # noqa: F401 - registers `ci`

settings.register_profile(
    "ci-detect", settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
