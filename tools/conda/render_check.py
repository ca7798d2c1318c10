"""Render the recipe over the whole variant matrix, offline, and check the result.

* recipe/recipe.yaml is rendered with py-rattler-build (rattler-build's own
  engine; no solve), loading the variant files exactly as
  `rattler-build build -r recipe -m ...` does, for native linux-64, osx-64,
  osx-arm64 and win-64 and the cross builds osx-64 -> osx-arm64 and
  linux-64 -> linux-aarch64.
* Each matrix must give the expected HDF5 x Python x NumPy grid, one distinct
  package per cell, with the cross-compilation block exactly in cross builds.
* recipe/conda-build/meta.yaml is rendered for the same cells with Jinja2 and
  conda-build's `# [selector]` rules and must describe the same package, its
  test files being the same files on disk.

`python -m tools.conda.check_all render` runs it; `rattler-build build
--render-only -r recipe -m ...` prints what a platform and matrix render to.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml
from rattler_build import (
    JinjaConfig,
    PlatformConfig,
    RenderConfig,
    Stage0Recipe,
    VariantConfig,
)

from tools.conda._common import (
    CONDA_BUILD_DIR,
    MATRICES,
    PLATFORMS,
    ROOT,
    Platform,
    cli_variant_files,
    fail_if,
)

#: The (Python, NumPy, HDF5) cells each matrix must produce, one package each;
#: None means "not a variant" (rattler-build build -r recipe lets the solver
#: pick NumPy and HDF5).
PYTHONS_CF = ("3.10", "3.11", "3.12", "3.13")
PYTHONS_ALL = (*PYTHONS_CF, "3.14")
HDF5_CF = "1.14.6"
_FULL = {(py, "2") for py in PYTHONS_ALL} | {
    (py, "1.26") for py in ("3.10", "3.11", "3.12")
}
EXPECTED_GRID: dict[str, set[tuple[str, str | None, str | None]]] = {
    "recipe": {(py, None, None) for py in PYTHONS_CF},
    "conda-forge": {(py, "2", HDF5_CF) for py in PYTHONS_CF},
    "python314": {(py, "2", HDF5_CF) for py in PYTHONS_ALL},
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
        return str(self.variant["python"]).split(".*")[0]

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


# --- conda-build's view: meta.yaml through Jinja2 and selectors ---------------

_SELECTOR_LINE = re.compile(r"^(?P<body>.*?)\s+#\s*\[(?P<expr>[^\]]+)\]\s*$")


def selector_namespace(platform: Platform, variant: dict[str, Any]) -> dict[str, Any]:
    """conda-build's selector names for the *target* platform (conda_build.metadata.ns_cfg)."""
    os_name, arch = platform.target.split("-")
    python = str(variant.get("python", "3.13")).split(".*")[0]
    return {
        "linux": os_name == "linux",
        "osx": os_name == "osx",
        "win": os_name == "win",
        "unix": os_name in ("linux", "osx"),
        "x86_64": arch == "64",
        "aarch64": arch == "aarch64",
        "arm64": arch == "arm64",
        "target_platform": platform.target,
        "build_platform": platform.build,
        "py": int(python.replace(".", "")),
        **{k: str(v) for k, v in variant.items() if k.isidentifier()},
    }


def apply_selectors(text: str, namespace: dict[str, Any]) -> str:
    lines = []
    for line in text.splitlines():
        match = _SELECTOR_LINE.match(line)
        if match:
            # conda-build evaluates selectors as Python expressions over ns_cfg.
            if not eval(match["expr"], {"__builtins__": {}}, namespace):
                continue
            line = match["body"]  # noqa: PLW2901
        lines.append(line)
    return "\n".join(lines)


