"""requires-pixi in pixi.toml equals the newest pixi feature the manifest uses
(the feature table is [pixi] in tools/conda/facts.toml)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tools.conda import requires_pixi
from tools.conda._common import ROOT, CheckError, facts, load_toml


def test_the_manifest_uses_workspace_not_project() -> None:
    manifest = load_toml(ROOT / "pixi.toml")
    assert "workspace" in manifest
    assert "project" not in manifest
    used = {row["name"] for row in requires_pixi.used_features(manifest)}
    assert {
        "`[workspace]` table",
        "`requires-pixi`",
        "task `description`",
        "`solve-strategy`",
    } <= used
    assert "task `args`" not in used


def test_every_table_row_cites_its_changelog_entry() -> None:
    rows = facts()["pixi"]["feature"]
    for row in rows:
        assert row["changelog"].startswith(f"{row['version']}: "), row
        assert row.get("always") or row["where"], row
    versions = [requires_pixi.version(row["version"]) for row in rows]
    assert versions == sorted(versions, reverse=True)


def test_paths_name_keys_items_and_tables() -> None:
    manifest: dict[str, Any] = {
        "tasks": {"a": "cmd", "b": {"depends-on": [{"task": "a", "environment": "x"}]}},
        "workspace": {"platforms": ["linux-64", {"platform": "osx-64"}]},
    }
    assert list(requires_pixi.found(manifest, "tasks.*.depends-on.*.environment")) == [
        "tasks.b.depends-on.0.environment"
    ]
    assert list(requires_pixi.found(manifest, "workspace.platforms.*.*")) == [
        "workspace.platforms.1.platform"
    ]
    assert list(requires_pixi.found(manifest, "tasks.*.args")) == []


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
        (
            "[feature.mkl.dependencies]\n",
            '[environments.x]\ndependencies = { git = "*" }\n\n[feature.mkl.dependencies]\n',
            r"inline environment dependencies",
        ),
    ],
)
def test_a_stale_or_unknown_requirement_fails(
    broken: Callable[..., Path], old: str, new: str, match: str
) -> None:
    root = broken("pixi.toml", old, new)
    with pytest.raises(CheckError, match=match):
        requires_pixi.check(root / "pixi.toml")


def test_a_newer_feature_raises_the_requirement(broken: Callable[..., Path]) -> None:
    # Pretend the lock file came from an older pixi: then a task's
    # default-environment (0.63.0) is the newest feature and must be required.
    root = broken(
        "pixi.toml",
        'cmd = "python -m tools.conda.check_all",',
        'cmd = "python -m tools.conda.check_all", default-environment = "packaging",',
    )
    table = facts()
    table["pixi"]["feature"] = [
        row for row in table["pixi"]["feature"] if "lock" not in row["name"]
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requires_pixi, "facts", lambda: table)
        with pytest.raises(CheckError, match=re.escape("task `default-environment`")):
            requires_pixi.check(root / "pixi.toml")
        broken(
            "pixi.toml",
            'requires-pixi = ">=0.68.0"',
            'requires-pixi = ">=0.63.0"',
        )
        assert requires_pixi.check(root / "pixi.toml") == (0, 63, 0)
