"""The script folders (benchmarks/, tools/*/) import each other without cycles.

A cycle between sibling modules works only while one of its imports hides
inside a function; this reads every import, at any depth, and fails on one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = [
    REPO / "benchmarks",
    *sorted(p for p in (REPO / "tools").iterdir() if p.is_dir()),
]


def sibling_imports(folder: Path) -> dict[str, set[str]]:
    """For each module of ``folder``, the modules of ``folder`` it imports."""
    modules = {path.stem: path for path in folder.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[-1] for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.module:
                    found.add(node.module.split(".")[-1])
                if node.level:  # from . import a, b
                    found.update(alias.name for alias in node.names)
        graph[name] = (found & modules.keys()) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for neighbour in sorted(graph[node]):
            if state.get(neighbour) == "open":
                return [*path[path.index(neighbour) :], neighbour]
            if neighbour not in state and (cycle := visit(neighbour)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


@pytest.mark.parametrize(
    "folder", FOLDERS, ids=lambda p: p.relative_to(REPO).as_posix()
)
def test_no_import_cycle(folder: Path) -> None:
    cycle = find_cycle(sibling_imports(folder))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_a_cycle_hidden_in_a_function_is_found(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from c import g\n")
    (tmp_path / "c.py").write_text("import a\n")
    assert find_cycle(sibling_imports(tmp_path)) == ["a", "b", "c", "a"]