def render_v0(
    meta_yaml: Path, platform: Platform, variant: dict[str, Any]
) -> dict[str, Any]:
    """meta.yaml as conda-build would render it for ``variant`` (no solve)."""

    def package(key: str) -> str:
        """conda-build's compiler('c') / stdlib('c'): c_compiler[_version] etc."""
        name = f"{variant[key]}_{platform.target}"
        version = variant.get(f"{key}_version")
        return f"{name} {version}" if version else name

    text = apply_selectors(
        meta_yaml.read_text(encoding="utf-8"), selector_namespace(platform, variant)
    )
    template = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False
    ).from_string(text)
    rendered = template.render(
        compiler=lambda language: package(f"{language}_compiler"),
        stdlib=lambda language: package(f"{language}_stdlib"),
        environ=dict(os.environ),
        target_platform=platform.target,
        build_platform=platform.build,
    )
    meta: dict[str, Any] = yaml.safe_load(rendered)
    return meta


def _spec(requirement: str) -> str:
    """rattler-build writes compiler pins as `gcc_linux-64 15.*`; conda-build as `... 15`."""
    return re.sub(r"^(\S+) (\S+?)\.\*$", r"\1 \2", requirement)


def locate_test_files(
    recipe_dir: Path, meta_dir: Path, meta: dict[str, Any], names: list[str]
) -> tuple[dict[str, str], list[str]]:
    """How meta.yaml's test names each test file of recipe.yaml's folder, and problems.

    A file is found either in `test: files` (an identical file beside meta.yaml)
    or in `test: source_files` (the very file, in the tree `source: path` names).
    """
    test = meta.get("test") or {}
    source = meta.get("source") or {}
    tree = (meta_dir / source["path"]).resolve() if "path" in source else None
    located: dict[str, str] = {}
    problems = []
    for name in names:
        wanted = recipe_dir / name
        beside = meta_dir / name
        if (
            name in (test.get("files") or [])
            and beside.is_file()
            and beside.read_bytes() == wanted.read_bytes()
        ):
            located[name] = name
        for entry in test.get("source_files") or []:
            if tree is not None and (tree / entry).resolve() == wanted.resolve():
                located[name] = entry
        if name not in located:
            problems.append(
                f"{meta_dir / 'meta.yaml'}: the test file {name} of recipe.yaml is neither "
                f"in test.files (beside meta.yaml) nor in test.source_files (under source.path)"
            )
    return located, problems


def compare_v0(
    cell: Cell, meta: dict[str, Any], located: dict[str, str] | None = None
) -> list[str]:
    """Where meta.yaml (rendered for ``cell``) describes something else than recipe.yaml.

    ``located`` maps each test file of recipe.yaml's folder to the name meta.yaml's
    test gives it (locate_test_files); files not in it are expected beside meta.yaml.
    """
    located = located or {}
    problems = []
    where = f"{cell.platform.label} {cell.build_string}"

    def same(what: str, v1: Any, v0: Any) -> None:
        if v1 != v0:
            problems.append(f"{where}: {what}: recipe.yaml {v1!r} != meta.yaml {v0!r}")

    same("package name", cell.name, meta["package"]["name"])
    same("package version", cell.version, str(meta["package"]["version"]))
    same("build number", cell.number, meta["build"]["number"])
    requirements = meta.get("requirements", {})
    for section in ("build", "host", "run"):
        v1 = [_spec(r) for r in getattr(cell, section)]
        v0 = [_spec(str(r)) for r in requirements.get(section) or []]
        same(f"requirements.{section}", v1, v0)

    linking = cell.recipe["build"].get("dynamic_linking", {})
    same(
        "overlinking is an error",
        linking.get("overlinking_behavior") == "error",
        meta["build"].get("error_overlinking", False),
    )
    same(
        "missing DSO allowlist",
        list(linking.get("missing_dso_allowlist") or []),
        list(meta["build"].get("missing_dso_whitelist") or []),
    )

    tests = cell.recipe["tests"]
    imports = [
        i for t in tests if "python" in t for i in t["python"].get("imports", [])
    ]
    pip_check = any(t["python"].get("pip_check", True) for t in tests if "python" in t)
    # A command naming a test file names it where meta.yaml's test puts it.
    commands = (["pip check"] if pip_check else []) + [
        " ".join(located.get(word, word) for word in c.split(" "))
        for t in tests
        if "script" in t
        for c in t["script"]
    ]
    requires = (["pip"] if pip_check else []) + [
        r
        for t in tests
        if "script" in t
        for r in t.get("requirements", {}).get("run", [])
    ]
    recipe_files = [
        f for t in tests if "script" in t for f in t.get("files", {}).get("recipe", [])
    ]
    source_files = [
        f for t in tests if "script" in t for f in t.get("files", {}).get("source", [])
    ]
    test = meta.get("test", {})
    same("test imports", imports, test.get("imports", []))
    same("test commands", commands, test.get("commands", []))
    same("test requirements", requires, test.get("requires", []))
    same(
        "test files",
        [f for f in recipe_files if located.get(f, f) == f],
        test.get("files", []),
    )
    same(
        "test source files",
        source_files + [located[f] for f in recipe_files if located.get(f, f) != f],
        test.get("source_files", []),
    )

    about = cell.recipe["about"]
    for v1_key, v0_key in (
        ("homepage", "home"),
        ("repository", "dev_url"),
        ("documentation", "doc_url"),
        ("license", "license"),
        ("summary", "summary"),
        ("description", "description"),
    ):
        v0 = meta["about"].get(v0_key)
        # A YAML block scalar keeps its final newline; rattler-build strips it.
        same(
            f"about.{v1_key}",
            about.get(v1_key),
            v0.rstrip("\n") if isinstance(v0, str) else v0,
        )
    license_file = about.get("license_file")
    same(
        "about.license_file",
        license_file if isinstance(license_file, list) else [license_file],
        [meta["about"]["license_file"]],
    )
    return problems


