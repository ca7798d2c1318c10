"""The conda-forge submission from a clean, tagged checkout (tools/conda/staged_recipe.py).

A copy of the working tree becomes a git repository tagged v1.2.3; the script
must build its sdist reproducibly, write staged-recipes/recipes/h5linalg (and
the v0 form with --v0), and refuse dirty or untagged trees. The slow test
builds a wheel from that sdist alone, in an empty directory, and runs the test
suite against it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tools.conda import _common as common
from tools.conda import check_all
from tools.conda import staged_recipe as staged
from tools.conda._common import ROOT

GIT = [
    "git",
    "-c",
    "user.name=h5linalg tests",
    "-c",
    "user.email=tests@h5linalg.invalid",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "tag.gpgsign=false",
]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def checkout(
    tmp_path_factory: pytest.TempPathFactory, worktree_files: list[Path]
) -> Path:
    """The working tree (tracked and new files, nothing ignored) as a repository tagged v1.2.3."""
    root = tmp_path_factory.mktemp("release") / "h5linalg"
    for source in worktree_files:
        if source.is_file():
            target = root / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Release 1.2.3")
    git(root, "tag", "v1.2.3")
    return root


@pytest.fixture
def clone(checkout: Path, tmp_path: Path) -> Path:
    git(tmp_path, "clone", "-q", str(checkout), "h5linalg")
    return tmp_path / "h5linalg"


def test_staged_recipe_from_the_clean_tagged_checkout(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        staged.main(
            [
                "--root",
                str(checkout),
                "--v0",
                "--maintainer",
                "octocat",
                "--maintainer",
                "hubot",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    sdist = checkout / "dist/h5linalg-1.2.3.tar.gz"
    sha256 = hashlib.sha256(sdist.read_bytes()).hexdigest()
    assert sha256 in out
    assert "conda-forge asks for the v1 recipe.yaml" in out  # the v0 note

    v1 = checkout / "staged-recipes/recipes/h5linalg"
    # The tests take their files from the sdist: none are copied beside the recipe.
    assert sorted(p.name for p in v1.iterdir()) == ["recipe.yaml"]
    recipe = yaml.safe_load((v1 / "recipe.yaml").read_text(encoding="utf-8"))
    assert recipe["context"] == {"name": "h5linalg", "version": "1.2.3"}
    assert recipe["source"] == {"url": common.RELEASE_URL, "sha256": sha256}
    assert recipe["extra"]["recipe-maintainers"] == ["octocat", "hubot"]
    assert recipe["source"]["url"].startswith(
        "https://github.com/h5linalg/h5linalg/releases/download/"
    )
    check_all.check_schema(v1 / "recipe.yaml")

    v0 = checkout / "staged-recipes/v0/recipes/h5linalg"
    assert sorted(p.name for p in v0.iterdir()) == [
        "bld.bat",
        "build.sh",
        "meta.yaml",
    ]
    meta = (v0 / "meta.yaml").read_text(encoding="utf-8")
    assert '{% set version = "1.2.3" %}' in meta
    assert f"sha256: {sha256}" in meta
    assert "justification" in meta

    # Everything it wrote is ignored by git: the checkout stays clean.
    assert git(checkout, "status", "--porcelain") == ""


def test_sdist_is_reproducible(checkout: Path, tmp_path: Path) -> None:
    first = staged.build_sdist(checkout, tmp_path / "a", "1.2.3")
    for path in (checkout / "src").rglob("*.py"):
        os.utime(path)  # new modification times must not change the archive
    second = staged.build_sdist(checkout, tmp_path / "b", "1.2.3")
    assert first.name == second.name == "h5linalg-1.2.3.tar.gz"
    assert staged.sha256_of(first) == staged.sha256_of(second)


def test_sdist_contains_what_builds_and_tests_the_package(
    checkout: Path, tmp_path: Path
) -> None:
    sdist = staged.build_sdist(checkout, tmp_path, "1.2.3")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in (
        "pyproject.toml",
        "CMakeLists.txt",
        "LICENSE",
        "src/h5linalg/__init__.py",
        "src/h5linalg/_version.py",
        "tests/conftest.py",
    ):
        assert needed in names
    assert not any(
        name.startswith((".github/", "build/", "staged-recipes/")) for name in names
    )


def test_a_release_writes_its_version(
    broken: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """recipe/ holds a literal version conda-forge's linter reads; a release tag's
    package builds first write the tag's version into both recipe forms."""
    from tools.conda import render_check

    root = broken()
    assert staged.main(["--root", str(root), "--set-version", "4.5.6"]) == 0
    cells = render_check.render_v1(root, common.PLATFORMS[0], "conda-forge")
    assert {c.version for c in cells} == {"4.5.6"}
    assert {
        c.recipe["build"]["script"]["env"]["SETUPTOOLS_SCM_PRETEND_VERSION"]
        for c in cells
    } == {"4.5.6"}
    meta = (root / common.CONDA_BUILD_DIR / "meta.yaml").read_text(encoding="utf-8")
    assert '{% set version = "4.5.6" %}' in meta
    # The comment saying how stays; a tag name is not a version.
    recipe = (root / "recipe/recipe.yaml").read_text(encoding="utf-8")
    assert "--set-version" in recipe
    assert staged.main(["--root", str(root), "--set-version", "v4.5.7"]) == 1
    assert "'v4.5.7' is not a release version" in capsys.readouterr().err


