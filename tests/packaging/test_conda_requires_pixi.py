"""requires-pixi in pixi.toml equals the newest pixi feature the manifest uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conda_checks import ROOT, edit, repo_copy, tool

requires_pixi = tool("requires_pixi")
common = tool("_common")


def test_requires_pixi_matches_the_features_used() -> None:
    assert requires_pixi.check(ROOT / "pixi.toml") == (0, 68, 0)
    assert requires_pixi.main([str(ROOT / "pixi.toml"), "--table"]) == 0


def test_the_manifest_uses_workspace_not_project() -> None:
    manifest = common.load_toml(ROOT / "pixi.toml")
    assert "workspace" in manifest
    assert "project" not in manifest
    used = {f.name for f in requires_pixi.used_features(manifest)}
    assert "`[workspace]` table" in used
    assert "`requires-pixi`" in used


def test_every_table_row_cites_its_changelog_entry() -> None:
    for feature in requires_pixi.FEATURES:
        version = ".".join(map(str, feature.version))
        assert feature.changelog.startswith(f"{version}: "), feature
    versions = [f.version for f in requires_pixi.FEATURES]
    assert versions == sorted(versions, reverse=True)


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        (
            'requires-pixi = ">=0.68.0"',
            'requires-pixi = ">=0.60.0"',
            r"needs pixi 0\.68\.0",
        ),
        (
            'requires-pixi = ">=0.68.0"',
            'requires-pixi = ">=0.70.0"',
            r"needs pixi 0\.68\.0",
        ),
        ('requires-pixi = ">=0.68.0"', 'requires-pixi = "0.68.0"', r"not of the form"),
        ('requires-pixi = ">=0.68.0"\n', "", r"has no requires-pixi"),
        (
            'channels = ["conda-forge"]',
            'channels = ["conda-forge"]\nexclude-newer = "14d"',
            r"exclude-newer",
        ),
        (
            '"linux-aarch64",',
            '{ platform = "linux-aarch64", glibc = "2.28" },',
            r"rich platform entries",
        ),
    ],
)
def test_a_stale_or_unknown_requirement_fails(
    tmp_path: Path, old: str, new: str, match: str
) -> None:
    root = repo_copy(tmp_path)
    edit(root / "pixi.toml", old, new)
    with pytest.raises(common.CheckError, match=match):
        requires_pixi.check(root / "pixi.toml")
    assert requires_pixi.main([str(root / "pixi.toml")]) == 1


def test_a_newer_feature_raises_the_requirement(tmp_path: Path) -> None:
    # Pretend the lock file came from an older pixi: then a task's
    # default-environment (0.63.0) is the newest feature and must be required.
    root = repo_copy(tmp_path)
    edit(
        root / "pixi.toml",
        'cmd = "python tools/conda/check_all.py",',
        'cmd = "python tools/conda/check_all.py", default-environment = "packaging",',
    )
    features = tuple(f for f in requires_pixi.FEATURES if "lock" not in f.name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requires_pixi, "FEATURES", features)
        with pytest.raises(
            common.CheckError, match=re.escape("task `default-environment`")
        ):
            requires_pixi.check(root / "pixi.toml")
        edit(
            root / "pixi.toml",
            'requires-pixi = ">=0.68.0"',
            'requires-pixi = ">=0.63.0"',
        )
        assert requires_pixi.check(root / "pixi.toml") == (0, 63, 0)
