"""Which BLAS the extension runs with. CI runs the whole suite twice, with
OpenBLAS and with the reference BLAS selected through Debian's alternatives,
and sets H5LINALG_EXPECT_BLAS so this test proves the swap really happened. A
self-contained wheel runs with the scipy_-prefixed OpenBLAS it carries
(H5LINALG_EXPECT_BLAS="bundled scipy-openblas32")."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from h5linalg import _core


def loaded_libraries() -> list[str]:
    paths = set()
    for line in Path("/proc/self/maps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[5].startswith("/"):
            paths.add(parts[5])
    return sorted(paths)


def blas_implementation() -> str:
    """The file behind libblas.so.3 in this process: 'openblas', 'mkl' or 'reference';
    'bundled scipy-openblas32' for the copy a wheel carries (h5linalg.libs)."""
    for path in loaded_libraries():
        if "/h5linalg.libs/" in path and "scipy_openblas" in os.path.basename(path):
            return "bundled scipy-openblas32"
    for path in loaded_libraries():
        name = os.path.basename(path)
        if "openblas" in path and "numpy" not in path and "scipy" not in name:
            return "openblas"
    for path in loaded_libraries():
        if os.path.basename(path).startswith("libmkl_rt"):
            return "mkl"
    for path in loaded_libraries():
        # Debian's reference BLAS: /usr/lib/<triplet>/blas/libblas.so.3.11.0
        if os.path.basename(path).startswith("libblas.so.3") and "/blas/" in path:
            return "reference"
    return "unknown"


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/maps")
def test_extension_links_the_generic_blas_and_lapack():
    libraries = [os.path.basename(p) for p in loaded_libraries()]
    if _core.build_info()["blas_symbol_prefix"]:  # a wheel: its own OpenBLAS
        assert blas_implementation() == "bundled scipy-openblas32"
    else:
        assert "libblas.so.3" in libraries or any(
            "openblas" in p for p in loaded_libraries()
        )
    assert _core.__file__  # the extension is loaded
    expected = os.environ.get("H5LINALG_EXPECT_BLAS")
    if expected is not None:
        assert blas_implementation() == expected


def blas_thread_counts() -> list[int]:
    from threadpoolctl import threadpool_info

    return [
        entry["num_threads"]
        for entry in threadpool_info()
        if entry.get("user_api") == "blas" and "numpy" not in entry["filepath"]
    ]


class Stop(Exception):
    pass


def test_lstsq_restores_the_blas_thread_count():
    import numpy as np

    import h5linalg

    x = np.random.default_rng(0).normal(size=(20_000, 6))
    before = blas_thread_counts()
    h5linalg.lstsq(x, x[:, 0] + 1.0)
    assert blas_thread_counts() == before

    def stop(done: int, _total: int) -> None:
        if done > 0:
            raise Stop

    with pytest.raises(Stop):
        h5linalg.lstsq(x, x[:, 0], block_rows=1000, progress=stop)
    assert blas_thread_counts() == before
