"""The workloads: which dataset, which h5linalg call, and which baselines beside it.

Each workload runs all its variants in the same run, alternating (the order
rotates every repetition), one process per measurement. ``VARIANTS`` maps the
name a measurement process is given to the function it runs; the h5linalg
functions are here, the baselines and floors in baselines.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import baselines
import cluster
from measure import Clock

# --------------------------------------------------------------------------- h5linalg


def _options(p: dict[str, Any]) -> dict[str, Any]:
    return dict(p.get("h5linalg_options", {}))


def gram_h5linalg(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import h5linalg  # noqa: PLC0415

    with clock:
        gram = h5linalg.gram(baselines.source(p), **_options(p))
    return {"_array": gram}


def gram_h5linalg_in_memory(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """h5linalg.gram on the array in memory: its BLAS and blocking, no I/O."""
    import h5linalg  # noqa: PLC0415

    x = baselines.load_matrix(p)
    with clock:
        gram = h5linalg.gram(x, **_options(p))
    return {"_array": gram}


def gram_h5linalg_one_file(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """h5linalg.gram on the same rows as a split dataset, stored in one file."""
    import h5linalg  # noqa: PLC0415

    with clock:
        gram = h5linalg.gram(f"{p['one_file']}:{p['dataset']}", **_options(p))
    return {"_array": gram}


def decode_floor_h5linalg(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """Every row read and decoded by h5linalg's own reader, then discarded: no BLAS.

    Run with H5LINALG_NUM_THREADS=1, its time is the single-thread decode
    CPU-seconds of the issue's floor, with the same decoders h5linalg uses.
    """
    from h5linalg import _testing  # noqa: PLC0415
    from h5linalg._sources import resolve  # noqa: PLC0415

    source = resolve(baselines.source(p), allow_external=False)
    with clock:
        rows = _testing.stream_rows(source)
    return {"rows": rows}


def covariance_h5linalg(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import h5linalg  # noqa: PLC0415

    with clock:
        covariance = h5linalg.covariance(baselines.source(p), **_options(p))
    return {"_array": covariance}


def lstsq_h5linalg(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import h5linalg  # noqa: PLC0415

    with clock:
        coefficients = h5linalg.lstsq(
            baselines.source(p), baselines.source(p, p["y_dataset"]), **_options(p)
        )
    return {"coefficients": coefficients.tolist()}


def matmul_h5linalg(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import h5linalg  # noqa: PLC0415

    return baselines.timed_matmul(
        p,
        clock,
        lambda out, weights: h5linalg.matmul(
            baselines.source(p), weights, out=f"{out}:/C", overwrite=True, **_options(p)
        ),
    )


VARIANTS = {
    "gram_h5linalg": gram_h5linalg,
    "gram_h5linalg_one_file": gram_h5linalg_one_file,
    "decode_floor_h5linalg": decode_floor_h5linalg,
    "gram_h5linalg_in_memory": gram_h5linalg_in_memory,
    "covariance_h5linalg": covariance_h5linalg,
    "lstsq_h5linalg": lstsq_h5linalg,
    "matmul_h5linalg": matmul_h5linalg,
    **baselines.VARIANTS,
    **cluster.VARIANTS,
}

# --------------------------------------------------------------------------- definitions

#: Roles, in the order tables list them.
ROLES = ("h5linalg", "baseline", "dask", "floor", "diagnostic")


@dataclass(frozen=True)
class Variant:
    """One line of a workload's table."""

    key: str  # unique within the workload
    function: str  # a name in VARIANTS
    label: str
    role: str  # one of ROLES
    env: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    full_only: bool = False  # skipped by --quick
    #: At most this many repetitions (for slow references outside any target).
    max_repeats: int | None = None


@dataclass(frozen=True)
class Workload:
    name: str
    dataset: str  # a key of datasets.dataset_specs()
    title: str
    variants: tuple[Variant, ...]
    full_only: bool = False
    #: A diagnostic workload has no target; its results guide tuning.
    diagnostic: bool = False
    #: Run only when named with --only (a tuning sweep).
    optional: bool = False
    params: dict[str, Any] = field(default_factory=dict)