def _recipe_test_files(cell: Cell) -> list[str]:
    return [
        f
        for t in cell.recipe["tests"]
        if "script" in t
        for f in t.get("files", {}).get("recipe", [])
    ]


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
            not cell.build_string.startswith(f"py{cell.python.replace('.', '')}")
            and cell.numpy is None
        ):
            problems.append(
                f"{where}: build string {cell.build_string} lacks the Python prefix"
            )
        if cell.numpy is not None and not cell.build_string.startswith(
            f"np{cell.numpy.replace('.', '')}py"
        ):
            problems.append(
                f"{where}: build string {cell.build_string} lacks the NumPy/Python prefix"
            )
    return problems


def check_recipe_variants(root: Path = ROOT) -> list[str]:
    """recipe/variants.yaml must equal variants/conda-forge on every key it sets, on every platform."""
    problems = []
    for platform in PLATFORMS:
        config = JinjaConfig(platform=platform_config(platform))
        minimal = VariantConfig.from_file_with_context(
            root / "recipe/variants.yaml", config
        ).to_dict()
        pinned = VariantConfig.from_files_with_context(
            [root / MATRICES["conda-forge"][0]], config
        ).to_dict()
        for key, values in sorted(minimal.items()):
            if [str(v) for v in values] != [str(v) for v in pinned.get(key, [])]:
                problems.append(
                    f"{platform.label}: recipe/variants.yaml {key} = {values} but {MATRICES['conda-forge'][0]} has {pinned.get(key)}"
                )
    return problems


def render_all(root: Path = ROOT) -> dict[tuple[str, str], list[Cell]]:
    """{(platform label, matrix): cells} for every platform and matrix."""
    return {(p.label, m): render_v1(root, p, m) for p in PLATFORMS for m in MATRICES}


def check(root: Path = ROOT) -> int:
    """Run every render check; return the number of distinct packages checked."""
    problems: list[str] = check_recipe_variants(root)
    meta_path = root / CONDA_BUILD_DIR / "meta.yaml"
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
            for cell in cells:
                try:
                    meta = render_v0(meta_path, platform, cell.variant)
                except Exception as error:  # noqa: BLE001
                    problems.append(
                        f"{platform.label} {cell.build_string}: meta.yaml does not render: {error}"
                    )
                    continue
                located, missing = locate_test_files(
                    root / "recipe", meta_path.parent, meta, _recipe_test_files(cell)
                )
                problems += missing + compare_v0(cell, meta, located)
    # Each problem once, however many cells show it.
    fail_if(list(dict.fromkeys(problems)), "render check failed")
    return total
