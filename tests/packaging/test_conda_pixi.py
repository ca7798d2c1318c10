"""pixi.toml: the developer commands, environments and BLAS features."""

from __future__ import annotations

from typing import Any

import pytest

from tools.conda import _common as common
from tools.conda._common import ROOT

BUILD = "python -m pip install --no-build-isolation --no-deps -Cbuild-dir=build/dev -Ccmake.define.BUILD_TESTING=ON -ve ."


@pytest.fixture(scope="module")
def pixi() -> dict[str, Any]:
    manifest: dict[str, Any] = common.load_toml(ROOT / "pixi.toml")
    return manifest


def tasks(pixi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = dict(pixi["tasks"])
    for feature in pixi["feature"].values():
        found |= feature.get("tasks", {})
    return found


def test_workspace(pixi: dict[str, Any]) -> None:
    workspace = pixi["workspace"]
    assert workspace["channels"] == ["conda-forge"]
    assert workspace["platforms"] == [
        "linux-64",
        "linux-aarch64",
        "osx-64",
        "osx-arm64",
        "win-64",
    ]
    assert pixi["$schema"].startswith("https://pixi.sh/")


def test_developer_commands(pixi: dict[str, Any]) -> None:
    found = tasks(pixi)
    assert found["build"]["cmd"] == BUILD
    # `pixi run test -k stacks` hands -k to pytest: pytest is the task's command,
    # the C++ tests a task of their own that it depends on.
    assert found["test"]["cmd"] == "python -m pytest"
    assert found["test"]["depends-on"] == ["ctest"]
    ctest = "ctest --test-dir build/dev -C Release --output-on-failure"
    assert found["ctest"]["cmd"] == ctest
    assert found["ctest"]["depends-on"] == ["build"]
    # The README's no-conda test line is the same two commands.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"\n{found['test']['cmd']} && {ctest}\n" in readme
    # The packaging tests are a task of their own, beside the built package.
    assert found["recipe-tests"]["cmd"] == "python -m pytest tests/packaging"
    assert found["bench"]["cmd"] == "python benchmarks/run.py"
    # run.py runs py-spy itself; wrapping it in another py-spy would profile the driver
    assert found["profile"]["cmd"] == "python benchmarks/run.py --profile gram"
    assert found["recipe-check"]["cmd"] == "python -m tools.conda.check_all"
    assert found["conda-package"]["cmd"].startswith(
        "rattler-build build -r recipe -m variants/"
    )
    assert found["conda-package"]["cmd"].endswith("--output-dir output")
    assert found["conda-build"]["cmd"].startswith(
        "conda-build recipe/conda-build -m variants/"
    )
    assert found["staged-recipe"]["cmd"] == "python -m tools.conda.staged_recipe"
    for name in (
        "lint",
        "bench",
        "recipe-check",
        "conda-package",
        "conda-package-hdf5",
        "conda-build",
        "staged-recipe",
        "profile",
    ):
        assert name in found
    for name, task in found.items():
        assert task.get("description"), f"task {name} has no description"


def test_matrix_files_of_the_package_tasks(pixi: dict[str, Any]) -> None:
    found = tasks(pixi)
    for name, matrix in (
        ("conda-package", "full"),
        ("conda-build", "full"),
        ("conda-package-hdf5", "hdf5"),
    ):
        files = [
            arg for arg in found[name]["cmd"].split() if arg.startswith("variants/")
        ]
        assert tuple(files) == common.MATRICES[matrix], name
    assert found["conda-package-hdf5"]["cmd"] == found["conda-package"]["cmd"].replace(
        " --output-dir", " -m variants/hdf5/conda_build_config.yaml --output-dir"
    )


def test_environments(pixi: dict[str, Any]) -> None:
    envs = pixi["environments"]
    features = pixi["feature"]
    # conda-forge's pinning builds 3.11-3.14 (3.10 dropped 2026-08-31).
    assert "py310" not in envs
    for python in ("311", "312", "313", "314"):
        assert f"py{python}" in envs["py" + python]["features"]
        assert features["py" + python]["dependencies"]["python"] == f"3.{python[1:]}.*"
    assert features["np-oldest"]["dependencies"]["numpy"] == "1.25.*"
    assert envs["np-oldest"]["features"][:2] == ["py311", "np-oldest"]
    assert "np-latest" in envs["np-latest"]["features"]
    assert envs["packaging"]["no-default-feature"] is True
    # `pixi run test` needs no packaging tools (the stand-in conda build needs
    # Debian's apt and dpkg): the recipe checks are in environments of their own.
    for name, env in envs.items():
        if "test" in env["features"] and name not in ("checks", "lint"):
            assert "checks" not in env["features"], name
    assert "recipe-tests" in envs["checks"]["features"]
    # Environments that must agree share a solve group.
    assert {envs[n]["solve-group"] for n in ("default", "lint", "bench")} == {"default"}
    assert envs["np-latest"]["solve-group"] == envs["py314"]["solve-group"]


def test_new_environments_cannot_break_the_others(pixi: dict[str, Any]) -> None:
    """No lock file is committed, so one unsolvable environment stops every pixi
    command: the free-threaded and lowest-version environments (unsolved until
    the lock workflow solves them) each solve alone, and hold nothing without a
    free-threaded build."""
    envs, features = pixi["environments"], pixi["feature"]
    groups = [env.get("solve-group") for env in envs.values()]
    for name in ("py314t", "lowest"):
        assert groups.count(envs[name]["solve-group"]) == 1, name
    free = envs["py314t"]["features"]
    assert features["py314t"]["dependencies"] == {
        "python": "3.14.*",
        "python-freethreading": "*",
    }
    assert set(free) == {"py314t", "openblas", "test"}
    # Every declared lower bound: the direct dependencies at their lowest.
    assert features["lowest"]["solve-strategy"] == "lowest-direct"
    assert set(envs["lowest"]["features"]) == {"lowest", "openblas", "test"}
    # conda-build depends on conda's py-rattler-build: no PyPI pin may fight it.
    packaging = envs["packaging"]["features"]
    for feature in packaging:
        assert "py-rattler-build" not in features[feature].get("pypi-dependencies", {})
    assert features["checks"]["dependencies"]["py-rattler-build"].startswith(">=")


def test_blas_switch(pixi: dict[str, Any]) -> None:
    features = pixi["feature"]
    assert features["openblas"]["dependencies"]["libblas"]["build"] == "*openblas"
    assert features["mkl"]["dependencies"]["libblas"]["build"] == "*mkl"
    # Where conda-forge builds current MKL (osx-64 is held at mkl 2023).
    assert features["mkl"]["platforms"] == ["linux-64", "win-64"]
    mkl = pixi["environments"]["mkl"]["features"]
    assert "openblas" not in mkl
    assert "test" in mkl
    # The default feature leaves the implementation open.
    assert isinstance(pixi["dependencies"]["libblas"], str)


def test_packaging_guide() -> None:
    """The documentation's packaging guide covers the workspace, the recipes and
    the submission."""
    section = (ROOT / "docs" / "packaging.md").read_text(encoding="utf-8")
    for text in (
        "pixi run build",
        "pixi run test",
        "rattler-build build -r recipe",
        "pixi run conda-package",
        "pixi run staged-recipe",
        "libblas=*=*mkl",
        "pixi.lock",
        "first push",
        "Adding h5linalg",
    ):
        assert text in section, text


def test_blas_environments_name_the_implementation_tests_expect(
    pixi: dict[str, Any],
) -> None:
    features = pixi["feature"]
    assert features["openblas"]["activation"]["env"] == {
        "H5LINALG_EXPECT_BLAS": "openblas"
    }
    assert features["mkl"]["activation"]["env"] == {"H5LINALG_EXPECT_BLAS": "mkl"}
