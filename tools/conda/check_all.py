"""Every offline check of the conda side of h5linalg (`pixi run recipe-check`).

1. recipe/conda-build/meta.yaml, build.sh and bld.bat are current (generated
   from recipe/recipe.yaml by generate_meta_yaml.py)
2. pixi.toml and recipe/recipe.yaml validate against the schemas they name
   (check-jsonschema)
3. the recipe renders over the whole variant matrix on all platforms
   (render_check.py)
4. pyproject.toml, recipe/, pixi.toml and variants/ agree (drift_check.py)
5. requires-pixi matches the pixi features used (requires_pixi.py)
6. conda-forge's lint rules pass on the recipe folders recipe/ and
   recipe/conda-build/, each holding one recipe format (R-051), and on a trial
   staged recipe of both formats (conda_forge_lint.py, staged_recipe.py)
7. the workflows follow the project's rules (check-jsonschema: a timeout for
   every job, the rules of workflow-rules.yaml), every action pinned by SHA
   with a version comment (GitHub's schemas and zizmor are pre-commit hooks)

    python -m tools.conda.check_all                  # every check
    python -m tools.conda.check_all drift render     # some of them (--list)

Schemas: set H5LINALG_PIXI_SCHEMA / H5LINALG_RECIPE_SCHEMA to local copies to
work without network; otherwise check-jsonschema fetches the URL the file names.
What a cell renders to: `rattler-build build --render-only -r recipe -m ...`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tools.conda import (
    drift_check,
    generate_meta_yaml,
    render_check,
    requires_pixi,
    staged_recipe,
)
from tools.conda._common import (
    CONDA_BUILD_DIR,
    ROOT,
    CheckError,
    fail_if,
    load_toml,
    run_tool,
)
from tools.offline import conda_forge_lint

#: The variable naming a local copy of each file's schema, by file suffix.
SCHEMA_ENV = {".toml": "H5LINALG_PIXI_SCHEMA", ".yaml": "H5LINALG_RECIPE_SCHEMA"}
_SCHEMA_COMMENT = re.compile(
    r"^#\s*yaml-language-server:\s*\$schema=(\S+)", re.MULTILINE
)
_USES = re.compile(r"^\s*-?\s*uses:")
_PINNED = re.compile(
    r"^\s*-?\s*uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*\s*$"
)
WORKFLOW_RULES = Path(__file__).resolve().parent / "workflow-rules.yaml"


def named_schema(path: Path) -> str:
    """The schema URL a file names: pixi.toml's "$schema" key, recipe.yaml's
    `# yaml-language-server: $schema=` comment (what editors read too)."""
    if path.suffix == ".toml":
        url = load_toml(path).get("$schema")
        missing = f'{path} has no "$schema" key naming pixi\'s manifest schema'
    else:
        match = _SCHEMA_COMMENT.search(path.read_text(encoding="utf-8"))
        url = match[1] if match else None
        missing = f"{path} lacks the '# yaml-language-server: $schema=...' comment naming the recipe schema"
    if not url:
        raise CheckError(missing)
    return str(url)


def check_schema(path: Path) -> None:
    """check-jsonschema against the local copy SCHEMA_ENV names, else the named URL."""
    url = named_schema(path)
    local = os.environ.get(SCHEMA_ENV[path.suffix])
    if not local and not url.startswith("https://"):
        msg = f"refusing to fetch a schema from {url!r}; set {SCHEMA_ENV[path.suffix]} to a local copy"
        raise CheckError(msg)
    run_tool("check-jsonschema", "--schemafile", local or url, str(path))


def check_workflows(github: Path) -> None:
    workflows = sorted(str(p) for p in (github / "workflows").glob("*.y*ml"))
    if not workflows:
        msg = f"no workflows under {github / 'workflows'}"
        raise CheckError(msg)
    # GitHub's own schemas (workflows, dependabot.yml) and `zizmor --offline` are
    # pre-commit hooks (.pre-commit-config.yaml), run by the lint stage: here only
    # the project's rules on top of them.
    for schema in (
        ["--builtin-schema", "custom.github-workflows-require-timeout"],
        ["--schemafile", str(WORKFLOW_RULES)],
    ):
        run_tool("check-jsonschema", *schema, *workflows)
    # zizmor asks for a SHA; the comment says which release it is (offline).
    fail_if(
        [
            f"{Path(w).name}:{number}: action not pinned by full commit SHA with a `# vX.Y.Z` comment: {line.strip()}"
            for w in workflows
            for number, line in enumerate(Path(w).read_text("utf-8").splitlines(), 1)
            if _USES.match(line) and not _PINNED.match(line)
        ],
        "workflow rules",
    )


def lint_recipe(root: Path) -> None:
    # Folders, not files: a folder with both formats is a lint of its own.
    findings = conda_forge_lint.lint_paths([root / "recipe", root / CONDA_BUILD_DIR])
    fail_if(
        [str(f) for f in findings if f.kind == "lint"],
        f"conda-forge lint of recipe/ and {CONDA_BUILD_DIR.as_posix()}/",
    )


def lint_trial_staged(root: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folders = staged_recipe.write_staged(
            root, Path(tmp), "0.0.0", "0" * 64, None, v0=True
        )
        staged_recipe.verify(root, folders)


#: name -> (what it checks, the check of a repository root).
CHECKS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "generated": (
        "generated meta.yaml is current",
        lambda root: generate_meta_yaml.check(
            root / "recipe/recipe.yaml", root / CONDA_BUILD_DIR
        ),
    ),
    "pixi-schema": (
        "pixi.toml schema (check-jsonschema)",
        lambda root: check_schema(root / "pixi.toml"),
    ),
    "recipe-schema": (
        "recipe.yaml schema (check-jsonschema)",
        lambda root: check_schema(root / "recipe/recipe.yaml"),
    ),
    "render": (
        "variant matrix render (rattler-build)",
        render_check.check,
    ),
    "drift": (
        "drift between pyproject.toml, recipes, pixi.toml, variants/",
        drift_check.check,
    ),
    "requires-pixi": (
        "requires-pixi",
        lambda root: requires_pixi.check(root / "pixi.toml"),
    ),
    "lint": ("conda-forge lint of recipe/ and recipe/conda-build/", lint_recipe),
    "lint-staged": (
        "conda-forge lint of a trial staged recipe (v1 and v0)",
        lint_trial_staged,
    ),
    "workflows": (
        "GitHub workflows: timeouts, workflow-rules.yaml, pinned actions",
        lambda root: check_workflows(root / ".github"),
    ),
}


def run(name: str, check: Callable[[Path], object], root: Path) -> bool:
    try:
        check(root)
    except CheckError as error:
        print(f"FAIL  {name}\n{error}\n", file=sys.stderr)
        return False
    print(f"ok    {name}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("checks", nargs="*", metavar="CHECK", help="default: all")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    parser.add_argument("--list", action="store_true", help="name every check")
    args = parser.parse_args(argv)
    if args.list:
        for name, (what, _check) in CHECKS.items():
            print(f"{name:14} {what}")
        return 0
    unknown = sorted(set(args.checks) - set(CHECKS))
    if unknown:
        parser.error(f"no check named {', '.join(unknown)} (see --list)")
    chosen = args.checks or list(CHECKS)
    failed = sum(not run(*CHECKS[name], args.root) for name in chosen)
    print(f"{len(chosen) - failed} of {len(chosen)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
