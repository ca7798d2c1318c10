"""pixi.toml and recipe/recipe.yaml against the tools' own JSON schemas.

The schemas come from H5LINALG_PIXI_SCHEMA / H5LINALG_RECIPE_SCHEMA when set
(CI points them at local copies), else from the URLs the files name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conda_checks import ROOT, edit, repo_copy, tool

schemas = tool("schema_check")
CheckError = tool("_common").CheckError


def test_pixi_toml_is_valid() -> None:
    schemas.check_pixi(ROOT / "pixi.toml")


def test_recipe_yaml_is_valid() -> None:
    schemas.check_recipe(ROOT / "recipe/recipe.yaml")


def test_files_name_the_schema_versions_the_checks_use() -> None:
    assert 'https://pixi.sh/v0.77.0/schema/manifest/schema.json"' in (
        ROOT / "pixi.toml"
    ).read_text(encoding="utf-8")
    first = (ROOT / "recipe/recipe.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert (
        first
        == "# yaml-language-server: $schema=https://raw.githubusercontent.com/prefix-dev/recipe-format/main/schema.json"
    )


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        (
            'channels = ["conda-forge"]',
            'channels = "conda-forge"',
            r"workspace/channels",
        ),
        ("[feature.mkl]\n", "[feature.mkl]\nplatform = 1\n", r"feature/mkl"),
        ("[environments]\n", "[enviroments]\n", r"enviroments"),
        (
            'depends-on = ["build"], description',
            'depends-on = "build", descripton',
            r"tasks/test",
        ),
    ],
)
def test_broken_pixi_toml_fails(tmp_path: Path, old: str, new: str, match: str) -> None:
    root = repo_copy(tmp_path)
    edit(root / "pixi.toml", old, new)
    with pytest.raises(CheckError, match=match):
        schemas.check_pixi(root / "pixi.toml")


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("  number: 0\n", "  numbr: 0\n", r"build"),
        (
            "  license_file: LICENSE\n",
            "  license_file: LICENSE\n  licence: MIT\n",
            r"about",
        ),
        (
            "    overlinking_behavior: error\n",
            "    overlinking_behavior: fatal\n",
            r"dynamic_linking",
        ),
        ("schema_version: 1\n", "schema_version: 2\n", r"schema_version"),
    ],
)
def test_broken_recipe_fails(tmp_path: Path, old: str, new: str, match: str) -> None:
    root = repo_copy(tmp_path)
    edit(root / "recipe/recipe.yaml", old, new)
    with pytest.raises(CheckError, match=match):
        schemas.check_recipe(root / "recipe/recipe.yaml")


def test_files_must_name_their_schema(tmp_path: Path) -> None:
    root = repo_copy(tmp_path)
    edit(root / "pixi.toml", '"$schema" = ', "# ")
    with pytest.raises(CheckError, match=r"no \"\$schema\" key"):
        schemas.check_pixi(root / "pixi.toml")
    edit(root / "recipe/recipe.yaml", "# yaml-language-server: $schema=", "# schema: ")
    with pytest.raises(CheckError, match=r"lacks the '# yaml-language-server"):
        schemas.check_recipe(root / "recipe/recipe.yaml")


def test_schema_path_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    strict = tmp_path / "schema.json"
    strict.write_text(
        '{"type": "object", "required": ["nothing-has-this"]}', encoding="utf-8"
    )
    monkeypatch.setenv("H5LINALG_PIXI_SCHEMA", str(strict))
    with pytest.raises(CheckError, match=r"nothing-has-this"):
        schemas.check_pixi(ROOT / "pixi.toml")


def test_cli_reports_each_file() -> None:
    assert (
        schemas.main([str(ROOT / "pixi.toml"), str(ROOT / "recipe/recipe.yaml")]) == 0
    )
