"""matmul into memory and into HDF5, and what a failure leaves behind."""

from __future__ import annotations

import hashlib
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import LAYOUTS, SOURCE_KINDS, assert_close, reference, sample

import h5linalg


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", SOURCE_KINDS)
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
@pytest.mark.parametrize(
    "b_shape", [(5, 3), (5, 1), (5,)], ids=["(k,p)", "(k,1)", "(k,)"]
)
@pytest.mark.parametrize("block_rows", [None, 4])
def test_in_memory(make_source, kind, layout, dtype, b_shape, block_rows):
    a = sample((57, 5), dtype)
    b = np.random.default_rng(1).normal(size=b_shape)
    result = h5linalg.matmul(make_source(kind, a, layout), b, block_rows=block_rows)
    assert isinstance(result, np.ndarray)
    assert result.flags.c_contiguous
    assert_close(result, reference(a) @ b)


@pytest.mark.parametrize("b_dtype", ["int64", "float32", ">f8"])
def test_b_of_any_numeric_dtype(b_dtype):
    a = sample((9, 3), "float64")
    b = (np.arange(6).reshape(3, 2) + 1).astype(b_dtype)
    result = h5linalg.matmul(a, b)
    assert isinstance(result, np.ndarray)
    assert_close(result, a @ b.astype(np.float64))


@pytest.mark.memcheck
@pytest.mark.parametrize("b_shape", [(5, 3), (5,)])
@pytest.mark.parametrize("block_rows", [None, 7])
def test_into_a_new_file(tmp_path, make_source, b_shape, block_rows):
    a = sample((100, 5), "float64")
    b = np.random.default_rng(1).normal(size=b_shape)
    out = tmp_path / "sub" / "result.h5"
    out.parent.mkdir()
    written = h5linalg.matmul(
        make_source("H5Source", a), b, f"{out}:/group/c", block_rows=block_rows
    )
    assert written == h5linalg.H5Source(str(out), "/group/c")
    with h5py.File(out, "r") as file:
        dataset = file["/group/c"]
        assert dataset.dtype == np.float64
        assert dataset.chunks is not None
        assert_close(dataset[()], a @ b)
    assert sorted(p.name for p in out.parent.iterdir()) == ["result.h5"]


@pytest.mark.memcheck
def test_into_an_existing_file_leaves_other_objects_alone(tmp_path):
    out = tmp_path / "existing.h5"
    with h5py.File(out, "w") as file:
        file["keep/me"] = np.arange(4.0)
        file.attrs["note"] = "hello"
    a = sample((30, 2), "float64")
    result = h5linalg.matmul(a, np.eye(2), h5linalg.H5Source(out, "keep/c"))
    assert isinstance(result, h5linalg.H5Source)
    with h5py.File(out, "r") as file:
        assert sorted(file["keep"]) == ["c", "me"]
        np.testing.assert_array_equal(file["keep/me"][()], np.arange(4.0))
        assert file.attrs["note"] == "hello"
        assert_close(file[result.dataset][()], a)


@pytest.mark.memcheck
def test_existing_output_needs_overwrite(tmp_path):
    out = tmp_path / "out.h5"
    a = sample((20, 3), "float64")
    h5linalg.matmul(a, np.eye(3), f"{out}:/c")
    before = digest(out)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        h5linalg.matmul(2 * a, np.eye(3), f"{out}:/c")
    assert digest(out) == before
    h5linalg.matmul(2 * a, np.eye(3), f"{out}:/c", overwrite=True)
    with h5py.File(out, "r") as file:
        assert_close(file["c"][()], 2 * a)
        assert list(file) == ["c"]


@pytest.mark.memcheck
def test_output_may_not_be_the_input_file(make_source):
    source = make_source("H5Source", sample((10, 2), "float64"))
    with pytest.raises(ValueError, match="input file"):
        h5linalg.matmul(source, np.eye(2), f"{source.path}:/c")


@pytest.mark.memcheck
def test_inner_dimensions_must_match(tmp_path):
    with pytest.raises(ValueError, match=r"\(10, 3\) and \(4, 2\) not aligned"):
        h5linalg.matmul(np.ones((10, 3)), np.ones((4, 2)))
    out = tmp_path / "never.h5"
    with pytest.raises(ValueError, match="not aligned"):
        h5linalg.matmul(np.ones((10, 3)), np.ones((4, 2)), f"{out}:/c")
    assert not out.exists()


class Stop(Exception):
    pass


def stop_after(blocks: int):
    calls = []

    def progress(done: int, _total: int) -> None:
        calls.append(done)
        if len(calls) > blocks:
            raise Stop

    return progress


@pytest.mark.memcheck
def test_failure_leaves_no_new_file(tmp_path):
    out = tmp_path / "new.h5"
    with pytest.raises(Stop):
        h5linalg.matmul(
            sample((100, 3), "float64"),
            np.eye(3),
            f"{out}:/c",
            block_rows=10,
            progress=stop_after(3),
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.memcheck
def test_failure_inside_an_existing_file_rolls_back(tmp_path):
    out = tmp_path / "existing.h5"
    with h5py.File(out, "w") as file:
        file["data"] = np.arange(3.0)
        file["c"] = np.zeros(2)
    with pytest.raises(Stop):
        h5linalg.matmul(
            sample((100, 3), "float64"),
            np.eye(3),
            f"{out}:/new/deeper/c",
            block_rows=10,
            progress=stop_after(3),
        )
    with pytest.raises(Stop):
        h5linalg.matmul(
            sample((100, 3), "float64"),
            np.eye(3),
            f"{out}:/c",
            overwrite=True,
            block_rows=10,
            progress=stop_after(3),
        )
    with h5py.File(out, "r") as file:
        assert sorted(file) == ["c", "data"]  # no partial dataset, no new groups
        np.testing.assert_array_equal(file["c"][()], np.zeros(2))
        np.testing.assert_array_equal(file["data"][()], np.arange(3.0))


def test_output_directory_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such directory"):
        h5linalg.matmul(np.ones((2, 2)), np.eye(2), f"{tmp_path}/missing/out.h5:/c")


def test_output_under_a_dataset_is_refused(tmp_path):
    out = tmp_path / "out.h5"
    with h5py.File(out, "w") as file:
        file["d"] = np.arange(3.0)
    before = digest(out)
    with pytest.raises(ValueError, match="not a group"):
        h5linalg.matmul(np.ones((2, 2)), np.eye(2), f"{out}:/d/c")
    assert digest(out) == before


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_large_output_in_many_blocks(tmp_path, make_source, layout):
    a = sample((2000, 8), "float32")
    b = np.random.default_rng(5).normal(size=(8, 11))
    out = tmp_path / "big.h5"
    h5linalg.matmul(make_source("string", a, layout), b, f"{out}:/c", block_rows=150)
    with h5py.File(out, "r") as file:
        assert_close(file["c"][()], reference(a) @ b)


@pytest.mark.memcheck
def test_zero_columns_in_b_gives_an_empty_result(tmp_path):
    a = sample((6, 3), "float64")
    result = h5linalg.matmul(a, np.zeros((3, 0)))
    assert isinstance(result, np.ndarray)
    assert result.shape == (6, 0)
    out = tmp_path / "empty.h5"
    h5linalg.matmul(a, np.zeros((3, 0)), f"{out}:/c")
    with h5py.File(out, "r") as file:
        assert file["c"].shape == (6, 0)