def test_names_what_the_sdist_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(staged.SDIST_NEEDS, "h5linalg_no_such_module", "no-such-dist")
    with pytest.raises(common.CheckError, match=r"needs no-such-dist: pixi run"):
        staged.build_sdist(ROOT, tmp_path, "1.2.3")
    assert not any(tmp_path.iterdir())


def test_refuses_a_dirty_tree(clone: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (clone / "notes.txt").write_text("not committed\n", encoding="utf-8")
    assert staged.main(["--root", str(clone)]) == 1
    assert "not clean" in capsys.readouterr().err
    assert staged.main(["--root", str(clone), "--allow-dirty"]) == 0


def test_refuses_an_untagged_commit(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(clone, "commit", "-q", "--allow-empty", "-m", "after the release")
    assert staged.main(["--root", str(clone)]) == 1
    assert "no release tag" in capsys.readouterr().err
    assert staged.main(["--root", str(clone), "--allow-untagged"]) == 0
    recipe = yaml.safe_load(
        (clone / "staged-recipes/recipes/h5linalg/recipe.yaml").read_text(
            encoding="utf-8"
        )
    )
    assert recipe["context"]["version"].startswith("1.2.4.dev1")


def _scripts(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


@pytest.mark.slow
@pytest.mark.skipif(
    sys.platform == "win32",
    reason="a wheel linked against an environment's DLLs needs delvewheel to load outside it",
)
def test_wheel_from_the_sdist_passes_the_test_suite(
    checkout: Path, tmp_path: Path
) -> None:
    sdist = staged.build_sdist(checkout, tmp_path / "dist", "1.2.3")
    empty = tmp_path / "empty"
    empty.mkdir()
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(
        [str(Path(sys.executable).parent), env.get("PATH", "")]
    )
    env.pop("SETUPTOOLS_SCM_PRETEND_VERSION", None)
    # The wheel from the sdist alone (no git metadata), in an empty directory,
    # with this environment's build requirements.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", "wheelhouse", str(sdist)],
        cwd=empty, env=env, check=True,
    )  # fmt: skip
    wheels = list((empty / "wheelhouse").glob("h5linalg-1.2.3-*.whl"))
    assert len(wheels) == 1

    # The sdist's own tests, against the wheel installed in a fresh environment.
    with tarfile.open(sdist) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(empty / "source", filter="data")
        else:  # pragma: no cover - Python without tarfile filters
            archive.extractall(empty / "source")
    source = empty / "source" / "h5linalg-1.2.3"
    venv = empty / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(_scripts(venv) / "python")
    test_group = common.load_toml(source / "pyproject.toml")["dependency-groups"][
        "test"
    ]
    # The NumPy the wheel was built against (NumPy 1.x builds do not import with 2.x).
    numpy = f"numpy=={importlib.metadata.version('numpy')}"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", str(wheels[0]), *test_group, numpy],
        cwd=empty,
        check=True,
    )
    shown = subprocess.run(
        [python, "-c", "import h5linalg; print(h5linalg.__version__); print(h5linalg.__file__)"],
        cwd=empty, check=True, capture_output=True, text=True,
    ).stdout.split("\n")  # fmt: skip
    assert shown[0] == "1.2.3"
    assert Path(shown[1]).is_relative_to(venv)
    # The default tiers (pyproject.toml's addopts): the slow tests, which build
    # wheels themselves, and the fuzz campaign already ran against the checkout.
    subprocess.run(
        [
            python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(source / "tests"),
            f"--basetemp={empty / 'pytest'}",
        ],
        cwd=empty, env=env, check=True,
    )  # fmt: skip
