"""Many threads at once: h5linalg from 8 threads while h5py reads the same files
and writes another one from a ninth; and runs stopped half-way from several
threads at once leave no thread, open HDF5 object or partial output behind.

h5linalg serialises its own HDF5 calls (one process-wide recursive mutex) and
releases the GIL for I/O and BLAS; h5py serialises its calls with its own lock.
With h5py from PyPI the two use different libhdf5 copies in one process.

H5LINALG_THREADS_CALLS=N sets the calls per thread (default 50).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from native_threads import native_threads, threads_left_behind

import h5linalg
from h5linalg import _testing

THREADS = 8
CALLS = int(os.environ.get("H5LINALG_THREADS_CALLS", "") or 50)
LAYOUTS: dict[str, dict[str, Any]] = {
    "contiguous": {},
    "gzip": {"chunks": (64, 6), "compression": "gzip"},
    "shuffle-gzip": {"chunks": (50, 4), "compression": "gzip", "shuffle": True},
    "chunked-f4": {"chunks": (100, 6), "dtype": "f4"},
}


@dataclass
class DataFile:
    path: Path
    x: np.ndarray  # float64, as h5linalg computes on it
    y: np.ndarray


def write_files(directory: Path, rows: int = 1500) -> list[DataFile]:
    files = []
    for i, (name, options) in enumerate(LAYOUTS.items()):
        rng = np.random.default_rng(i)
        settings = dict(options)
        dtype = settings.pop("dtype", "f8")
        x = rng.normal(loc=5.0 * i, scale=1.0 + i, size=(rows, 6)).astype(dtype)
        y = (x.astype(np.float64) @ rng.normal(size=6) + rng.normal(size=rows)).astype(
            dtype
        )
        path = directory / f"{name}.h5"
        y_options = dict(settings)
        if "chunks" in y_options:
            y_options["chunks"] = (y_options["chunks"][0],)
        with h5py.File(path, "w") as file:
            file.create_dataset("x", data=x, **settings)
            file.create_dataset("y", data=y, **y_options)
        files.append(DataFile(path, x.astype(np.float64), y.astype(np.float64)))
    return files


def close(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-9) -> None:
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


B = np.random.default_rng(99).normal(size=(6, 3))


NAMES = ("moments", "gram", "covariance", "pca", "lstsq", "matmul", "matmul_out")


def one_call(kind: int, data: DataFile, source: Any, out: Path) -> list[np.ndarray]:
    """Runs function number `kind` on `source`, checks it against NumPy, returns its arrays."""
    x, y = data.x, data.y
    block_rows = 97 + 13 * kind  # many blocks, not aligned with the chunks
    name = NAMES[kind]
    if name == "moments":
        stats = h5linalg.moments(source, block_rows=block_rows)
        close(stats.mean, x.mean(axis=0))
        close(stats.var, x.var(axis=0, ddof=1))
        np.testing.assert_array_equal(stats.min, x.min(axis=0))
        return [stats.mean, stats.var, stats.min, stats.max]
    if name == "gram":
        result = h5linalg.gram(source, block_rows=block_rows)
        close(result, x.T @ x)
    elif name == "covariance":
        result = h5linalg.covariance(source, block_rows=block_rows)
        close(result, np.cov(x, rowvar=False))
    elif name == "pca":
        pca = h5linalg.pca(source, 2, block_rows=block_rows)
        values = np.linalg.eigvalsh(np.cov(x, rowvar=False))[::-1][:2]
        close(pca.explained_variance, values, rtol=1e-8)
        return [pca.explained_variance, pca.components, pca.mean]
    elif name == "lstsq":
        result = h5linalg.lstsq(source, y, block_rows=block_rows)
        close(result, np.linalg.lstsq(x, y, rcond=None)[0], rtol=1e-7)
    elif name == "matmul":
        result = np.asarray(h5linalg.matmul(source, B, block_rows=block_rows))
        close(result, x @ B)
    else:
        h5linalg.matmul(source, B, out=f"{out}:/product", block_rows=block_rows)
        with h5py.File(out, "r") as file:
            result = file["product"][()]
        close(result, x @ B)
        out.unlink()
    return [np.asarray(result)]


def test_every_function_from_eight_threads_with_h5py_alongside(tmp_path):
    """Every public function at once from 8 threads, on shared and separate files
    and arrays, while h5py reads and writes: each result equal bit for bit to the
    same call made alone, and to NumPy's within the suite's tolerances."""
    files = write_files(tmp_path)
    # h5py may share h5linalg's HDF5 library (conda-forge), so only a change counts.
    objects = _testing.open_hdf5_objects()
    # Sources of every kind: names, open h5py datasets and one array shared by all
    # threads, and an array of each thread's own.
    handles = [h5py.File(f.path, "r") for f in files]
    kinds: list[Callable[[int], Any]] = [
        lambda i: f"{files[i].path}:/x",
        lambda i: h5linalg.H5Source(files[i].path, "x"),
        lambda i: handles[i]["x"],
        lambda i: files[i].x,
        lambda i: files[i].x.copy(),
    ]
    alone = {
        (kind, i, source): one_call(
            kind, files[i], kinds[source](i), tmp_path / "alone.h5"
        )
        for kind in range(len(NAMES))
        for i in range(len(files))
        for source in range(len(kinds))
    }
    stop = threading.Event()
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def worker(thread: int) -> None:
        for call in range(CALLS):
            i = (thread + call) % len(files)
            kind = (thread * 3 + call) % len(NAMES)
            source = (thread + 2 * call) % len(kinds)
            got = one_call(
                kind, files[i], kinds[source](i), tmp_path / f"out-{thread}-{call}.h5"
            )
            for array, expected in zip(got, alone[kind, i, source], strict=True):
                np.testing.assert_array_equal(array, expected)
            with lock:
                counts[NAMES[kind]] = counts.get(NAMES[kind], 0) + 1

    h5py_rounds = itertools.count()

    def h5py_user() -> None:
        """Reads the files h5linalg reads, and writes one it does not, until told to stop."""
        written = tmp_path / "h5py-written.h5"
        rng = np.random.default_rng(5)
        while not stop.is_set():
            round_ = next(h5py_rounds)
            data = files[round_ % len(files)]
            with h5py.File(data.path, "r") as file:
                start = int(rng.integers(0, len(data.x) - 100))
                np.testing.assert_array_equal(
                    file["x"][start : start + 100].astype(np.float64),
                    data.x[start : start + 100],
                )
            block = rng.normal(size=(200, 6))
            with h5py.File(written, "a") as file:
                name = f"d{round_ % 5}"
                if name in file:
                    del file[name]
                file.create_dataset(
                    name, data=block, chunks=(50, 6), compression="gzip"
                )
                file.flush()
                np.testing.assert_array_equal(file[name][()], block)

    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=THREADS + 1) as pool:
            reader = pool.submit(h5py_user)
            futures = [pool.submit(worker, t) for t in range(THREADS)]
            try:
                for future in futures:
                    future.result()
            finally:
                stop.set()
            reader.result()
    finally:
        for handle in handles:
            handle.close()
    elapsed = time.monotonic() - started
    assert sum(counts.values()) == THREADS * CALLS
    assert set(counts) == set(NAMES)
    assert next(h5py_rounds) > 1, "the h5py thread did not run alongside"
    assert _testing.open_hdf5_objects() == objects
    print(f"{THREADS} threads x {CALLS} calls in {elapsed:.1f} s, {counts}")


class Abort(Exception):
    pass


STOPPABLE: dict[str, Callable[..., Any]] = {
    "moments": lambda s, _out, **kw: h5linalg.moments(s, **kw),
    "gram": lambda s, _out, **kw: h5linalg.gram(s, **kw),
    "covariance": lambda s, _out, **kw: h5linalg.covariance(s, **kw),
    "pca": lambda s, _out, **kw: h5linalg.pca(s, 2, **kw),
    "lstsq": lambda s, _out, **kw: h5linalg.lstsq(s, s.replace(":/x", ":/y"), **kw),
    "matmul": lambda s, _out, **kw: h5linalg.matmul(s, B, **kw),
    "matmul_out": lambda s, out, **kw: h5linalg.matmul(
        s, B, out=f"{out}:/g/product", **kw
    ),
}


def test_interrupted_runs_from_several_threads_leave_nothing_behind(tmp_path):
    files = write_files(tmp_path, rows=3000)
    existing = tmp_path / "existing.h5"
    with h5py.File(existing, "w") as file:
        file["keep"] = np.arange(3.0)
    # Run everything once, so that BLAS's and the inflating pool's threads exist
    # before counting: only leaked threads change the count.
    for i, data in enumerate(files):
        for call in STOPPABLE.values():
            call(f"{data.path}:/x", tmp_path / f"warm-{i}.h5", block_rows=100)
    for i in range(len(files)):
        (tmp_path / f"warm-{i}.h5").unlink()
    threads = native_threads()
    objects = _testing.open_hdf5_objects()  # h5py's too, where it shares the library
    stopped: list[tuple[str, int]] = []
    lock = threading.Lock()

    def run(task: tuple[int, str, int]) -> None:
        index, name, after = task
        data = files[index % len(files)]
        calls = 0

        def progress(_done: int, _total: int) -> None:
            nonlocal calls
            calls += 1
            if calls > after:
                raise Abort(name)

        # New output files and an existing one (where a temporary dataset is rolled back).
        out = existing if index % 2 else tmp_path / f"new-{index}.h5"
        with pytest.raises(Abort):
            STOPPABLE[name](f"{data.path}:/x", out, block_rows=50, progress=progress)
        with lock:
            stopped.append((name, after))

    tasks = [
        (index, name, after)
        for index, (name, after) in enumerate(
            itertools.product(STOPPABLE, (0, 1, 5, 20))
        )
    ]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(run, tasks))
    assert len(stopped) == len(tasks)
    assert _testing.open_hdf5_objects() == objects
    assert threads_left_behind(threads) == set()
    # No output appeared, and the existing file holds only what it held.
    assert (
        sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("new-", ".")))
        == []
    )
    with h5py.File(existing, "r") as file:
        assert list(file) == ["keep"]
