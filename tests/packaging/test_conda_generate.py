"""recipe/meta.yaml, build.sh and bld.bat are generated from recipe/recipe.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
from conda_checks import ROOT, edit, repo_copy, tool

generate = tool("generate_meta_yaml")
CheckError = tool("_common").CheckError


def test_committed_v0_form_is_current() -> None:
    generate.check(ROOT / "recipe/recipe.yaml", ROOT / "recipe")


def test_cli_check_passes() -> None:
    assert generate.main(["--check"]) == 0


def test_build_scripts_force_ninja_and_pass_the_version() -> None:
    files = generate.generate(ROOT / "recipe/recipe.yaml")
    assert 'export CMAKE_GENERATOR="Ninja"' in files["build.sh"]
    assert 'export SETUPTOOLS_SCM_PRETEND_VERSION="${PKG_VERSION}"' in files["build.sh"]
    assert 'set "CMAKE_GENERATOR=Ninja"' in files["bld.bat"]
    assert 'set "SETUPTOOLS_SCM_PRETEND_VERSION=%PKG_VERSION%"' in files["bld.bat"]
    for script in ("build.sh", "bld.bat"):
        assert (
            "python -m pip install . -vv --no-deps --no-build-isolation"
            in files[script]
        )
    # Only Windows clears Visual Studio's generator platform and toolset, and
    # before pip; no errorlevel check after `set` (clearing an unset variable fails).
    bat = files["bld.bat"].splitlines()
    clear = bat.index('set "CMAKE_GENERATOR_PLATFORM="')
    assert bat[clear + 1] == 'set "CMAKE_GENERATOR_TOOLSET="'
    assert bat[clear + 2].startswith("python -m pip install")
    assert bat[clear + 3] == "if errorlevel 1 exit 1"
    assert "CMAKE_GENERATOR_PLATFORM" not in files["build.sh"]


def test_a_recipe_change_makes_meta_yaml_stale(tmp_path: Path) -> None:
    root = repo_copy(tmp_path)
    edit(
        root / "recipe/recipe.yaml",
        "    - liblapack\n",
        "    - liblapack\n    - liblapacke\n",
    )
    with pytest.raises(CheckError, match=r"meta\.yaml is out of date") as error:
        generate.check(root / "recipe/recipe.yaml", root / "recipe")
    assert "+    - liblapacke" in str(error.value)
    assert generate.main(["--check", "--recipe", str(root / "recipe/recipe.yaml")]) == 1


def test_a_hand_edit_of_meta_yaml_is_caught(tmp_path: Path) -> None:
    root = repo_copy(tmp_path)
    edit(root / "recipe/meta.yaml", "    - ninja\n", "    - make\n")
    with pytest.raises(CheckError, match=r"meta\.yaml is out of date"):
        generate.check(root / "recipe/recipe.yaml", root / "recipe")


def test_a_hand_edit_of_bld_bat_is_caught(tmp_path: Path) -> None:
    root = repo_copy(tmp_path)
    edit(root / "recipe/bld.bat", "Ninja", "NMake Makefiles")
    with pytest.raises(CheckError, match=r"bld\.bat is out of date"):
        generate.check(root / "recipe/recipe.yaml", root / "recipe")


def test_windows_line_endings_are_not_drift(tmp_path: Path) -> None:
    root = repo_copy(tmp_path)
    meta = root / "recipe/meta.yaml"
    meta.write_bytes(meta.read_bytes().replace(b"\n", b"\r\n"))
    generate.check(root / "recipe/recipe.yaml", root / "recipe")


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        (
            "      then:\n        - python\n",
            "      then:\n        - python\n      else:\n        - make\n",
            "if/then/else",
        ),
        ("  number: 0\n", "  number: 0\n  noarch: python\n", "build.noarch"),
        (
            "      - python -m pip",
            "      - ${{ PYTHON }} -m pip",
            "Jinja in build.script.content",
        ),
        (
            "      - if: win\n        then:\n          # Visual",
            "      - if: osx\n        then:\n          # Visual",
            "build.script.content item",
        ),
    ],
)
def test_constructs_it_cannot_convert_stop_it(
    tmp_path: Path, old: str, new: str, what: str
) -> None:
    root = repo_copy(tmp_path)
    edit(root / "recipe/recipe.yaml", old, new)
    with pytest.raises(CheckError, match=what.replace(".", r"\.")):
        generate.generate(root / "recipe/recipe.yaml")