ONE_THREAD = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

H5LINALG = Variant("h5linalg", "gram_h5linalg", "h5linalg.gram", "h5linalg")
H5PY_LOOP = Variant(
    "h5py_loop", "gram_h5py_loop", "h5py + NumPy loop, G += blk.T @ blk", "baseline"
)
DASK = Variant("dask", "gram_dask", "dask.array (x.T @ x).compute()", "dask")
READ = Variant(
    "read_floor", "read_floor", "read floor: h5py read_direct, reused buffer", "floor"
)
NUMPY = Variant(
    "numpy_in_memory", "gram_numpy_in_memory", "NumPy X.T @ X in memory", "floor"
)
NUMPY_1T = Variant(
    "numpy_in_memory_1t",
    "gram_numpy_in_memory",
    "NumPy X.T @ X in memory, 1 thread",
    "diagnostic",
    env=ONE_THREAD,
)
SYSTEM_BLAS = Variant(
    "system_blas_in_memory",
    "gram_system_blas_in_memory",
    "one dsyrk in memory, h5linalg's libblas.so.3",
    "diagnostic",
)
H5LINALG_IN_MEMORY = Variant(
    "h5linalg_in_memory",
    "gram_h5linalg_in_memory",
    "h5linalg.gram(NumPy array in memory)",
    "diagnostic",
)


SERIAL_DECODE = Variant(
    "h5linalg_serial_inflate",
    "gram_h5linalg",
    "h5linalg.gram, H5LINALG_SERIAL_INFLATE=1 (HDF5's own pipeline)",
    "diagnostic",
    env={"H5LINALG_SERIAL_INFLATE": "1"},
)
DECODE_1T = Variant(
    "decode_1t",
    "decode_floor_h5linalg",
    "decode floor: h5linalg reads and decodes every chunk on 1 thread, no BLAS",
    "floor",
    env={"H5LINALG_NUM_THREADS": "1"},
)
BLAS_1T = Variant(
    "numpy_in_memory_1t",
    "gram_numpy_in_memory",
    "BLAS floor: NumPy X.T @ X in memory, 1 thread (core-seconds)",
    "floor",
    env=ONE_THREAD,
)
#: What the decode targets divide by the cores: (decode CPU-s + BLAS core-s).
DECODE_FLOORS = (DECODE_1T, BLAS_1T)


def _split_gram(name: str, dataset: str, title: str) -> Workload:
    """gram over a stack of files against the same rows in one file."""
    return Workload(
        name,
        dataset,
        title,
        (
            Variant(
                "h5linalg",
                "gram_h5linalg",
                'h5linalg.gram("part-*.h5:/x"), the stack',
                "h5linalg",
            ),
            Variant(
                "one_file",
                "gram_h5linalg_one_file",
                "h5linalg.gram of the same rows in one file",
                "baseline",
            ),
        ),
    )


def _on_a_cluster(name: str, function: str, title: str) -> Workload:
    """h5linalg.distributed and dask.array on one LocalCluster, and one process."""
    variants = [
        Variant(
            "h5linalg",
            f"{function}_distributed",
            f"h5linalg.distributed.{function}, 2 workers x 1 core",
            "h5linalg",
        ),
        Variant(
            "single_process",
            f"{function}_h5linalg",
            f"h5linalg.{function} in one process, every core",
            "baseline",
        ),
    ]
    if function != "matmul":
        variants.insert(
            1,
            Variant(
                "dask",
                f"{function}_dask_cluster",
                "dask.array on the same cluster, 128 MiB chunks",
                "dask",
            ),
        )
    return Workload(name, "f64", title, tuple(variants), params={"columns": 64})


def _block_sweep() -> tuple[Variant, ...]:
    sizes = (16_384, 65_536, 131_072, 262_144)
    return tuple(
        Variant(
            f"h5linalg_block_{rows}",
            "gram_h5linalg",
            f"h5linalg.gram(block_rows={rows:,} = {rows * 64 * 8 >> 20} MiB)",
            "diagnostic",
            params={"h5linalg_options": {"block_rows": rows, "memory_limit": 1 << 30}},
        )
        for rows in sizes
    )


