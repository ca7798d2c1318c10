"""What h5linalg was built with and runs with (paste this into bug reports)."""

from __future__ import annotations

import platform
import sys
from typing import Any

import numpy as np

from . import _core


def config_info() -> dict[str, Any]:
    """Versions of h5linalg, Python, NumPy, HDF5, zlib (and the gzip inflater), and the BLAS in use."""
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": np.__version__,
    }
    info.update(_core.build_info())
    try:
        from threadpoolctl import threadpool_info  # noqa: PLC0415  (optional dependency)
    except ImportError:
        info["blas"] = "unknown (install threadpoolctl to see which BLAS is loaded)"
    else:
        blas = [
            f"{entry.get('internal_api')} {entry.get('version')} "
            f"({entry.get('filepath')}, {entry.get('num_threads')} threads)"
            for entry in threadpool_info()
            if entry.get("user_api") == "blas"
        ]
        info["blas"] = "; ".join(blas) if blas else "none found"
    return info


def show_config() -> None:
    """Prints :func:`config_info` as aligned ``key: value`` lines."""
    info = config_info()
    width = max(len(key) for key in info)
    for key, value in info.items():
        print(f"{key:>{width}}: {value}")
