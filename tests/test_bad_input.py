"""The bad-input table: every function gives a clear Python exception, never a
crash, a hang or a wrong answer. (dtypes: test_dtypes.py; shapes of lstsq and
matmul operands: test_lstsq.py / test_matmul.py; Ctrl-C: test_interrupt.py.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import h5py
import numpy as np
import pytest

import h5linalg
from h5linalg import _testing


@pytest.fixture(autouse=True)
def nothing_left_open() -> Iterator[None]:
    """An error path that forgets an HDF5 handle keeps its file open (and locked).

    Compared with the count before the test: where h5py shares h5linalg's HDF5
    library, the count includes the datatypes h5py keeps from its import.
    """
    objects = _testing.open_hdf5_objects()
    yield
    assert _testing.open_hdf5_objects() == objects


def _rows(source: Any) -> int:
    """Rows of an array source (4 for files: the tests' files fail before y matters)."""
    return (
        int(np.shape(source)[0])
        if isinstance(source, np.ndarray) and source.ndim
        else 4
    )


#: Every public function, called on one source with valid other arguments.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "moments": h5linalg.moments,
    "gram": h5linalg.gram,
    "covariance": h5linalg.covariance,
    "pca": lambda source, **kw: h5linalg.pca(source, 1, **kw),
    "lstsq": lambda source, **kw: h5linalg.lstsq(source, np.ones(_rows(source)), **kw),
    "matmul": lambda source, **kw: h5linalg.matmul(source, np.ones(2), **kw),
}
each_function = pytest.mark.parametrize(
    "function",
    [
        # The memcheck selection takes gram's error paths: every function opens
        # and checks its sources with the same code.
        pytest.param(
            function, id=name, marks=pytest.mark.memcheck if name == "gram" else ()
        )
        for name, function in FUNCTIONS.items()
    ],
)


@each_function
def test_missing_file(function, tmp_path):
    missing = tmp_path / "nope.h5"
    with pytest.raises(FileNotFoundError, match=r"nope\.h5"):
        function(f"{missing}:/x")


@each_function
def test_not_hdf5(function, tmp_path):
    path = tmp_path / "text.h5"
    path.write_text("not an HDF5 file\n" * 100)
    with pytest.raises(OSError, match=r"text.h5.*not HDF5"):
        function(f"{path}:/x")


@each_function
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_file(function, tmp_path, keep):
    path = tmp_path / "whole.h5"
    with h5py.File(path, "w") as file:
        file.create_dataset(
            "x", data=np.ones((4000, 2)), chunks=(100, 2), compression="gzip"
        )
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(OSError, match=r"whole\.h5"):
        function(f"{path}:/x")


@each_function
def test_missing_dataset(function, h5_path):
    path = h5_path(x=np.ones((4, 2)))
    with pytest.raises(KeyError, match=r"'/y' not found in '.*\.h5'"):
        function(f"{path}:/y")
    with pytest.raises(KeyError, match=r"'/g/x' not found .*no object '/g'"):
        function(f"{path}:/g/x")
    with pytest.raises(KeyError, match=r"'/x' is not a group"):
        function(f"{path}:/x/y")


@each_function
def test_group_is_not_a_dataset(function, tmp_path):
    path = tmp_path / "g.h5"
    with h5py.File(path, "w") as file:
        file.create_group("g")
    with pytest.raises(TypeError, match=r"'/g' in .* is a group"):
        function(f"{path}:/g")
    with pytest.raises(TypeError, match="group"):
        function(f"{path}:/")


@each_function
@pytest.mark.parametrize("shape", [(4,), (4, 2, 1), ()], ids=["1-D", "3-D", "scalar"])
def test_rank_must_be_two(function, h5_path, shape):
    data = np.ones(shape)
    path = h5_path(x=data)
    with pytest.raises(ValueError, match=r"shape \("):
        function(f"{path}:/x")
    with pytest.raises(ValueError, match=r"shape \("):
        function(data)


