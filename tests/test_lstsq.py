"""lstsq against numpy.linalg.lstsq, including where the normal equations fail."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest
from conftest import LAYOUTS, SOURCE_KINDS, assert_close, reference, sample

import h5linalg


@pytest.mark.parametrize("kind", SOURCE_KINDS)
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
@pytest.mark.parametrize("y_columns", [None, 1, 3], ids=["1-D y", "(m,1) y", "(m,3) y"])
@pytest.mark.parametrize("block_rows", [None, 4])
def test_matches_numpy(make_source, kind, layout, dtype, y_columns, block_rows):
    x_data = sample((120, 5), dtype, seed=1)
    y_shape = (120,) if y_columns is None else (120, y_columns)
    y_data = np.random.default_rng(2).normal(size=y_shape)
    x = reference(x_data)
    expected = np.linalg.lstsq(x, y_data, rcond=None)[0]
    result = h5linalg.lstsq(
        make_source(kind, x_data, layout),
        make_source(kind, y_data, "contiguous", name="/y"),
        block_rows=block_rows,
    )
    assert result.shape == expected.shape
    assert_close(result, expected, rtol=1e-9)


def test_square_system_is_solved_exactly():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 6))
    b = rng.normal(size=6)
    np.testing.assert_allclose(h5linalg.lstsq(x, x @ b), b, rtol=1e-10)


@pytest.mark.parametrize("block_rows", [None, 997])
def test_ill_conditioned_where_normal_equations_fail(block_rows):
    # cond(X) ~ 1e8: the normal equations square it to 1e16 and lose every digit.
    rng = np.random.default_rng(4)
    rows, cols = 20_000, 8
    u, _ = np.linalg.qr(rng.normal(size=(rows, cols)))
    v, _ = np.linalg.qr(rng.normal(size=(cols, cols)))
    x = (u * np.logspace(0, -8, cols)) @ v.T
    truth = rng.normal(size=cols)
    y = x @ truth + 1e-10 * rng.normal(size=rows)
    assert np.linalg.cond(x) == pytest.approx(1e8, rel=1e-3)
    expected = np.linalg.lstsq(x, y, rcond=None)[0]
    result = h5linalg.lstsq(x, y, block_rows=block_rows)
    # Agreement to what a backward-stable solver can promise (cond * eps ~ 2e-8).
    np.testing.assert_allclose(
        result, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max()
    )
    normal = np.linalg.solve(x.T @ x, x.T @ y)
    assert np.abs(normal - expected).max() > 100 * np.abs(result - expected).max()


@pytest.mark.memcheck
def test_rank_deficient_x_raises_linalgerror():
    x = sample((50, 4), "float64")
    x[:, 3] = 2 * x[:, 0] - x[:, 1]
    with pytest.raises(np.linalg.LinAlgError, match="rank-deficient: rank 3 < 4"):
        h5linalg.lstsq(x, np.ones(50))


def test_zero_x_is_rank_deficient():
    with pytest.raises(np.linalg.LinAlgError, match="rank 0"):
        h5linalg.lstsq(np.zeros((5, 2)), np.ones(5))


@pytest.mark.memcheck
def test_fewer_rows_than_columns():
    with pytest.raises(ValueError, match=r"at least as many rows as columns.*\(3, 4\)"):
        h5linalg.lstsq(np.ones((3, 4)), np.ones(3))


@pytest.mark.memcheck
def test_row_counts_must_match(make_source):
    x = make_source("string", sample((10, 2), "float64"))
    with pytest.raises(ValueError, match=r"same number of rows.*\(10, 2\).*\(9, 1\)"):
        h5linalg.lstsq(x, np.ones(9))


@pytest.mark.memcheck
@pytest.mark.parametrize("where", ["x", "y"])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_input(where, value):
    x = sample((20, 3), "float64")
    y = np.ones(20)
    (x if where == "x" else y)[5] = value
    with pytest.raises(ValueError, match="finite"):
        h5linalg.lstsq(x, y)


# 128 MiB chunks (262,144 rows of 64 float64) declared on a dataset with few rows:
# every read inflates one whole chunk, however few of its rows exist.
BIG_CHUNK = (262_144, 64)
BIG_CHUNK_BYTES = BIG_CHUNK[0] * BIG_CHUNK[1] * 8


@pytest.fixture(scope="module")
def gzip_big_chunks(tmp_path_factory):
    path = tmp_path_factory.mktemp("big-chunks") / "gzip-big-chunks.h5"
    rng = np.random.default_rng(5)
    with h5py.File(path, "w") as file:
        file.create_dataset(
            "x",
            data=rng.normal(size=(2000, 64)),
            maxshape=(None, 64),
            chunks=BIG_CHUNK,
            compression="gzip",
        )
        file["y"] = rng.normal(size=2000)
    return path


def test_lstsq_refuses_a_memory_limit_gram_refuses_on_gzip_chunks(gzip_big_chunks):
    # [X | y] holds X's inflated chunk as X alone does: the planner must count it.
    limit = 64 * 2**20
    expected = (
        r"a block of 2000 rows \(one whole compressed chunk\) needs .* of buffers, "
        f"more than memory_limit={limit} bytes; raise memory_limit or rewrite the "
        "dataset with smaller chunks"
    )
    with pytest.raises(MemoryError, match=expected):
        h5linalg.gram(f"{gzip_big_chunks}:/x", memory_limit=limit)
    with pytest.raises(MemoryError, match=expected):
        h5linalg.lstsq(
            f"{gzip_big_chunks}:/x", f"{gzip_big_chunks}:/y", memory_limit=limit
        )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_lstsq_on_gzip_chunks_stays_under_the_memory_limit_it_accepts(gzip_big_chunks):
    # Two whole chunks' worth (the inflated chunk is counted twice, for shuffle)
    # plus room for the blocks: accepted, and the peak resident memory of the run
    # (the kernel's high-water mark, reset just before it) grows by less.
    limit = 2 * BIG_CHUNK_BYTES + 32 * 2**20
    script = textwrap.dedent(
        f"""
        import numpy as np
        import h5linalg

        def status(field):
            with open("/proc/self/status") as lines:
                for line in lines:
                    if line.startswith(field + ":"):
                        return int(line.split()[1]) * 1024
            raise LookupError(field)

        path = {str(gzip_big_chunks)!r}
        h5linalg.lstsq(np.eye(3), np.ones(3))  # start the worker threads
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets the peak resident set size
        before = status("VmRSS")
        h5linalg.lstsq(path + ":/x", path + ":/y", memory_limit={limit})
        print(status("VmHWM") - before)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    if run.returncode != 0 and "clear_refs" in run.stderr:
        pytest.skip(f"cannot reset the peak RSS here: {run.stderr.splitlines()[-1]}")
    assert run.returncode == 0, run.stderr
    growth = int(run.stdout)
    # The chunk really is inflated (else this test would prove nothing) ...
    assert growth > BIG_CHUNK_BYTES // 2
    # ... and the run stays within what memory_limit allowed.
    assert growth <= limit


def test_lstsq_slab_variable_takes_effect(monkeypatch):
    # H5LINALG_LSTSQ_SLAB (rows per LAPACK call), read by the Python layer on
    # every call and passed to the core: any slab gives the same answer, and a
    # huge one makes the workspace too big for a small memory limit.
    rng = np.random.default_rng(76)
    x, y = rng.normal(size=(157, 5)), rng.normal(size=157)
    expected = np.linalg.lstsq(x, y, rcond=None)[0]
    for slab in ("1", "6", "7", "64"):
        monkeypatch.setenv("H5LINALG_LSTSQ_SLAB", slab)
        assert_close(h5linalg.lstsq(x, y, block_rows=13), expected, rtol=1e-12)
    monkeypatch.setenv("H5LINALG_LSTSQ_SLAB", str(1 << 30))
    with pytest.raises(MemoryError):
        h5linalg.lstsq(x, y, memory_limit="64M")
    monkeypatch.delenv("H5LINALG_LSTSQ_SLAB")
    assert_close(h5linalg.lstsq(x, y, memory_limit="64M"), expected, rtol=1e-12)
