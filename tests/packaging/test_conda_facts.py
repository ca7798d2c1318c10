"""tools/conda/facts.toml, the facts kept by hand: complete, each with its
source, and not older than the tools this repository pins. A failure here says
which table to read again and where from."""

from __future__ import annotations

import re

from packaging.requirements import Requirement

from tools.conda._common import ROOT, facts, load_toml, load_yaml


def test_pixi_features_were_read_at_the_pinned_pixi() -> None:
    read_at = facts()["pixi"]["read-at"]
    schema = load_toml(ROOT / "pixi.toml")["$schema"]
    pinned = {re.search(r"/v(\d+\.\d+\.\d+)/", schema)[1]}  # type: ignore[index]
    for workflow in (ROOT / ".github/workflows").glob("*.yml"):
        for job in load_yaml(workflow)["jobs"].values():
            for step in job.get("steps", []):
                if "setup-pixi" in step.get("uses", ""):
                    pinned.add(step["with"]["pixi-version"].removeprefix("v"))
    assert pinned == {read_at}, (
        f"pixi.toml's $schema or a workflow's pixi-version moved from {read_at} to "
        f"{sorted(pinned)}: read pixi's CHANGELOG.md up to that release, add its new "
        "manifest features to [[pixi.feature]] of tools/conda/facts.toml (or "
        "[[pixi.unread]]), then set [pixi] read-at"
    )


def test_rattler_build_facts_were_read_at_the_pinned_py_rattler_build() -> None:
    groups = load_toml(ROOT / "pyproject.toml")["dependency-groups"]["packaging"]
    pin = next(r for r in map(Requirement, groups) if r.name == "py-rattler-build")
    read_at = facts()["rattler-build"]["read-at"]
    assert str(pin.specifier) == f"=={read_at}", (
        f"py-rattler-build is now pinned {pin.specifier}: check that rattler-build "
        "still merges -m files and recipe/variants.yaml as _common.cli_variant_files "
        "says (src/lib.rs), then set [rattler-build] read-at in tools/conda/facts.toml"
    )


def test_run_exports_name_their_feedstock_and_a_bound() -> None:
    exports = facts()["run-exports"]
    assert {"libdeflate", "zstd", "lz4-c", "blosc", "liblzf", "snappy"} <= set(exports)
    for name, fact in exports.items():
        assert fact["upper-bound"] in {"x", "x.x", "x.x.x"}, name
        assert f"conda-forge/{name}-feedstock " in fact["seen"], name


def test_a_stand_in_exports_pin_subpackages_bound() -> None:
    from tools.offline.standin_channel import pinned_export

    assert pinned_export("zstd", "1.5.4") == "zstd >=1.5.4,<1.6.0a0"
    assert pinned_export("lz4-c", "1.9.4") == "lz4-c >=1.9.4,<1.10.0a0"
    assert pinned_export("blosc", "1.21.3") == "blosc >=1.21.3,<2.0a0"
    assert pinned_export("liblzf", "3.6") == "liblzf >=3.6,<3.7.0a0"
    assert pinned_export("libdeflate", "1.14") == "libdeflate >=1.14,<1.15.0a0"
