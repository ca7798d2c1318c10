"""The one helper module of tools/conda: paths, loaders, the variant matrix,
the hand-kept facts and running the real tools.

Every script in tools/conda (and the stand-ins of tools/offline) imports it as
`tools.conda._common`: the scripts run from the repository root as
`python -m tools.conda.NAME`, and the tests have the root on their path through
`pythonpath` in pyproject.toml's [tool.pytest].
It needs only the Python standard library and PyYAML.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: The repository root (tools/conda/_common.py -> ../..).
ROOT = Path(__file__).resolve().parents[2]
#: The facts about other projects that are kept by hand, each with its source.
FACTS = Path(__file__).resolve().parent / "facts.toml"

#: The top-level sections of a v1 recipe (recipe.yaml), in conda-forge's order.
V1_SECTIONS = (
    "schema_version",
    "context",
    "package",
    "source",
    "build",
    "requirements",
    "tests",
    "about",
    "extra",
)

#: The folder of the conda-build form (meta.yaml, build.sh, bld.bat), generated
#: from recipe/recipe.yaml: conda-forge's linter allows one recipe format per
#: folder (R-051), and `rattler-build build -r recipe` needs recipe.yaml in recipe/.
CONDA_BUILD_DIR = Path("recipe/conda-build")

PACKAGE = "h5linalg"
#: Where conda-forge's staged-recipes expects the recipe, relative to an output folder.
STAGED_RECIPE_SUBDIR = Path("recipes") / PACKAGE
#: The release archive the staged recipe points at: the sdist attached to the
#: GitHub release of the tag.
RELEASE_URL = (
    "https://github.com/h5linalg/h5linalg/releases/download/"
    "v${{ version }}/h5linalg-${{ version }}.tar.gz"
)


class CheckError(Exception):
    """A check found problems; the message lists them, one per line."""


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        data: dict[str, Any] = tomllib.load(f)
    return data


def fail_if(problems: list[str], what: str) -> None:
    """Raise CheckError listing ``problems`` (if any) under the heading ``what``."""
    if problems:
        raise CheckError(f"{what}:\n" + "\n".join(f"  - {p}" for p in problems))


def facts() -> dict[str, Any]:
    """tools/conda/facts.toml: what pixi, the indexes and conda-smithy are known to do."""
    return load_toml(FACTS)


def spec_name(spec: str) -> str:
    """The package name of a requirement: 'numpy' of 'numpy >=1.25' or 'numpy>=1.25'."""
    return re.split(r"[\s=<>!~]", spec.strip(), maxsplit=1)[0]


def requirement_strings(items: Any) -> list[str]:
    """Every entry of a v1 requirement list, both branches of each if/then/else."""
    if items is None:
        return []
    out: list[str] = []
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict) and "if" in item:
            out += requirement_strings(item.get("then"))
            out += requirement_strings(item.get("else"))
        elif item is not None:
            out.append(str(item))
    return out


# --- The real tools ---------------------------------------------------------------


def console_script(name: str) -> str:
    """The console script ``name`` beside this interpreter, else on PATH."""
    scripts = Path(sys.executable).parent
    found = shutil.which(
        name,
        path=os.pathsep.join(
            [str(scripts), str(scripts / "Scripts"), os.environ.get("PATH", "")]
        ),
    )
    if not found:
        msg = f"{name} is not installed (pip install --group packaging)"
        raise CheckError(msg)
    return found


def run_tool(name: str, *args: str) -> str:
    """Run the console script ``name``; its output is the CheckError if it fails."""
    command = [console_script(name), *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        msg = f"{name} {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
        raise CheckError(msg)
    return result.stdout.strip()


# --- The variant matrix ---------------------------------------------------------

#: Variant files, in the order `-m` passes them, for each named matrix.
#: "recipe" is `rattler-build build -r recipe` with no -m file: only
#: recipe/variants.yaml applies.
#: Every variant file, in the one order they stack in: each matrix below is the
#: first few of them.
VARIANT_STACK = tuple(
    f"variants/{axis}/conda_build_config.yaml"
    for axis in ("conda-forge", "python314", "python314t", "numpy", "hdf5")
)
MATRICES: dict[str, tuple[str, ...]] = {
    "recipe": (),
    "conda-forge": VARIANT_STACK[:1],
    "python314": VARIANT_STACK[:2],
    "python314t": VARIANT_STACK[:3],
    "full": VARIANT_STACK[:4],
    # The full grid twice, against HDF5 2 and 1.14.6 (conda-forge's hdf52 migration).
    "hdf5": VARIANT_STACK,
}


def python_label(spec: str) -> str:
    """How a variant's Python reads in checks and messages: "3.12" for
    ``3.12.* *_cpython``, "3.14t" for the free-threaded ``3.14.* *_cp314t``."""
    version = spec.split(".*", maxsplit=1)[0]
    return f"{version}t" if re.search(r"_cp3\d+t$", spec) else version


@dataclass(frozen=True)
class Platform:
    """A (build platform -> target platform) pair to render for."""

    target: str
    build: str

    @property
    def cross(self) -> bool:
        return self.target != self.build

    @property
    def label(self) -> str:
        return self.target if not self.cross else f"{self.build}->{self.target}"


#: Native builds on the four CI platforms, and the two cross builds conda-forge uses.
PLATFORMS: tuple[Platform, ...] = (
    Platform("linux-64", "linux-64"),
    Platform("osx-64", "osx-64"),
    Platform("osx-arm64", "osx-arm64"),
    Platform("win-64", "win-64"),
    Platform("osx-arm64", "osx-64"),
    Platform("linux-aarch64", "linux-64"),
)


def cli_variant_files(root: Path, matrix: tuple[str, ...]) -> list[str | Path]:
    """The variant files `rattler-build build -r recipe -m A -m B` merges, in order.

    rattler-build puts the -m files, then the variant file it finds beside the
    recipe, then the -m files again (src/lib.rs), so -m files win on every key
    they set and recipe/variants.yaml fills in the rest.
    """
    given: list[str | Path] = [root / m for m in matrix]
    beside = [
        p
        for p in (
            root / "recipe/variants.yaml",
            root / "recipe/conda_build_config.yaml",
        )
        if p.is_file()
    ][:1]
    return [*given, *beside, *given] if beside else given
