"""The script folders (benchmarks/, the package tools/) import without cycles.

A cycle between modules works only while one of its imports hides inside a
function; this reads every import, at any depth, and fails on one. benchmarks/
runs as scripts (its modules import each other by name); tools/ is a package
(``python -m tools.conda.check_all``), so a cycle may cross its folders.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sibling_imports(folder: Path) -> dict[str, set[str]]:
    """For each module of ``folder``, the modules of ``folder`` it imports by name."""
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


def package_imports(package: Path) -> dict[str, set[str]]:
    """For each module of the package ``package`` (a folder of the repository
    root), the modules of that package it imports, by dotted name."""

    def dotted(path: Path) -> str:
        parts = path.relative_to(package.parent).with_suffix("").parts
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    modules = {dotted(path): path for path in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                assert not node.level, f"{path}: a relative import"
                if node.module:
                    found.add(node.module)
                    found.update(f"{node.module}.{alias.name}" for alias in node.names)
        # A module's package (its __init__) runs before it: no edge to it.
        graph[name] = (found & modules.keys()) - {name, name.rpartition(".")[0]}
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


def test_no_import_cycle_in_benchmarks() -> None:
    cycle = find_cycle(sibling_imports(REPO / "benchmarks"))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_import_cycle_in_tools() -> None:
    graph = package_imports(REPO / "tools")
    assert "tools.conda.check_all" in graph
    assert "tools.conda._common" in graph["tools.offline.standin_channel"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_a_cycle_hidden_in_a_function_is_found(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from c import g\n")
    (tmp_path / "c.py").write_text("import a\n")
    assert find_cycle(sibling_imports(tmp_path)) == ["a", "b", "c", "a"]


def test_a_cycle_across_folders_of_a_package_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    for folder in (package, package / "x", package / "y"):
        folder.mkdir()
        (folder / "__init__.py").write_text("")
    (package / "x" / "a.py").write_text("from pkg.y import b\n")
    (package / "y" / "b.py").write_text("def f():\n    import pkg.x.a\n")
    assert find_cycle(package_imports(package)) == ["pkg.x.a", "pkg.y.b", "pkg.x.a"]
