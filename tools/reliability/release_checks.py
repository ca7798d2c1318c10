#!/usr/bin/env python3
"""Packages that are what they claim: the sdist builds offline, and wheels are reproducible.

From a clean clone of one commit (default HEAD; ``--worktree`` builds the working
tree as it is), with ``SOURCE_DATE_EPOCH`` set to the commit's time:

``sdist``
    builds the sdist twice (the two must be byte-identical) and checks what it
    holds (the sources, no build products, no CMake that downloads:
    FetchContent, ExternalProject, file(DOWNLOAD)); builds a wheel from it with
    no network at all (``unshare -n`` where possible, plus ``--no-index``,
    ``--no-build-isolation`` and a dead proxy), checks CMake fetched nothing
    (no ``_deps`` directory), installs that wheel into a fresh venv and runs
    the import check and the memcheck tests from outside the source tree.

``reproducible``
    builds a second wheel from the clone itself (another source path, another
    build directory) and checks it is byte-identical to the wheel built from the
    sdist; if not, shows which members differ and how (wheel_diff.py).

``all`` (the default) does both. Build dependencies come from the running
environment (``--no-build-isolation``; install them with ``pip install --group
build``). With ``--workdir DIR --reuse``, products already in DIR are reused
(the pytest wrappers share one set of builds). Exit status 1 on any failure.

    python -m tools.reliability.release_checks                 # ~5 min: 2 wheels
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from tools.reliability._support import (
    REPO,
    CheckFailed,
    clean_env,
    exit_on_sigterm,
    log,
    memcheck_modules,
    overlay_venv,
    run,
    run_pytest,
)
from tools.reliability.wheel_diff import compare_archives, sha256

#: CMake that downloads at configure or build time.
DOWNLOADING_CMAKE = re.compile(
    r"\b(FetchContent_\w+|ExternalProject_Add|file\s*\(\s*DOWNLOAD|CPMAddPackage)\b",
    re.IGNORECASE,
)
#: What the sdist must hold, and must not.
SDIST_REQUIRED = (
    "pyproject.toml",
    "CMakeLists.txt",
    "LICENSE",
    "README.md",
    "PKG-INFO",
    "src/h5linalg/__init__.py",
    "src/h5linalg/_version.py",
    "src/h5linalg/py.typed",
    "src/core/CMakeLists.txt",
    "src/bindings/CMakeLists.txt",
)
SDIST_FORBIDDEN = re.compile(
    r"(^|/)(build|\.git|\.venv[^/]*|__pycache__|\.pixi)(/|$)|\.so$"
)
#: A proxy nobody listens on: any HTTP(S) download attempt fails at once.
DEAD_PROXY = "http://127.0.0.1:9"


def can_unshare_network() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def build_env(epoch: str) -> dict[str, str]:
    return clean_env(
        SOURCE_DATE_EPOCH=epoch,
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        http_proxy=DEAD_PROXY,
        https_proxy=DEAD_PROXY,
        HTTP_PROXY=DEAD_PROXY,
        HTTPS_PROXY=DEAD_PROXY,
        PYTHONDONTWRITEBYTECODE="1",
    )


class Release:
    """The products of one run, kept in `workdir` (see --reuse)."""

    def __init__(
        self, workdir: Path, ref: str, worktree: bool, reuse: bool, settings: list[str]
    ) -> None:
        self.workdir = workdir
        self.settings = [f"-C{setting}" for setting in settings]
        self.reuse = reuse
        self.offline = ["unshare", "-n"] if can_unshare_network() else []
        state_file = workdir / "state.json"
        commit = run(["git", "-C", REPO, "rev-parse", ref], capture=True).stdout.strip()
        key = {"commit": commit, "worktree": worktree, "settings": settings}
        if (
            reuse
            and state_file.exists()
            and json.loads(state_file.read_text()).get("key") == key
        ):
            log(f"reusing the builds in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir(parents=True)
            state_file.write_text(json.dumps({"key": key}))
        self.epoch = run(
            ["git", "-C", REPO, "log", "-1", "--format=%ct", commit], capture=True
        ).stdout.strip()
        if worktree:
            self.source = REPO
        else:
            self.source = workdir / "src"
            if not (self.source / ".git").exists():
                run(
                    [
                        "git",
                        "clone",
                        "--quiet",
                        "--shared",
                        "--no-checkout",
                        REPO,
                        self.source,
                    ]
                )
                run(
                    [
                        "git",
                        "-C",
                        self.source,
                        "checkout",
                        "--quiet",
                        "--detach",
                        commit,
                    ]
                )
        log(f"commit {commit[:12]}, SOURCE_DATE_EPOCH={self.epoch}, "
            f"network isolation: {'unshare -n' if self.offline else 'dead proxy + --no-index only'}")  # fmt: skip
        self.require_build_tools()
        self.versions()

    @staticmethod
    def require_build_tools() -> None:
        """--no-build-isolation builds with this interpreter's packages: all must be there."""
        missing = [
            name
            for name in ("scikit_build_core", "pybind11", "numpy", "setuptools_scm")
            if importlib.util.find_spec(name) is None
        ]
        missing += [
            tool
            for tool in ("cmake", "ninja")
            if importlib.util.find_spec(tool) is None and shutil.which(tool) is None
        ]
        if missing:
            msg = (
                f"{sys.executable} lacks the build dependencies {', '.join(missing)}: run this "
                "script with the project's environment (python -m pip install --group build)"
            )
            raise CheckFailed(msg)

    def versions(self) -> None:
        """The build tools in use, for the record (they decide the bytes)."""
        code = (
            "import importlib.metadata as m; print(', '.join(f'{p} {m.version(p)}' for p in "
            "('scikit-build-core', 'pybind11', 'numpy', 'setuptools-scm', 'cmake', 'ninja')))"
        )
        tools = run(
            [sys.executable, "-c", code], capture=True, check=False
        ).stdout.strip()
        compiler = run(
            ["c++", "--version"], capture=True, check=False
        ).stdout.splitlines()
        log(f"build tools: {tools}; {compiler[0] if compiler else 'no c++'}")

    # --- sdist -----------------------------------------------------------------------

    def sdist(self) -> Path:
        out = self.workdir / "sdist"
        existing = sorted(out.glob("*.tar.gz")) if out.exists() else []
        if self.reuse and existing:
            return existing[0]
        paths = []
        for attempt in ("sdist", "sdist-again"):
            target = self.workdir / attempt
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            code = "import sys, scikit_build_core.build as b; print(b.build_sdist(sys.argv[1]))"
            run([*self.offline, sys.executable, "-c", code, target],
                cwd=self.source, env=build_env(self.epoch),
                log_file=self.workdir / f"{attempt}.log")  # fmt: skip
            paths.append(next(target.glob("*.tar.gz")))
        if paths[0].read_bytes() != paths[1].read_bytes():
            msg = f"two sdists of the same commit differ: {paths[0]} {paths[1]}"
            raise CheckFailed(msg)
        log(
            f"sdist {paths[0].name} ({paths[0].stat().st_size} bytes): built twice, byte-identical"
        )
        self.check_sdist_contents(paths[0])
        return paths[0]

    def check_sdist_contents(self, sdist: Path) -> None:
        with tarfile.open(sdist) as archive:
            names = archive.getnames()
            root = names[0].split("/")[0]
            inner = [name[len(root) + 1 :] for name in names if name != root]
            problems = [
                f"missing {name}" for name in SDIST_REQUIRED if name not in inner
            ]
            problems += [
                f"should not ship {name}"
                for name in inner
                if SDIST_FORBIDDEN.search(name)
            ]
            for member in archive.getmembers():
                if member.isfile() and re.search(
                    r"(CMakeLists\.txt|\.cmake)$", member.name
                ):
                    handle = archive.extractfile(member)
                    text = handle.read().decode(errors="replace") if handle else ""
                    for number, line in enumerate(text.splitlines(), 1):
                        code = line.split("#", 1)[0]
                        if DOWNLOADING_CMAKE.search(code):
                            problems.append(
                                f"{member.name}:{number} downloads: {line.strip()}"
                            )
        if problems:
            msg = "the sdist is not what it should be:\n  " + "\n  ".join(problems)
            raise CheckFailed(msg)
        log(
            f"sdist contents: {len(inner)} entries, all required files, nothing downloads"
        )

    def wheel_from_sdist(self, sdist: Path) -> Path:
        out = self.workdir / "wheel-from-sdist"
        if self.reuse and out.exists() and any(out.glob("*.whl")):
            return next(out.glob("*.whl"))
        shutil.rmtree(out, ignore_errors=True)
        unpacked = self.workdir / "sdist-unpacked"
        shutil.rmtree(unpacked, ignore_errors=True)
        unpacked.mkdir()
        unpack(sdist, unpacked)
        source = next(unpacked.iterdir())
        return self.wheel(
            source, out, self.workdir / "build-from-sdist", "wheel-from-sdist"
        )

    def wheel(self, source: Path, out: Path, build_dir: Path, label: str) -> Path:
        shutil.rmtree(build_dir, ignore_errors=True)
        out.mkdir(parents=True, exist_ok=True)
        run([*self.offline, sys.executable, "-m", "pip", "wheel", "--no-build-isolation",
             "--no-deps", "--no-index", "-v", "-w", out, f"-Cbuild-dir={build_dir}",
             *self.settings, source],
            env=build_env(self.epoch), log_file=self.workdir / f"{label}.log")  # fmt: skip
        if (build_dir / "_deps").exists():
            msg = f"CMake populated {build_dir / '_deps'}: something used FetchContent"
            raise CheckFailed(msg)
        wheels = sorted(out.glob("*.whl"))
        if len(wheels) != 1:
            msg = f"expected one wheel in {out}, found {wheels}"
            raise CheckFailed(msg)
        log(f"{label}: {wheels[0].name} sha256 {sha256(wheels[0])[:16]}")
        return wheels[0]

    def install_and_smoke(self, wheel: Path) -> None:
        """Installs the wheel into a fresh venv and tests it from outside the source tree."""
        venv = self.workdir / "venv-installed"
        shutil.rmtree(venv, ignore_errors=True)
        python = overlay_venv(venv)
        run([python, "-m", "pip", "install", "--no-index", "--no-deps",
             "--disable-pip-version-check", "-q", wheel], env=clean_env())  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="h5linalg-installed-") as scratch:
            check = (
                "import sys, importlib.metadata as md, h5linalg, h5linalg._core as core\n"
                "prefix = sys.argv[1]\n"
                "for module in (h5linalg, core):\n"
                "    assert module.__file__.startswith(prefix), (module.__file__, prefix)\n"
                "assert md.version('h5linalg') == h5linalg.__version__ == core.__version__, "
                "(md.version('h5linalg'), h5linalg.__version__, core.__version__)\n"
                "requires = md.requires('h5linalg') or []\n"
                "assert any(r.startswith('numpy') for r in requires), requires\n"
                "print('installed', h5linalg.__version__, 'from', h5linalg.__file__)\n"
            )
            env = clean_env(PYTHONDONTWRITEBYTECODE="1")
            run([python, "-c", check, str(venv)], cwd=scratch, env=env)
            run([venv / "bin" / "h5linalg", "--version"], cwd=scratch, env=env)
            problem = run_pytest(
                python, ["-q", "-m", "memcheck", *memcheck_modules()], env=env
            )
            if problem:
                msg = f"the installed wheel fails the memcheck tests: {problem}"
                raise CheckFailed(msg)
            log("installed wheel: the memcheck tests passed outside the source tree")

    # --- reproducibility ---------------------------------------------------------------

    def wheel_from_tree(self) -> Path:
        out = self.workdir / "wheel-from-tree"
        if self.reuse and out.exists() and any(out.glob("*.whl")):
            return next(out.glob("*.whl"))
        shutil.rmtree(out, ignore_errors=True)
        return self.wheel(
            self.source, out, self.workdir / "build-from-tree", "wheel-from-tree"
        )


