"""Every offline check of the conda side of h5linalg (`pixi run recipe-check`).

1. recipe/conda-build/meta.yaml, build.sh and bld.bat are current (generated
   from recipe/recipe.yaml)
2. pixi.toml and recipe/recipe.yaml validate against their schemas
3. the recipe renders over the whole variant matrix on all platforms, and
   meta.yaml agrees with it (render_check.py)
4. pyproject.toml, recipe/, pixi.toml and variants/ agree (drift_check.py)
5. requires-pixi matches the pixi features used (requires_pixi.py)
6. conda-forge's lint rules pass on the recipe folders recipe/ and
   recipe/conda-build/, each holding one recipe format (R-051), and on a trial
   staged recipe of both formats (conda_forge_lint.py, staged_recipe.py)
7. the workflows validate and zizmor finds nothing (workflow_check.py)

Schemas: set H5LINALG_PIXI_SCHEMA / H5LINALG_RECIPE_SCHEMA to local copies to
work without network (see schema_check.py).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import conda_forge_lint
import drift_check
import generate_meta_yaml
import render_check
import requires_pixi
import schema_check
import staged_recipe
import workflow_check
from _common import CONDA_BUILD_DIR, ROOT, CheckError, fail_if


def _lint_recipe(root: Path = ROOT) -> None:
    # Folders, not files: a folder with both formats is a lint of its own.
    findings = conda_forge_lint.lint_paths([root / "recipe", root / CONDA_BUILD_DIR])
    fail_if(
        [str(f) for f in findings if f.kind == "lint"],
        f"conda-forge lint of recipe/ and {CONDA_BUILD_DIR.as_posix()}/",
    )


def _lint_trial_staged() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folders = staged_recipe.write_staged(
            ROOT, Path(tmp), "0.0.0", "0" * 64, None, v0=True
        )
        staged_recipe.verify(folders)


CHECKS: list[tuple[str, Callable[[], object]]] = [
    (
        "generated meta.yaml is current",
        lambda: generate_meta_yaml.check(
            ROOT / "recipe/recipe.yaml", ROOT / CONDA_BUILD_DIR
        ),
    ),
    ("pixi.toml schema", lambda: schema_check.check_pixi(ROOT / "pixi.toml")),
    (
        "recipe.yaml schema",
        lambda: schema_check.check_recipe(ROOT / "recipe/recipe.yaml"),
    ),
    (
        "variant matrix render (rattler-build) and meta.yaml (Jinja2)",
        lambda: render_check.check(ROOT),
    ),
    (
        "drift between pyproject.toml, recipes, pixi.toml, variants/",
        lambda: drift_check.check(ROOT),
    ),
    ("requires-pixi", lambda: requires_pixi.check(ROOT / "pixi.toml")),
    ("conda-forge lint of recipe/ and recipe/conda-build/", _lint_recipe),
    ("conda-forge lint of a trial staged recipe (v1 and v0)", _lint_trial_staged),
    (
        "GitHub workflows (check-jsonschema, zizmor --offline)",
        lambda: workflow_check.check(ROOT / ".github"),
    ),
]


def run(name: str, check: Callable[[], object]) -> bool:
    try:
        check()
    except CheckError as error:
        print(f"FAIL  {name}\n{error}\n", file=sys.stderr)
        return False
    print(f"ok    {name}")
    return True


def main() -> int:
    failed = sum(not run(name, check) for name, check in CHECKS)
    print(f"{len(CHECKS) - failed} of {len(CHECKS)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
