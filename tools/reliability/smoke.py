#!/usr/bin/env python3
"""A smoke test of every public h5linalg function, for runs under ASan/UBSan and valgrind.

Small data, every code path of the C++ core at least once: in-memory arrays
(zero-copy float64, strided, big-endian, narrow integer and float16 data),
h5py datasets, H5Source and ``"file:/dataset"`` strings over contiguous,
gzip-chunked (the parallel inflate path) and shuffle+gzip datasets, and (with
hdf5plugin) a dataset of each other codec decoded on worker threads (zstd,
lz4, blosc, lzf), intact and with a damaged chunk; moments,
gram, covariance, pca, lstsq, matmul into memory and into HDF5 (new file,
existing file, overwrite, 1-D output), ``describe`` and ``cov`` from the command
line, ``show_config``; the error path of every kind of bad input; and runs
stopped by a failing progress callback and by a real SIGINT (Ctrl-C).

Every result is compared with NumPy, so memory corruption that does not crash
still fails. Exit status 0 when every check passed, 1 otherwise; the last line
says how many checks ran. Run it from outside the source tree, with the build to
test importable::

    python -m tools.reliability.smoke [--workdir DIR] [--rows N] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np

import h5linalg
from h5linalg import _core, _testing
from h5linalg.cli import main as cli_main

Check = Callable[[], None]


class Smoke:
    """Runs named checks, remembering which failed."""

    def __init__(self, workdir: Path, rows: int, quick: bool) -> None:
        self.workdir = workdir
        self.rows = rows
        self.quick = quick
        self.passed = 0
        self.failed: list[str] = []
        self.counter = 0

    def check(self, name: str, function: Check) -> None:
        started = time.monotonic()
        try:
            function()
        except Exception:  # noqa: BLE001  (report every failure, then carry on)
            self.failed.append(name)
            print(f"FAIL {name}", flush=True)
            traceback.print_exc()
        else:
            self.passed += 1
            print(f"ok   {name} ({time.monotonic() - started:.2f}s)", flush=True)

    def path(self, stem: str) -> Path:
        self.counter += 1
        return self.workdir / f"{stem}-{self.counter}.h5"


def close(actual: Any, expected: Any, rtol: float = 1e-9) -> None:
    actual = np.asarray(actual)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.dtype != np.float64 or actual.shape != expected.shape:
        msg = f"got {actual.dtype}{actual.shape}, expected float64{expected.shape}"
        raise AssertionError(msg)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@contextlib.contextmanager
def raises(kind: type[BaseException], fragment: str = "") -> Iterator[None]:
    try:
        yield
    except kind as error:
        if fragment and fragment not in str(error):
            msg = f"{kind.__name__} without {fragment!r}: {error}"
            raise AssertionError(msg) from error
    else:
        msg = f"expected {kind.__name__}"
        raise AssertionError(msg)


def write_h5(path: Path, **datasets: tuple[np.ndarray, dict[str, Any]]) -> Path:
    import h5py  # noqa: PLC0415  (optional for the smoke test's users)

    with h5py.File(path, "w") as file:
        for name, (data, options) in datasets.items():
            file.create_dataset(name, data=data, **options)
    return path


def statistics_checks(smoke: Smoke, sources: dict[str, tuple[Any, np.ndarray]]) -> None:
    """moments, gram, covariance and pca on every source, against NumPy."""
    for label, (source, data) in sources.items():
        x = data.astype(np.float64)
        for block_rows in (None, 7) if not smoke.quick else (7,):

            def moments(
                source: Any = source, x: np.ndarray = x, b: Any = block_rows
            ) -> None:
                m = h5linalg.moments(source, block_rows=b)
                if m.count != x.shape[0]:
                    raise AssertionError(m.count)
                close(m.mean, x.mean(axis=0))
                close(m.var, x.var(axis=0, ddof=1))
                close(m.min, x.min(axis=0))
                close(m.max, x.max(axis=0))

            def gram(
                source: Any = source, x: np.ndarray = x, b: Any = block_rows
            ) -> None:
                close(h5linalg.gram(source, block_rows=b), x.T @ x)

            def covariance(
                source: Any = source, x: np.ndarray = x, b: Any = block_rows
            ) -> None:
                close(
                    h5linalg.covariance(source, block_rows=b),
                    np.atleast_2d(np.cov(x, rowvar=False)),
                )
                close(
                    h5linalg.covariance(source, ddof=0, block_rows=b),
                    np.atleast_2d(np.cov(x, rowvar=False, ddof=0)),
                )

            def pca(
                source: Any = source, x: np.ndarray = x, b: Any = block_rows
            ) -> None:
                k = min(2, x.shape[1])
                result = h5linalg.pca(source, k, block_rows=b)
                values = np.linalg.eigvalsh(np.atleast_2d(np.cov(x, rowvar=False)))
                close(result.explained_variance, values[::-1][:k], rtol=1e-7)
                close(result.mean, x.mean(axis=0))
                close(np.linalg.norm(result.components, axis=1), np.ones(k))

            tag = f"{label}, block_rows={block_rows}"
            smoke.check(f"moments({tag})", moments)
            smoke.check(f"gram({tag})", gram)
            smoke.check(f"covariance({tag})", covariance)
            smoke.check(f"pca({tag})", pca)


def solver_checks(smoke: Smoke, sources: dict[str, tuple[Any, np.ndarray]]) -> None:
    """lstsq with 1-D and 2-D y, matmul into memory with 1-D and 2-D b."""
    rng = np.random.default_rng(7)
    for label, (source, data) in sources.items():
        x = data.astype(np.float64)
        rows, cols = x.shape
        y1 = x @ np.arange(1.0, cols + 1) + rng.normal(scale=0.1, size=rows)
        y2 = np.column_stack([y1, -2 * y1 + 1])
        b2 = rng.normal(size=(cols, 3))
        b1 = np.asarray(rng.normal(size=cols))

        def lstsq(
            source: Any = source,
            x: np.ndarray = x,
            y1: np.ndarray = y1,
            y2: np.ndarray = y2,
        ) -> None:
            if x.shape[0] < x.shape[1] or np.linalg.matrix_rank(x) < x.shape[1]:
                return  # not a least-squares problem h5linalg accepts
            close(
                h5linalg.lstsq(source, y1, block_rows=11),
                np.linalg.lstsq(x, y1)[0],
                1e-7,
            )
            close(h5linalg.lstsq(source, y2), np.linalg.lstsq(x, y2)[0], 1e-7)

        def matmul(
            source: Any = source,
            x: np.ndarray = x,
            b1: np.ndarray = b1,
            b2: np.ndarray = b2,
        ) -> None:
            close(h5linalg.matmul(source, b2, block_rows=9), x @ b2)
            close(h5linalg.matmul(source, b1), x @ b1)

        smoke.check(f"lstsq({label})", lstsq)
        smoke.check(f"matmul({label}) in memory", matmul)


def output_checks(smoke: Smoke, source: Any, x: np.ndarray) -> None:
    """matmul into HDF5: new file, existing file with groups, overwrite, 1-D, roll-back."""
    import h5py  # noqa: PLC0415

    b = np.arange(x.shape[1] * 2, dtype=np.float64).reshape(x.shape[1], 2)

    def new_file() -> None:
        target = smoke.workdir / "out-new.h5"
        result = h5linalg.matmul(source, b, out=f"{target}:/g/h/c", block_rows=13)
        if not isinstance(result, h5linalg.H5Source):
            raise TypeError(result)
        with h5py.File(target, "r") as file:
            close(file["g/h/c"][()], x @ b)

    def existing_file_and_overwrite() -> None:
        target = write_h5(smoke.path("existing"), keep=(np.ones(3), {}))
        h5linalg.matmul(source, b[:, 0], out=f"{target}:/v")
        with raises(FileExistsError, "overwrite"):
            h5linalg.matmul(source, b, out=f"{target}:/v")
        h5linalg.matmul(source, b, out=f"{target}:/v", overwrite=True)
        with h5py.File(target, "r") as file:
            close(file["v"][()], x @ b)
            close(file["keep"][()], np.ones(3))

    def rolled_back_on_error() -> None:
        target = write_h5(smoke.path("rollback"), keep=(np.ones(3), {}))

        def stop(done: int, _total: int) -> None:
            if done > 0:
                msg = "stop"
                raise RuntimeError(msg)

        with raises(RuntimeError, "stop"):
            h5linalg.matmul(
                source, b, out=f"{target}:/a/b", block_rows=5, progress=stop
            )
        with h5py.File(target, "r") as file:
            if sorted(file) != ["keep"]:
                raise AssertionError(sorted(file))
        if _testing.open_hdf5_objects() != 0:
            raise AssertionError(_testing.open_hdf5_objects())

    smoke.check("matmul(out=new file)", new_file)
    smoke.check("matmul(out=existing file), overwrite", existing_file_and_overwrite)
    smoke.check("matmul(out=...) rolled back on error", rolled_back_on_error)


def bad_input_checks(smoke: Smoke, x: np.ndarray) -> None:
    """Each error kind the core raises, through the exception translator."""
    good = write_h5(
        smoke.path("errors"),
        x=(x, {}),
        ints=(np.ones((4, 2), dtype="S4"), {}),
        one=(np.ones(5), {}),
    )
    import h5py  # noqa: PLC0415

    with h5py.File(good, "a") as file:
        file.create_group("group")
        file["link"] = h5py.ExternalLink("elsewhere.h5", "/x")
    text = smoke.workdir / "text.h5"
    text.write_text("not HDF5\n" * 100)
    truncated = smoke.workdir / "truncated.h5"
    truncated.write_bytes(good.read_bytes()[:2000])
    rank_deficient = np.column_stack([x[:, 0], x[:, 0]])

    cases: list[tuple[str, type[BaseException], str, Callable[[], object]]] = [
        ("missing file", FileNotFoundError, "", lambda: h5linalg.gram(f"{good}.no:/x")),
        ("not HDF5", OSError, "not HDF5", lambda: h5linalg.gram(f"{text}:/x")),
        ("truncated", OSError, "", lambda: h5linalg.gram(f"{truncated}:/x")),
        ("missing dataset", KeyError, "not found", lambda: h5linalg.gram(f"{good}:/nope")),
        ("group", TypeError, "group", lambda: h5linalg.gram(f"{good}:/group")),
        ("string dtype", TypeError, "dtype", lambda: h5linalg.gram(f"{good}:/ints")),
        ("complex array", TypeError, "dtype", lambda: h5linalg.gram(np.ones((3, 2), complex))),
        ("1-D dataset", ValueError, "shape", lambda: h5linalg.gram(f"{good}:/one")),
        ("no rows", ValueError, "no rows", lambda: h5linalg.gram(np.ones((0, 3)))),
        ("no columns", ValueError, "no columns", lambda: h5linalg.moments(np.ones((3, 0)))),
        ("external link", PermissionError, "allow_external", lambda: h5linalg.gram(f"{good}:/link")),
        ("memory_limit", MemoryError, "memory_limit", lambda: h5linalg.gram(x, memory_limit=10)),
        ("block_rows", ValueError, "block_rows", lambda: h5linalg.gram(x, block_rows=0)),
        ("pca k", ValueError, "k", lambda: h5linalg.pca(x, x.shape[1] + 1)),
        ("lstsq rows", ValueError, "rows", lambda: h5linalg.lstsq(x, np.ones(3))),
        ("lstsq rank", np.linalg.LinAlgError, "rank", lambda: h5linalg.lstsq(rank_deficient, x[:, 1])),
        ("lstsq NaN", ValueError, "finite", lambda: h5linalg.lstsq(np.where(x > 2, np.nan, x), x[:, 0])),
        ("matmul shapes", ValueError, "aligned", lambda: h5linalg.matmul(x, np.ones((x.shape[1] + 1, 2)))),
        ("matmul into input", ValueError, "input", lambda: h5linalg.matmul(f"{good}:/x", np.ones(x.shape[1]), out=f"{good}:/y")),
        ("bad progress", TypeError, "progress", lambda: h5linalg.gram(x, progress=cast("Any", "yes"))),
    ]  # fmt: skip
    for name, kind, fragment, call in cases:

        def expect(
            kind: type[BaseException] = kind,
            fragment: str = fragment,
            call: Callable[[], object] = call,
        ) -> None:
            with raises(kind, fragment):
                call()

        smoke.check(f"bad input: {name} -> {kind.__name__}", expect)

    def nothing_left_open() -> None:
        if _testing.open_hdf5_objects() != 0:
            raise AssertionError(_testing.open_hdf5_objects())

    smoke.check("no HDF5 object left open after the errors", nothing_left_open)


def interrupt_checks(smoke: Smoke, source: Any) -> None:
    """A progress callback that raises, and a real SIGINT in the middle of a run."""
    runs: dict[str, Callable[..., Any]] = {
        "moments": h5linalg.moments,
        "gram": h5linalg.gram,
        "covariance": h5linalg.covariance,
        "pca": lambda s, **kw: h5linalg.pca(s, 2, **kw),
        "lstsq": lambda s, **kw: h5linalg.lstsq(s, np.ones(smoke.rows), **kw),
        "matmul": lambda s, **kw: h5linalg.matmul(s, np.ones((6, 2)), **kw),
        "matmul(out=...)": lambda s, **kw: h5linalg.matmul(
            s, np.ones(6), out=f"{smoke.path('interrupted')}:/v", **kw
        ),
    }
    for name, run in runs.items():

        def callback_raises(run: Callable[..., Any] = run) -> None:
            def progress(done: int, _total: int) -> None:
                if done > 0:
                    msg = "stop"
                    raise RuntimeError(msg)

            with raises(RuntimeError, "stop"):
                run(source, block_rows=5, progress=progress)
            if _testing.open_hdf5_objects() != 0:
                raise AssertionError(_testing.open_hdf5_objects())

        def ctrl_c(run: Callable[..., Any] = run) -> None:
            sent = False

            def progress(done: int, _total: int) -> None:
                nonlocal sent
                if done > 0 and not sent:
                    sent = True
                    os.kill(os.getpid(), signal.SIGINT)  # checked at the next block

            with raises(KeyboardInterrupt):
                run(source, block_rows=5, progress=progress)
            if _testing.open_hdf5_objects() != 0:
                raise AssertionError(_testing.open_hdf5_objects())

        smoke.check(f"{name}: progress callback raises", callback_raises)
        smoke.check(f"{name}: Ctrl-C", ctrl_c)


def cli_checks(smoke: Smoke, path: Path, x: np.ndarray) -> None:
    def describe() -> None:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = cli_main(["describe", f"{path}:/gzip", "--no-progress"])
        if status != 0 or "gzip" not in out.getvalue():
            raise AssertionError(out.getvalue())
        info = _core.describe(_core.DatasetRef(str(path), "/gzip"))
        if tuple(info["shape"]) != x.shape:
            raise AssertionError(info)

    def cov_to_h5() -> None:
        target = smoke.workdir / "cov.h5"
        with contextlib.redirect_stdout(io.StringIO()):
            status = cli_main(
                ["cov", f"{path}:/gzip", "--out", f"{target}:/cov", "--no-progress"]
            )
        if status != 0:
            raise AssertionError(status)
        import h5py  # noqa: PLC0415

        with h5py.File(target, "r") as file:
            close(file["cov"][()], np.cov(x.astype(np.float64), rowvar=False))

    def cli_error() -> None:
        with contextlib.redirect_stderr(io.StringIO()) as err:
            status = cli_main(["describe", f"{path}:/missing", "--no-progress"])
        if status != 1 or "not found" not in err.getvalue():
            raise AssertionError((status, err.getvalue()))

    def show_config() -> None:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            h5linalg.show_config()
        if "hdf5" not in out.getvalue():
            raise AssertionError(out.getvalue())

    smoke.check("cli describe", describe)
    smoke.check("cli cov --out", cov_to_h5)
    smoke.check("cli error exit status", cli_error)
    smoke.check("show_config", show_config)


#: The other codecs decoded on worker threads: h5py create_dataset options
#: (filter ids and parameters as hdf5plugin's classes write them).
CODECS: dict[str, dict[str, Any]] = {
    "zstd": {"chunks": (16, 6), "compression": 32015, "compression_opts": (3,)},
    "lz4": {"chunks": (10, 4), "compression": 32004, "compression_opts": (0,), "shuffle": True},
    "blosc": {"chunks": (24, 6), "compression": 32001, "compression_opts": (0, 0, 0, 0, 5, 1, 1)},
    "lzf": {"chunks": (12, 6), "compression": "lzf"},
}  # fmt: skip


def codec_checks(smoke: Smoke, rows: int) -> dict[str, tuple[Any, np.ndarray]]:
    """Each codec decoded on worker threads, read through the workers (their chunk
    counters move), and with one chunk damaged (an OSError, never a crash). Returns
    the intact datasets as sources for the statistics checks."""
    try:
        import h5py  # noqa: PLC0415
        import hdf5plugin  # noqa: F401, PLC0415  (h5py writes these filters with it)
    except ImportError:
        print("skip codecs: hdf5plugin is not installed")
        return {}
    built = _core.build_info()["codecs"]
    # Quarter steps: data every codec shrinks (a chunk that does not shrink is
    # stored with the filter skipped, and HDF5 reads it).
    x = np.round(np.random.default_rng(2).normal(3.0, 2.0, size=(rows, 6)) * 4) / 4
    sources: dict[str, tuple[Any, np.ndarray]] = {}
    for codec, options in CODECS.items():
        intact = write_h5(smoke.path(codec), x=(x, options))
        damaged = write_h5(smoke.path(f"{codec}-damaged"), x=(x, options))
        with h5py.File(damaged, "r") as file:
            chunk = file["x"].id.get_chunk_info(1)
        with damaged.open("r+b") as file:  # the chunk's second half
            file.seek(chunk.byte_offset + chunk.size // 2)
            file.write(b"\xff" * (chunk.size - chunk.size // 2))
        sources[f"{codec} string"] = (f"{intact}:/x", x)

        def parallel(codec: str = codec, intact: Path = intact) -> None:
            before = _testing.decoded_chunks()[codec]
            rows_read = _testing.read_rows(
                _core.DatasetRef(str(intact), "/x"), 0, x.shape[0]
            )
            close(rows_read, x, rtol=0)
            if codec in built and _testing.decoded_chunks()[codec] == before:
                msg = f"no {codec} chunk was decoded on the workers"
                raise AssertionError(msg)

        def damage(damaged: Path = damaged) -> None:
            with raises(OSError, "damaged"):
                h5linalg.gram(f"{damaged}:/x")

        smoke.check(f"{codec} chunks decoded on the workers", parallel)
        smoke.check(f"a damaged {codec} chunk is an OSError", damage)
    return sources


def edge_checks(smoke: Smoke, path: Path, x: np.ndarray) -> None:
    """Last, because a failure here has been a crash of the whole process: a product
    with no columns, (m, k) @ (k, 0), in memory and into an HDF5 dataset."""
    empty = np.ones((x.shape[1], 0))

    def in_memory() -> None:
        product = h5linalg.matmul(x, empty)
        if not isinstance(product, np.ndarray) or product.shape != (x.shape[0], 0):
            raise AssertionError(product)

    def into_hdf5() -> None:
        import h5py  # noqa: PLC0415

        target = smoke.workdir / "empty-product.h5"
        with contextlib.suppress(ValueError):  # refusing is fine, crashing is not
            h5linalg.matmul(f"{path}:/gzip", empty, out=f"{target}:/c")
            with h5py.File(target, "r") as file:
                if file["c"].shape != (x.shape[0], 0):
                    raise AssertionError(file["c"].shape)

    def no_temporary_files() -> None:
        left = sorted(
            p.name for p in smoke.workdir.iterdir() if p.name.endswith(".tmp")
        )
        if left:
            raise AssertionError(left)

    smoke.check("matmul(x, b with 0 columns) in memory", in_memory)
    smoke.check("matmul(x, b with 0 columns, out=...)", into_hdf5)
    smoke.check("no temporary output files left behind", no_temporary_files)


def run(smoke: Smoke) -> None:
    import h5py  # noqa: PLC0415

    rng = np.random.default_rng(1)
    rows = smoke.rows
    x = rng.normal(loc=3.0, scale=2.0, size=(rows, 6))
    ints = np.round(x * 10).astype(np.int16)
    path = write_h5(
        smoke.path("data"),
        contiguous=(x, {}),
        gzip=(x, {"chunks": (16, 6), "compression": "gzip"}),
        shuffle=(x.astype(np.float32), {"chunks": (7, 4), "compression": "gzip", "shuffle": True}),
        ints=(ints, {"chunks": (32, 6), "compression": "gzip"}),
        half=(x.astype(np.float16), {}),
        big_endian=(x.astype(">f8"), {"chunks": (50, 3)}),
    )  # fmt: skip
    handle = h5py.File(path, "r")
    try:
        sources: dict[str, tuple[Any, np.ndarray]] = {
            "float64 array": (x, x),
            "float32 strided array": (x.astype(np.float32)[::2, ::2], x.astype(np.float32)[::2, ::2]),
            "big-endian Fortran array": (np.asfortranarray(x.astype(">f8")), x),
            "int8 array": (np.round(x).astype(np.int8), np.round(x).astype(np.int8)),
            "contiguous string": (f"{path}:/contiguous", x),
            "gzip H5Source": (h5linalg.H5Source(path, "gzip"), x),
            "shuffle+gzip h5py": (handle["shuffle"], x.astype(np.float32)),
            "int16 gzip string": (f"{path}:/ints", ints),
            "float16 string": (f"{path}:/half", x.astype(np.float16)),
            "big-endian chunked": (f"{path}:/big_endian", x),
        }  # fmt: skip
        sources.update(codec_checks(smoke, rows))
        # Stacks: parts of every kind read one after another (a RowConcatenation),
        # and one dataset's rows read in two ranges, as a distributed task does.
        half = rows // 2
        sources["stack of files and arrays"] = (
            [f"{path}:/gzip", f"{path}:/big_endian", x[:5], f"{path}:/contiguous"],
            np.vstack([x, x, x[:5], x]),
        )
        sources["row ranges of one dataset"] = (
            [
                _core.DatasetRef(str(path), "/shuffle", first=0, count=half),
                _core.DatasetRef(str(path), "/shuffle", first=half, count=rows - half),
            ],
            x.astype(np.float32),
        )
        if smoke.quick:
            keep = (
                "float64 array",
                "float32 strided array",
                "gzip H5Source",
                "shuffle+gzip h5py",
                "stack of files and arrays",
            )
            sources = {key: sources[key] for key in keep}
        statistics_checks(smoke, sources)
        solver_checks(smoke, sources)
        output_checks(smoke, f"{path}:/gzip", x)
        bad_input_checks(smoke, x)
        interrupt_checks(smoke, f"{path}:/gzip")
        cli_checks(smoke, path, x)
        edge_checks(smoke, path, x)
    finally:
        handle.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where to write files (default: a temporary directory)",
    )
    parser.add_argument(
        "--rows", type=int, default=120, help="rows of the test data (default 120)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer source kinds (for valgrind)"
    )
    parser.add_argument(
        "--result",
        type=Path,
        help="write a JSON summary here at the very end (a run that exits "
        "early, e.g. from a library calling exit(), leaves none)",
    )
    args = parser.parse_args(argv)  # fmt: skip

    # Python turns SIGINT into KeyboardInterrupt only if SIGINT was not ignored when
    # it started, and background jobs of a shell (nohup, `cmd &` in a script) start
    # with it ignored: install the handler, so the Ctrl-C checks test h5linalg.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print(f"h5linalg {h5linalg.__version__} from {h5linalg.__file__}")
    print(f"extension {_core.__file__}")
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        workdir = args.workdir
        if workdir is None:
            workdir = Path(
                stack.enter_context(
                    tempfile.TemporaryDirectory(prefix="h5linalg-smoke-")
                )
            )
        workdir.mkdir(parents=True, exist_ok=True)
        smoke = Smoke(workdir, args.rows, args.quick)
        run(smoke)
    elapsed = time.monotonic() - started
    if args.result is not None:
        summary = {
            "passed": smoke.passed,
            "failed": smoke.failed,
            "seconds": round(elapsed, 1),
        }
        args.result.write_text(json.dumps(summary) + "\n")
    if smoke.failed:
        print(f"smoke: {len(smoke.failed)} of {smoke.passed + len(smoke.failed)} checks FAILED "
              f"in {elapsed:.1f}s: {', '.join(smoke.failed)}")  # fmt: skip
        return 1
    print(f"smoke: all {smoke.passed} checks passed in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
