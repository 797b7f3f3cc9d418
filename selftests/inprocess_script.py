"""A generated script (a reproducer) run in this process, as `python SCRIPT` would run it, without a new interpreter.

`python repro.py` costs about 2 s of CPU, nearly all of it the interpreter's start and `import torch`; the
script's own work takes milliseconds. Where a self-test's point is what the script computes (its exit status
and output), not how it starts, it runs here: as `__main__` (runpy), from `cwd`, stdout and stderr captured,
SystemExit read as the exit status, and what a script changes in the process put back afterwards (sys.path,
sys.excepthook, torch's and `random`'s global RNGs, loggers' `disabled`, tempfile's directory; its atexit
callbacks run when it ends, as at an interpreter's exit).

What a run here cannot show, and the self-tests keep a real `python SCRIPT` for: that the script needs nothing
the suite's process has already imported, and its own excepthook (the reproducers' exits 2 by os._exit, which
here would end pytest; an exception escaping the script is given exit status 2 with its traceback instead).
A script that leaves a torch.distributed process group behind fails the run: a fresh interpreter has none.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import os
import random
import runpy
import subprocess
import sys
import tempfile
import traceback
import warnings


def run_script(path, cwd, tmp, env=None) -> subprocess.CompletedProcess:
    """Run the script at `path` as `__main__`; the CompletedProcess `python path` would give (args, returncode,
    stdout, stderr). `tmp`: the directory tempfile hands out (the TMPDIR a subprocess gets). Where this process
    has a torch.distributed process group (a fresh interpreter has none), it runs as a subprocess with `env`."""
    import torch
    import torch.distributed as dist

    path, cwd, tmp = str(path), str(cwd), str(tmp)
    if dist.is_available() and dist.is_initialized():
        return subprocess.run([sys.executable, path], cwd=cwd, env={**(env or os.environ), "TMPDIR": tmp},
                              capture_output=True, text=True, timeout=120)
    out, err, exits = io.StringIO(), io.StringIO(), []
    saved = (list(sys.path), sys.excepthook, os.getcwd(), tempfile.tempdir, torch.get_rng_state(),
             random.getstate(), {name: getattr(logger, "disabled", None)
                                 for name, logger in logging.root.manager.loggerDict.items()})
    register, unregister = atexit.register, atexit.unregister
    atexit.register = lambda fn, *a, **k: (exits.append((fn, a, k)), fn)[1]
    atexit.unregister = lambda fn: exits.__setitem__(slice(None), [e for e in exits if e[0] is not fn])
    try:
        os.chdir(cwd)
        tempfile.tempdir = tmp
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a warning only prints to stderr in a fresh interpreter
            try:
                runpy.run_path(path, run_name="__main__")
                code = 0
            except SystemExit as stop:  # as the interpreter reads sys.exit's argument
                code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
                if not isinstance(stop.code, (int, type(None))):
                    print(stop.code, file=sys.stderr)
            except KeyboardInterrupt:
                raise
            except BaseException:  # noqa: BLE001 - the script's excepthook would print it and exit 2
                traceback.print_exc()
                code = 2
            for fn, a, k in reversed(exits):  # as at the interpreter's exit: an error is printed, the status stays
                try:
                    fn(*a, **k)
                except Exception:  # noqa: BLE001
                    traceback.print_exc()
    finally:
        atexit.register, atexit.unregister = register, unregister
        sys.path[:], sys.excepthook = saved[0], saved[1]
        os.chdir(saved[2])
        tempfile.tempdir = saved[3]
        torch.set_rng_state(saved[4])
        random.setstate(saved[5])
        for name, logger in logging.root.manager.loggerDict.items():
            if hasattr(logger, "disabled"):
                logger.disabled = saved[6].get(name, False)
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
        raise AssertionError(f"{path} left a torch.distributed process group, which a fresh interpreter would not")
    return subprocess.CompletedProcess([sys.executable, path], code, out.getvalue(), err.getvalue())