def unpack(archive_path: Path, target: Path) -> None:
    with tarfile.open(archive_path) as archive:
        if hasattr(tarfile, "data_filter"):  # Python 3.12, and security backports
            archive.extractall(target, filter="data")
        else:
            archive.extractall(target)  # our own sdist, just built


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "check", nargs="?", choices=("sdist", "reproducible", "all"), default="all"
    )
    parser.add_argument(
        "--workdir", type=Path, help="where to build (default: a temporary directory)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse products already in --workdir"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory"
    )
    parser.add_argument(
        "--ref", default="HEAD", help="the commit to build (default HEAD)"
    )
    parser.add_argument(
        "--worktree",
        action="store_true",
        help="build the working tree as it is, uncommitted changes included",
    )
    parser.add_argument("--summary", type=Path, help="write the results as JSON here")
    parser.add_argument(
        "-C",
        "--config-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="passed to both wheel builds, e.g. -C install.strip=false",
    )
    args = parser.parse_args(argv)  # fmt: skip
    exit_on_sigterm()
    started = time.monotonic()
    workdir = (
        args.workdir.resolve()
        if args.workdir
        else Path(tempfile.mkdtemp(prefix="h5linalg-release-"))
    )
    results: dict[str, object] = {}
    failures: list[str] = []
    try:
        release = Release(
            workdir, args.ref, args.worktree, args.reuse, args.config_setting
        )
        sdist = release.sdist()
        from_sdist = release.wheel_from_sdist(sdist)
        results.update(sdist=sdist.name, wheel=from_sdist.name, wheel_sha256=digest(from_sdist),
                       offline=" ".join(release.offline) or "proxy")  # fmt: skip
        if args.check in {"sdist", "all"}:
            try:
                release.install_and_smoke(from_sdist)
            except CheckFailed as error:  # report it, and still compare the wheels
                failures.append(str(error))
                results["sdist_offline"] = "built offline; the installed wheel FAILED"
            else:
                results["sdist_offline"] = "passed"
        if args.check in {"reproducible", "all"}:
            from_tree = release.wheel_from_tree()
            report = compare_archives(from_sdist, from_tree)
            results["reproducible"] = "identical" if not report else "DIFFERENT"
            if report:
                print("\n".join(report), file=sys.stderr)
                failures.append(
                    "the wheel built from the sdist and the one built from the tree differ"
                )
            else:
                log(
                    f"reproducible: the two wheels are byte-identical (sha256 {digest(from_sdist)})"
                )
    except CheckFailed as error:
        failures.append(str(error))
    finally:
        results["seconds"] = round(time.monotonic() - started)
        results["failures"] = failures
        if args.summary:
            args.summary.write_text(json.dumps(results, indent=2) + "\n")
        if args.workdir is None and not args.keep and not failures:
            shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        for failure in failures:
            print(f"release checks: FAILED: {failure}", file=sys.stderr)
        print(f"(build logs and products in {workdir})", file=sys.stderr)
        return 1
    print(
        f"release checks ({args.check}): passed in {results['seconds']}s: {json.dumps(results)}"
    )
    return 0


if __name__ == "__main__":
    os.umask(0o022)  # the same file modes in every build, whatever the caller's umask
    sys.exit(main())
