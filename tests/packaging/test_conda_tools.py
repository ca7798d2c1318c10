"""The checks the real tools do: check-jsonschema on pixi.toml and recipe.yaml
(the schemas they name, or the local copies H5LINALG_PIXI_SCHEMA /
H5LINALG_RECIPE_SCHEMA point at), and on the workflows (a timeout per job,
tools/conda/workflow-rules.yaml) with the pinning comments; each on broken
copies. GitHub's schemas and zizmor are pre-commit hooks of the lint stage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tools.conda import check_all
from tools.conda._common import (
    MATRICES,
    ROOT,
    CheckError,
    load_toml,
    load_yaml,
)

CI = ".github/workflows/ci.yml"
PACKAGES = ".github/workflows/conda-package.yml"
CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"


def test_the_command_line_names_its_checks() -> None:
    # That the repository passes them is `python -m tools.conda.check_all` itself:
    # .ci/run's recipe stage and the recipe-check job of ci.yml run it.
    assert check_all.main(["--list"]) == 0
    with pytest.raises(SystemExit):
        check_all.main(["no-such-check"])


def test_a_broken_copy_fails_only_the_checks_it_breaks(
    broken: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = broken("pixi.toml", "[environments]\n", "[enviroments]\n")
    broken(CI, "    timeout-minutes: 60\n", "")
    chosen = ["pixi-schema", "recipe-schema", "workflows"]
    assert check_all.main(["--root", str(root), *chosen]) == 1
    out = capsys.readouterr()
    assert "1 of 3 checks passed" in out.out
    assert "FAIL  pixi.toml schema" in out.err
    assert "FAIL  GitHub workflows" in out.err


# One broken copy per file shows each schema is applied; what else the schemas
# forbid is their authors' and check-jsonschema's to test.
@pytest.mark.parametrize(
    ("file", "old", "new", "match"),
    [
        (
            "pixi.toml",
            'channels = ["conda-forge"]',
            'channels = "conda-forge"',
            r"workspace\.channels",
        ),
        ("recipe/recipe.yaml", "  number: 0\n", "  numbr: 0\n", r"build"),
    ],
)
def test_a_broken_file_fails_its_schema(
    broken: Callable[..., Path], file: str, old: str, new: str, match: str
) -> None:
    root = broken(file, old, new)
    with pytest.raises(CheckError, match=match):
        check_all.check_schema(root / file)


def test_files_must_name_their_schema(broken: Callable[..., Path]) -> None:
    root = broken("pixi.toml", '"$schema" = ', "# ")
    with pytest.raises(CheckError, match=r"no \"\$schema\" key"):
        check_all.check_schema(root / "pixi.toml")
    broken("recipe/recipe.yaml", "# yaml-language-server: $schema=", "# schema: ")
    with pytest.raises(CheckError, match=r"lacks the '# yaml-language-server"):
        check_all.check_schema(root / "recipe/recipe.yaml")


def test_schema_path_comes_from_the_environment(
    tmp_path: Path, broken: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    strict = tmp_path / "schema.json"
    strict.write_text(
        '{"type": "object", "required": ["nothing-has-this"]}', encoding="utf-8"
    )
    monkeypatch.setenv("H5LINALG_PIXI_SCHEMA", str(strict))
    with pytest.raises(CheckError, match=r"nothing-has-this"):
        check_all.check_schema(ROOT / "pixi.toml")
    # Without a local copy, only an https URL is fetched.
    monkeypatch.delenv("H5LINALG_PIXI_SCHEMA")
    root = broken("pixi.toml", '"https://pixi.sh/', '"http://pixi.sh/')
    with pytest.raises(CheckError, match=r"refusing to fetch"):
        check_all.check_schema(root / "pixi.toml")


# --- Workflows ------------------------------------------------------------------------


def test_ci_runs_the_test_environments_on_three_systems() -> None:
    ci = load_yaml(ROOT / CI)
    matrix = ci["jobs"]["test"]["strategy"]["matrix"]
    assert matrix["os"] == ["ubuntu-latest", "macos-latest", "windows-latest"]
    tested = set(matrix["environment"]) | {i["environment"] for i in matrix["include"]}
    assert tested == {
        "py311",
        "py312",
        "py313",
        "py314",
        "py314t",
        "np-oldest",
        "np-latest",
        "lowest",
        "mkl",
    }
    assert tested <= set(load_toml(ROOT / "pixi.toml")["environments"])
    assert "pixi lock" in (ROOT / CI).read_text(encoding="utf-8")


def test_conda_package_workflow_builds_every_ci_platform() -> None:
    jobs = load_yaml(ROOT / PACKAGES)["jobs"]
    for job in ("rattler-build", "conda-build"):
        assert {i["subdir"] for i in jobs[job]["strategy"]["matrix"]["include"]} == {
            "linux-64",
            "osx-64",
            "osx-arm64",
            "win-64",
        }
    text = (ROOT / PACKAGES).read_text(encoding="utf-8")
    for matrix_file in MATRICES["full"]:
        assert f"-m {matrix_file}" in text
    assert "conda-render recipe/conda-build " in text
    assert "rattler-build test --package-file" in text


def test_rattler_build_job_has_an_hdf5_2_cell() -> None:
    # conda-forge's hdf52 migration: one linux-64 cell builds the HDF5 matrix.
    from tools.conda import render_check

    job = load_yaml(ROOT / PACKAGES)["jobs"]["rattler-build"]
    cells = [i for i in job["strategy"]["matrix"]["include"] if i.get("hdf5")]
    assert cells == [
        {
            "os": "ubuntu-latest",
            "subdir": "linux-64",
            "hdf5": "2",
            "task": "conda-package-hdf5",
            "packages": 14,
        }
    ]
    assert cells[0]["packages"] == len(render_check.EXPECTED_GRID["hdf5"])
    steps = {s.get("name"): s for s in job["steps"]}
    build = steps["Build and test the packages (rattler-build build -r recipe -m ...)"]
    assert build["env"]["TASK"] == "${{ matrix.task || 'conda-package' }}"
    assert 'pixi run -e packaging "$TASK"' in build["run"]
    count = steps["One package per HDF5 x Python x NumPy cell"]
    assert count["env"]["EXPECTED"] == (
        f"${{{{ matrix.packages || {len(render_check.EXPECTED_GRID['full'])} }}}}"
    )
    # Two linux-64 cells: their artifacts need different names.
    upload = next(s for s in job["steps"] if "upload-artifact" in s.get("uses", ""))
    assert "matrix.hdf5" in upload["with"]["name"]


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        (
            CHECKOUT,
            CHECKOUT.split(" #", maxsplit=1)[0],
            r"not pinned by full commit SHA with a",
        ),
        (
            "          persist-credentials: false\n          fetch-depth: 0 # tags",
            "          fetch-depth: 0 # tags",
            r"persist-credentials",
        ),
        ("    timeout-minutes: 60\n", "", r"timeout-minutes"),
        ("permissions: {}\n", "", r"'permissions' is a required property"),
        ("permissions: {}\n", "permissions: write-all\n", r"\{\} was expected"),
        (
            "    permissions:\n      contents: read\n    strategy:",
            "    strategy:",
            r"jobs\.test: 'permissions' is a required property",
        ),
        ("  workflow_dispatch:\n", "", r"'workflow_dispatch' is a required"),
        ("name: CI\n", "", r"'name' is a required property"),
        (
            (
                "concurrency:\n  group: ${{ github.workflow }}-${{ github.ref }}\n"
                "  cancel-in-progress: true\n"
            ),
            "",
            r"'concurrency' is a required property",
        ),
    ],
)
def test_a_broken_workflow_fails(
    broken: Callable[..., Path], old: str, new: str, match: str
) -> None:
    root = broken(CI, old, new)
    with pytest.raises(CheckError, match=match):
        check_all.check_workflows(root / ".github")
