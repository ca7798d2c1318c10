"""The C++ core's folders are its layers: a file includes only its own folder and
the folders below it, and no two folders include each other.

The order is written once, in src/core/README.md's table (bottom first); this
reads it and every ``#include "..."`` of src/core, and names the file, the line
and the two layers of each include that breaks it. The broken copies below show
that the check finds what it is meant to find, not only that today's tree passes.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "src" / "core"

_LAYER_ROW = re.compile(r"^\|\s*`([a-z0-9_]+)/`\s*\|")
_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
_SOURCE_SUFFIXES = {".cpp", ".hpp", ".h", ".c"}


@dataclass(frozen=True)
class Include:
    file: str  # relative to src/core, e.g. "hdf5/dataset.cpp"
    line: int
    target: str  # as written, e.g. "core/base/errors.hpp"

    def where(self) -> str:
        return f"src/core/{self.file}:{self.line}"


def layer_order(core: Path) -> list[str]:
    """The layers, bottom first, from the table of ``core``/README.md."""
    readme = (core / "README.md").read_text(encoding="utf-8")
    return [m.group(1) for line in readme.splitlines() if (m := _LAYER_ROW.match(line))]


def core_includes(core: Path) -> list[Include]:
    """Every quoted include of every C/C++ file under ``core``."""
    found = []
    for path in sorted(core.rglob("*")):
        if path.suffix not in _SOURCE_SUFFIXES or not path.is_file():
            continue
        file = path.relative_to(core).as_posix()
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if m := _INCLUDE.match(text):
                found.append(Include(file, number, m.group(1)))
    return found


def check_layers(core: Path) -> list[str]:
    """What breaks the layering of ``core`` (empty when nothing does): files
    outside a layer folder, includes not written ``core/<layer>/<file>`` or naming
    no file, includes of a later layer, and cycles between folders."""
    layers = layer_order(core)
    if not layers:
        return [f"{core / 'README.md'}: no layer table (rows starting | `name/` |)"]
    rank = {name: i for i, name in enumerate(layers)}
    problems: list[str] = []

    for path in sorted(core.rglob("*")):
        if path.suffix in _SOURCE_SUFFIXES and path.is_file():
            where = path.relative_to(core).parts
            if len(where) != 2 or where[0] not in rank:
                problems.append(
                    f"src/core/{'/'.join(where)}: not in a layer folder ({', '.join(layers)})"
                )

    # folder -> folder -> the first include making that edge
    edges: dict[str, dict[str, Include]] = {}
    for inc in core_includes(core):
        source = inc.file.split("/")[0]
        parts = inc.target.split("/")
        if len(parts) != 3 or parts[0] != "core" or parts[1] not in rank:
            problems.append(
                f'{inc.where()}: #include "{inc.target}" is not written '
                "core/<layer>/<file> with a layer of src/core/README.md"
            )
            continue
        if not (core / parts[1] / parts[2]).is_file():
            problems.append(f'{inc.where()}: #include "{inc.target}" names no file')
            continue
        target = parts[1]
        if source not in rank or target == source:
            continue
        edges.setdefault(source, {}).setdefault(target, inc)
        if rank[target] > rank[source]:
            allowed = ", ".join(reversed(layers[: rank[source] + 1]))
            problems.append(
                f'{inc.where()}: #include "{inc.target}": layer {source} includes '
                f"layer {target}, which is above it ({source} may include: {allowed})"
            )

    problems.extend(_cycles(edges, rank))
    return problems


def _cycles(edges: dict[str, dict[str, Include]], rank: dict[str, int]) -> list[str]:
    """One message per group of folders that include each other, whatever the
    order says (a strict order makes every cycle also an upward include, but the
    message says which includes close the loop)."""

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in edges.get(todo.pop(), {}):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reachable = {folder: reach(folder) for folder in rank}
    messages = []
    done: set[str] = set()
    for folder in rank:
        if folder in done or folder not in reachable[folder]:
            continue
        group = sorted(
            (f for f in rank if f in reachable[folder] and folder in reachable[f]),
            key=rank.__getitem__,
        )
        done.update(group)
        links = [
            f"{a} -> {b} ({inc.where()})"
            for a in group
            for b, inc in sorted(edges.get(a, {}).items(), key=lambda kv: rank[kv[0]])
            if b in group
        ]
        messages.append(
            f"include cycle between folders {', '.join(group)}: " + "; ".join(links)
        )
    return messages


def test_core_layers_hold() -> None:
    assert layer_order(CORE) == ["base", "rows", "hdf5", "kernels", "info"]
    problems = check_layers(CORE)
    assert not problems, "\n".join(problems)


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "core"
    shutil.copytree(CORE, copy, ignore=shutil.ignore_patterns("CMakeLists.txt"))
    return copy


def _add_include(file: Path, target: str) -> int:
    """Adds ``#include "target"`` after the file's last include; its line number."""
    lines = file.read_text(encoding="utf-8").splitlines()
    last = max(i for i, text in enumerate(lines) if _INCLUDE.match(text))
    lines.insert(last + 1, f'#include "{target}"')
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return last + 2


