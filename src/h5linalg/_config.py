"""What h5linalg was built with and runs with (paste this into bug reports)."""

from __future__ import annotations

import json
import platform
import sys
from importlib import resources
from typing import Any

import numpy as np

from . import _core
from ._plugins import filter_report


def bundled_info() -> dict[str, Any] | None:
    """What a self-contained wheel carries (``h5linalg/_bundled.json``, written by
    tools/wheels): ``origin``, ``libraries`` (name -> version) and where their
    licences are. ``None`` for conda and source builds, which link the
    environment's libraries."""
    try:
        text = resources.files(__package__).joinpath("_bundled.json").read_text()
    except FileNotFoundError:
        return None
    info: dict[str, Any] = json.loads(text)
    return info


def config_info() -> dict[str, Any]:
    """Versions of h5linalg, Python, NumPy, HDF5, zlib, the gzip inflater and the BLAS
    in use, the codecs h5linalg decodes on its worker threads (``codecs``: codec ->
    library and version), the native libraries a wheel carries (``bundled``), and
    the compression filters HDF5 can decode."""
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
    bundled = bundled_info()
    if bundled is None:
        info["bundled"] = "nothing: the environment's HDF5, BLAS and codecs are linked"
    else:
        info["bundled"] = dict(bundled["libraries"])
        info["bundled_from"] = bundled["origin"]
        info["bundled_licenses"] = bundled["licenses"]
    info["filters"] = filter_report()
    return info


def show_config() -> None:
    """Prints what h5linalg was built with and runs with: paste it into bug reports.

    The versions of h5linalg, Python, NumPy, HDF5 and zlib, the gzip inflater,
    the codecs h5linalg decodes on its own worker threads (``codecs``: codec,
    library and version), the BLAS actually loaded (with threadpoolctl
    installed), and the compression filters HDF5 can decode (its built-in ones,
    hdf5plugin's, and the plugin search path), as aligned ``key: value`` lines.

    Examples
    --------
    >>> h5linalg.show_config()  # doctest: +ELLIPSIS
    python: ...
    hdf5_running: ...
    codecs:
    ...
    blas: ...
    """
    info = config_info()
    width = max(len(key) for key in info)
    for key, value in info.items():
        if isinstance(value, dict):  # the codecs and the filters: one line each
            print(f"{key:>{width}}:")
            for name, detail in value.items():
                print(f"{'':>{width}}  {name}: {detail}")
        else:
            print(f"{key:>{width}}: {value}")
