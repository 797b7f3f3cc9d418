"""The one record a test leaves for the report (`Record`), made where the test ran.

The plugin's report hook (`hooks.pytest_runtest_makereport`) writes one per
test phase, in the process that ran it (an xdist worker or the only one),
where the live `Verdict`, `Case` and config objects exist. The controller
only ever sees the record's JSON, so everything a report or a reproducer
needs is captured here as fields, including Python source for the config and
the callables inside it. Reports read the fields, never the message text.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
from dataclasses import dataclass, field
from typing import Any, Optional

from conformance.model.optimizer import SEED
from conformance.model.trajectory import Value
from conformance.model.verdict import Signature
from conformance.spec import DEFAULT_ADAPTER

KEY = "lrc"  # the user property that carries a record's JSON (pytest-xdist ships it to the controller)


@dataclass
class Record:
    """What one phase of one test saw: its target and check, and from the call the examples, the
    statuses, the family results, the warnings and the first bad verdict (`failure`)."""

    target: Optional[str] = None
    check: Optional[str] = None
    target_info: dict = field(default_factory=dict)  # setup: what a reproducer needs of the target
    examples: int = 0
    statuses: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    rejected: dict = field(default_factory=dict)
    warnings: Optional[dict] = None
    lr_never_changed: Optional[str] = None
    failure: Optional[dict] = None  # `capture_verdict` of the bad verdict
    hypothesis_reproduce: Optional[str] = None
    capture_error: Optional[str] = None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> "Record":
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def jsonable(x: Any) -> Any:
    """`x` as strict JSON data; tensors and frozen tensor values keep dtype and device (see reports/model.py)."""
    if x is None or isinstance(x, (bool, int, str)):
        return x
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    if isinstance(x, Value):
        return {"tensor": jsonable(x.number), "dtype": x.dtype, "device": x.device}
    if type(x).__name__ == "Tensor" and hasattr(x, "item"):
        if x.numel() == 1:
            return {"tensor": jsonable(x.item()), "dtype": str(x.dtype), "device": str(x.device)}
        return {"tensor": [jsonable(v) for v in x.flatten().tolist()], "dtype": str(x.dtype),
                "device": str(x.device), "shape": list(x.shape)}
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        items = sorted(x, key=repr) if isinstance(x, (set, frozenset)) else x
        return [jsonable(v) for v in items]
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {"__type__": type(x).__name__,
                **{f.name: jsonable(getattr(x, f.name)) for f in dataclasses.fields(x)}}
    return repr(x)

#: modules whose callables are inlined into reproducers (the suite's own);
#: anything else is imported from its package by the reproducer.
SUITE_MODULES = ("conformance",)


class PySource:
    """Renders config values as Python source and remembers what they need."""

    def __init__(self) -> None:
        self.sources: dict[str, str] = {}  # name -> source to inline
        self.imports: list[str] = []  # "from pkg import name" lines
        self.problems: list[str] = []

    def _callable(self, obj: Any) -> str:
        fn = obj if inspect.isfunction(obj) or inspect.isclass(obj) else type(obj)
        module = getattr(fn, "__module__", "") or ""
        name = getattr(fn, "__qualname__", getattr(fn, "__name__", "?"))
        if name == "<lambda>" or "<locals>" in name:
            self.problems.append(f"{name} from {module} is a lambda or local function; "
                                 "it cannot be rebuilt outside the process that drew it")
            return f"None  # unrenderable: {obj!r}"
        if module.split(".")[0] in SUITE_MODULES:
            if name not in self.sources:
                try:
                    self.sources[name] = inspect.getsource(fn)
                except (OSError, TypeError) as exc:
                    self.problems.append(f"no source for {module}.{name}: {exc}")
        else:
            line = f"from {module} import {name.split('.')[0]}"
            if line not in self.imports:
                self.imports.append(line)
        return name

    def expr(self, x: Any) -> str:
        if x is None or isinstance(x, (bool, int, str)):
            return repr(x)
        if isinstance(x, float):
            if math.isnan(x) or math.isinf(x):
                return f"float({str(x)!r})"
            return repr(x)
        if type(x).__name__ == "Tensor" and hasattr(x, "tolist"):
            return f"torch.tensor({self.expr(x.tolist())}, dtype={x.dtype})"
        if isinstance(x, dict):
            return "{" + ", ".join(f"{self.expr(k)}: {self.expr(v)}" for k, v in x.items()) + "}"
        if isinstance(x, list):
            return "[" + ", ".join(self.expr(v) for v in x) + "]"
        if isinstance(x, tuple):
            inner = ", ".join(self.expr(v) for v in x)
            return f"({inner},)" if len(x) == 1 else f"({inner})"
        if isinstance(x, (set, frozenset)):
            return "{" + ", ".join(self.expr(v) for v in sorted(x, key=repr)) + "}" if x else "set()"
        if dataclasses.is_dataclass(x) and not isinstance(x, type):
            name = self._callable(x)
            args = ", ".join(f"{f.name}={self.expr(getattr(x, f.name))}"
                             for f in dataclasses.fields(x) if f.init)
            return f"{name}({args})"
        if inspect.isfunction(x) or inspect.isclass(x):
            return self._callable(x)
        if callable(x) and hasattr(x, "__dict__"):
            name = self._callable(x)
            self.problems.append(f"{name} is rebuilt without arguments; its state was {vars(x)!r}")
            return f"{name}()"
        self.problems.append(f"cannot write {x!r} as Python source")
        return f"None  # unrenderable: {x!r}"


def interruption_steps(case) -> list[int]:
    """The optimizer-step index at which each interruption falls (for plots)."""
    try:
        iterations = case.loop.iterations(case.plan.epochs)
    except Exception:  # noqa: BLE001 - a plot aid only
        return []
    out, opt = [], 0
    stops = set(case.plan.interruptions)
    for i, it in enumerate(iterations):
        if i in stops:
            out.append(opt)
        opt += sum(1 for a in it if a == "opt")
    return out


def capture_case(case) -> dict:
    py = PySource()
    setup, plan, loop = case.setup, case.plan, case.loop
    out = {
        "config": jsonable(case.config),
        "config_py": py.expr(case.config),
        "setup": {
            "optimizer": setup.name,
            "lrs": jsonable(list(setup.lrs)),
            "kwargs": jsonable(setup.kwargs),
            "kwargs_py": py.expr(dict(setup.kwargs)),
            "tensor_lr": bool(setup.tensor_lr),
            "shape": list(setup.shape),
            "describe": repr(setup),
        },
        "loop": {
            "name": loop.name,
            "batches": getattr(loop, "batches", 1),
            "accumulate": getattr(loop, "accumulate", 1),
            "sched_first": bool(getattr(loop, "sched_first", False)),
            "scaler": bool(getattr(loop, "scaler", False)),
            "describe": loop.describe(),
        },
        "plan": {
            "epochs": plan.epochs,
            "interruptions": list(plan.interruptions),
            "metrics": jsonable(list(plan.metrics)),
            "metrics_py": py.expr(list(plan.metrics)),
            "medium": plan.medium,
            "skips": sorted(plan.skips),
            "describe": plan.describe(),
        },
        "interruption_steps": interruption_steps(case),
        "describe": case.describe(),
        "sources": py.sources,
        "imports": py.imports,
        "problems": py.problems,
    }
    out["seed"] = SEED
    return out


def _factory(build) -> Optional[dict]:
    """The library class or function a `build` lambda closes over, if exactly one."""
    found = []
    for cell in getattr(build, "__closure__", None) or ():
        try:
            obj = cell.cell_contents
        except ValueError:
            continue
        if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
            module = getattr(obj, "__module__", "") or ""
            if module.split(".")[0] not in SUITE_MODULES and "<" not in obj.__qualname__:
                found.append({"module": module, "qualname": obj.__qualname__})
    return found[0] if len(found) == 1 else None


def capture_target(target, refs=()) -> dict:
    if target is None:
        return {}
    caps = getattr(target, "capabilities", None)
    adapter = getattr(target, "adapter", None)
    custom = adapter is not None and adapter != DEFAULT_ADAPTER
    return {
        "name": target.name,
        "source": getattr(target, "source", "") or "",
        "metric_driven": bool(getattr(caps, "metric_driven", False)),
        "custom_adapter": bool(custom),
        "factory": _factory(getattr(target, "build", None)),
        "refs": list(refs),
    }


def capture_verdict(verdict) -> dict:
    """The failing verdict's case, divergence and trajectories, as JSON."""
    out: dict[str, Any] = {"status": verdict.status, "message": verdict.explain()}
    if verdict.message:  # the verdict's own first line, without its header and case
        out["summary"] = verdict.message.split("\n", 1)[0]
    if not verdict.ok:  # how it failed, as fields (status, phase, exception type, diverging field)
        sig = Signature.of(verdict)
        out["signature"] = {"status": sig.status, "phase": sig.phase, "raised": sig.raised, "field": sig.field}
    div = getattr(verdict, "divergence", None)
    if div is not None:
        out["divergence"] = {
            "step": div.step,
            "group": div.group,
            "field": div.field,
            "expected": jsonable(div.expected),
            "actual": jsonable(div.actual),
            "rel_error": jsonable(div.rel_error),
            "describe": div.describe(),
        }
    if getattr(verdict, "case", None) is not None:
        try:
            out["case"] = capture_case(verdict.case)
        except Exception as exc:  # noqa: BLE001 - the report must not take the test down
            out["case"] = {"describe": repr(verdict.case), "problems": [f"capture failed: {exc!r}"]}
    details = getattr(verdict, "details", {}) or {}
    if "expected" in details and "actual" in details:
        out["trajectories"] = {"expected": jsonable(details["expected"]),
                               "actual": jsonable(details["actual"])}
    extra = {k: v for k, v in details.items() if k not in ("expected", "actual")}
    if extra:
        out["details"] = jsonable(extra)
    return out


REPRODUCE = "@reproduce_failure("


def hypothesis_blob(exc: Optional[BaseException]) -> Optional[str]:
    """The `@reproduce_failure(...)` decorator Hypothesis attached to the test's exception as a note, if any."""
    for note in getattr(exc, "__notes__", None) or ():
        start = note.find(REPRODUCE)
        end = note.find(")", start)
        if start >= 0 and end > start:
            return note[start:end + 1]
    return None
