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
    compression: str | None = None  # None or "gzip"
    level: int = 4
    shuffle: bool = False
    kind: str = "measurements"  # "measurements" or "ill_conditioned"

    @property
    def file_name(self) -> str:
        return f"{self.name}.h5"

    @property
    def logical_bytes(self) -> int:
        return self.rows * self.cols * np.dtype(self.dtype).itemsize

    def describe(self) -> str:
        text = f"{self.rows:,} x {self.cols} {self.dtype}, chunks of {self.chunk_rows:,} rows"
        if self.compression:
            text += f", {self.compression} level {self.level}"
            if self.shuffle:
                text += " + shuffle"
        if self.kind == "ill_conditioned":
            text += ", cond(X) = 1e8, y = X @ beta"
        return text


def dataset_specs(quick: bool) -> dict[str, DatasetSpec]:
    """The datasets of a full run (the issue's sizes) or of a --quick run."""
    tall = 200_000 if quick else 8_000_000
    wide = 20_000 if quick else 1_000_000
    chunk = 16_384
    specs = [
        DatasetSpec("f64", tall, 64, chunk),
        DatasetSpec("f32", tall, 64, chunk, dtype="float32"),
        DatasetSpec("gzip", tall, 64, chunk, compression="gzip"),
        DatasetSpec("gzip_shuffle", tall, 64, chunk, compression="gzip", shuffle=True),
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
    """Writes the dataset's file (replacing an old one); returns its description."""
    import h5py  # noqa: PLC0415

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / spec.file_name
    need = spec.logical_bytes * (1.05 if spec.kind != "ill_conditioned" else 1.2)
    free = shutil.disk_usage(directory).free
    if free < need + 2 * 1024**3:
        msg = f"not enough disk space for {path}: {free / 1e9:.1f} GB free, {need / 1e9:.1f} GB needed"
        raise OSError(msg)
    started = time.perf_counter()
    temporary = path.with_suffix(".partial")
    with h5py.File(temporary, "w") as handle:
        options: dict[str, Any] = {"chunks": (spec.chunk_rows, spec.cols)}
        if spec.compression:
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
        for first, x_bytes, y_bytes in _ordered(produce, chunks, threads):
            x.id.write_direct_chunk((first, 0), x_bytes)
            if y is not None and y_bytes is not None:
                y.id.write_direct_chunk((first,), y_bytes)
    temporary.rename(path)
    seconds = time.perf_counter() - started
    info = asdict(spec)
    info.update(
        path=str(path),
        description=spec.describe(),
        file_bytes=path.stat().st_size,
        logical_bytes=spec.logical_bytes,
        generate_seconds=round(seconds, 2),
    )
    info["stored_fraction"] = round(info["file_bytes"] / spec.logical_bytes, 4)
    return info


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


def warm(path: Path) -> float:
    """Reads the whole file so it is in the page cache; returns the cached fraction."""
    with path.open("rb", buffering=0) as handle:
        os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_WILLNEED)
        buffer = bytearray(16 << 20)
        view = memoryview(buffer)
        while handle.readinto(view):
            pass
    return cached_fraction(path)


def cached_fraction(path: Path) -> float:
    """Fraction of the file in the page cache (util-linux fincore), or NaN if unknown."""
    fincore = shutil.which("fincore")
    if fincore is None or not path.exists():
        return float("nan")
    try:
        output = subprocess.run(
            [fincore, "--bytes", "--noheadings", "--raw", "--output", "RES", str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.split()
    except (subprocess.SubprocessError, OSError):
        return float("nan")
    size = path.stat().st_size
    return int(output[0]) / size if output and size else float("nan")


def delete(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_suffix(".partial").unlink(missing_ok=True)
