"""Validate pixi.toml and recipe/recipe.yaml against the tools' own JSON schemas.

The schema of each file is the one it names (pixi.toml's "$schema" key, the
recipe's `yaml-language-server: $schema=` comment), fetched from there, unless
an environment variable points at a local copy:

    H5LINALG_PIXI_SCHEMA=/path/to/schema.json     pixi's manifest schema
    H5LINALG_RECIPE_SCHEMA=/path/to/schema.json   the conda recipe (v1) schema

    python tools/conda/schema_check.py [pixi.toml] [recipe/recipe.yaml ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.request
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from _common import ROOT, CheckError, fail_if, load_toml

PIXI_SCHEMA_ENV = "H5LINALG_PIXI_SCHEMA"
RECIPE_SCHEMA_ENV = "H5LINALG_RECIPE_SCHEMA"
_RECIPE_SCHEMA_COMMENT = re.compile(
    r"^#\s*yaml-language-server:\s*\$schema=(\S+)", re.MULTILINE
)


def load_schema(env_var: str, url: str) -> dict[str, Any]:
    """The schema from the file named by ``env_var``, else downloaded from ``url``."""
    local = os.environ.get(env_var)
    if local:
        schema: dict[str, Any] = json.loads(Path(local).read_text(encoding="utf-8"))
        return schema
    if not url.startswith("https://"):
        msg = f"refusing to fetch a schema from {url!r}; set {env_var} to a local copy"
        raise CheckError(msg)
    try:  # https only, checked above
        with urllib.request.urlopen(url, timeout=60) as response:
            fetched: dict[str, Any] = json.loads(response.read().decode("utf-8"))
            return fetched
    except OSError as error:
        msg = f"cannot fetch the schema {url} ({error}); set {env_var} to a local copy"
        raise CheckError(msg) from error


def validate(instance: Any, schema: dict[str, Any], what: str) -> None:
    """Raise CheckError listing every schema violation of ``instance``."""
    cls = jsonschema.validators.validator_for(
        schema, default=jsonschema.Draft202012Validator
    )
    errors = sorted(
        cls(schema).iter_errors(instance), key=lambda e: list(e.absolute_path)
    )
    problems = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}"
        for e in errors
    ]
    fail_if(problems, f"{what} does not validate against its schema")


def check_pixi(path: Path) -> None:
    manifest = load_toml(path)
    url = manifest.get("$schema")
    if not url:
        msg = f'{path} has no "$schema" key naming pixi\'s manifest schema'
        raise CheckError(msg)
    validate(manifest, load_schema(PIXI_SCHEMA_ENV, url), str(path))


def check_recipe(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    match = _RECIPE_SCHEMA_COMMENT.search(text)
    if not match:
        msg = f"{path} lacks the '# yaml-language-server: $schema=...' comment naming the recipe schema"
        raise CheckError(msg)
    validate(yaml.safe_load(text), load_schema(RECIPE_SCHEMA_ENV, match[1]), str(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        help="pixi.toml and/or recipe.yaml files (default: the project's)",
    )
    args = parser.parse_args(argv)
    files = args.files or [ROOT / "pixi.toml", ROOT / "recipe/recipe.yaml"]
    return max(_check_one(path) for path in files)


def _check_one(path: Path) -> int:
    try:
        (check_pixi if path.suffix == ".toml" else check_recipe)(path)
    except CheckError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{path}: valid")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
