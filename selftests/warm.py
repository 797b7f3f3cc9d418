"""`python -m pytest ARGS` for the self-tests from a warm interpreter: `WARM.run(args, env, cwd, out, timeout)`.

A server (`python -m selftests.warm`) imports the costly part of every pytest
start of the suite, `PRELOAD`: torch, with torch.distributed.checkpoint and the
lazily loaded torch._dynamo (~1.8 s of the ~3 s). Then it forks one child per run;
the child takes the run's environment, working directory and output file, calls
`pytest.main(args)` and exits with its status. An import runs only module-level
code, the same in any new interpreter, and the server runs nothing else: a child
starts as a new interpreter would (`processes/fresh.py` argues the same for the
suite's own fork server). No module of a pytest plugin's distribution is
preloaded (the suite, Hypothesis, xdist, ...): pytest rewrites their asserts when
it imports them itself. selftests/test_warm.py compares a freshness-sensitive run
both ways. One server per self-test process, one run at a time.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


PRELOAD = ("torch", "torch._dynamo", "torch.distributed.checkpoint", "pytest")


def _serve() -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    # What the imports left alive (~300,000 objects, reachable from the modules) goes to the permanent
    # generation, so the children's full collections skip it: ~0.45 s of a 22 s run (pytest alone
    # collects twice at exit). What a child allocates is collected as before.
    gc.collect()
    gc.freeze()
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    for line in requests:
        request = json.loads(line)
        if request.get("modules"):  # what the server imported (selftests/test_warm.py)
            answers.write(json.dumps({"modules": sorted(sys.modules)}).encode() + b"\n")
            answers.flush()
            continue
        pid = os.fork()
        if pid == 0:
            _child(request)
        answers.write(json.dumps({"pid": pid}).encode() + b"\n")
        answers.flush()
        _, status = os.waitpid(pid, 0)
        answers.write(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        answers.flush()


def _child(request: dict) -> None:
    """The run: its own stdin, output file, directory and environment; never returns."""
    code = 3
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # sys.path as `python -m` makes it: the working directory first, then PYTHONPATH.
        extra = [p for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p and p not in sys.path[1:]]
        sys.path[:1] = [request["cwd"], *extra]
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import pytest

        code = int(pytest.main(request["args"]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - the run's own failure: its traceback goes to its output
        import traceback

        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class Warm:
    """This process's server, started on first use."""

    def __init__(self) -> None:
        self.server = None
        self.lock = threading.Lock()

    def run(self, args: list, env: dict, cwd: Path, out: Path, timeout: float) -> int:
        """`python -m pytest *args` with `env` in `cwd`, its output in `out`; its exit status.
        Past `timeout` seconds the run is killed and `subprocess.TimeoutExpired` raised, as subprocess.run does."""
        with self.lock:
            server = self._server(env)
            server.stdin.write(json.dumps({"args": [str(a) for a in args], "env": env, "cwd": str(cwd),
                                           "out": str(out)}).encode() + b"\n")
            server.stdin.flush()
            pid = json.loads(server.stdout.readline())["pid"]
            if not select.select([server.stdout], [], [], timeout)[0]:
                os.kill(pid, signal.SIGKILL)
                server.stdout.readline()
                raise subprocess.TimeoutExpired(["pytest", *args], timeout)
            return json.loads(server.stdout.readline())["exit"]

    def completed(self, args: list, env: dict, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
        """As `subprocess.run([python, -m, pytest, *args], capture_output=True, text=True)`, stdout and stderr
        together in `stdout`."""
        handle, name = tempfile.mkstemp(suffix=".out")
        os.close(handle)
        try:
            code = self.run(args, env, cwd, Path(name), timeout)
            return subprocess.CompletedProcess(["pytest", *args], code, Path(name).read_text(errors="replace"), "")
        finally:
            os.unlink(name)

    def close(self) -> None:
        """End the server (it exits when its requests end)."""
        if self.server is not None:
            self.server.stdin.close()
            self.server.stdout.close()
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
            self.server = None

    def modules(self) -> list:
        """The modules the running server has imported."""
        with self.lock:
            server = self._server(dict(os.environ))
            server.stdin.write(b'{"modules": true}\n')
            server.stdin.flush()
            return json.loads(server.stdout.readline())["modules"]

    def _server(self, env: dict):
        if self.server is None or self.server.poll() is not None:
            # Unbuffered: a buffered reader could hold the exit line while select() waits on the pipe.
            self.server = subprocess.Popen([sys.executable, "-m", "selftests.warm"], cwd=ROOT, env=env,
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        return self.server


WARM = Warm()
atexit.register(WARM.close)

if __name__ == "__main__":
    _serve()
