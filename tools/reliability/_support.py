"""Helpers shared by the reliability scripts: running commands, side venvs, sanitizer runtimes.

Why here: subprocess cannot end a timed-out command's whole session, and venv
cannot make an environment that sees this one's packages but not its editable
h5linalg; the rest (pip, ctest, pytest, readelf) are called as they are.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


class CheckFailed(Exception):
    """A reliability check found a problem (the scripts exit with status 1)."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(
    command: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    capture: bool = False,
    check: bool = True,
    log_file: Path | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Runs a command, echoing it.

    With `log_file`, its output goes there (and its end is shown on failure).
    """
    text = shlex.join(os.fspath(part) for part in command)
    log(f"$ {text}" + (f"   (in {cwd})" if cwd else ""))
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        output: Any = None
        if log_file is not None:
            output = stack.enter_context(log_file.open("w"))
        elif capture:
            output = subprocess.PIPE
        # A session of its own, so an interrupted or timed-out run ends the whole
        # tree it started (pip -> cmake -> ninja -> compilers), and nothing else.
        process = subprocess.Popen(
            [os.fspath(part) for part in command],
            cwd=cwd,
            env=None if env is None else dict(env),
            stdout=output,
            stderr=subprocess.STDOUT if log_file is not None else output,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            kill_session(process)
            log(f"  stopped after {time.monotonic() - started:.1f}s")
            raise
    result = subprocess.CompletedProcess(
        process.args, process.returncode, stdout, stderr
    )
    log(f"  exit status {result.returncode} after {time.monotonic() - started:.1f}s")
    if check and result.returncode != 0:
        if log_file is not None:
            lines = log_file.read_text(errors="replace").splitlines()
            print("\n".join(lines[-80:]), file=sys.stderr)
            print(f"(full log: {log_file})", file=sys.stderr)
        elif capture:
            print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
        msg = f"command failed with status {result.returncode}: {text}"
        raise CheckFailed(msg)
    return result


def kill_session(process: subprocess.Popen[str]) -> None:
    """Kills every process of the session `process` leads (start_new_session=True).

    By session, not process group: ninja starts each compiler in a process group
    of its own, so killing pip's group would leave the compilers running."""
    session = process.pid
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.getsid(int(entry.name)) == session:
                    os.kill(int(entry.name), signal.SIGKILL)
    process.wait()


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without sanitizer and preload settings, plus `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "LD_PRELOAD",
            "ASAN_OPTIONS",
            "UBSAN_OPTIONS",
            "LSAN_OPTIONS",
            "PYTHONMALLOC",
        }
    }
    env.update(extra)
    return env


def overlay_venv(path: Path) -> Path:
    """A venv at `path` that also sees this interpreter's installed packages.

    Installing h5linalg into it (non-editable) shadows any editable install of
    the current environment, while NumPy, h5py, pytest and the build tools come
    from the current environment without downloads. The current environment's
    .pth files are not run in the overlay, so an editable install's import hook
    stays out of it. Returns the overlay's python.
    """
    python = path / "bin" / "python"
    base_paths = []
    for key in ("purelib", "platlib"):
        site = sysconfig.get_paths()[key]
        if site not in base_paths:
            base_paths.append(site)
    marker = path / "overlay-of.txt"
    wanted = f"{sys.executable}\n" + "\n".join(base_paths) + "\n"
    if not python.exists() or not marker.exists() or marker.read_text() != wanted:
        shutil.rmtree(path, ignore_errors=True)
        run([sys.executable, "-m", "venv", "--without-pip", path])
        overlay_site = run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture=True,
        ).stdout.strip()
        Path(overlay_site, "_h5linalg_overlay_base.pth").write_text(
            "\n".join(base_paths) + "\n"
        )
        marker.write_text(wanted)
    return python


def pip_install_project(
    python: Path,
    source: Path,
    build_dir: Path,
    defines: Mapping[str, str],
    *,
    build_type: str,
    strip: bool,
    log_file: Path,
) -> None:
    """Builds and installs h5linalg from `source` into `python`'s environment, no network."""
    command: list[str | os.PathLike[str]] = [
        python,
        "-m",
        "pip",
        "install",
        "--no-build-isolation",
        "--no-deps",
        "--no-index",
        "--force-reinstall",
        "--disable-pip-version-check",
        "-v",
        f"-Cbuild-dir={build_dir}",
        f"-Ccmake.build-type={build_type}",
        f"-Cinstall.strip={'true' if strip else 'false'}",
    ]
    # H5LINALG_PYTHON explicitly: a build directory first configured by plain CMake caches OFF.
    defines = {"H5LINALG_PYTHON": "ON", **defines}
    command += [f"-Ccmake.define.{key}={value}" for key, value in defines.items()]
    command.append(source)
    run(command, env=clean_env(), log_file=log_file)


def compiler_library(file_name: str, compiler: str | None = None) -> Path:
    """A runtime library that the C++ compiler ($CXX, as CMake picks it; else c++)
    links, e.g. libasan.so or libstdc++.so.6."""
    compiler = compiler or os.environ.get("CXX", "").split(" ")[0] or "c++"
    result = run([compiler, f"-print-file-name={file_name}"], capture=True)
    path = Path(result.stdout.strip())
    if not path.is_absolute() or not path.exists():
        msg = (
            f"{compiler} has no {file_name} (install the compiler's runtime libraries)"
        )
        raise CheckFailed(msg)
    return path.resolve()


def needed_libraries(shared_object: Path) -> list[str]:
    """The DT_NEEDED entries of an ELF file, in order (readelf -d)."""
    output = run(["readelf", "-d", shared_object], capture=True).stdout
    return [
        line.split("[", 1)[1].rstrip("]").strip()
        for line in output.splitlines()
        if "(NEEDED)" in line and "[" in line
    ]


def exit_on_sigterm() -> None:
    """SIGTERM raises SystemExit, so run() ends the process tree it started; and
    SIGINT is handled, not ignored, so the tests this runs can test Ctrl-C.

    A shell starts background jobs (``cmd &`` in a script, nohup) with SIGINT
    ignored, and an ignored signal stays ignored across exec: a Python child would
    then never raise KeyboardInterrupt, and Ctrl-C tests would hang or fail."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def memcheck_modules() -> list[str]:
    """The test modules that hold tests marked memcheck. Naming them spares a run
    of those tests collecting (importing) the rest of the suite: minutes under
    valgrind."""
    return sorted(
        str(path)
        for path in (REPO / "tests").rglob("test_*.py")
        if "pytest.mark.memcheck" in path.read_text()
    )


def run_pytest(
    python: Path,
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    wrapper: Sequence[str] = (),
    timeout: float | None = None,
) -> str | None:
    """Runs the repository's pytest (behind `wrapper`, e.g. valgrind) with `python`,
    from a scratch folder so that only the h5linalg installed for `python` can be
    imported; returns why the run failed, or None.

    A run some library ended with exit(0) (the reference BLAS does on a bad
    argument) has exit status 0: it counts as finished only if pytest wrote its
    JUnit report, which it does at the very end."""
    with tempfile.TemporaryDirectory(prefix="h5linalg-pytest-") as scratch:
        junit = Path(scratch) / "junit.xml"
        command: list[str | os.PathLike[str]] = [
            *wrapper, python, "-m", "pytest", "-c", REPO / "pyproject.toml",
            "--rootdir", REPO, "-p", "no:cacheprovider", f"--junitxml={junit}", *args,
        ]  # fmt: skip
        result = run(command, cwd=scratch, env=env, check=False, timeout=timeout)
        if result.returncode != 0:
            return f"exit status {result.returncode}"
        if not junit.exists():
            return "the process ended before pytest finished (no report written)"
    return None
