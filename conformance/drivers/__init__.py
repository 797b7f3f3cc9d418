"""Drivers: framework loops that train a target and resume it the framework's documented way.

One module per framework, each with one `Driver` record (`drivers/base.py`).
The `driver.<name>` check (`checks/frameworks.py`) runs every target through
each driver chosen with `--driver NAME`. Frameworks are imported only when
a driver runs, so the suite doesn't need them unless asked.
"""

from conformance.drivers import accelerate, ignite, lightning, transformers

DRIVERS = [lightning.DRIVER, accelerate.DRIVER, transformers.DRIVER, ignite.DRIVER]
BY_NAME = {d.name: d for d in DRIVERS}
NAMES = tuple(BY_NAME)


def rank_modules(drivers) -> list:
    """What the loops of `drivers` import on a fresh rank: the fork server's to import (`Driver.rank_modules`)."""
    return [module for driver in drivers for module in driver.rank_modules]
