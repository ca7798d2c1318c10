"""conda-forge's recipe rules (tools/offline/conda_forge_lint.py) for both recipe formats.

They must pass on recipe/ and recipe/conda-build/ and on the staged-recipes
folders of both formats, no folder of the repository may hold both formats,
and each rule must fire on a recipe broken the way it forbids.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tools.conda import _common as common
from tools.conda import check_all
from tools.conda import staged_recipe as staged
from tools.conda._common import ROOT
from tools.offline import conda_forge_lint as lint

V0 = common.CONDA_BUILD_DIR / "meta.yaml"


def lints(findings: list[lint.Finding]) -> list[str]:
    return [f.rule for f in findings if f.kind == "lint"]


def staged_folders(tmp_path: Path, root: Path = ROOT) -> list[Path]:
    folders: list[Path] = staged.write_staged(
        root, tmp_path / "out", "1.2.3", "a" * 64, ["octocat"], v0=True
    )
    return folders


def test_recipe_folders_have_no_lints_or_hints() -> None:
    folders = [ROOT / "recipe", ROOT / common.CONDA_BUILD_DIR]
    assert [f.rule for f in lint.lint_paths(folders)] == []


def test_no_folder_of_the_repository_holds_both_formats(
    worktree_files: list[Path],
) -> None:
    # conda-forge's linter: "Recipe folder contains both meta.yaml and
    # recipe.yaml. Only one recipe file at a time is allowed." (R-051)
    folders = {
        path.parent
        for path in worktree_files
        if path.name in ("recipe.yaml", "meta.yaml") and path.is_file()
    }
    assert {ROOT / "recipe", ROOT / common.CONDA_BUILD_DIR} <= folders
    for folder in folders:
        assert "R-051" not in lints(lint.lint_folder(folder)), folder
        assert not (
            (folder / "recipe.yaml").is_file() and (folder / "meta.yaml").is_file()
        )


def test_a_folder_with_both_formats_is_caught(tmp_path: Path) -> None:
    both = tmp_path / "both"
    shutil.copytree(ROOT / "recipe", both, ignore=shutil.ignore_patterns("conda-build"))
    shutil.copy2(ROOT / V0, both / "meta.yaml")
    assert "R-051" in lints(lint.lint_folder(both))
    # Given as two files, the folder rule cannot see it: check_all lints folders.
    assert "R-051" not in lints(
        lint.lint_paths([both / "recipe.yaml", both / "meta.yaml"])
    )


def test_check_all_catches_meta_yaml_back_in_recipe(
    broken: Callable[..., Path],
) -> None:
    root = broken()
    shutil.copy2(root / V0, root / "recipe/meta.yaml")
    with pytest.raises(common.CheckError, match=r"R-051"):
        check_all.lint_recipe(root)


def test_staged_folders_have_no_lints(tmp_path: Path) -> None:
    v1, v0 = staged_folders(tmp_path)
    assert [f.rule for f in lint.lint_folder(v1, staged=True)] == []
    # v0 is deprecated: a hint
    assert [f.rule for f in lint.lint_folder(v0, staged=True)] == ["S-008"]


V1_BREAKS = [
    ("    - ${{ stdlib('c') }}\n", "", "R-033"),
    (
        "    - ${{ stdlib('c') }}\n",
        '    - ${{ stdlib("c") }}\n    - sysroot_linux-64 2.17\n',
        "R-034",
    ),
    ("    - numpy >=1.25\n", "    - numpy>=1.25\n", "R-022"),
    ("    - numpy >=1.25\n", "    - numpy >= 1.25\n", "R-021"),
    ("  run:\n    - python\n", "  run:\n    - python >=3.10\n", "R-024"),
    ("  run:\n    - python\n", "  run:\n", "R-023"),
    ("    - ninja\n", "    - ninja  # [unix]\n", "R1-001"),
    ("  license_file: LICENSE\n", "", "R-013"),
    ("  license: BSD-3-Clause\n", "  license: BSD-3-Clause License\n", "R-010"),
    ("  homepage: https://github.com/h5linalg/h5linalg\n", "", "R-002"),
    ("  number: 0\n", "  string: custom\n", "R-008"),
    ("extra:\n  recipe-maintainers:", "extra:\n  maintainers:", "R-003"),
    ("schema_version: 1\n", "schema_version: 1\nfoo: bar\n", "R-000"),
    ("schema_version: 1\n", "", "R-001"),
    ("tests:\n", "tests: []\nunused_tests:\n", "R-005"),
    ("    - numpy >=1.25\n", "    - numpy x.x\n", "R-017"),
    ("  number: 0\n", "  number: 0\n  noarch: pure\n", "R-020"),
    ("  name: h5linalg\n", "  name: H5Linalg\n", "R-012"),
    # conda-smithy 2026.8.5 read this as `env_"H5LINALG_VERSION"`: invalid version.
    (
        '  version: "0.0.0"\n',
        '  version: ${{ env.get("H5LINALG_VERSION", default="0.0.0") }}\n',
        "R-016",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "rule"), V1_BREAKS, ids=[b[2] for b in V1_BREAKS]
)
def test_v1_rule_fires(
    broken: Callable[..., Path], old: str, new: str, rule: str
) -> None:
    path = broken("recipe/recipe.yaml", old, new) / "recipe/recipe.yaml"
    if rule == "R-001":  # move schema_version below context
        broken(path, "\npackage:\n", "\nschema_version: 1\n\npackage:\n")
    assert rule in lints(lint.lint_file(path))


def test_v1_float_version_and_trailing_blank_lines(broken: Callable[..., Path]) -> None:
    root = broken()
    path = root / "recipe/recipe.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index('  version: "0.0.0"')
    end = text.index("\n", start)
    path.write_text(
        text[:start] + "  version: 1.10" + text[end:] + "\n", encoding="utf-8"
    )
    assert {"R-040", "R-011"} <= set(lints(lint.lint_file(path)))


V0_BREAKS = [
    ("    - {{ stdlib('c') }}\n", "", "R-033"),
    ("  # [win]", " # [win]", "R0-001"),
    (
        "  error_overlinking: true\n",
        "  error_overlinking: true\n  errror_overdepending: true\n",
        "R-018",
    ),
    ('{% set name = "h5linalg" %}', '{%set name = "h5linalg" %}', "R0-005"),
    ("  license_family: BSD\n", "  license_family: BSDish\n", "R0-007"),
    ("  license_file: LICENSE\n", "", "R-013"),
    ("    - numpy >=1.25\n", "    - numpy>=1.25\n", "R-022"),
    (
        "test:\n  imports:\n    - h5linalg\n    - h5linalg._core\n",
        "test:\n  imports:\n",
        "R-005",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "rule"), V0_BREAKS, ids=[b[2] for b in V0_BREAKS]
)
def test_v0_rule_fires(
    broken: Callable[..., Path], old: str, new: str, rule: str
) -> None:
    path = broken(V0, old, new) / V0
    if rule == "R-005":
        broken(
            path,
            "  commands:\n    - pip check\n",
            "  commands_gone:\n    - pip check\n",
        )
    assert rule in lints(lint.lint_file(path))


STAGED_BREAKS = [
    (
        "  url: https://github.com/h5linalg/h5linalg/releases/download/v${{ version }}/h5linalg-${{ version }}.tar.gz\n  sha256: "
        + "a" * 64
        + "\n",
        "  path: ../..\n",
        "S-002",
    ),
    ("  sha256: " + "a" * 64 + "\n", "", "R-019"),
    ("  number: 0\n", "  number: 1\n", "S-003"),
    ("    - pip\n", "", "S-006"),
    ("    - ninja\n", "", "S-005"),
    ("      pip_check: true\n", "      pip_check: false\n", "S-009"),
    ("  number: 0\n", "  number: 0\n  noarch: python\n", "S-007"),
]


@pytest.mark.parametrize(
    ("old", "new", "rule"), STAGED_BREAKS, ids=[b[2] for b in STAGED_BREAKS]
)
def test_staged_rule_fires(
    tmp_path: Path, broken: Callable[..., Path], old: str, new: str, rule: str
) -> None:
    v1, _ = staged_folders(tmp_path)
    broken(v1 / "recipe.yaml", old, new)
    assert rule in lints(lint.lint_folder(v1, staged=True))


def test_staged_folder_must_not_carry_variants_or_both_forms(tmp_path: Path) -> None:
    v1, v0 = staged_folders(tmp_path)
    (v1 / "variants.yaml").write_text(
        "python:\n  - 3.12.* *_cpython\n", encoding="utf-8"
    )
    (v1 / "meta.yaml").write_text(
        (v0 / "meta.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    found = lints(lint.lint_folder(v1, staged=True))
    assert "S-004" in found
    assert "R-051" in found


def test_staged_folder_location(tmp_path: Path) -> None:
    v1, _ = staged_folders(tmp_path)
    moved = tmp_path / "elsewhere" / "h5linalg"
    moved.parent.mkdir(parents=True)
    v1.rename(moved)
    assert "S-001" in lints(lint.lint_folder(moved, staged=True))