@each_function
@pytest.mark.parametrize("shape", [(0, 2), (4, 0)], ids=["no rows", "no columns"])
def test_empty(function, h5_path, shape):
    data = np.ones(shape)
    path = h5_path(x=data)
    with pytest.raises(ValueError, match=r"no rows|no columns"):
        function(f"{path}:/x")
    with pytest.raises(ValueError, match=r"no rows|no columns"):
        function(data)


@each_function
@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        ("block_rows", 0, ValueError),
        ("block_rows", -5, ValueError),
        ("block_rows", 2.5, TypeError),
        ("block_rows", True, TypeError),
        ("memory_limit", 0, ValueError),
        ("memory_limit", "1 parsec", ValueError),
        ("memory_limit", "-5", ValueError),
        ("memory_limit", 2.5, TypeError),
        ("memory_limit", True, TypeError),
        ("progress", "yes", TypeError),
        ("allow_external", 1, TypeError),
    ],
)
def test_bad_options(function, option, value, error):
    with pytest.raises(error, match=option):
        function(np.ones((4, 2)), **{option: value})


@each_function
def test_memory_limit_too_small(function):
    with pytest.raises(MemoryError, match="memory_limit"):
        function(np.ones((4, 2)), memory_limit=10)


@each_function
def test_block_rows_beyond_the_memory_limit(function):
    with pytest.raises(MemoryError, match="block_rows=50000"):
        function(np.ones((100_000, 2)), block_rows=50_000, memory_limit=64 * 1024)


def test_huge_compressed_chunk_gives_memory_error(tmp_path):
    path = tmp_path / "big-chunk.h5"
    with h5py.File(path, "w") as file:
        file.create_dataset(
            "x",
            shape=(20_000, 100),
            chunks=(20_000, 100),
            compression="gzip",
            dtype="f8",
            fillvalue=1.0,
        )
        file["x"][:10] = 2.0
    # One compressed chunk is 16 MB: it cannot be read in 4 MB.
    with pytest.raises(MemoryError, match="whole compressed chunk"):
        h5linalg.gram(f"{path}:/x", memory_limit=4 * 2**20)
    # An uncompressed giant chunk is read in bounded pieces instead.
    with h5py.File(path, "w") as file:
        file.create_dataset("x", data=np.ones((20_000, 100)), chunks=(20_000, 100))
    result = h5linalg.gram(f"{path}:/x", memory_limit=4 * 2**20)
    np.testing.assert_allclose(result, np.full((100, 100), 20_000.0))


@pytest.mark.memcheck
def test_unknown_filter_is_explained(tmp_path):
    # An LZF dataset (which h5linalg decodes) whose pipeline message is rewritten to
    # name a filter nobody provides: id 32099, called "abc" (version 1 of the
    # message stores id, name length, flags, value count, then the name).
    path = tmp_path / "unknown.h5"
    with h5py.File(path, "w") as file:
        file.create_dataset(
            "x", data=np.ones((10, 2)), chunks=(5, 2), compression="lzf"
        )
    data = bytearray(path.read_bytes())
    name_at = data.find(b"lzf\0")
    assert data[name_at - 8 : name_at - 6] == (32000).to_bytes(2, "little")
    data[name_at - 8 : name_at - 6] = (32099).to_bytes(2, "little")
    data[name_at : name_at + 3] = b"abc"
    path.write_bytes(bytes(data))
    with pytest.raises(OSError, match=r"'abc' filter \(id 32099\).*hdf5plugin"):
        h5linalg.gram(f"{path}:/x")


@pytest.mark.memcheck
def test_dangling_soft_link_is_a_missing_dataset(tmp_path):
    path = tmp_path / "dangling.h5"
    with h5py.File(path, "w") as file:
        file["x"] = np.ones((3, 2))
        file["alias"] = h5py.SoftLink("/nowhere")
    with pytest.raises(KeyError, match="soft link to nothing"):
        h5linalg.gram(f"{path}:/alias")
