"""The maintainer's loop: cold build, no-op rebuild, rebuild after changing one .cpp.

Runs the exact command of the ``build`` task in a scratch copy of the working
tree (tracked and untracked-but-not-ignored files, plus .git for the version),
with a separate virtual environment, so neither the main build directory nor
the main environment's editable install is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BUILD_ARGS = [
    "-m",
    "pip",
    "install",
    "--no-build-isolation",
    "--no-deps",
    "-Cbuild-dir=build/dev",
    "-Ccmake.define.BUILD_TESTING=ON",
    "-ve",
    ".",
]
#: The build requirements of pyproject.toml, pinned to what the main environment has.
BUILD_REQUIREMENTS = (
    "scikit-build-core",
    "pybind11",
    "numpy",
    "setuptools-scm",
    "cmake",
    "ninja",
)
TOUCHED = "src/core/kernels/gram.cpp"
CHANGED = f"rebuild after changing {TOUCHED}"
TARGETS = {"no-op rebuild": 3.0, CHANGED: 15.0}
WARM_CCACHE = "cold build again (build/dev deleted), ccache warm"


def ccache_environment(cache: Path) -> dict[str, str] | None:
    """The variables pixi.toml's activation sets, with an empty cache of our own
    (so the first cold build really is cold); None without ccache."""
    if not shutil.which("ccache"):
        return None
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    return {
        "CMAKE_C_COMPILER_LAUNCHER": "ccache",
        "CMAKE_CXX_COMPILER_LAUNCHER": "ccache",
        "CCACHE_DIR": str(cache),
    }


def _copy_tree(destination: Path) -> None:
    listed = (
        subprocess.run(
            [
                "git",
                "-C",
                str(REPO),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = REPO / name
        if not source.is_file() or name.startswith("benchmarks/results"):
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    shutil.copytree(REPO / ".git", destination / ".git", symlinks=True)


def _pins() -> list[str]:
    installed = {
        dist.metadata["Name"].lower().replace("_", "-"): dist.version
        for dist in metadata.distributions()
    }
    return [
        f"{name}=={installed[name]}" if name in installed else name
        for name in BUILD_REQUIREMENTS
    ]


def build_environment(directory: Path) -> Path:
    """A venv with the build requirements (kept under ``directory`` for the next run)."""
    python = directory / "bin" / "python"
    marker = directory / "requirements.txt"
    wanted = "\n".join(_pins())
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    shutil.rmtree(directory, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *wanted.split("\n")],
        check=True,
    )
    marker.write_text(wanted)
    return python


def _timed(
    command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None
) -> tuple[float, bool, str]:
    started = time.perf_counter()
    with log.open("w") as output:
        completed = subprocess.run(
            command,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            check=False,
        )
    seconds = time.perf_counter() - started
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
    return seconds, completed.returncode == 0, tail


def measure(data_dir: Path, keep: bool = False) -> dict[str, Any]:
    """Cold, no-op and one-file builds; returns the steps with their seconds."""
    python = build_environment(data_dir / "build-venv")
    scratch = Path(tempfile.mkdtemp(prefix="h5linalg-build-speed-"))
    steps: list[dict[str, Any]] = []
    notes: list[str] = []
    ccache = ccache_environment(data_dir / "build-ccache")
    try:
        _copy_tree(scratch)
        command = [str(python), *BUILD_ARGS]
        plan: list[tuple[str, str | None]] = [
            ("cold build (empty build/dev)", None),
            ("no-op rebuild", None),
            (CHANGED, TOUCHED),
        ]
        if ccache:
            plan.append((WARM_CCACHE, None))
        for index, (name, touch) in enumerate(plan):
            if touch:
                # New content, not only a new mtime, so ccache cannot serve it.
                with (scratch / touch).open("a") as source:
                    source.write(f"// build-speed {time.time_ns()}\n")
            if name == WARM_CCACHE:
                shutil.rmtree(scratch / "build" / "dev")
            seconds, ok, tail = _timed(
                command, scratch, data_dir / f"build-{index}.log", ccache
            )
            step: dict[str, Any] = {
                "name": name,
                "seconds": seconds,
                "ok": ok,
                "target": TARGETS.get(name),
            }
            if not ok:
                step["log_tail"] = tail
            steps.append(step)
            print(
                f"[build] {name}: {seconds:.1f} s{'' if ok else ' FAILED'}", flush=True
            )
        ninja = shutil.which("ninja", path=str(python.parent)) or shutil.which("ninja")
        if ninja and (scratch / "build" / "dev" / "build.ninja").exists():
            seconds, ok, _tail = _timed(
                [ninja, "-C", "build/dev"], scratch, data_dir / "build-ninja.log"
            )
            steps.append(
                {
                    "name": "for comparison: ninja alone, no-op",
                    "seconds": seconds,
                    "ok": ok,
                    "target": None,
                }
            )
        notes.append(
            "ccache: every build above went through it, starting from an empty cache"
            if ccache
            else "ccache: not installed (not used)"
        )
    finally:
        if keep:
            notes.append(f"scratch copy kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return {
        "command": "python " + " ".join(BUILD_ARGS),
        "where": "scratch copy of the working tree in /tmp, separate venv with "
        + ", ".join(_pins()),
        "cores": os.cpu_count(),
        "measured": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "steps": steps,
        "notes": notes,
    }
