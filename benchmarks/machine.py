"""What the results were measured on: CPU, memory, versions, BLAS, git state."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from measure import blas_info

REPO = Path(__file__).resolve().parent.parent


def _proc_field(file: str, prefix: str) -> str:
    """The value after ``prefix`` on its line of a /proc file; "" without one."""
    try:
        for line in Path(file).read_text().splitlines():
            if line.startswith(prefix):
                return line[len(prefix) :].strip(" \t:")
    except OSError:
        pass
    return ""


def git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(REPO), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _version(module: str) -> str:
    try:
        imported = __import__(module)
    except ImportError:
        return "not installed"
    return str(getattr(imported, "__version__", "unknown"))


def machine_info() -> dict[str, Any]:
    """Everything needed to compare a run with another one."""
    import numpy as np  # noqa: PLC0415

    memory_kib = _proc_field("/proc/meminfo", "MemTotal").removesuffix("kB") or "0"
    info: dict[str, Any] = {
        "cpu_model": _proc_field("/proc/cpuinfo", "model name")
        or platform.processor()
        or "unknown",
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "memory_gib": round(int(memory_kib) / 1024**2, 1),
        "kernel": platform.release(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "h5py": _version("h5py"),
        "dask": _version("dask"),
        "threadpoolctl": _version("threadpoolctl"),
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(
            git("status", "--porcelain", "--", "src", "CMakeLists.txt", "cmake")
        ),
        "loadavg_start": os.getloadavg(),
    }
    try:
        import h5py  # noqa: PLC0415

        info["h5py_hdf5"] = h5py.version.hdf5_version
    except ImportError:
        pass
    try:
        import h5linalg  # noqa: PLC0415
        from h5linalg import _core  # noqa: PLC0415

        info["h5linalg"] = h5linalg.__version__
        info["h5linalg_build"] = {
            key: str(value) for key, value in _core.build_info().items()
        }
    except ImportError as error:
        info["h5linalg"] = f"not importable: {error}"
    info["blas"] = (
        blas_info()
    )  # both: NumPy's bundled OpenBLAS and h5linalg's libblas.so.3
    return info


def blas_summary(entries: list[dict[str, Any]]) -> str:
    """ "openblas 0.3.21 Cooperlake 2 threads (libopenblasp-r0.3.21.so); ..." """
    return "; ".join(
        f"{entry.get('internal_api')} {entry.get('version')} {entry.get('architecture')} "
        f"{entry.get('num_threads')} threads ({Path(str(entry.get('filepath'))).name})"
        for entry in entries
    )
