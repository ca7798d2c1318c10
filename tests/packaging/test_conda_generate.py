"""recipe/conda-build/ (meta.yaml, build.sh, bld.bat) is generated from recipe/recipe.yaml."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tools.conda import _common as common
from tools.conda import check_all
from tools.conda import generate_meta_yaml as generate
from tools.conda._common import ROOT

CheckError = common.CheckError
V0_DIR = common.CONDA_BUILD_DIR


def test_each_form_has_its_own_folder() -> None:
    assert sorted(p.name for p in (ROOT / V0_DIR).iterdir()) == [
        "bld.bat",
        "build.sh",
        "meta.yaml",
    ]
    # `rattler-build build -r recipe` as typed: the v1 recipe, its variants and test.
    assert {"recipe.yaml", "variants.yaml", "test_covariance.py"} <= {
        p.name for p in (ROOT / "recipe").iterdir()
    }
    assert not {"meta.yaml", "build.sh", "bld.bat"} & {
        p.name for p in (ROOT / "recipe").iterdir()
    }


def test_v0_form_takes_the_test_script_from_the_source_tree() -> None:
    # One test script: meta.yaml's source is the repository, which holds it.
    meta = (ROOT / V0_DIR / "meta.yaml").read_text(encoding="utf-8")
    assert "source:\n  path: ../..\n" in meta
    assert (ROOT / V0_DIR / "../..").resolve() == ROOT
    assert "  source_files:\n    - recipe/test_covariance.py\n" in meta
    assert "    - python recipe/test_covariance.py\n" in meta
    assert "\n  files:" not in meta
    assert (ROOT / "recipe/test_covariance.py").is_file()


def test_generated_beside_the_recipe_the_form_is_unchanged() -> None:
    # Where the files are beside meta.yaml (the staged v0 folder), test: files.
    files = generate.generate(ROOT / "recipe/recipe.yaml", directory=ROOT / "recipe")
    assert "source:\n  path: ..\n" in files["meta.yaml"]
    assert "  files:\n    - test_covariance.py\n" in files["meta.yaml"]
    assert "    - python test_covariance.py\n" in files["meta.yaml"]


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


def test_a_recipe_change_makes_meta_yaml_stale(broken: Callable[..., Path]) -> None:
    root = broken(
        "recipe/recipe.yaml", "    - liblapack\n", "    - liblapack\n    - liblapacke\n"
    )
    with pytest.raises(CheckError, match=r"meta\.yaml is out of date") as error:
        generate.check(root / "recipe/recipe.yaml", root / V0_DIR)
    assert "+    - liblapacke" in str(error.value)
    assert check_all.main(["--root", str(root), "generated"]) == 1


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("meta.yaml", "    - ninja\n", "    - make\n"),
        ("bld.bat", "Ninja", "NMake Makefiles"),
    ],
)
def test_a_hand_edit_is_caught(
    broken: Callable[..., Path], name: str, old: str, new: str
) -> None:
    root = broken(V0_DIR / name, old, new)
    with pytest.raises(CheckError, match=rf"{re.escape(name)} is out of date"):
        generate.check(root / "recipe/recipe.yaml", root / V0_DIR)


def test_windows_line_endings_are_not_drift(broken: Callable[..., Path]) -> None:
    root = broken()
    meta = root / V0_DIR / "meta.yaml"
    meta.write_bytes(meta.read_bytes().replace(b"\n", b"\r\n"))
    generate.check(root / "recipe/recipe.yaml", root / V0_DIR)


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
    broken: Callable[..., Path], old: str, new: str, what: str
) -> None:
    root = broken("recipe/recipe.yaml", old, new)
    with pytest.raises(CheckError, match=what.replace(".", r"\.")):
        generate.generate(root / "recipe/recipe.yaml")


def test_a_v0_form_left_in_recipe_is_not_the_generated_one(
    broken: Callable[..., Path],
) -> None:
    # The old location is no longer written or checked: the drift check looks
    # at recipe/conda-build/ only, and a missing file there is drift.
    root = broken()
    (root / V0_DIR / "build.sh").unlink()
    with pytest.raises(CheckError, match=r"build\.sh is out of date"):
        generate.check(root / "recipe/recipe.yaml", root / V0_DIR)
    assert generate.main(["--recipe", str(root / "recipe/recipe.yaml")]) == 0
    assert (root / V0_DIR / "build.sh").is_file()
    assert not (root / "recipe/build.sh").exists()
