"""Other interpreters and ranks: where a resume runs when it must not share this process's past.

- `fresh.py`: one new interpreter per job, forked from a server that imported
  torch and the suite's harness only (never a target), and how such a process
  finds a target by reference without running it;
- `ranks.py`: a new gloo process group of `WORLD` ranks per job, forked the same way;
- `spares.py`: children of the server forked ahead of need, in the background, each
  waiting for its one job (`launch`), and how their answers come back (`collect`);
- `warmup.py`: the server's one run of a suite-owned schedule, to pay torch's lazy start once.

Starting these is the suite's cost and risk: a process that dies or can't
import something raises `SuiteError`, naming the part and the cause, never a
verdict against the target; `--lrc-timeout` times only the job itself.
"""
