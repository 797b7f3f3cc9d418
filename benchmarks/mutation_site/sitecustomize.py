"""Applies the mutant named by LRC_MUTANT at interpreter start (benchmarks/mutation.py puts this folder on PYTHONPATH).

Runs in every interpreter the suite starts (xdist workers, the fork server and its children), so
every run of a check sees the same mutated torch.
"""

import os

if os.environ.get("LRC_MUTANT"):
    import importlib
    import inspect
    import sys
    import textwrap

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from mutants import MUTANTS

    def apply(mutant):
        module = importlib.import_module(mutant.module)
        owner_name, func_name = mutant.qualname.split(".")
        owner = getattr(module, owner_name)
        source = textwrap.dedent(inspect.getsource(owner.__dict__[func_name]))
        count = source.count(mutant.snippet)
        if count != 1:
            raise RuntimeError(f"mutant {mutant.name}: snippet found {count} times in {mutant.qualname}")
        source = source.replace(mutant.snippet, mutant.replacement)
        # a factory with a __class__ local, so zero-argument super() in the new function finds its class
        factory = "def _factory(__class__):\n" + textwrap.indent(source, "    ") + f"\n    return {func_name}\n"
        namespace = {}
        exec(compile(factory, f"<mutant {mutant.name}>", "exec"), module.__dict__, namespace)
        setattr(owner, func_name, namespace["_factory"](owner))

    apply(MUTANTS[os.environ["LRC_MUTANT"]])
    sys.path.pop(0)
