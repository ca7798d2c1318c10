"""The source kinds: FILE:/DATASET strings, H5Source, h5py datasets, arrays."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import assert_close, sample

import h5linalg
from h5linalg import H5Source


def test_h5source_is_frozen_with_an_absolute_dataset(tmp_path):
    source = H5Source(tmp_path / "f.h5", "group/x")
    assert source.path == str(tmp_path / "f.h5")
    assert source.dataset == "/group/x"
    assert str(source) == f"{tmp_path / 'f.h5'}:/group/x"
    with pytest.raises(AttributeError):
        source.path = "other"  # type: ignore[misc]
    assert H5Source.parse(str(source)) == source


def test_parse_splits_at_the_rightmost_separator_after_an_existing_file(tmp_path):
    # A directory whose name contains ":/" (as Windows drive paths do).
    odd = tmp_path / "a:"
    odd.mkdir()
    path = odd / "f.h5"
    path.touch()
    assert H5Source.parse(f"{path}:/x:/y") == H5Source(str(path), "/x:/y")
    assert H5Source.parse(f"{path}:/x") == H5Source(str(path), "/x")


def test_parse_without_an_existing_file_uses_the_rightmost_separator(tmp_path):
    parsed = H5Source.parse(f"{tmp_path}/missing.h5:/a:/b")
    assert parsed == H5Source(f"{tmp_path}/missing.h5:/a", "/b")
    with pytest.raises(FileNotFoundError, match=r"missing\.h5"):
        h5linalg.gram(f"{tmp_path}/missing.h5:/a:/b")


@pytest.mark.parametrize("text", ["data.h5", "data.h5:x", "", "/just/a/path.h5"])
def test_a_string_without_separator_shows_the_form(text):
    with pytest.raises(ValueError, match="FILE:/DATASET"):
        h5linalg.gram(text)


def test_h5py_dataset_of_a_file_open_for_writing(tmp_path):
    x = sample((40, 3), "float64")
    with h5py.File(tmp_path / "w.h5", "w") as file:
        dataset = file.create_dataset("x", data=x, chunks=(8, 3), compression="gzip")
        # Still open for writing, data not yet flushed: h5linalg flushes and reads.
        assert_close(h5linalg.gram(dataset), x.T @ x)
        dataset[0, 0] = 100.0
        x[0, 0] = 100.0
        assert_close(h5linalg.covariance(dataset), np.cov(x, rowvar=False))


def test_h5py_dataset_in_a_group_and_through_a_soft_link(tmp_path):
    x = sample((10, 2), "float64")
    with h5py.File(tmp_path / "g.h5", "w") as file:
        file.create_dataset("a/b/x", data=x)
        file["alias"] = h5py.SoftLink("/a/b/x")
    with h5py.File(tmp_path / "g.h5", "r") as file:
        assert_close(h5linalg.gram(file["a/b/x"]), x.T @ x)
        assert_close(h5linalg.gram(file["alias"]), x.T @ x)
    assert_close(h5linalg.gram(f"{tmp_path / 'g.h5'}:/alias"), x.T @ x)


def test_in_memory_h5py_file_is_refused():
    with h5py.File("memory.h5", "w", driver="core", backing_store=False) as file:
        file["x"] = np.ones((3, 2))
        with pytest.raises(ValueError, match="driver='core'"):
            h5linalg.gram(file["x"])


def test_h5py_group_is_refused(tmp_path):
    with h5py.File(tmp_path / "g.h5", "w") as file:
        group = file.create_group("g")
        with pytest.raises(TypeError, match="group"):
            h5linalg.gram(group)


# The ignores below are part of the test: mypy (strict, so warn_unused_ignores)
# fails if the Source type accepts these, as it did when it collapsed to Any.


def test_path_objects_need_a_dataset(tmp_path):
    with pytest.raises(TypeError, match="names a file but not a dataset"):
        h5linalg.gram(Path(tmp_path / "f.h5"))  # type: ignore[arg-type]


def test_masked_arrays_are_refused():
    with pytest.raises(TypeError, match="masked"):
        h5linalg.gram(
            np.ma.masked_array(np.ones((3, 2)), mask=np.array([[False, True]] * 3))
        )


def test_array_likes_are_converted():
    assert_close(
        h5linalg.gram([[1, 2], [3, 4]]), np.array([[10.0, 14.0], [14.0, 20.0]])
    )


def test_objects_that_are_not_sources():
    with pytest.raises(TypeError, match="not a NumPy array"):
        h5linalg.gram(object())  # type: ignore[arg-type]


@pytest.mark.memcheck
@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[::2],
        lambda a: a[:, ::-1],
        lambda a: a.T.copy().T,  # Fortran order
        lambda a: a[::-3, 1:],
    ],
    ids=["every-other-row", "reversed-columns", "fortran-order", "negative-stride"],
)
def test_any_memory_order_or_strides(view):
    a = view(sample((30, 5), "float64"))
    assert_close(h5linalg.gram(a), a.T @ a)
    assert_close(h5linalg.covariance(a), np.cov(a, rowvar=False))


@pytest.mark.memcheck
def test_unaligned_array():
    buffer = bytearray(8 * 20 + 1)
    a = np.frombuffer(buffer, dtype=np.float64, count=20, offset=1).reshape(10, 2)
    a[...] = sample((10, 2), "float64")
    assert not a.flags.aligned
    assert_close(h5linalg.gram(a), a.T @ a)


def test_the_array_is_not_modified():
    a = sample((50, 3), "float64")
    copy = a.copy()
    h5linalg.covariance(a, block_rows=7)
    h5linalg.lstsq(a, np.ones(50))
    np.testing.assert_array_equal(a, copy)
