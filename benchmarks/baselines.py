"""What h5linalg is measured against, each run in its own process by measure.py.

(1) The h5py + NumPy block loop a user would write: ``blk = dset[i:i + B]`` and
    ``G += blk.T @ blk`` (NumPy turns ``a.T @ a`` into BLAS syrk); a two-pass
    loop for covariance (means first, then centred blocks); the normal
    equations for least squares; ``out[i:i + B] = dset[i:i + B] @ W`` for matmul.
(2) dask.array over the h5py dataset, with dask's default chunks and scheduler.
(3) Floors: h5py ``read_direct`` of the same blocks into one reused buffer (and
    ``write_direct`` for the output of matmul, no fsync); NumPy on the whole
    array in memory; BLAS dsyrk of the array in memory through the same
    libblas.so.3 that h5linalg links; raw chunks inflated on worker threads.

Every function takes the measurement's parameters and its Clock, and times only
the work inside ``with clock:``; loading an array for an in-memory floor
happens before. Imports are inside the functions so each child process loads
only what its variant needs (and its resident memory shows only that).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from measure import Clock, Skip

# --------------------------------------------------------------------------- helpers


def h5py_with_plugins() -> Any:
    """h5py, with hdf5plugin's filters registered (Zstandard and Blosc datasets).

    A user reading such files with h5py imports hdf5plugin; the baselines do the
    same, before their clock starts.
    """
    import h5py  # noqa: PLC0415

    with contextlib.suppress(ImportError):
        import hdf5plugin  # noqa: F401, PLC0415
    return h5py


def source(p: dict[str, Any], name: str | None = None) -> str:
    """The measurement's dataset (or another one of its file) as h5linalg names it."""
    return f"{p['path']}:{name or p['dataset']}"


def blocks(rows: int, block_rows: int) -> Iterator[tuple[int, int]]:
    """(first, end) of each block of ``block_rows`` rows."""
    for first in range(0, rows, block_rows):
        yield first, min(rows, first + block_rows)


def matmul_operand(width: int, columns: int) -> Any:
    """The in-memory right-hand matrix of the matmul workload (fixed seed)."""
    import numpy as np  # noqa: PLC0415

    return np.random.default_rng(12345).standard_normal((width, columns)) / np.sqrt(
        width
    )


def load_matrix(p: dict[str, Any], name: str | None = None) -> Any:
    """The whole dataset in memory as float64 (for the in-memory floors)."""
    h5py = h5py_with_plugins()
    import numpy as np  # noqa: PLC0415

    with h5py.File(p["path"], "r") as handle:
        dataset = handle[name or p["dataset"]]
        if dataset.dtype == np.float64:
            array = np.empty(dataset.shape, dtype=np.float64)
            dataset.read_direct(array)
            return array
        return dataset[()].astype(np.float64)


def remove_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def check_matmul_output(path: str, p: dict[str, Any]) -> dict[str, Any]:
    """Compares every 997th row of the written C with NumPy (first repetition only)."""
    h5py = h5py_with_plugins()
    import numpy as np  # noqa: PLC0415

    if not p.get("verify"):
        return {}
    weights = matmul_operand(p["width"], p["columns"])
    with h5py.File(p["path"], "r") as source, h5py.File(path, "r") as written:
        rows = np.arange(0, source[p["dataset"]].shape[0], 997)
        expected = source[p["dataset"]][rows].astype(np.float64) @ weights
        got = written["C"][rows]
        chunks = list(written["C"].chunks or ())
    error = float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))
    return {"max_rel_error_sampled": error, "output_chunks": chunks}


def timed_matmul(
    p: dict[str, Any], clock: Clock, write: Callable[[str, Any], object]
) -> dict[str, Any]:
    """Times ``write(out, weights)`` writing A @ W to a fresh ``p["out"]``, then
    checks the output (first repetition) and deletes it."""
    weights = matmul_operand(p["width"], p["columns"])
    out = p["out"]
    remove_quietly(out)
    with clock:
        write(out, weights)
    extra = check_matmul_output(out, p)
    remove_quietly(out)
    return extra


def centred_scatter(x: Any) -> Any:
    """The covariance of a NumPy or dask array: centred, then Xc.T @ Xc / (n - 1)."""
    centred = x - x.mean(axis=0)
    return (centred.T @ centred) / (x.shape[0] - 1)


# --------------------------------------------------------------------------- (1) h5py + NumPy


