"""The GitHub Actions workflows: check-jsonschema, zizmor --offline and the project's rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conda_checks import ROOT, edit, repo_copy, tool

workflows = tool("workflow_check")
common = tool("_common")

CI = ".github/workflows/ci.yml"
PACKAGES = ".github/workflows/conda-package.yml"
CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"


def test_workflows_validate() -> None:
    workflows.check(ROOT / ".github")
    assert workflows.main([str(ROOT / ".github")]) == 0


def test_every_action_is_pinned_by_sha() -> None:
    for path in (ROOT / ".github/workflows").glob("*.yml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "uses:" in line:
                assert re.search(r"@[0-9a-f]{40} # v\d", line), line


def test_ci_runs_the_test_environments_on_three_systems() -> None:
    ci = common.load_yaml(ROOT / CI)
    matrix = ci["jobs"]["test"]["strategy"]["matrix"]
    assert matrix["os"] == ["ubuntu-latest", "macos-latest", "windows-latest"]
    pixi = common.load_toml(ROOT / "pixi.toml")
    tested = set(matrix["environment"]) | {i["environment"] for i in matrix["include"]}
    assert tested == {
        "py310",
        "py311",
        "py312",
        "py313",
        "py314",
        "np-oldest",
        "np-latest",
        "mkl",
    }
    assert tested <= set(pixi["environments"])
    assert "pixi lock" in (ROOT / CI).read_text(encoding="utf-8")


def test_conda_package_workflow_builds_every_ci_platform() -> None:
    jobs = common.load_yaml(ROOT / PACKAGES)["jobs"]
    for job in ("rattler-build", "conda-build"):
        assert {i["subdir"] for i in jobs[job]["strategy"]["matrix"]["include"]} == {
            "linux-64",
            "osx-64",
            "osx-arm64",
            "win-64",
        }
    text = (ROOT / PACKAGES).read_text(encoding="utf-8")
    for matrix_file in common.MATRICES["full"]:
        assert f"-m {matrix_file}" in text
    assert "conda-render recipe/conda-build " in text
    assert "rattler-build test --package-file" in text


def test_rattler_build_job_has_an_hdf5_2_cell() -> None:
    # conda-forge's hdf52 migration: one linux-64 cell builds the HDF5 matrix.
    job = common.load_yaml(ROOT / PACKAGES)["jobs"]["rattler-build"]
    cells = [i for i in job["strategy"]["matrix"]["include"] if i.get("hdf5")]
    assert cells == [
        {
            "os": "ubuntu-latest",
            "subdir": "linux-64",
            "hdf5": "2",
            "task": "conda-package-hdf5",
            "packages": 16,
        }
    ]
    render = tool("render_check")
    assert cells[0]["packages"] == len(render.EXPECTED_GRID["hdf5"])
    steps = {s.get("name"): s for s in job["steps"]}
    build = steps["Build and test the packages (rattler-build build -r recipe -m ...)"]
    assert build["env"]["TASK"] == "${{ matrix.task || 'conda-package' }}"
    assert 'pixi run -e packaging "$TASK"' in build["run"]
    count = steps["One package per HDF5 x Python x NumPy cell"]
    assert count["env"]["EXPECTED"] == "${{ matrix.packages || 8 }}"
    # Two linux-64 cells: their artifacts need different names.
    upload = next(s for s in job["steps"] if "upload-artifact" in s.get("uses", ""))
    assert "matrix.hdf5" in upload["with"]["name"]


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        (CHECKOUT, "actions/checkout@v4", r"unpinned|not pinned"),
        (
            "          persist-credentials: false\n          fetch-depth: 0 # tags",
            "          fetch-depth: 0 # tags",
            r"artipacked|persist-credentials",
        ),
        (
            '        run: pixi run -e "$PIXI_ENV" test',
            "        run: pixi run -e ${{ github.head_ref }} test",
            r"template-injection",
        ),
        ("    timeout-minutes: 60\n", "", r"has no `timeout-minutes`"),
        (
            "permissions: {}\n",
            "",
            r"top-level `permissions` must be \{\}|excessive-permissions",
        ),
        ("  workflow_dispatch:\n", "", r"no `workflow_dispatch` trigger"),
        ("    runs-on: ${{ matrix.os }}\n", "", r"runs-on|is not valid"),
    ],
)
def test_a_broken_workflow_fails(
    tmp_path: Path, old: str, new: str, match: str
) -> None:
    root = repo_copy(tmp_path)
    edit(root / CI, old, new)
    with pytest.raises(common.CheckError, match=match):
        workflows.check(root / ".github")


def test_a_broken_dependabot_file_fails(tmp_path: Path) -> None:
    root = repo_copy(tmp_path)
    edit(root / ".github/dependabot.yml", "interval: weekly", "interval: fortnightly")
    with pytest.raises(common.CheckError, match=r"dependabot"):
        workflows.check(root / ".github")
