"""Package test: covariance of a gzip-chunked HDF5 dataset agrees with NumPy.

Run by both recipe forms (rattler-build `tests:` and conda-build `test:`) in the
test environment of the built package; it exercises HDF5 I/O, zlib and BLAS,
and checks which libraries the build found for each compression filter.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

import h5linalg

# The installed package is under test, not a source tree that happens to be nearby.
for module in (h5linalg, h5linalg._core):
    assert Path(module.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), (
        module
    )

# Every conda build has libdeflate in host; it, not zlib, inflates the chunks.
assert h5linalg._core.build_info()["gzip_inflate"].startswith("libdeflate ")
# The codec libraries are in host too, and each decodes its filter's chunks:
# build_info()["codecs"] maps a codec to its library and version.
codecs = h5linalg._core.build_info().get("codecs", {})
for codec, library in {
    "zstd": "libzstd ",
    "lz4": "liblz4 ",
    "blosc": "libblosc ",
    "lzf": "liblzf ",
}.items():
    assert str(codecs.get(codec, "")).startswith(library), (
        f"build_info()['codecs'][{codec!r}] should name {library.strip()}: {codecs}"
    )

rng = np.random.default_rng(20240611)
data = rng.normal(loc=5.0, scale=2.0, size=(1000, 4))

with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "sample.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("samples", data=data, chunks=(64, 4), compression="gzip")
    got = h5linalg.covariance(h5linalg.H5Source(path, "/samples"))

expected = np.cov(data, rowvar=False)
np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
print(
    f"h5linalg {h5linalg.__version__}: covariance of a 1000x4 HDF5 dataset matches NumPy"
)
