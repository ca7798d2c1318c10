"""h5linalg.distributed on a LocalCluster of worker processes, against NumPy.

One cluster (2 worker processes, 1 thread each, with nannies that restart a
killed worker) serves the module. Every function must match NumPy over stacks
of mixed files, repeat bit for bit for a given partitioning, survive a worker
killed mid-run, and fail with the local run's exceptions, leaving no output.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from conftest import NO_DOF_ROWS, NO_DOF_WARNING, assert_close, sample

import h5linalg

distributed = pytest.importorskip("distributed")
hd = pytest.importorskip("h5linalg.distributed")

COLS = 6


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        # Any free port: with None the scheduler's HTTP server still wants 8787,
        # and warns (an error here) when another run on the machine has it.
        dashboard_address=":0",
        # Each worker's kernels on one thread, as one process per core would run.
        env={"H5LINALG_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    )
    with cluster, distributed.Client(cluster) as running:
        yield running


@pytest.fixture
def stack(tmp_path: Path) -> tuple[str, np.ndarray]:
    """Five files of mixed rows, dtypes and filters, as a pattern, and their rows."""
    rows = []
    layouts: list[tuple[int, str, dict[str, Any]]] = [
        (700, "<f8", {"chunks": (64, COLS)}),
        (33, ">f4", {"chunks": (10, 3), "compression": "gzip"}),
        (1200, "<i4", {"chunks": (100, COLS), "shuffle": True, "compression": "gzip"}),
        (1, "<f8", {}),
        (450, "<f8", {"chunks": (450, COLS)}),
    ]
    for i, (count, dtype, options) in enumerate(layouts):
        data = sample((count, COLS), dtype, seed=i)
        with h5py.File(tmp_path / f"run-{i}.h5", "w") as file:
            file.create_dataset("x", data=data, **options)
        rows.append(data.astype(np.float64))
    return f"{tmp_path}/run-*.h5:/x", np.vstack(rows)


@pytest.mark.parametrize(
    # One-row partitions are hundreds of tasks (most of a minute): CI runs them once.
    "partition_rows",
    [None, pytest.param(1, marks=pytest.mark.matrix), 97, 1000, 10_000],
)
def test_every_function_matches_numpy(client, stack, partition_rows):
    source, x = stack
    kw: dict[str, Any] = {"client": client, "partition_rows": partition_rows}
    if partition_rows == 1:
        # 2,384 one-row tasks would only measure the scheduler: three functions.
        assert_close(hd.gram(source, **kw), x.T @ x)
        assert_close(hd.covariance(source, **kw), np.cov(x, rowvar=False))
        assert_close(hd.moments(source, **kw).var, x.var(axis=0, ddof=1))
        return
    m = hd.moments(source, **kw)
    assert m.count == len(x)
    assert_close(m.mean, x.mean(axis=0))
    assert_close(m.var, x.var(axis=0, ddof=1))
    assert np.array_equal(m.min, x.min(axis=0))
    assert np.array_equal(m.max, x.max(axis=0))
    assert_close(hd.gram(source, **kw), x.T @ x)
    assert_close(hd.covariance(source, ddof=0, **kw), np.cov(x, rowvar=False, ddof=0))
    result = hd.pca(source, 3, **kw)
    local = h5linalg.pca(source, 3)
    assert_close(result.explained_variance, local.explained_variance)
    assert_close(result.components, local.components, rtol=1e-8)
    assert_close(result.mean, x.mean(axis=0))
    b = np.linspace(-1.0, 1.0, COLS * 2).reshape(COLS, 2)
    product = hd.matmul(source, b, **kw)
    assert isinstance(product, np.ndarray)
    assert_close(product, x @ b)
    vector = hd.matmul(source, b[:, 0], **kw)
    assert isinstance(vector, np.ndarray)
    assert vector.shape == (len(x),)


@pytest.mark.parametrize("ddof", [4, 7])  # = rows, > rows
def test_no_degrees_of_freedom_gives_numpys_infinities_and_warning(client, ddof):
    x = NO_DOF_ROWS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own warnings
        expected_var = x.var(axis=0, ddof=ddof)
        expected_cov = np.cov(x, rowvar=False, ddof=ddof)
    kw: dict[str, Any] = {"client": client, "partition_rows": 2}  # a merge, too
    with pytest.warns(RuntimeWarning, match=NO_DOF_WARNING) as record:
        var = hd.moments(x, ddof=ddof, **kw).var
    assert len(record) == 1
    assert record[0].filename == __file__
    np.testing.assert_array_equal(var, expected_var)
    with pytest.warns(RuntimeWarning, match=NO_DOF_WARNING) as record:
        cov = hd.covariance(x, ddof=ddof, **kw)
    assert len(record) == 1
    assert record[0].filename == __file__
    np.testing.assert_array_equal(cov, expected_cov)


def test_lstsq_is_a_tsqr_matching_numpy(client, tmp_path):
    rng = np.random.default_rng(7)
    # cond(X) about 1e6: the normal equations would keep about 4 digits.
    x = rng.standard_normal((3000, 5)) @ np.diag(np.logspace(0, -6, 5))
    beta = np.arange(1.0, 6.0)
    y = x @ beta + rng.standard_normal(3000) * 1e-9
    for i, (first, last) in enumerate([(0, 1100), (1100, 1101), (1101, 3000)]):
        with h5py.File(tmp_path / f"x{i}.h5", "w") as file:
            file["x"] = x[first:last]
            file["y"] = y[first:last]
    expected = np.linalg.lstsq(x, y, rcond=None)[0]
    for rows in (None, 256, 1000):
        result = hd.lstsq(
            f"{tmp_path}/x*.h5:/x",
            f"{tmp_path}/x*.h5:/y",
            client=client,
            partition_rows=rows,
        )
        assert result.shape == (5,)
        np.testing.assert_allclose(result, expected, rtol=1e-8)
    two = hd.lstsq(x, np.column_stack([y, 2 * y]), client=client, partition_rows=500)
    assert two.shape == (5, 2)
    np.testing.assert_allclose(two[:, 1], 2 * expected, rtol=1e-8)
    with pytest.raises(ValueError, match="same number of rows"):
        hd.lstsq(f"{tmp_path}/x*.h5:/x", y[:-1], client=client)


def test_results_repeat_bit_for_bit(client, stack):
    source, _x = stack
    first = [
        hd.covariance(source, client=client, partition_rows=97),
        hd.moments(source, client=client, partition_rows=97).var,
        hd.gram(source, client=client, partition_rows=97),
    ]
    for _ in range(3):
        again = [
            hd.covariance(source, client=client, partition_rows=97),
            hd.moments(source, client=client, partition_rows=97).var,
            hd.gram(source, client=client, partition_rows=97),
        ]
        for a, b in zip(first, again, strict=True):
            assert a.tobytes() == b.tobytes()


def _partial_states(x: np.ndarray) -> dict[str, Any]:
    """The partial state of each kind of reduction over the rows of ``x``."""
    from h5linalg import _core

    return {
        "moments": _core.moments(x),
        "scatter": _core.scatter(x),
        "gram": _core.gram(x),
        "lstsq": _core.lstsq_state(x[:, 1:], x[:, 0]),
    }


STATE_FIELDS = {
    "moments": ("count", "mean", "m2", "min", "max"),
    "scatter": ("count", "mean", "scatter"),
    "gram": ("gram",),
    "lstsq": ("rows", "n", "m", "factor"),
}


def test_a_partial_state_round_trips_through_pickle():
    x = sample((50, 4), "<f8", seed=5)
    x[7, 2] = np.nan  # NaN in the moments' min and max, the scatter, the factor
    for kind, state in _partial_states(x).items():
        copy = pickle.loads(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(copy) is type(state)
        for field in STATE_FIELDS[kind]:
            a, b = getattr(state, field), getattr(copy, field)
            assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), (kind, field)
    from h5linalg import _core

    broken = _core.MomentsState.__new__(_core.MomentsState)
    with pytest.raises(ValueError, match="m2 has 3 values, not 2"):
        broken.__setstate__((3, np.zeros(2), np.zeros(3), np.zeros(2), np.zeros(2)))


def test_partials_from_two_worker_processes_merge_on_the_client(client):
    from h5linalg import _core

    x = sample((301, 4), "<f8", seed=6)
    halves = (x[:150], x[150:])
    workers = sorted(client.scheduler_info()["workers"])
    assert len(workers) == 2
    pids = client.run(os.getpid)
    assert len(set(pids.values())) == 2  # two processes, not threads

    # A nested function travels by value: the workers need not import this module.
    def states_of(rows: np.ndarray) -> list[Any]:
        from h5linalg import _core

        return [
            _core.moments(rows),
            _core.scatter(rows),
            _core.gram(rows),
            _core.lstsq_state(rows[:, 1:], rows[:, 0]),
        ]

    made = [
        client.submit(states_of, half, workers=[worker], pure=False)
        for half, worker in zip(halves, workers, strict=True)
    ]
    (moments_a, scatter_a, gram_a, lstsq_a), (moments_b, scatter_b, gram_b, lstsq_b) = (
        client.gather(made)
    )
    assert isinstance(moments_a, _core.MomentsState)
    moments = _core.merge_moments(moments_a, moments_b)
    assert moments.count == 301
    assert_close(moments.mean, x.mean(axis=0))
    assert_close(moments.m2 / 300, x.var(axis=0, ddof=1))
    assert np.array_equal(moments.min, x.min(axis=0))
    assert np.array_equal(moments.max, x.max(axis=0))
    scatter = _core.merge_scatter(scatter_a, scatter_b)
    assert_close(scatter.scatter / 300, np.cov(x, rowvar=False))
    assert_close(_core.merge_gram(gram_a, gram_b).gram, x.T @ x)
    state = _core.merge_lstsq(lstsq_a, lstsq_b)
    expected = np.linalg.lstsq(x[:, 1:], x[:, 0], rcond=None)[0]
    assert_close(_core.solve_lstsq(state, "x", "y").ravel(), expected, rtol=1e-8)


def test_a_large_offset_keeps_its_precision(client):
    rng = np.random.default_rng(3)
    x = 1e8 + rng.standard_normal((5000, 3))
    # A naive one-pass (E[x^2] - E[x]^2) answer is wrong in the first digit here;
    # the local run's tolerance against NumPy (test_statistics.py) holds.
    result = hd.covariance(x, client=client, partition_rows=333)
    np.testing.assert_allclose(result, np.cov(x, rowvar=False), rtol=1e-9, atol=1e-9)
    stats = hd.moments(x, client=client, partition_rows=333)
    np.testing.assert_allclose(stats.var, x.var(axis=0, ddof=1), rtol=1e-9)
    np.testing.assert_allclose(stats.mean, x.mean(axis=0), rtol=1e-14)


def test_matmul_writes_one_ordinary_dataset_and_no_temporary_files(
    client, stack, tmp_path
):
    source, x = stack
    b = np.eye(COLS)[:, :4]
    out = tmp_path / "out" / "product.h5"
    out.parent.mkdir()
    written = hd.matmul(source, b, out=f"{out}:/g/p", client=client, partition_rows=300)
    assert written == h5linalg.H5Source(out, "/g/p")
    with h5py.File(out, "r") as file:
        dataset = file["g/p"]
        assert not dataset.is_virtual
        assert np.array_equal(dataset[()], x @ b)
    assert sorted(p.name for p in out.parent.iterdir()) == ["product.h5"]
    with pytest.raises(FileExistsError, match="overwrite=True"):
        hd.matmul(source, b, out=f"{out}:/g/p", client=client)
    hd.matmul(source, 2 * b, out=f"{out}:/g/p", overwrite=True, client=client)
    with h5py.File(out, "r") as file:
        assert np.array_equal(file["g/p"][()], 2 * x @ b)
    assert sorted(p.name for p in out.parent.iterdir()) == ["product.h5"]


def damage_a_chunk(path: Path, name: str) -> None:
    """Overwrites the middle of the dataset's second chunk with garbage."""
    with h5py.File(path, "r") as file:
        info = file[name].id.get_chunk_info(1)
    with open(path, "r+b") as handle:
        handle.seek(info.byte_offset + info.size // 2)
        handle.write(b"\xff" * 16)


def test_a_task_that_always_fails_ends_with_its_error_and_no_output(client, tmp_path):
    data = sample((2000, COLS), "<f8")
    path = tmp_path / "damaged.h5"
    with h5py.File(path, "w") as file:
        file.create_dataset("x", data=data, chunks=(100, COLS), compression="gzip")
    damage_a_chunk(path, "x")
    out = tmp_path / "result.h5"
    with pytest.raises(OSError, match="damaged"):
        hd.matmul(
            f"{path}:/x",
            np.eye(COLS),
            out=f"{out}:/p",
            client=client,
            partition_rows=500,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.h5"]
    with pytest.raises(OSError, match="damaged"):
        hd.covariance(f"{path}:/x", client=client, partition_rows=500)


def test_errors_are_those_of_a_local_run(client, stack, tmp_path):
    source, _x = stack
    with pytest.raises(FileNotFoundError, match=r"missing\.h5"):
        hd.gram(
            [source.replace("run-*", "run-0"), f"{tmp_path}/missing.h5:/x"],
            client=client,
        )
    with pytest.raises(FileNotFoundError, match="No file matches the pattern"):
        hd.gram(f"{tmp_path}/none-*.h5:/x", client=client)
    with h5py.File(tmp_path / "wide.h5", "w") as file:
        file["x"] = np.ones((5, COLS + 1))
    with pytest.raises(
        ValueError, match=r"wide\.h5:/x has shape \(5, 7\) but .*run-0\.h5:/x"
    ):
        hd.covariance(
            [source.replace("run-*", "run-0"), f"{tmp_path}/wide.h5:/x"], client=client
        )
    with pytest.raises(MemoryError, match="memory_limit"):
        hd.gram(source, client=client, memory_limit=1000)
    with pytest.raises(MemoryError, match="memory_limit=10 bytes"):
        hd.gram(source, client=client, memory_limit="10B")  # sizes as for h5linalg
    with pytest.raises(ValueError, match="partition_rows must be at least 1"):
        hd.gram(source, client=client, partition_rows=0)
    with pytest.raises(TypeError, match=r"client must be a distributed\.Client"):
        hd.gram(source, client="tcp://localhost:1")


def test_allow_external_travels_to_the_workers(client, stack, tmp_path):
    source, x = stack
    link = tmp_path / "link.h5"
    with h5py.File(link, "w") as file:
        file["x"] = h5py.ExternalLink(
            source.replace("run-*", "run-0").split(":")[0], "/x"
        )
    with pytest.raises(PermissionError, match="external link"):
        hd.gram(f"{link}:/x", client=client)
    assert_close(
        hd.gram(f"{link}:/x", client=client, allow_external=True), x[:700].T @ x[:700]
    )


def test_progress_counts_rows_across_the_cluster(client, stack):
    source, x = stack
    seen: list[tuple[int, int]] = []
    hd.gram(
        source,
        client=client,
        partition_rows=200,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[0] == (0, len(x))
    assert seen[-1] == (len(x), len(x))
    assert len(seen) == 1 + -(-len(x) // 200)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)


def test_a_killed_worker_is_replaced_and_the_result_still_matches(client, tmp_path):
    data = sample((40_000, COLS), "<f8", seed=11)
    with h5py.File(tmp_path / "big.h5", "w") as file:
        file.create_dataset("x", data=data, chunks=(500, COLS), compression="gzip")
    pids = list(client.run(os.getpid).values())
    killed: list[int] = []

    def kill_one(done: int, _total: int) -> None:
        if done > 0 and not killed:
            os.kill(pids[0], signal.SIGKILL)  # the nanny starts a new worker process
            killed.append(pids[0])

    result = hd.covariance(
        f"{tmp_path}/big.h5:/x", client=client, partition_rows=500, progress=kill_one
    )
    assert killed
    assert_close(result, np.cov(data, rowvar=False))
    client.wait_for_workers(2, timeout=60)
    assert pids[0] not in client.run(os.getpid).values()


def test_without_a_client_the_error_says_how_to_get_one():
    code = (
        "import numpy as np, h5linalg.distributed as hd\n"
        "try:\n    hd.gram(np.ones((4, 2)))\n"
        "except ValueError as error:\n    print(error)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "found no distributed.Client" in out
    assert "Client()" in out


def test_without_distributed_the_import_error_names_the_extra():
    code = (
        "import sys\nsys.modules['distributed'] = None\n"
        "try:\n    import h5linalg.distributed\n"
        "except ImportError as error:\n    print(error)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "pip install 'h5linalg[distributed]'" in out


def test_partitions_cover_every_row_once_in_order():
    from h5linalg.distributed._partitions import Part, default_partition_rows, plan

    parts = [Part(path=f"f{i}", dataset="/x") for i in range(4)]
    rows = [5, 1, 17, 3]
    for height in (1, 2, 4, 7, 26, 100):
        partitions = plan(rows, parts, height)
        flat = [
            (piece.part.path, piece.first + i)
            for pieces in partitions
            for piece in pieces
            for i in range(piece.count)
        ]
        assert flat == [(f"f{i}", r) for i, n in enumerate(rows) for r in range(n)]
        assert all(sum(p.count for p in pieces) == height for pieces in partitions[:-1])
    # A task carries only its own rows of an array.
    array = np.arange(20.0).reshape(10, 2)
    pieces = plan([10], [Part(array=array)], 4)[1]
    assert pieces[0].part.array is not None
    assert np.array_equal(pieces[0].part.array, array[4:8])
    chosen = default_partition_rows(8_000_000, 64, 16_384, 2)
    assert chosen % 16_384 == 0
    assert -(-8_000_000 // chosen) >= 8  # at least four tasks per worker


def test_the_merge_tree_has_a_shape_fixed_by_the_count():
    class Recorder:
        def submit(self, _function: Any, _kind: str, a: Any, b: Any) -> Any:
            return (a, b)

    cluster: Any = pytest.importorskip("h5linalg.distributed._cluster")
    tree = cluster.merge_tree(Recorder(), "gram", [0, 1, 2, 3, 4])
    assert tree == (((0, 1), (2, 3)), 4)


def test_a_cf_encoded_dataset_is_refused_as_in_a_local_run(client, tmp_path):
    path = tmp_path / "packed.nc"
    with h5py.File(path, "w") as file:
        packed = file.create_dataset("t", data=np.ones((50, COLS), dtype=np.int16))
        packed.attrs["scale_factor"] = 0.5
    with pytest.raises(
        ValueError, match=r"CF encoding attributes \(scale_factor=0\.5\)"
    ):
        hd.moments(f"{path}:/t", client=client, partition_rows=20)
