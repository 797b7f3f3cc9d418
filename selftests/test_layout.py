"""The layout is the architecture: imports run one way, without cycles, and none hides in a function.

Layers, lowest first (a module may import its own layer or a lower one):

    0  conformance.model, conformance.spec, conformance.adapters
    1  conformance.harness, conformance.strategies
    2  conformance.targets
    3  conformance.processes (other interpreters and ranks)
    4  conformance.drivers
    5  conformance.checks
    6  conformance.plugin, conformance.tests, conformance.library, conformance.corpus
    7  conformance.reports

Folders form no cycle either: `test_no_folder_level_cycle`.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Where each import name lives in this checkout (pyproject's package-dir mapping).
PACKAGE_DIRS = {"conformance.strategies": ROOT / "strategies", "conformance.reports": ROOT / "reports",
                "conformance": ROOT / "conformance"}
LAYERS = [
    ("conformance.model", 0), ("conformance.spec", 0), ("conformance.adapters", 0),
    ("conformance.harness", 1), ("conformance.strategies", 1),
    ("conformance.targets", 2), ("conformance.reference", 2), ("conformance.processes", 3), ("conformance.drivers", 4),
    ("conformance.checks", 5),
    ("conformance.plugin", 6), ("conformance.tests", 6), ("conformance.library", 6), ("conformance.corpus", 6),
    ("conformance.reports", 7),
]


def modules() -> dict[str, Path]:
    """Every suite module's import name and file."""
    found = {}
    for package, directory in PACKAGE_DIRS.items():
        for path in directory.rglob("*.py"):
            rel = path.relative_to(directory).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([package, *parts])
            if name.startswith("conformance.strategies") or name.startswith("conformance.reports") \
                    or package == "conformance":
                found.setdefault(name, path)
    return found


def layer(name: str) -> int | None:
    for prefix, level in LAYERS:
        if name == prefix or name.startswith(prefix + "."):
            return level
    return None


def suite_imports(name: str, path: Path, known: dict) -> list[tuple[str, int, bool]]:
    """(imported suite module, line, at module level?) for every import of the suite in `path`."""
    tree = ast.parse(path.read_text(), str(path))
    top = {id(node) for node in tree.body}
    for node in tree.body:  # `if TYPE_CHECKING:` / try blocks at top level count as module level
        for child in ast.walk(node):
            top.add(id(child)) if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else None
    out = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for target in targets:
            if target in known and target != name:
                out.append((target, node.lineno, id(node) in top))
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {t for t, _, _ in suite_imports(name, path, known)} for name, path in known.items()}


def test_every_package_is_installed():
    """Each package folder is listed in pyproject, so the wheel carries all of it."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {n for n, p in modules().items() if p.name == "__init__.py"}
    assert packages == listed, f"only in the tree: {packages - listed}; only in pyproject: {listed - packages}"


def test_no_import_inside_a_function():
    known = modules()
    hidden = [f"{known[n].relative_to(ROOT)}:{line} imports {t}"
              for n in known for t, line, at_top in suite_imports(n, known[n], known) if not at_top]
    assert not hidden, "imports hidden in functions (dodging a cycle?):\n" + "\n".join(hidden)


def test_no_upward_import():
    upward = []
    for name, imported in graph().items():
        for target in imported:
            a, b = layer(name), layer(target)
            if a is not None and b is not None and b > a:
                upward.append(f"{name} (layer {a}) imports {target} (layer {b})")
    assert not upward, "\n".join(sorted(upward))


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as a list of modules, or None (a depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _without_packages(edges):
    """A package's `__init__` re-exporting its modules is not a cycle through the package."""
    return {n: {t for t in ts if not n.startswith(t + ".")} for n, ts in edges.items()}


def test_no_import_cycle():
    cycle = find_cycle(_without_packages(graph()))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a"}}) is None


def folder(name: str) -> str:
    """The folder a module lives in: `conformance.checks.table` -> `conformance.checks`."""
    parts = name.split(".")
    return ".".join(parts[:2])


def test_no_folder_level_cycle():
    folders: dict = {}
    for name, targets in graph().items():
        folders.setdefault(folder(name), set()).update(folder(t) for t in targets if folder(t) != folder(name))
    cycle = find_cycle(folders)
    assert cycle is None, "folder-level import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("name, expected", [("conformance.model.case", 0), ("conformance.reports.html", 7),
                                            ("conformance.checks.table", 5), ("conformance.processes.ranks", 3),
                                            ("selftests.x", None)])
def test_layers_are_assigned(name, expected):
    assert layer(name) == expected


def test_top_level_stays_small():
    top = [p.name for p in (ROOT / "conformance").glob("*.py")]
    assert len(top) <= 8, top
