"""Bad `--target` input for the self-tests: each must give one clear message naming it."""

NOT_A_SCHEDULER = 42


def raising_factory(optimizer):
    """A factory that raises."""
    raise RuntimeError("this factory needs a config")


def returns_optimizer(optimizer):
    """A factory that returns the optimizer, not a scheduler."""
    return optimizer


def hanging_factory(optimizer):
    """A factory that never returns."""
    while True:
        pass


EMPTY = []
