"""Ctrl-C, failing progress callbacks and progress reporting: runs stop cleanly,
with no thread and no open HDF5 object left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import numpy as np
import pytest
from native_threads import native_threads, threads_left_behind

import h5linalg
from h5linalg import _testing

RUNS = {
    "moments": h5linalg.moments,
    "gram": h5linalg.gram,
    "covariance": h5linalg.covariance,
    "pca": lambda s, **kw: h5linalg.pca(s, 2, **kw),
    "lstsq": lambda s, **kw: h5linalg.lstsq(s, np.ones(300), **kw),
    "matmul": lambda s, **kw: h5linalg.matmul(s, np.ones((4, 2)), **kw),
    # Into a file next to the source (overwrite: some tests run it twice).
    "matmul(out=...)": lambda s, **kw: h5linalg.matmul(
        s, np.ones(4), out=s.replace(".h5:/x", "-out.h5:/v"), overwrite=True, **kw
    ),
}
each_run = pytest.mark.parametrize("run", list(RUNS.values()), ids=list(RUNS))


@pytest.fixture
def source(make_source):
    data = np.random.default_rng(0).normal(size=(300, 4))
    return make_source("string", data, "chunked-gzip")


@each_run
def test_signals_are_checked_once_per_block(run, source):
    before = _testing.signal_checks()
    run(source, block_rows=10)
    # 30 blocks, plus the check before the first block.
    assert _testing.signal_checks() - before >= 31


@each_run
def test_progress_callback_sees_every_block(run, source):
    seen: list[tuple[int, int]] = []
    run(source, block_rows=70, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 300), (70, 300), (140, 300), (210, 300), (280, 300), (300, 300)]


class Abort(Exception):
    pass


@each_run
@pytest.mark.parametrize("after", [0, pytest.param(3, marks=pytest.mark.memcheck)])
def test_failing_progress_callback_stops_the_run_cleanly(run, source, after):
    run(source, block_rows=10)  # start any pools, so only leaks would change the count
    threads = native_threads()
    objects = _testing.open_hdf5_objects()  # h5py's too, where it shares the library
    calls = []

    def progress(done: int, _total: int) -> None:
        calls.append(done)
        if len(calls) > after:
            raise Abort(done)

    with pytest.raises(Abort):
        run(source, block_rows=10, progress=progress)
    assert len(calls) == after + 1
    assert _testing.open_hdf5_objects() == objects
    assert threads_left_behind(threads) == set()


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt, even where pytest started with it ignored
    (a background job of a shell), which Python then leaves ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.memcheck
@pytest.mark.usefixtures("sigint_raises")
@each_run
def test_ctrl_c_in_the_process_stops_the_run_cleanly(run, source, tmp_path):
    sent: list[int] = []
    objects = _testing.open_hdf5_objects()  # h5py's too, where it shares the library

    def progress(done: int, _total: int) -> None:
        if done > 0 and not sent:
            sent.append(done)
            os.kill(
                os.getpid(), signal.SIGINT
            )  # seen by the core's check at the next block

    with pytest.raises(KeyboardInterrupt):
        run(source, block_rows=10, progress=progress)
    assert sent == [10]
    assert _testing.open_hdf5_objects() == objects
    assert [path.name for path in tmp_path.iterdir()] == ["data0.h5"]  # no output


def test_progress_true_without_a_terminal_prints_nothing(source, capsys):
    h5linalg.gram(source, progress=True)
    assert capsys.readouterr() == ("", "")


CHILD = textwrap.dedent(
    """
    import os, signal, sys, traceback
    # A background job starts with SIGINT ignored; Ctrl-C must reach Python here.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import h5py, numpy as np
    import h5linalg
    from h5linalg import _testing

    path = sys.argv[1]
    with h5py.File(path, "w") as f:
        # Never written: HDF5 reads the fill value, so the file is tiny but the
        # least-squares work on 20 million rows takes many seconds.
        f.create_dataset("x", shape=(20_000_000, 40), chunks=(50_000, 40), dtype="f8")
        f.create_dataset("y", shape=(20_000_000,), chunks=(50_000,), dtype="f8")
    # Start the threads a process keeps (BLAS's, h5linalg's worker pool) before counting.
    h5linalg.gram(np.ones((100_000, 4)))  # big enough to share rows among the workers
    threads = len(os.listdir("/proc/self/task"))
    objects = _testing.open_hdf5_objects()  # h5py's too, where it shares the library
    announced = []

    def progress(done, total):
        if done >= 100_000 and not announced:
            announced.append(done)
            print("started", flush=True)

    try:
        h5linalg.lstsq(f"{path}:/x", f"{path}:/y", progress=progress)
    except KeyboardInterrupt:
        frames = [frame.name for frame in traceback.extract_tb(sys.exc_info()[2])]
        print("interrupted", frames[-1],
              len(os.listdir("/proc/self/task")) - threads,
              _testing.open_hdf5_objects() - objects, flush=True)
    else:
        print("finished without interruption", flush=True)
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="counts threads through /proc")
def test_ctrl_c_interrupts_a_long_run(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "big.h5")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "started"
        time.sleep(0.5)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        output, _ = child.communicate(timeout=10)
        elapsed = time.monotonic() - sent
    finally:
        child.kill()
        child.wait()
    fields = output.split()
    assert elapsed < 10
    assert fields[0] == "interrupted", output
    # Raised by the C++ core's signal check (inside the _core call), not later.
    assert fields[1] == "run", output
    assert fields[2:] == ["0", "0"], "threads or HDF5 objects left behind: " + output
