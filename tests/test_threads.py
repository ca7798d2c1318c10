"""Several Python threads calling h5linalg at once (the GIL is released during
all HDF5 I/O and BLAS work; HDF5 calls are serialised by h5linalg's own lock)."""

from __future__ import annotations

import os
import subprocess
import sys
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


def _worker_threads(value: str | None) -> int:
    """The pool size a fresh process reports with H5LINALG_NUM_THREADS=value."""
    env = {k: v for k, v in os.environ.items() if k != "H5LINALG_NUM_THREADS"}
    if value is not None:
        env["H5LINALG_NUM_THREADS"] = value
    code = "import h5linalg._core as c; print(c.build_info()['worker_threads'])"
    run = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(run.stdout)


def test_num_threads_sets_the_worker_pool():
    # The core reads no environment: h5linalg reads H5LINALG_NUM_THREADS at
    # import and sets the pool's size before it starts.
    cpus = _worker_threads(None)
    assert cpus >= 1
    assert _worker_threads("1") == 1
    assert _worker_threads("3") == 3
    for bad in ("0", "many"):
        assert _worker_threads(bad) == cpus, bad
