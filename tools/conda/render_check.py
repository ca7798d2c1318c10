"""Render the recipe over the whole variant matrix, offline, and check the result.

* recipe/recipe.yaml is rendered with py-rattler-build (rattler-build's own
  engine; no solve), loading the variant files exactly as
  `rattler-build build -r recipe -m ...` does, for native linux-64, osx-64,
  osx-arm64 and win-64 and the cross builds osx-64 -> osx-arm64 and
  linux-64 -> linux-aarch64.
* Each matrix must give the expected HDF5 x Python x NumPy grid, one distinct
  package per cell, with the cross-compilation block exactly in cross builds.

* conda-build must make the same cells from the same -m files: its merge rules
  differ (conda_build_variants.py), so each stack is merged its way too and
  the (Python, NumPy, HDF5) cells compared.

recipe/conda-build/meta.yaml is not rendered here: it is generated from
recipe.yaml (check_all's `generated` check keeps it current), and the
conda-package workflow renders it with conda-build's own `conda render` and
builds and tests it with conda-build on every CI platform.

`python -m tools.conda.check_all render` runs it; `rattler-build build
--render-only -r recipe -m ...` prints what a platform and matrix render to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rattler_build import (
    JinjaConfig,
    PlatformConfig,
    RenderConfig,
    Stage0Recipe,
    VariantConfig,
)

from tools.conda import conda_build_variants
from tools.conda._common import (
    MATRICES,
    PLATFORMS,
    ROOT,
    CheckError,
    Platform,
    cli_variant_files,
    fail_if,
    python_label,
)

#: The (Python, NumPy, HDF5) cells each matrix must produce, one package each;
#: None means "not a variant" (rattler-build build -r recipe lets the solver
#: pick NumPy and HDF5).
PYTHONS_CF = ("3.11", "3.12", "3.13")
PYTHONS_314 = (*PYTHONS_CF, "3.14")
PYTHONS_ALL = (*PYTHONS_314, "3.14t")
HDF5_CF = "1.14.6"
_FULL = {(py, "2") for py in PYTHONS_ALL} | {(py, "1.26") for py in ("3.11", "3.12")}
EXPECTED_GRID: dict[str, set[tuple[str, str | None, str | None]]] = {
    "recipe": {(py, None, None) for py in PYTHONS_ALL},
    "conda-forge": {(py, "2", HDF5_CF) for py in PYTHONS_CF},
    "python314": {(py, "2", HDF5_CF) for py in PYTHONS_314},
    "python314t": {(py, "2", HDF5_CF) for py in PYTHONS_ALL},
    "full": {(py, np, HDF5_CF) for py, np in _FULL},
    "hdf5": {(py, np, hdf5) for py, np in _FULL for hdf5 in ("2", HDF5_CF)},
}
#: What the cross-compilation block puts in `build` (conda-forge's cross-python pattern).
CROSS_BUILD = ["python", "cross-python_{target}", "pybind11", "numpy"]


@dataclass
class Cell:
    """One rendered package: a platform x variant combination."""

    platform: Platform
    matrix: str
    variant: dict[str, Any]
    name: str
    version: str
    build_string: str
    number: int
    build: list[str]
    host: list[str]
    run: list[str]
    recipe: dict[str, Any] = field(repr=False)

    @property
    def python(self) -> str:
        """The Python, "3.14t" for the free-threaded interpreter (``python_label``)."""
        return python_label(str(self.variant["python"]))

    @property
    def numpy(self) -> str | None:
        value = self.variant.get("numpy")
        return None if value is None else str(value)

    @property
    def hdf5(self) -> str | None:
        value = self.variant.get("hdf5")
        return None if value is None else str(value)

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes a package distinct in a channel subdir."""
        return (self.name, self.version, self.build_string)


def digits(version: str) -> str:
    """How a build string spells a version: "314" for 3.14 and 3.14t alike (the
    free-threaded package differs by its hash and its python_abi requirement)."""
    return version.rstrip("t").replace(".", "")


def platform_config(platform: Platform) -> PlatformConfig:
    return PlatformConfig(
        target_platform=platform.target,
        build_platform=platform.build,
        host_platform=platform.target,
    )


def render_v1(
    root: Path, platform: Platform, matrix: str, recipe: Path | None = None
) -> list[Cell]:
    """py-rattler-build's render of ``recipe`` (default recipe/recipe.yaml) for one matrix."""
    recipe_path = recipe or root / "recipe/recipe.yaml"
    config = platform_config(platform)
    files: list[str | Path] = (
        cli_variant_files(root, MATRICES[matrix])
        if recipe is None
        else [root / m for m in MATRICES[matrix]]
    )
    variants = (
        VariantConfig.from_files_with_context(files, JinjaConfig(platform=config))
        if files
        else VariantConfig()
    )
    rendered = Stage0Recipe.from_file(recipe_path).render(
        variants, RenderConfig(platform=config)
    )
    cells = []
    for item in rendered:
        stage1 = item.recipe
        as_dict = stage1.to_dict()
        cells.append(
            Cell(
                platform=platform,
                matrix=matrix,
                variant=dict(item.variant),
                name=stage1.package.name,
                version=str(stage1.package.version),
                build_string=str(stage1.build.string),
                number=int(stage1.build.number),
                build=[str(r) for r in stage1.requirements.build],
                host=[str(r) for r in stage1.requirements.host],
                run=[str(r) for r in stage1.requirements.run],
                recipe=as_dict,
            )
        )
    return cells