#: Uncompressed float64 Gram: h5linalg, the baselines, the floors and the
#: diagnostics that explain it (one BLAS thread, the system libblas, no I/O).
GRAM_VARIANTS = (
    H5LINALG,
    H5PY_LOOP,
    DASK,
    READ,
    NUMPY,
    NUMPY_1T,
    SYSTEM_BLAS,
    H5LINALG_IN_MEMORY,
)

WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "gram",
        "f64",
        "gram, float64, chunked (uncompressed)",
        GRAM_VARIANTS,
    ),
    Workload(
        "gram_block_sweep",
        "f64",
        "gram block-size sweep (default 16,384 rows = 8 MiB)",
        (H5LINALG, *_block_sweep()),
        full_only=True,
        diagnostic=True,
        optional=True,
    ),
    Workload(
        "covariance",
        "f64",
        "covariance, float64",
        (
            Variant(
                "h5linalg", "covariance_h5linalg", "h5linalg.covariance", "h5linalg"
            ),
            Variant(
                "h5linalg_gram",
                "gram_h5linalg",
                "h5linalg.gram (same run)",
                "diagnostic",
            ),
            Variant(
                "h5py_two_pass",
                "covariance_h5py_two_pass",
                "h5py + NumPy two-pass loop (means, then centred blocks)",
                "baseline",
            ),
            Variant(
                "dask", "covariance_dask", "dask.array x - mean, then xc.T @ xc", "dask"
            ),
            READ,
            Variant(
                "numpy_in_memory",
                "covariance_numpy_in_memory",
                "NumPy in memory (centre, then Xc.T @ Xc)",
                "floor",
            ),
        ),
    ),
    Workload(
        "matmul",
        "f64",
        "matmul to an HDF5 output, A @ W with W 64 x 64",
        (
            Variant(
                "h5linalg",
                "matmul_h5linalg",
                'h5linalg.matmul(a, w, out="c.h5:/C")',
                "h5linalg",
            ),
            Variant(
                "h5py_loop",
                "matmul_h5py_loop",
                "h5py + NumPy loop, out[i:j] = blk @ w",
                "baseline",
            ),
            Variant("dask", "matmul_dask", "dask.array da.to_hdf5(x @ w)", "dask"),
            READ,
            Variant(
                "write_floor",
                "write_floor",
                "write floor: h5py write_direct, no fsync",
                "floor",
            ),
            Variant(
                "numpy_in_memory",
                "matmul_numpy_in_memory",
                "NumPy X @ W in memory",
                "floor",
            ),
            Variant(
                "numpy_in_memory_1t",
                "matmul_numpy_in_memory",
                "NumPy X @ W in memory, 1 thread",
                "diagnostic",
                env=ONE_THREAD,
            ),
        ),
        params={"columns": 64},
    ),
    Workload(
        "gram_f32",
        "f32",
        "gram, stored as float32",
        (
            H5LINALG,
            Variant(
                "h5py_loop",
                "gram_h5py_loop",
                "h5py + NumPy loop (blk.astype(float64))",
                "baseline",
            ),
            Variant("dask", "gram_dask", "dask.array x.astype(float64)", "dask"),
            Variant(
                "read_floor",
                "read_floor",
                "read floor: h5py read_direct (float32)",
                "floor",
            ),
        ),
    ),
    Workload(
        "gram_gzip",
        "gzip",
        "gram, float64, gzip level 4",
        (
            H5LINALG,
            SERIAL_DECODE,
            *DECODE_FLOORS,
            Variant(
                "h5linalg_1_inflate_thread",
                "gram_h5linalg",
                "h5linalg.gram, H5LINALG_NUM_THREADS=1",
                "diagnostic",
                env={"H5LINALG_NUM_THREADS": "1"},
                full_only=True,
            ),
            H5PY_LOOP,
            DASK,
            Variant(
                "read_floor",
                "read_floor",
                "read floor: h5py read_direct (HDF5 inflates, 1 thread)",
                "floor",
            ),
            Variant(
                "inflate_floor",
                "inflate_floor",
                "inflate floor: raw chunks + zlib on 2 threads, no BLAS",
                "floor",
            ),
        ),
    ),
    Workload(
        "gram_gzip_shuffle",
        "gzip_shuffle",
        "gram, float64, shuffle + gzip level 4",
        (
            H5LINALG,
            H5PY_LOOP,
            Variant(
                "read_floor",
                "read_floor",
                "read floor: h5py read_direct (HDF5 inflates, 1 thread)",
                "floor",
            ),
            Variant(
                "inflate_floor",
                "inflate_floor",
                "inflate floor: raw chunks + zlib + unshuffle on 2 threads",
                "floor",
            ),
        ),
        full_only=True,
    ),
    Workload(
        "gram_zstd",
        "zstd",
        "gram, float64, Zstandard (hdf5plugin defaults)",
        (
            H5LINALG,
            SERIAL_DECODE,
            Variant(
                "h5py_loop",
                "gram_h5py_loop",
                "h5py + hdf5plugin + NumPy loop",
                "baseline",
            ),
            *DECODE_FLOORS,
        ),
    ),
    Workload(
        "gram_blosc_lz4",
        "blosc_lz4",
        "gram, float64, Blosc LZ4 + shuffle",
        (
            H5LINALG,
            SERIAL_DECODE,
            Variant(
                "h5py_loop",
                "gram_h5py_loop",
                "h5py + hdf5plugin + NumPy loop (Blosc's default: 1 thread)",
                "baseline",
            ),
            Variant(
                "h5py_loop_blosc_2t",
                "gram_h5py_loop",
                "h5py + hdf5plugin + NumPy loop, BLOSC_NTHREADS=2",
                "diagnostic",
                env={"BLOSC_NTHREADS": "2"},
            ),
            *DECODE_FLOORS,
        ),
    ),
    _on_a_cluster("distributed_gram", "gram", "gram on a 2-worker LocalCluster"),
    _on_a_cluster(
        "distributed_covariance", "covariance", "covariance on a 2-worker LocalCluster"
    ),
    _on_a_cluster(
        "distributed_matmul",
        "matmul",
        "matmul to an HDF5 output on a 2-worker LocalCluster, assembly included",
    ),
    _split_gram("gram_files16", "files16", "gram over 16 files (uncompressed)"),
    _split_gram(
        "gram_files_many",
        "files_many",
        "gram over 1,000 files of 8,000 rows (100 with --quick)",
    ),
    Workload(
        "gram_wide",
        "wide",
        "gram, wide float64 (512 columns)",
        GRAM_VARIANTS,
    ),
    Workload(
        "lstsq",
        "lstsq",
        "lstsq, tall-skinny, cond(X) = 1e8",
        (
            Variant(
                "h5linalg",
                "lstsq_h5linalg",
                "h5linalg.lstsq (streaming TSQR)",
                "h5linalg",
            ),
            Variant(
                "h5py_normal_equations",
                "lstsq_h5py_normal_equations",
                "h5py + NumPy loop, normal equations",
                "baseline",
            ),
            Variant(
                "dask",
                "lstsq_dask",
                "dask.array da.linalg.lstsq (TSQR), 1 repetition",
                "dask",
                max_repeats=1,
            ),
            Variant(
                "read_floor",
                "read_floor",
                "read floor: h5py read_direct of X and y",
                "floor",
            ),
            Variant(
                "numpy_lstsq_in_memory",
                "lstsq_numpy_in_memory",
                "numpy.linalg.lstsq in memory, 3 repetitions",
                "floor",
                max_repeats=3,
            ),
            Variant(
                "numpy_qr_in_memory",
                "qr_numpy_in_memory",
                "NumPy QR of [X | y] in memory (dgeqrf), 1 repetition",
                "diagnostic",
                max_repeats=1,
            ),
        ),
        params={"y_dataset": "/y"},
    ),
)


def by_name() -> dict[str, Workload]:
    return {workload.name: workload for workload in WORKLOADS}
