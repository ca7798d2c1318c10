"""The benchmark datasets: generated one at a time, warmed in the page cache, deleted.

Values are deterministic (one seeded generator per chunk). The "measurements"
datasets hold correlated columns (a rank-8 signal plus noise around per-column
offsets) quantised to multiples of 2**-12, as an instrument with a fixed
resolution would record them: the float32 copy then holds exactly the same
numbers, and gzip finds the redundancy real data has (the unused low mantissa
bits), which matters for how fast it inflates. The least-squares dataset is an
X of condition number 1e8 with y = X @ beta exactly, so the accuracy of a solver
shows directly.

Chunks are written with h5py's ``write_direct_chunk`` (compressed with zlib on
worker threads for the gzip datasets), which HDF5 reads like any other chunk.
Zstandard and Blosc chunks are compressed by hdf5plugin's filters in HDF5's own
pipeline, as a user writing them with h5py would. A dataset split over files is
a folder: ``one.h5`` with every row, and ``part-<i>.h5`` holding the same rows in
pieces, so a stack and the single file are measured on the same numbers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

QUANTUM = 2.0**-12
SEED = 20260401


@dataclass(frozen=True)
class DatasetSpec:
    """One HDF5 file with a 2-D dataset /x (and /y, /beta for least squares)."""

    name: str
    rows: int
    cols: int
    chunk_rows: int
    dtype: str = "float64"
    compression: str | None = None  # None, "gzip", or a key of PLUGIN_FILTERS
    level: int = 4
    shuffle: bool = False
    kind: str = "measurements"  # "measurements" or "ill_conditioned"
    files: int = 1  # more than 1: a folder of one.h5 and the parts

    @property
    def file_name(self) -> str:
        """The file, or for a split dataset the folder, under the data directory."""
        return f"{self.name}.h5" if self.files == 1 else self.name

    @property
    def logical_bytes(self) -> int:
        return self.rows * self.cols * np.dtype(self.dtype).itemsize

    def describe(self) -> str:
        text = f"{self.rows:,} x {self.cols} {self.dtype}, chunks of {self.chunk_rows:,} rows"
        if self.compression in PLUGIN_FILTERS:
            text += f", {PLUGIN_FILTERS[self.compression][0]}"
        elif self.compression:
            text += f", {self.compression} level {self.level}"
            if self.shuffle:
                text += " + shuffle"
        if self.files > 1:
            text += f", also split into {self.files:,} files of {self.rows // self.files:,} rows"
        if self.kind == "ill_conditioned":
            text += ", cond(X) = 1e8, y = X @ beta"
        return text


#: Filters written through hdf5plugin: a description and its h5py keywords.
PLUGIN_FILTERS: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "zstd": ("Zstandard (hdf5plugin defaults)", lambda: dict(_hdf5plugin().Zstd())),
    "blosc_lz4": (
        "Blosc LZ4 + byte shuffle (hdf5plugin defaults otherwise)",
        lambda: dict(
            _hdf5plugin().Blosc(cname="lz4", shuffle=_hdf5plugin().Blosc.SHUFFLE)
        ),
    ),
}


def _hdf5plugin() -> Any:
    import hdf5plugin  # noqa: PLC0415

    return hdf5plugin


def dataset_specs(quick: bool) -> dict[str, DatasetSpec]:
    """The datasets of a full run (the issue's sizes) or of a --quick run."""
    tall = 200_000 if quick else 8_000_000
    wide = 20_000 if quick else 1_000_000
    chunk = 16_384
    # The quick run keeps files of at least 2,000 rows: what it checks is that
    # the workload runs, and 200-row files would measure only file opening.
    many = 100 if quick else 1_000
    specs = [
        DatasetSpec("f64", tall, 64, chunk),
        DatasetSpec("f32", tall, 64, chunk, dtype="float32"),
        DatasetSpec("gzip", tall, 64, chunk, compression="gzip"),
        DatasetSpec("gzip_shuffle", tall, 64, chunk, compression="gzip", shuffle=True),
        DatasetSpec("zstd", tall, 64, chunk, compression="zstd"),
        DatasetSpec("blosc_lz4", tall, 64, chunk, compression="blosc_lz4"),
        DatasetSpec("files16", tall, 64, chunk, files=16),
        DatasetSpec("files_many", tall, 64, min(chunk, tall // many), files=many),
        DatasetSpec("wide", wide, 512, 2_048),
        DatasetSpec("lstsq", tall, 64, chunk, kind="ill_conditioned"),
    ]
    return {spec.name: spec for spec in specs}


# --------------------------------------------------------------------------- values


def _mixing(spec: DatasetSpec) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([SEED, spec.cols])
    loadings = rng.standard_normal((8, spec.cols)) * 3.0
    offsets = rng.uniform(-50.0, 150.0, spec.cols)
    return loadings, offsets


def ill_conditioned_factor(cols: int) -> tuple[np.ndarray, np.ndarray]:
    """M (cols x cols) with singular values 1 ... 1e-8, and the true coefficients."""
    rng = np.random.default_rng([SEED, cols, 8])
    q, _ = np.linalg.qr(rng.standard_normal((cols, cols)))
    singular = np.logspace(0.0, -8.0, cols)
    beta = rng.standard_normal(cols)
    return singular[:, None] * q.T, beta


def block_values(spec: DatasetSpec, index: int, count: int) -> dict[str, np.ndarray]:
    """The ``count`` rows of chunk ``index`` of every dataset in the file (as stored)."""
    rng = np.random.default_rng([SEED, index])
    if spec.kind == "ill_conditioned":
        factor, beta = ill_conditioned_factor(spec.cols)
        x = rng.standard_normal((count, spec.cols)) @ factor
        return {"x": x, "y": x @ beta}
    loadings, offsets = _mixing(spec)
    x = rng.standard_normal((count, 8)) @ loadings
    x += rng.standard_normal((count, spec.cols))
    x += offsets
    np.multiply(x, 1.0 / QUANTUM, out=x)
    np.rint(x, out=x)
    np.multiply(x, QUANTUM, out=x)
    return {"x": x.astype(spec.dtype, copy=False)}


def _chunk_bytes(
    values: np.ndarray, chunk_shape: tuple[int, ...], spec: DatasetSpec
) -> bytes:
    """The stored bytes of one chunk: padded to the full chunk, shuffled, deflated."""
    if values.shape[0] < chunk_shape[0]:
        padded = np.zeros(chunk_shape, dtype=values.dtype)
        padded[: values.shape[0]] = values
        values = padded
    data = np.ascontiguousarray(values)
    if spec.shuffle:
        data = np.ascontiguousarray(data.view(np.uint8).reshape(-1, data.itemsize).T)
    raw = data.tobytes()
    return zlib.compress(raw, spec.level) if spec.compression == "gzip" else raw


# --------------------------------------------------------------------------- files


def generate(spec: DatasetSpec, directory: Path, threads: int = 2) -> dict[str, Any]:
    """Writes the dataset's file or folder (replacing an old one); returns its description."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / spec.file_name
    copies = 2 if spec.files > 1 else 1
    need = (
        copies * spec.logical_bytes * (1.05 if spec.kind != "ill_conditioned" else 1.2)
    )
    free = shutil.disk_usage(directory).free
    if free < need + 2 * 1024**3:
        msg = f"not enough disk space for {path}: {free / 1e9:.1f} GB free, {need / 1e9:.1f} GB needed"
        raise OSError(msg)
    started = time.perf_counter()
    if spec.files > 1:
        delete(path)
        path.mkdir()
        _write_file(spec, path / "one.h5", threads)
        _split(path / "one.h5", path, spec)
    else:
        _write_file(spec, path, threads)
    seconds = time.perf_counter() - started
    info = asdict(spec)
    info.update(
        path=str(path),
        description=spec.describe(),
        file_bytes=stored_bytes(path),
        logical_bytes=spec.logical_bytes * copies,
        generate_seconds=round(seconds, 2),
    )
    info["stored_fraction"] = round(info["file_bytes"] / info["logical_bytes"], 4)
    return info


def _split(one: Path, folder: Path, spec: DatasetSpec) -> None:
    """The rows of ``one`` in ``spec.files`` files of equal height, part-0 ... part-N."""
    import h5py  # noqa: PLC0415

    height = spec.rows // spec.files
    with h5py.File(one, "r") as source:
        x = source["x"]
        for index in range(spec.files):
            first = index * height
            last = spec.rows if index == spec.files - 1 else first + height
            with h5py.File(folder / f"part-{index}.h5", "w") as part:
                part.create_dataset(
                    "x",
                    data=x[first:last],
                    chunks=(min(spec.chunk_rows, last - first), spec.cols),
                )


def _write_file(spec: DatasetSpec, path: Path, threads: int) -> None:
    import h5py  # noqa: PLC0415

    temporary = path.with_suffix(".partial")
    plugin = PLUGIN_FILTERS.get(spec.compression or "")
    through_plugin = plugin is not None
    with h5py.File(temporary, "w") as handle:
        options: dict[str, Any] = {"chunks": (spec.chunk_rows, spec.cols)}
        if plugin is not None:
            options.update(plugin[1]())
        elif spec.compression:
            options.update(compression=spec.compression, compression_opts=spec.level)
            options["shuffle"] = spec.shuffle
        x = handle.create_dataset(
            "x", shape=(spec.rows, spec.cols), dtype=spec.dtype, **options
        )
        y = None
        if spec.kind == "ill_conditioned":
            y = handle.create_dataset(
                "y", shape=(spec.rows,), dtype="f8", chunks=(spec.chunk_rows,)
            )
            handle["beta"] = ill_conditioned_factor(spec.cols)[1]
        x.attrs["description"] = spec.describe()

        def produce(index: int) -> tuple[int, bytes, bytes | None]:
            first = index * spec.chunk_rows
            count = min(spec.chunk_rows, spec.rows - first)
            values = block_values(spec, index, count)
            x_bytes = _chunk_bytes(values["x"], (spec.chunk_rows, spec.cols), spec)
            y_bytes = None
            if "y" in values:
                y_bytes = _chunk_bytes(
                    values["y"], (spec.chunk_rows,), DatasetSpec("y", 0, 1, 1)
                )
            return first, x_bytes, y_bytes

        chunks = (spec.rows + spec.chunk_rows - 1) // spec.chunk_rows
        if through_plugin:
            # HDF5 compresses through the plugin, one chunk per write.
            for index in range(chunks):
                first = index * spec.chunk_rows
                count = min(spec.chunk_rows, spec.rows - first)
                x[first : first + count] = block_values(spec, index, count)["x"]
        else:
            for first, x_bytes, y_bytes in _ordered(produce, chunks, threads):
                x.id.write_direct_chunk((first, 0), x_bytes)
                if y is not None and y_bytes is not None:
                    y.id.write_direct_chunk((first,), y_bytes)
    temporary.rename(path)


def _ordered(
    produce: Callable[[int], tuple[int, bytes, bytes | None]], count: int, threads: int
) -> Iterator[tuple[int, bytes, bytes | None]]:
    """produce(0 .. count-1) on worker threads, yielded in order, a few ahead at most."""
    with ThreadPoolExecutor(max(1, threads)) as pool:
        pending: list[Future[tuple[int, bytes, bytes | None]]] = []
        for index in range(count):
            pending.append(pool.submit(produce, index))
            if len(pending) > 2 * threads:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def files_of(path: Path) -> list[Path]:
    """The file itself, or every file of a split dataset's folder."""
    return sorted(path.glob("*.h5")) if path.is_dir() else [path]


def stored_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in files_of(path))


def warm(path: Path) -> float:
    """Reads the whole file (or folder) so it is in the page cache; returns the cached fraction."""
    buffer = bytearray(16 << 20)
    view = memoryview(buffer)
    for file in files_of(path):
        with file.open("rb", buffering=0) as handle:
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_WILLNEED)
            while handle.readinto(view):
                pass
    return cached_fraction(path)


def cached_fraction(path: Path) -> float:
    """Fraction of the file (or folder) in the page cache (util-linux fincore), or NaN."""
    fincore = shutil.which("fincore")
    files = files_of(path) if path.exists() else []
    if fincore is None or not files:
        return float("nan")
    try:
        output = subprocess.run(
            [
                fincore,
                "--bytes",
                "--noheadings",
                "--raw",
                "--output",
                "RES",
                *map(str, files),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.split()
    except (subprocess.SubprocessError, OSError):
        return float("nan")
    size = stored_bytes(path)
    return (
        sum(int(value) for value in output) / size if output and size else float("nan")
    )


def delete(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    path.unlink(missing_ok=True)
    path.with_suffix(".partial").unlink(missing_ok=True)
