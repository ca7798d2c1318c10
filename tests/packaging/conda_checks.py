"""Helpers of the conda packaging tests: the tools of tools/conda and broken copies.

Each check in tools/conda is run by tests/packaging on the repository (it must
pass) and on deliberately broken copies (it must fail, naming the problem).
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "conda"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

#: What the conda checks read: copied into a temporary "repository" to break it.
CHECKED_FILES = ("pyproject.toml", "pixi.toml", "LICENSE", "README.md")
CHECKED_DIRS = ("recipe", "variants", ".github")


def tool(name: str) -> ModuleType:
    """A script of tools/conda, imported as a module."""
    return importlib.import_module(name)


def repo_copy(tmp_path: Path) -> Path:
    """A copy of the files the conda checks read, safe to break."""
    root = tmp_path / "repo"
    root.mkdir()
    for name in CHECKED_FILES:
        shutil.copy2(ROOT / name, root / name)
    for name in CHECKED_DIRS:
        shutil.copytree(ROOT / name, root / name)
    return root


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` by ``new`` in ``path``; the text must be there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
