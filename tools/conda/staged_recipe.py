"""Write the conda-forge submission: staged-recipes/recipes/h5linalg/recipe.yaml.

From a clean checkout of a release tag vX.Y.Z this script

1. builds the sdist reproducibly (scikit-build-core's sdist, with
   SOURCE_DATE_EPOCH = the tagged commit's time) into dist/;
2. writes staged-recipes/recipes/h5linalg/ from recipe/recipe.yaml: the
   version pinned, the source the sdist attached to the GitHub release (with
   its sha256), no variant files;
3. with --v0, also writes the conda-build form (meta.yaml, build.sh, bld.bat,
   generated like recipe/conda-build/) into its own folder,
   staged-recipes/v0/recipes/h5linalg/ (one recipe format per folder, R-051);
4. lints what it wrote with conda-forge's rules and renders it with
   py-rattler-build.

    python -m tools.conda.staged_recipe                  # or: pixi run staged-recipe
    python -m tools.conda.staged_recipe --v0 --maintainer my-github-id

It refuses a dirty or untagged tree unless --allow-dirty / --allow-untagged.
Attach the sdist to the GitHub release before opening the pull request: the
recipe's sha256 is that of dist/h5linalg-X.Y.Z.tar.gz.

    python -m tools.conda.staged_recipe --set-version 1.2.3

only writes a release's version into recipe/recipe.yaml's literal
context.version (and the generated recipe/conda-build/), for the package
builds of a release tag.

It needs git, scikit-build-core and setuptools-scm (the sdist), PyYAML, Jinja2
and py-rattler-build (the checks): the `packaging` pixi environment has them
all; with pip, `pip install --group build --group packaging`.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tools.conda._common import (
    CONDA_BUILD_DIR,
    PACKAGE,
    PLATFORMS,
    RELEASE_URL,
    ROOT,
    STAGED_RECIPE_SUBDIR,
    CheckError,
    fail_if,
)
from tools.conda.generate_meta_yaml import generate as generate_v0
from tools.conda.generate_meta_yaml import write as write_v0
from tools.conda.render_check import check_cells, render_v1
from tools.offline.conda_forge_lint import lint_folder

V0_NOTE = """\
conda-forge asks for the v1 recipe.yaml: "New recipes should use the v1 format. The v0
meta.yaml format is deprecated for new recipes and should only be used in exceptional
circumstances where v1 cannot support the recipe. Explain the exception in the pull
request." (staged-recipes README). Submit this form only with that justification."""

_VERSION = r"\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?"
_TAG = re.compile(rf"^v({_VERSION})$")
#: Import name -> distribution of what building the sdist needs besides git
#: ([build-system].requires less what only compiling needs).
SDIST_NEEDS = {
    "scikit_build_core": "scikit-build-core",
    "setuptools_scm": "setuptools-scm",
}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def release_version(root: Path, allow_untagged: bool) -> str:
    """X.Y.Z of the vX.Y.Z tag on HEAD (or setuptools-scm's guess when allowed)."""
    tags = [
        t for t in git(root, "tag", "--points-at", "HEAD").splitlines() if _TAG.match(t)
    ]
    if tags:
        return _TAG.match(max(tags))[1]  # type: ignore[index]
    if not allow_untagged:
        msg = f"{root}: HEAD has no release tag (vX.Y.Z); tag the release, or pass --allow-untagged for a trial run"
        raise CheckError(msg)
    from setuptools_scm import get_version  # noqa: PLC0415 - only for trial runs

    return str(get_version(root=str(root), fallback_version="0.0.0")).split("+")[0]


def check_clean(root: Path) -> None:
    status = git(root, "status", "--porcelain", "--untracked-files=normal")
    if status:
        msg = f"{root}: the working tree is not clean (the sdist would contain uncommitted files):\n{status}\nCommit or stash, or pass --allow-dirty"
        raise CheckError(msg)


