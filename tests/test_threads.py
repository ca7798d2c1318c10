"""Several Python threads calling h5linalg at once (the GIL is released during
all HDF5 I/O and BLAS work; HDF5 calls are serialised by h5linalg's own lock)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from conftest import assert_close

import h5linalg


def test_concurrent_calls_on_shared_and_separate_files(make_source):
    rng = np.random.default_rng(1)
    arrays = [rng.normal(size=(400, 5)) for _ in range(3)]
    sources = [make_source("string", a, "chunked-gzip") for a in arrays]
    shared = sources[0]

    def work(i: int) -> None:
        a = arrays[i % 3]
        source = shared if i % 2 else sources[i % 3]
        a = arrays[0] if i % 2 else a
        assert_close(h5linalg.gram(source, block_rows=37), a.T @ a)
        assert_close(
            h5linalg.covariance(source, block_rows=50), np.cov(a, rowvar=False)
        )
        y = a[:, 0] + a[:, 1] ** 2
        expected = np.linalg.lstsq(a, y, rcond=None)[0]
        assert_close(h5linalg.lstsq(source, y, block_rows=64), expected, rtol=1e-9)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(24)))
