"""Each case run in long-lived child processes: one calls h5linalg, one reads with h5py.

Hypothesis runs examples inside pytest, where a crash in h5linalg (or in h5py's
HDF5) would end the whole run: a child that dies or hangs is the finding, and a
new one takes over. The h5linalg child never imports h5py (two HDF5 libraries).
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import signal
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from native_threads import native_threads, threads_left_behind

#: Rows a child lets one call stream, and seconds it lets one case's calls run,
#: before the progress callback stops them: a damaged shape can claim billions
#: of unwritten rows, and streaming their fill values is slow but not a hang.
#: (Whether h5linalg should have refused such a file is checked separately.)
ROW_BUDGET = 1_000_000
CASE_SECONDS = 2.0
#: memory_limit for every call: small, so damaged chunk shapes meet it.
MEMORY_LIMIT = 64 * 2**20
#: How much a case's calls together may raise the resident memory: block
#: buffers within memory_limit, plus results and HDF5's caches, with room to spare.
PEAK_MEMORY = 4 * MEMORY_LIMIT + 256 * 2**20
#: Address-space limit of the children (about 0.6 GiB of it is taken at start):
#: an unbounded allocation fails quickly instead of filling the machine's memory,
#: and shows up as a MemoryError from the C++ allocator (see oracle.UNBOUNDED).
ADDRESS_SPACE = 2 * 2**30
#: Arrays larger than this are neither returned nor compared.
MAX_COMPARE_ELEMENTS = 1_000_000
#: Columns of every template's /x (files.py imports it: the children do not
#: import Hypothesis); matmul's operand when a damaged shape cannot be read.
COLS = 4


class RowBudgetExceeded(Exception):
    """Raised by the fuzzing progress callback: the damaged file claims too many rows."""


def _budget(deadline: float) -> Callable[[int, int], None]:
    """A progress callback that stops a run past ROW_BUDGET rows or the deadline."""

    def progress(done: int, total: int) -> None:
        if done > ROW_BUDGET or (done < total and time.monotonic() > deadline):
            msg = f"stopped after {done} of {total} rows (fuzzing budget)"
            raise RowBudgetExceeded(msg)

    return progress


def matmul_operand(cols: int) -> np.ndarray:
    """The in-memory b of matmul for a source with `cols` columns (same in every process)."""
    return np.random.default_rng(cols).normal(size=(cols, 2))


def _memory_kib(field_name: str) -> int:
    """VmRSS, VmHWM, ... of this process, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak_memory() -> int:
    """Resets the peak resident size (Linux >= 4.0) and returns the current one in KiB."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    return _memory_kib("VmRSS")


def _exception(error: BaseException) -> dict[str, Any]:
    return {
        "status": "exception",
        "type": type(error).__name__,
        "message": str(error)[:400],
    }


#: The inflating thread pool's size, and whether it has started in this process.
POOL: list[Any] = [0, False]


def _calls(path: str, out: str, cols: int, budget: Any) -> dict[str, Callable[[], Any]]:
    import h5linalg

    source, target = f"{path}:/x", f"{path}:/y"
    b = matmul_operand(cols)
    options: dict[str, Any] = {"memory_limit": MEMORY_LIMIT, "progress": budget}
    small: dict[str, Any] = {**options, "block_rows": 16}
    return {
        "moments": lambda: h5linalg.moments(source, **options),
        "gram": lambda: h5linalg.gram(source, **small),
        "covariance": lambda: h5linalg.covariance(source, **options),
        "pca": lambda: h5linalg.pca(source, min(2, cols), **small),
        "lstsq": lambda: h5linalg.lstsq(source, target, **small),
        "matmul": lambda: h5linalg.matmul(source, b, **small),
        "matmul_out": lambda: h5linalg.matmul(source, b, out=f"{out}:/c", **small),
    }


#: The fields compared of the results that are not arrays.
RESULT_FIELDS = {
    "moments": ("count", "mean", "var", "min", "max"),
    "pca": ("components", "explained_variance", "mean"),
}


def _arrays(name: str, result: Any) -> dict[str, np.ndarray]:
    if name in RESULT_FIELDS:
        return {
            f"{name}.{f}": np.asarray(getattr(result, f)) for f in RESULT_FIELDS[name]
        }
    if name == "matmul_out" or np.asarray(result).size > MAX_COMPARE_ELEMENTS:
        return {}
    return {name: np.asarray(result)}


def _describe_cli(source: str, budget: Any) -> dict[str, Any]:
    import h5linalg
    from h5linalg import cli

    stdout, stderr = io.StringIO(), io.StringIO()

    def budgeted_moments(*args: Any, **kwargs: Any) -> Any:
        # The command line has no progress callback; give its one pass the budget.
        return h5linalg.moments(*args, **{**kwargs, "progress": budget})

    argv = ["describe", source, "--no-progress", "--memory-limit", str(MEMORY_LIMIT)]
    try:
        with (
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
            mock.patch.object(cli, "moments", budgeted_moments),
        ):
            code = cli.main(argv)
    except Exception as error:  # noqa: BLE001 - any exception is an allowed ending
        return _exception(error)
    return {
        "status": "result" if code == 0 else "error-exit",
        "code": code,
        "stdout": stdout.getvalue()[-2000:],
        "stderr": stderr.getvalue()[-400:],
    }


def _h5linalg_case(case: dict[str, Any], work: Path) -> dict[str, Any]:
    from h5linalg import _core, _testing

    path = case["path"]
    stat = os.stat(path)
    before = (stat.st_mtime_ns, stat.st_size, Path(path).read_bytes())
    threads = native_threads()
    objects = _testing.open_hdf5_objects()  # h5py's too, where it shares the library
    resident = _reset_peak_memory()
    cols = COLS
    with contextlib.suppress(Exception):
        shape = _core.describe(_core.DatasetRef(path, "/x"))["shape"]
        if len(shape) == 2 and 0 < shape[1] <= 4096:
            cols = int(shape[1])
    out_dir = Path(tempfile.mkdtemp(dir=work, prefix="out-"))
    out_file = out_dir / "product.h5"
    if case["existing_out"]:
        # Write into an existing file (temporary dataset, then moved).
        _core.write_array(np.zeros(1), _core.OutputRef(str(out_file), "/keep"))
    budget = _budget(time.monotonic() + CASE_SECONDS)
    outcomes: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    for name, call in _calls(path, str(out_file), cols, budget).items():
        try:
            result = call()
        except Exception as error:  # noqa: BLE001 - any exception is an allowed ending
            outcomes[name] = _exception(error)
            continue
        outcomes[name] = {"status": "result"}
        arrays.update(_arrays(name, result))
    outcomes["describe_cli"] = _describe_cli(f"{path}:/x", budget)

    problems = []
    peak = (_memory_kib("VmHWM") - resident) * 1024
    if peak > PEAK_MEMORY:
        problems.append(
            f"resident memory grew by {peak / 2**20:.0f} MiB during the case "
            f"(memory_limit={MEMORY_LIMIT / 2**20:.0f} MiB)"
        )
    open_objects = _testing.open_hdf5_objects() - objects
    if open_objects:
        problems.append(f"{open_objects} HDF5 objects left open")
    started = threads_left_behind(threads, 0 if POOL[1] else POOL[0], 2.0)
    if len(started) == POOL[0] and not POOL[1]:
        POOL[1] = (
            True  # the inflating pool started, once (it lives as long as the process)
        )
    elif started:
        problems.append(f"{len(started)} native threads left running")
    stat = os.stat(path)
    if (stat.st_mtime_ns, stat.st_size, Path(path).read_bytes()) != before:
        problems.append("the input file changed")
    leftovers = sorted(p.name for p in out_dir.iterdir() if p.name != out_file.name)
    if leftovers:
        problems.append(f"partial outputs left behind: {leftovers}")
    failed = outcomes["matmul_out"]["status"] != "result"
    if failed and out_file.exists() and not case["existing_out"]:
        problems.append("a failed matmul left its output file")
    # What h5linalg's own HDF5 library returns for x and y through one plain
    # H5Dread: tells a bug in h5linalg's read paths from a damaged file that this
    # HDF5 and h5py's (another version) read differently (see oracle.libraries_disagree).
    for key in ("x", "y"):
        with contextlib.suppress(Exception):
            arrays[f"plain.{key}"] = _testing.read_with_hdf5(
                _core.DatasetRef(path, f"/{key}"), MAX_COMPARE_ELEMENTS
            )
    return {
        "outcomes": outcomes,
        "arrays": arrays,
        "cols": cols,
        "out_file": str(out_file),
        "problems": problems,
    }


def _reference_case(case: dict[str, Any], _work: Path) -> dict[str, Any]:
    import h5py
    import hdf5plugin  # noqa: F401  (registers zstd, lz4 and blosc with h5py's HDF5)

    arrays: dict[str, np.ndarray] = {}
    report: dict[str, Any] = {}
    try:
        with h5py.File(case["path"], "r") as file:
            for key in ("x", "y"):
                try:
                    dataset = file[key]
                    report[f"{key}.shape"] = list(dataset.shape)
                    report[f"{key}.dtype"] = str(dataset.dtype)
                    if dataset.size > MAX_COMPARE_ELEMENTS:
                        report[f"{key}.error"] = "too large to compare"
                        continue
                    arrays[key] = np.asarray(dataset[()]).astype(np.float64)
                except Exception as error:  # noqa: BLE001 - h5py may fail any way
                    report[f"{key}.error"] = f"{type(error).__name__}: {error}"[:300]
    except Exception as error:  # noqa: BLE001 - h5py may fail any way
        report["error"] = f"{type(error).__name__}: {error}"[:300]
    return {"report": report, "arrays": arrays}


def _limit_address_space() -> None:
    import resource

    if "libasan" in os.environ.get("LD_PRELOAD", ""):
        # AddressSanitizer reserves terabytes of shadow address space; there the
        # sanitizer itself catches runaway allocations.
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = (
        ADDRESS_SPACE if hard == resource.RLIM_INFINITY else min(ADDRESS_SPACE, hard)
    )
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _warm_up(warmup: list[str]) -> None:
    """Starts BLAS's and the inflate pool's threads before anything is counted."""
    import h5linalg
    from h5linalg import _core

    POOL[0] = int(_core.build_info()["worker_threads"])
    h5linalg.covariance(np.ones((10, 3)))
    time.sleep(
        0.2
    )  # the warm-up's joined threads leave /proc (see threads_left_behind)
    before = native_threads()
    for path in warmup:
        h5linalg.moments(f"{path}:/x")
    POOL[1] = bool(native_threads() - before)


def serve(kind: str, connection: Connection, work: str, warmup: list[str]) -> None:
    """The child: answers each case sent to it until the parent closes the pipe."""
    import faulthandler

    faulthandler.enable()  # a crash prints the stack to the test's captured stderr
    _limit_address_space()
    if kind == "h5linalg":
        _warm_up(warmup)
    run = _h5linalg_case if kind == "h5linalg" else _reference_case
    connection.send("ready")
    with contextlib.suppress(EOFError):
        while True:
            connection.send(run(connection.recv(), Path(work)))


def _ending(process: Any) -> str:
    process.join(5)
    status = process.exitcode
    if status is None or status >= 0:
        return f"exit {status}"
    with contextlib.suppress(ValueError):
        return f"signal {signal.Signals(-status).name}"
    return f"signal {-status}"


class Child:
    """A child of one kind ("h5linalg" or "reference"), started again after it dies."""

    def __init__(
        self, kind: str, work: Path, warmup: list[str], timeout: float
    ) -> None:
        self.kind, self.work, self.warmup, self.timeout = kind, work, warmup, timeout
        self.process: Any = None
        self.connection: Connection | None = None

    def _start(self) -> Connection:
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        self.work.mkdir(parents=True, exist_ok=True)
        args = (self.kind, theirs, str(self.work), self.warmup)
        self.process = context.Process(target=serve, args=args, daemon=True)
        self.process.start()
        theirs.close()
        # The first answer also covers start-up (imports, BLAS threads).
        if (
            not self.connection.poll(self.timeout + 60)
            or self.connection.recv() != "ready"
        ):
            msg = f"the {self.kind} child did not start: {_ending(self.process)}"
            raise RuntimeError(msg)
        return self.connection

    def send(self, case: dict[str, Any]) -> None:
        connection = self.connection or self._start()
        # A child that died after its last answer is found out by receive(): the
        # case sent now is blamed for it.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.send(case)

    def receive(self) -> dict[str, Any] | str:
        """The case's record; or how the child ended: "signal SIGSEGV", "timeout ..."."""
        assert self.connection is not None
        try:
            if self.connection.poll(self.timeout):
                return dict(self.connection.recv())
            self.process.kill()
            ending = f"timeout: a case took more than {self.timeout:.0f} s"
        except (EOFError, ConnectionResetError):
            ending = _ending(self.process)
        self.close()
        return ending

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.process.join(10)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
        self.connection = None


class Children:
    """An h5linalg child and an h5py child reading each case at the same time."""

    def __init__(self, work: Path, warmup: list[str], timeout: float = 30.0) -> None:
        self.h5linalg = Child("h5linalg", work / "h5linalg", warmup, timeout)
        self.reference = Child("reference", work / "reference", [], timeout)

    def run(self, path: str, existing_out: bool) -> tuple[Any, Any]:
        case = {"path": path, "existing_out": existing_out}
        self.h5linalg.send(case)
        self.reference.send(case)
        return self.h5linalg.receive(), self.reference.receive()

    def close(self) -> None:
        self.h5linalg.close()
        self.reference.close()