def build_sdist(root: Path, out_dir: Path, version: str) -> Path:
    """A reproducible sdist: scikit-build-core sorts and normalises the archive, SOURCE_DATE_EPOCH fixes the times."""
    missing = [d for m, d in SDIST_NEEDS.items() if importlib.util.find_spec(m) is None]
    if missing:
        msg = f"building the sdist needs {', '.join(missing)}: pixi run -e packaging, or pip install --group build"
        raise CheckError(msg)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = (
        git(root, "log", "-1", "--format=%ct")
        if (root / ".git").exists()
        else "1700000000"
    )
    env["SETUPTOOLS_SCM_PRETEND_VERSION"] = version
    code = "import sys; from scikit_build_core.build import build_sdist; print(build_sdist(sys.argv[1]))"
    result = subprocess.run(
        [sys.executable, "-c", code, str(out_dir)],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    name = result.stdout.strip().splitlines()[-1]
    return out_dir / name


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def with_version(text: str, version: str, *, keep_notes: bool) -> str:
    """A recipe.yaml's ``text`` with context.version set to ``version`` (a text
    edit, so the comments stay). The notes just above it, about this repository's
    tools, are kept in recipe/ and dropped from the staged recipe."""
    text, count = re.subn(
        r"^(context:\n(?:  \w+: .*\n)*)((?:  #.*\n)*)  version: .*$",
        lambda m: f'{m[1]}{m[2] if keep_notes else ""}  version: "{version}"',
        text,
        count=1,
        flags=re.MULTILINE,
    )
    if count != 1:
        msg = "recipe/recipe.yaml: no context.version to set"
        raise CheckError(msg)
    return text


def set_version(root: Path, version: str) -> None:
    """Write ``version`` into recipe/recipe.yaml's context.version and regenerate
    recipe/conda-build/ from it."""
    if not re.fullmatch(_VERSION, version):
        msg = f"{version!r} is not a release version (X.Y.Z, optionally aN, bN or rcN)"
        raise CheckError(msg)
    path = root / "recipe/recipe.yaml"
    path.write_text(
        with_version(path.read_text(encoding="utf-8"), version, keep_notes=True),
        encoding="utf-8",
    )
    write_v0(generate_v0(path), root / CONDA_BUILD_DIR)


def staged_recipe_text(
    recipe_text: str, version: str, sha256: str, maintainers: list[str] | None = None
) -> str:
    """recipe/recipe.yaml turned into the staged-recipes recipe (text edits, so the comments stay)."""
    lines = recipe_text.splitlines()
    # The header: keep the schema line, replace the developer notes.
    body_start = next(
        i for i, line in enumerate(lines) if line and not line.startswith("#")
    )
    header = [
        lines[0],
        f"# {PACKAGE} {version} for conda-forge, written by tools/conda/staged_recipe.py from the",
        "# project's recipe/recipe.yaml; the source is the sdist attached to the GitHub release.",
    ]
    text = with_version(
        "\n".join(header + lines[body_start:]) + "\n", version, keep_notes=False
    )

    def replace(pattern: str, new: str, what: str) -> None:
        nonlocal text
        text, count = re.subn(pattern, new, text, count=1, flags=re.MULTILINE)
        if count != 1:
            msg = f"recipe/recipe.yaml: cannot find {what} to rewrite for the staged recipe"
            raise CheckError(msg)

    replace(
        r"^source:\n  path: \.\.$",
        f"source:\n  url: {RELEASE_URL}\n  sha256: {sha256}",
        "source.path",
    )
    if maintainers:
        listed = "\n".join(f"    - {m}" for m in maintainers)
        replace(
            r"^  recipe-maintainers:\n(?:    #.*\n|    - .*\n)+",
            f"  recipe-maintainers:\n{listed}\n",
            "extra.recipe-maintainers",
        )
    return text


def write_staged(
    root: Path,
    out_dir: Path,
    version: str,
    sha256: str,
    maintainers: list[str] | None,
    v0: bool,
) -> list[Path]:
    """Write the staged recipe folder(s) under ``out_dir``; return them."""
    recipe_dir = root / "recipe"
    text = staged_recipe_text(
        (recipe_dir / "recipe.yaml").read_text(encoding="utf-8"),
        version,
        sha256,
        maintainers,
    )
    v1_dir = out_dir / STAGED_RECIPE_SUBDIR
    if v1_dir.exists():
        shutil.rmtree(v1_dir)
    v1_dir.mkdir(parents=True)
    # The tests take their files from the sdist (files.source): nothing to copy.
    (v1_dir / "recipe.yaml").write_text(text, encoding="utf-8")
    folders = [v1_dir]
    if v0:
        v0_dir = out_dir / "v0" / STAGED_RECIPE_SUBDIR
        if v0_dir.exists():
            shutil.rmtree(v0_dir)
        write_v0(
            generate_v0(v1_dir / "recipe.yaml", note=V0_NOTE, directory=v0_dir), v0_dir
        )
        folders.append(v0_dir)
    return folders


def verify(root: Path, folders: list[Path]) -> None:
    """Lint every folder (staged rules) and render the v1 recipe with py-rattler-build
    over conda-forge's pinning (variants/conda-forge of ``root``), as render_check does."""
    findings = [f for folder in folders for f in lint_folder(folder, staged=True)]
    for finding in findings:
        print(finding)
    fail_if(
        [str(f) for f in findings if f.kind == "lint"], "the staged recipe has lints"
    )
    platform = PLATFORMS[0]
    cells = render_v1(root, platform, "conda-forge", recipe=folders[0] / "recipe.yaml")
    fail_if(check_cells(cells, "conda-forge", platform), "the staged recipe's render")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="the checkout to package (default: this one)",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=None, help="default: <root>/staged-recipes"
    )
    parser.add_argument(
        "--dist-dir",
        type=Path,
        default=None,
        help="where the sdist goes (default: <root>/dist)",
    )
    parser.add_argument(
        "--maintainer",
        action="append",
        default=None,
        help="GitHub account for extra.recipe-maintainers (repeatable)",
    )
    parser.add_argument(
        "--v0",
        action="store_true",
        help="also write the deprecated meta.yaml form (needs a justification)",
    )
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="package uncommitted changes (trial runs only)",
    )
    parser.add_argument(
        "--allow-untagged",
        action="store_true",
        help="package a commit without a release tag (trial runs only)",
    )
    parser.add_argument(
        "--set-version",
        metavar="X.Y.Z",
        help="only write this version into recipe/ (a release tag's package builds)",
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    out_dir = args.output_dir or root / "staged-recipes"
    try:
        if args.set_version:
            set_version(root, args.set_version)
            print(f"recipe/ now builds version {args.set_version}")
            return 0
        if not args.allow_dirty:
            check_clean(root)
        version = release_version(root, args.allow_untagged)
        sdist = build_sdist(root, args.dist_dir or root / "dist", version)
        expected = f"{PACKAGE}-{version}.tar.gz"
        if sdist.name != expected:
            msg = f"the sdist is {sdist.name}, but the recipe's source URL expects {expected}"
            raise CheckError(msg)
        sha256 = sha256_of(sdist)
        folders = write_staged(root, out_dir, version, sha256, args.maintainer, args.v0)
        verify(root, folders)
    except (CheckError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or ""
        print(f"{error}\n{detail}".rstrip(), file=sys.stderr)
        return 1
    print(f"sdist:  {sdist}  sha256 {sha256}")
    for folder in folders:
        print(f"recipe: {folder}")
    if args.v0:
        print(f"\nNote on the v0 form:\n{V0_NOTE}")
    print(
        f"\nNext: attach {sdist.name} to the GitHub release v{version} (the recipe's sha256 is this file's),"
        f"\nthen copy {folders[0]} into your fork of conda-forge/staged-recipes as recipes/{PACKAGE}/ (docs/packaging.md has the steps)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
