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
    # `rattler-build build -r recipe` as typed: the v1 recipe and its variants.
    assert {"recipe.yaml", "variants.yaml"} <= {
        p.name for p in (ROOT / "recipe").iterdir()
    }
    assert not {"meta.yaml", "build.sh", "bld.bat"} & {
        p.name for p in (ROOT / "recipe").iterdir()
    }


def test_both_forms_run_the_same_suite_subset_from_the_source() -> None:
    recipe = common.load_yaml(ROOT / "recipe/recipe.yaml")
    (suite,) = [t for t in recipe["tests"] if "files" in t]
    files = suite["files"]["source"]
    meta = (ROOT / V0_DIR / "meta.yaml").read_text(encoding="utf-8")
    assert "source:\n  path: ../..\n" in meta
    assert (ROOT / V0_DIR / "../..").resolve() == ROOT
    assert "  source_files:\n" + "".join(f"    - {f}\n" for f in files) in meta
    # The subset: what it needs is in the source, and its pytest settings too.
    assert {"pyproject.toml", "tests/conftest.py"} <= set(files)
    assert all((ROOT / f).is_file() for f in files)
    (command,) = suite["script"]["content"]
    assert command.startswith("python -m pytest ")
    assert f"    - {command}\n" in meta
    # Each expectation is set for bash and for cmd, before pytest runs.
    for key, value in suite["script"]["env"].items():
        unix = meta.index(f'    - export {key}="{value}"  # [unix]\n')
        win = meta.index(f'    - set "{key}={value}"  # [win]\n')
        assert max(unix, win) < meta.index(command)


def test_package_contents_become_file_checks_for_each_shell() -> None:
    meta = (ROOT / V0_DIR / "meta.yaml").read_text(encoding="utf-8")
    for unix, win in [
        ('test -f "$SP_DIR"/h5linalg/_core.*.so', None),
        (None, r"if not exist %SP_DIR%\h5linalg\_core.*.pyd exit 1"),
        (
            'test -f "$SP_DIR"/h5linalg/py.typed',
            r"if not exist %SP_DIR%\h5linalg\py.typed exit 1",
        ),
        (
            'test -f "$SP_DIR"/h5linalg-{{ version }}.dist-info/licenses/LICENSE',
            r"if not exist %SP_DIR%\h5linalg-{{ version }}.dist-info\licenses\LICENSE exit 1",
        ),
        (
            'test -f "$PREFIX"/bin/h5linalg',
            r"if not exist %PREFIX%\Scripts\h5linalg.exe exit 1",
        ),
    ]:
        for line, selector in ((unix, "unix"), (win, "win")):
            if line is not None:
                assert f"    - {line}  # [{selector}]\n" in meta
    assert "_core.*.pyd  # [unix]" not in meta
    assert "_core.*.so exit 1" not in meta


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
        (
            "      source:\n        - pyproject.toml\n",
            "      recipe:\n        - check.py\n      source:\n        - pyproject.toml\n",
            "tests[].files.recipe",
        ),
        (
            "        - if: unix\n          then: h5linalg/_core.*.so\n",
            "        - if: osx\n          then: h5linalg/_core.*.so\n",
            "the package_contents condition 'osx'",
        ),
        (
            "      bin:\n        - h5linalg\n",
            "      lib:\n        - hdf5\n",
            "tests[].package_contents.lib",
        ),
    ],
)
def test_constructs_it_cannot_convert_stop_it(
    broken: Callable[..., Path], old: str, new: str, what: str
) -> None:
    root = broken("recipe/recipe.yaml", old, new)
    with pytest.raises(CheckError, match=re.escape(what)):
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
