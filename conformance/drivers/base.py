"""What a driver is: a framework's own training loop and its own checkpoint-and-resume API.

A driver trains the target on a tiny model with the case's optimizer setup
and config, inside the framework's loop. `train(target, case, options,
stop, save_to, load_from)` returns the records of the optimizer steps it
ran (the optimizer step pre-hook, as everywhere):
- `stop=k`: checkpoint the framework's way after k optimizer steps into
  `save_to` and end the run (the interruption);
- `load_from=DIR`: fresh objects (a fresh Trainer, Accelerator, Engine)
  resume the framework's documented way from DIR and run to the end.

`options(target)` draws the framework's own knobs (interval, accumulation,
save cadence, ...) and the stop point; `limitation(target, case, options)`
names a setup the framework documents it cannot resume (with the doc
link), which is then a result, not a failure. `expected(target, case,
options)` may replace the framework's uninterrupted run as the reference
for a setup where that run can't be the reference by design (a resume on
a different number of processes that changes the scheduler's pace): it
returns `(records, what they are)` or None. `mistakes` are deliberately
wrong variants of the driver (a checkpoint taken before the scheduler
steps, ...) that the self-tests prove the check catches.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Callable, Optional


@dataclass(frozen=True)
class Driver:
    name: str
    distribution: str  # the pip distribution whose version the report names
    docs: str  # the framework's checkpoint-and-resume documentation
    options: Callable  # target -> strategy of option dicts (including "stop")
    train: Callable  # (target, case, options, stop=None, save_to="", load_from="") -> records
    limitation: Callable = lambda target, case, options: None
    expected: Callable = lambda target, case, options: None  # -> (records, what they are) or None
    mistakes: dict = field(default_factory=dict)  # name -> what the wrong variant does
    mistake_options: dict = field(default_factory=dict)  # name -> example_options changed to show that mistake
    example_options: dict = field(default_factory=dict)  # one setup for the self-tests (stop within 9 steps)
    # What the loop imports on a fresh rank, as a restarted job imports it at its start: the fork server
    # imports these once (processes/preload.py), so no rank pays for them (Accelerate's `datasets`: ~0.5 s).
    rank_modules: tuple = ()

    def version(self) -> Optional[str]:
        try:
            return metadata.version(self.distribution)
        except metadata.PackageNotFoundError:
            return None

    def missing(self) -> Optional[str]:
        """Why this driver can't run here, or None."""
        if self.version() is None:
            return (f"driver {self.name} needs {self.distribution}, which is not installed: "
                    f"pip install {self.distribution} (the lock pins it)")
        return None

    def wrong(self, mistake: str) -> "Driver":
        """This driver making one of its `mistakes` (for the self-tests: the check must catch it)."""
        if mistake not in self.mistakes:
            raise ValueError(f"driver {self.name} has no mistake {mistake!r}: {sorted(self.mistakes)}")
        return replace(self, name=f"{self.name}[{mistake}]", train=functools.partial(self.train, mistake=mistake))