def check_cells(cells: list[Cell], matrix: str, platform: Platform) -> list[str]:
    """The matrix invariants for one platform's cells."""
    problems = []
    where = f"{platform.label} -m {' -m '.join(MATRICES[matrix]) or '(recipe/variants.yaml)'}"
    grid = [(c.python, c.numpy, c.hdf5) for c in cells]
    if set(grid) != EXPECTED_GRID[matrix] or len(grid) != len(EXPECTED_GRID[matrix]):
        problems.append(
            f"{where}: Python x NumPy x HDF5 grid {sorted(grid, key=str)} != {sorted(EXPECTED_GRID[matrix], key=str)}"
        )
    if len({c.key for c in cells}) != len(cells):
        problems.append(
            f"{where}: {len(cells)} cells but only {len({c.key for c in cells})} distinct packages"
        )
    for cell in cells:
        cross = [r.format(target=platform.target) for r in CROSS_BUILD]
        has_cross = cell.build[: len(cross)] == cross
        if has_cross != platform.cross:
            problems.append(
                f"{where} {cell.build_string}: cross-compilation block {'present' if has_cross else 'missing'}: {cell.build}"
            )
        if (
            not cell.build_string.startswith(f"py{digits(cell.python)}")
            and cell.numpy is None
        ):
            problems.append(
                f"{where}: build string {cell.build_string} lacks the Python prefix"
            )
        if cell.numpy is not None and not cell.build_string.startswith(
            f"np{digits(cell.numpy)}py{digits(cell.python)}"
        ):
            problems.append(
                f"{where}: build string {cell.build_string} lacks the NumPy/Python prefix"
            )
    return problems


def check_builders_agree(
    cells: list[Cell], root: Path, platform: Platform, matrix: str
) -> list[str]:
    """conda-build, given the same -m files, must build the cells rattler-build renders."""
    where = f"{platform.label} -m {' -m '.join(MATRICES[matrix])}"
    try:
        merged = conda_build_variants.variants(root, MATRICES[matrix], platform)
    except CheckError as error:
        return [f"{where}: {error}"]
    theirs = sorted(
        {(python_label(v["python"]), v.get("numpy"), v.get("hdf5")) for v in merged}
    )
    ours = sorted((c.python, c.numpy, c.hdf5) for c in cells)
    if theirs != ours:
        return [f"{where}: conda-build would build {theirs}, rattler-build {ours}"]
    return []


def check_recipe_variants(root: Path = ROOT) -> list[str]:
    """recipe/variants.yaml must equal variants/conda-forge, python314 and python314t
    stacked on every key it sets, on every platform."""
    problems = []
    for platform in PLATFORMS:
        config = JinjaConfig(platform=platform_config(platform))
        minimal = VariantConfig.from_file_with_context(
            root / "recipe/variants.yaml", config
        ).to_dict()
        stack = MATRICES["python314t"]
        pinned = VariantConfig.from_files_with_context(
            [root / m for m in stack], config
        ).to_dict()
        for key, values in sorted(minimal.items()):
            if [str(v) for v in values] != [str(v) for v in pinned.get(key, [])]:
                problems.append(
                    f"{platform.label}: recipe/variants.yaml {key} = {values} but {' + '.join(stack)} has {pinned.get(key)}"
                )
    return problems


def render_all(root: Path = ROOT) -> dict[tuple[str, str], list[Cell]]:
    """{(platform label, matrix): cells} for every platform and matrix."""
    return {(p.label, m): render_v1(root, p, m) for p in PLATFORMS for m in MATRICES}


def check(root: Path = ROOT) -> int:
    """Run every render check; return the number of distinct packages checked."""
    problems: list[str] = check_recipe_variants(root)
    total = 0
    for platform in PLATFORMS:
        for matrix in MATRICES:
            try:
                cells = render_v1(root, platform, matrix)
            except Exception as error:  # noqa: BLE001 - any engine error is a finding
                problems.append(
                    f"{platform.label} {matrix}: rattler-build cannot render the recipe: {error}"
                )
                continue
            total += len(cells)
            problems += check_cells(cells, matrix, platform)
            if MATRICES[matrix]:  # conda-build reads no recipe/variants.yaml
                problems += check_builders_agree(cells, root, platform, matrix)
    # Each problem once, however many cells show it.
    fail_if(list(dict.fromkeys(problems)), "render check failed")
    return total
