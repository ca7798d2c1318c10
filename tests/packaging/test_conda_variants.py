"""variants/: one conda_build_config.yaml per axis, restating their zip groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.conda import _common as common
from tools.conda import render_check as render
from tools.conda._common import ROOT, edit, repo_copy


def test_each_axis_is_a_conda_build_config_in_its_own_folder() -> None:
    files = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "variants").rglob("*.yaml")
    )
    assert files == [
        "variants/conda-forge/conda_build_config.yaml",
        "variants/hdf5/conda_build_config.yaml",
        "variants/numpy/conda_build_config.yaml",
        "variants/python314/conda_build_config.yaml",
    ]
    readme = (ROOT / "variants/README.md").read_text(encoding="utf-8")
    for name in files:
        assert name.removeprefix("variants/") in readme
    assert "rattler-build build -r recipe" in readme


def test_pinning_commit_is_named() -> None:
    text = (ROOT / "variants/conda-forge/conda_build_config.yaml").read_text(
        encoding="utf-8"
    )
    assert "f87504532b7060e6a2b55ae4d63b7960f32268af" in text


def test_later_files_restate_every_zip_group() -> None:
    base = common.load_yaml(ROOT / "variants/conda-forge/conda_build_config.yaml")[
        "zip_keys"
    ]
    for axis in ("python314", "numpy"):
        groups = common.load_yaml(ROOT / f"variants/{axis}/conda_build_config.yaml")[
            "zip_keys"
        ]
        for group in base:
            assert any(set(group) <= set(g) for g in groups), (axis, group)


def test_hdf5_axis_follows_the_hdf52_migration() -> None:
    # conda-forge's recipe/migrations/hdf52.yaml: hdf5: ['2', '1.14.6']. Crossed
    # with every other axis, so no zip_keys: those of the earlier files stay.
    hdf5 = common.load_yaml(ROOT / "variants/hdf5/conda_build_config.yaml")
    assert hdf5 == {"hdf5": ["2", "1.14.6"]}
    base = common.load_yaml(ROOT / "variants/conda-forge/conda_build_config.yaml")
    assert [str(v) for v in base["hdf5"]] == [hdf5["hdf5"][1]]
    assert common.MATRICES["hdf5"] == (
        *common.MATRICES["full"],
        "variants/hdf5/conda_build_config.yaml",
    )
    readme = (ROOT / "variants/README.md").read_text(encoding="utf-8")
    assert "hdf52" in readme
    assert "-m variants/hdf5/conda_build_config.yaml" in readme


def test_recipe_variants_equal_conda_forge_on_every_platform() -> None:
    assert render.check_recipe_variants(ROOT) == []


def test_recipe_variants_out_of_step_are_named(tmp_path: Path) -> None:
    root = repo_copy(tmp_path)
    edit(root / "recipe/variants.yaml", "  - 3.13.* *_cp313\n", "")
    problems = render.check_recipe_variants(root)
    assert problems
    assert all("recipe/variants.yaml python" in p for p in problems)


@pytest.mark.parametrize("platform", [p.label for p in common.PLATFORMS])
def test_only_recipe_variants_apply_without_m(platform: str) -> None:
    # `rattler-build build -r recipe` exactly as typed: conda-forge's Pythons, no NumPy axis.
    cells = render.render_v1(
        ROOT, {p.label: p for p in common.PLATFORMS}[platform], "recipe"
    )
    assert sorted(c.python for c in cells) == ["3.10", "3.11", "3.12", "3.13"]
    assert {c.numpy for c in cells} == {None}