def gram_h5py_loop(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    h5py = h5py_with_plugins()
    import numpy as np  # noqa: PLC0415

    with clock, h5py.File(p["path"], "r") as handle:
        dataset = handle[p["dataset"]]
        rows, width = dataset.shape
        gram = np.zeros((width, width))
        for first, end in blocks(rows, p["block_rows"]):
            block = dataset[first:end]
            if block.dtype != np.float64:
                block = block.astype(np.float64)
            gram += block.T @ block
    return {"_array": gram}


def covariance_h5py_two_pass(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    h5py = h5py_with_plugins()
    import numpy as np  # noqa: PLC0415

    with clock, h5py.File(p["path"], "r") as handle:
        dataset = handle[p["dataset"]]
        rows, width = dataset.shape
        total = np.zeros(width)
        for first, end in blocks(rows, p["block_rows"]):
            total += dataset[first:end].sum(axis=0, dtype=np.float64)
        mean = total / rows
        scatter = np.zeros((width, width))
        for first, end in blocks(rows, p["block_rows"]):
            centred = dataset[first:end] - mean
            scatter += centred.T @ centred
        covariance = scatter / (rows - 1)
    return {"_array": covariance}


def lstsq_h5py_normal_equations(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    h5py = h5py_with_plugins()
    import numpy as np  # noqa: PLC0415

    with clock, h5py.File(p["path"], "r") as handle:
        x, y = handle[p["dataset"]], handle[p["y_dataset"]]
        rows, width = x.shape
        gram = np.zeros((width, width))
        rhs = np.zeros(width)
        for first, end in blocks(rows, p["block_rows"]):
            block = x[first:end]
            gram += block.T @ block
            rhs += block.T @ y[first:end]
        coefficients = np.linalg.solve(gram, rhs)
    return {"coefficients": coefficients.tolist()}


def matmul_h5py_loop(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    h5py = h5py_with_plugins()

    def write(out: str, weights: Any) -> None:
        with h5py.File(p["path"], "r") as handle, h5py.File(out, "w") as target:
            dataset = handle[p["dataset"]]
            rows = dataset.shape[0]
            result = target.create_dataset(
                "C",
                shape=(rows, p["columns"]),
                dtype="f8",
                chunks=tuple(p["out_chunks"]),
            )
            for first, end in blocks(rows, p["block_rows"]):
                result[first:end] = dataset[first:end] @ weights

    return timed_matmul(p, clock, write)


# --------------------------------------------------------------------------- (2) dask


def _dask_array(dataset: Any) -> Any:
    import dask.array as da  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    # dask's default ("auto") chunks, aligned to the HDF5 chunks
    x = da.from_array(dataset)  # type: ignore[no-untyped-call]
    return x if x.dtype == np.float64 else x.astype(np.float64)


def gram_dask(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    h5py = h5py_with_plugins()

    with clock, h5py.File(p["path"], "r") as handle:
        x = _dask_array(handle[p["dataset"]])
        gram = (x.T @ x).compute()
    return {"_array": gram, "dask_chunk_rows": int(x.chunks[0][0])}


def covariance_dask(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    h5py = h5py_with_plugins()

    with clock, h5py.File(p["path"], "r") as handle:
        covariance = centred_scatter(_dask_array(handle[p["dataset"]])).compute()
    return {"_array": covariance}


def lstsq_dask(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import dask.array as da  # noqa: PLC0415

    h5py = h5py_with_plugins()

    try:
        import scipy.linalg  # noqa: F401, PLC0415 - dask.array.linalg.lstsq needs SciPy
    except ImportError as error:
        msg = "dask.array.linalg.lstsq needs SciPy, which is not installed"
        raise Skip(msg) from error
    with clock, h5py.File(p["path"], "r") as handle:
        x = _dask_array(handle[p["dataset"]]).rechunk({1: -1})
        y = da.from_array(handle[p["y_dataset"]], chunks=(x.chunks[0],))  # type: ignore[no-untyped-call]
        coefficients = da.linalg.lstsq(x, y)[0].compute()  # type: ignore[no-untyped-call]
    return {"coefficients": coefficients.tolist()}


def matmul_dask(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import dask.array as da  # noqa: PLC0415

    h5py = h5py_with_plugins()

    def write(out: str, weights: Any) -> None:
        with h5py.File(p["path"], "r") as handle:
            x = _dask_array(handle[p["dataset"]])
            da.to_hdf5(out, "/C", x @ weights, chunks=tuple(p["out_chunks"]))  # type: ignore[no-untyped-call]

    return timed_matmul(p, clock, write)


# --------------------------------------------------------------------------- (3) floors


def read_floor(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """h5py read_direct of the same blocks into one reused buffer (plus y for lstsq)."""
    h5py = h5py_with_plugins()
    import numpy as np  # noqa: PLC0415

    with h5py.File(p["path"], "r") as handle:
        dataset = handle[p["dataset"]]
        rows, width = dataset.shape
        buffer = np.empty((p["block_rows"], width), dtype=dataset.dtype)
        y_buffer = np.empty(p["block_rows"]) if p.get("y_dataset") else None
        with clock:
            for first, end in blocks(rows, p["block_rows"]):
                count = end - first
                dataset.read_direct(buffer, np.s_[first:end], np.s_[0:count])
                if y_buffer is not None:
                    handle[p["y_dataset"]].read_direct(
                        y_buffer, np.s_[first:end], np.s_[0:count]
                    )
    return {}


def write_floor(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """h5py write_direct of blocks of the matmul output's shape and chunking, no fsync."""
    h5py = h5py_with_plugins()
    import numpy as np  # noqa: PLC0415

    rows, columns = p["rows"], p["columns"]
    buffer = np.random.default_rng(7).standard_normal((p["block_rows"], columns))
    out = p["out"]
    remove_quietly(out)
    with clock, h5py.File(out, "w") as target:
        result = target.create_dataset(
            "C", shape=(rows, columns), dtype="f8", chunks=tuple(p["out_chunks"])
        )
        for first, end in blocks(rows, p["block_rows"]):
            result.write_direct(buffer, np.s_[0 : end - first], np.s_[first:end])
    remove_quietly(out)
    return {}


def inflate_floor(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """Raw chunks read with h5py (one thread) and inflated with zlib on ``threads`` threads.

    What parallel decompression can reach on this machine, before any BLAS work.
    """
    import zlib  # noqa: PLC0415

    h5py = h5py_with_plugins()
    import numpy as np  # noqa: PLC0415

    threads = int(p["threads"])
    with h5py.File(p["path"], "r") as handle:
        dataset = handle[p["dataset"]]
        rows = dataset.shape[0]
        chunk_rows = dataset.chunks[0]
        itemsize = dataset.dtype.itemsize
        shuffled = bool(dataset.shuffle)

        def inflate(raw: bytes) -> int:
            data = zlib.decompress(raw)
            if shuffled:
                planes = np.frombuffer(data, dtype=np.uint8).reshape(itemsize, -1)
                data = planes.T.tobytes()
            return len(data)

        total = 0
        with clock, ThreadPoolExecutor(threads) as pool:
            pending = []
            for first in range(0, rows, chunk_rows):
                _mask, raw = dataset.id.read_direct_chunk((first, 0))
                pending.append(pool.submit(inflate, raw))
                if len(pending) >= 4 * threads:
                    total += pending.pop(0).result()
            total += sum(future.result() for future in pending)
    return {"inflated_bytes": total}


def gram_numpy_in_memory(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    x = load_matrix(p)
    with clock:
        gram = x.T @ x
    return {"_array": gram}


def covariance_numpy_in_memory(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    x = load_matrix(p)
    with clock:
        covariance = centred_scatter(x)
    return {"_array": covariance}


def matmul_numpy_in_memory(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    x = load_matrix(p)
    weights = matmul_operand(p["width"], p["columns"])
    with clock:
        result = x @ weights
    return {"rows": int(result.shape[0])}


def lstsq_numpy_in_memory(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import numpy as np  # noqa: PLC0415

    x = load_matrix(p)
    y = load_matrix(p, p["y_dataset"])
    with clock:
        coefficients = np.linalg.lstsq(x, y, rcond=None)[0]
    return {"coefficients": coefficients.tolist()}


def qr_numpy_in_memory(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """LAPACK's blocked Householder QR (dgeqrf) of [X | y] in memory: the QR floor."""
    import numpy as np  # noqa: PLC0415

    x = load_matrix(p)
    y = load_matrix(p, p["y_dataset"])
    stacked = np.column_stack([x, y])
    del x, y
    with clock:
        np.linalg.qr(stacked, mode="r")
    return {}


def _cblas() -> Any:
    """The libblas.so.3 that h5linalg links (Debian's alternative: OpenBLAS here)."""
    name = ctypes.util.find_library("blas") or "libblas.so.3"
    library = ctypes.CDLL(name)
    library.cblas_dsyrk.restype = None
    library.cblas_dsyrk.argtypes = [
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_double,
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_double,
        ctypes.c_void_p,
        ctypes.c_int,
    ]
    return library


def gram_system_blas_in_memory(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """One cblas_dsyrk over the whole in-memory array with h5linalg's BLAS library."""
    import numpy as np  # noqa: PLC0415

    x = load_matrix(p)
    rows, width = x.shape
    gram = np.zeros((width, width))
    blas = _cblas()
    row_major, upper, transposed = 101, 121, 112
    with clock:
        blas.cblas_dsyrk(
            row_major,
            upper,
            transposed,
            width,
            rows,
            1.0,
            x.ctypes.data,
            width,
            0.0,
            gram.ctypes.data,
            width,
        )
        gram = np.triu(gram) + np.triu(gram, 1).T
    return {"_array": gram}


VARIANTS = {
    "gram_h5py_loop": gram_h5py_loop,
    "covariance_h5py_two_pass": covariance_h5py_two_pass,
    "lstsq_h5py_normal_equations": lstsq_h5py_normal_equations,
    "matmul_h5py_loop": matmul_h5py_loop,
    "gram_dask": gram_dask,
    "covariance_dask": covariance_dask,
    "lstsq_dask": lstsq_dask,
    "matmul_dask": matmul_dask,
    "read_floor": read_floor,
    "write_floor": write_floor,
    "inflate_floor": inflate_floor,
    "gram_numpy_in_memory": gram_numpy_in_memory,
    "covariance_numpy_in_memory": covariance_numpy_in_memory,
    "matmul_numpy_in_memory": matmul_numpy_in_memory,
    "lstsq_numpy_in_memory": lstsq_numpy_in_memory,
    "qr_numpy_in_memory": qr_numpy_in_memory,
    "gram_system_blas_in_memory": gram_system_blas_in_memory,
}