def test_an_upward_include_is_named(tmp_path: Path) -> None:
    """kernels -> info: above it, but info does not reach kernels, so no cycle."""
    core = _copy(tmp_path)
    line = _add_include(core / "kernels" / "gram.cpp", "core/info/library_info.hpp")
    assert check_layers(core) == [
        (
            f'src/core/kernels/gram.cpp:{line}: #include "core/info/library_info.hpp": '
            "layer kernels includes layer info, which is above it "
            "(kernels may include: kernels, hdf5, rows, base)"
        )
    ]


def test_a_cycle_between_folders_is_named(tmp_path: Path) -> None:
    """The cycle this layering broke: hdf5/chunk_codecs.cpp including
    info/library_info.hpp (for the gzip inflater's name) while
    info/library_info.cpp includes hdf5/chunk_codecs.hpp."""
    core = _copy(tmp_path)
    info = next(
        inc
        for inc in core_includes(core)
        if inc.file == "info/library_info.cpp"
        and inc.target == "core/hdf5/chunk_codecs.hpp"
    )
    line = _add_include(
        core / "hdf5" / "chunk_codecs.cpp", "core/info/library_info.hpp"
    )
    assert check_layers(core) == [
        (
            f'src/core/hdf5/chunk_codecs.cpp:{line}: #include "core/info/library_info.hpp": '
            "layer hdf5 includes layer info, which is above it "
            "(hdf5 may include: hdf5, rows, base)"
        ),
        (
            "include cycle between folders hdf5, info: "
            f"hdf5 -> info (src/core/hdf5/chunk_codecs.cpp:{line}); "
            f"info -> hdf5 ({info.where()})"
        ),
    ]


def test_a_cycle_of_three_folders_is_named(tmp_path: Path) -> None:
    """rows -> kernels -> hdf5 -> rows: every folder of the loop is named."""
    core = _copy(tmp_path)
    line = _add_include(
        core / "rows" / "block_pipeline.cpp", "core/kernels/moments.hpp"
    )
    problems = check_layers(core)
    assert problems[0] == (
        f'src/core/rows/block_pipeline.cpp:{line}: #include "core/kernels/moments.hpp": '
        "layer rows includes layer kernels, which is above it (rows may include: rows, base)"
    )
    assert len(problems) == 2
    assert problems[1].startswith("include cycle between folders rows, hdf5, kernels: ")
    assert f"rows -> kernels (src/core/rows/block_pipeline.cpp:{line})" in problems[1]


def test_an_include_without_its_folder_and_a_stray_file_are_named(
    tmp_path: Path,
) -> None:
    core = _copy(tmp_path)
    line = _add_include(core / "rows" / "block_pipeline.cpp", "core/errors.hpp")
    (core / "stray.hpp").write_text("#pragma once\n", encoding="utf-8")
    assert check_layers(core) == [
        "src/core/stray.hpp: not in a layer folder (base, rows, hdf5, kernels, info)",
        (
            f'src/core/rows/block_pipeline.cpp:{line}: #include "core/errors.hpp" is not '
            "written core/<layer>/<file> with a layer of src/core/README.md"
        ),
    ]
