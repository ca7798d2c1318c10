"""Stacks: several files (or arrays) read one after another as one dataset.

A stack is a list or tuple of sources, or a FILE:/DATASET string whose file part
is a glob pattern. Every function must give what NumPy gives on the rows
concatenated in order, whatever mix of files, dtypes, layouts and filters the
stack holds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from conftest import assert_close, sample

import h5linalg
from h5linalg import H5Source, _core
from h5linalg.cli import main

#: (file name, rows, dtype, create_dataset keywords): what one stack may mix.
MIXED: list[tuple[str, int, str, dict[str, Any]]] = [
    ("day-1.h5", 120, "<f8", {}),
    ("day-2.h5", 37, "<f4", {"chunks": (10, 5), "compression": "gzip"}),
    (
        "day-10.h5",
        251,
        ">i2",
        {"chunks": (7, 3), "shuffle": True, "compression": "gzip"},
    ),
    ("day-3.h5", 1, ">f8", {"chunks": (4, 5), "maxshape": (None, 5)}),  # chunk > data
    (
        "day-11.h5",
        64,
        "<u1",
        {"chunks": (64, 5), "compression": "gzip", "compression_opts": 9},
    ),
]
#: The natural order of MIXED's file names: day-1, 2, 3, 10, 11.
NATURAL = ["day-1.h5", "day-2.h5", "day-3.h5", "day-10.h5", "day-11.h5"]
COLS = 5


@pytest.fixture
def mixed(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """MIXED written under tmp_path/runs, and its rows in natural order as float64."""
    runs = tmp_path / "runs"
    runs.mkdir()
    rows = {}
    for seed, (name, count, dtype, options) in enumerate(MIXED):
        data = sample((count, COLS), dtype, seed=seed)
        with h5py.File(runs / name, "w") as file:
            file.create_dataset("samples", data=data, **options)
        rows[name] = data.astype(np.float64)
    (runs / "notes.txt").write_text("not matched by the pattern")
    return runs, np.vstack([rows[name] for name in NATURAL])


def pattern(runs: Path) -> str:
    return f"{runs}/day-*.h5:/samples"


def paths(runs: Path) -> list[str]:
    return [f"{runs / name}:/samples" for name in NATURAL]


@pytest.mark.parametrize(
    "block_rows", [None, 1, pytest.param(13, marks=pytest.mark.memcheck), 400]
)
def test_every_function_over_a_pattern_matches_numpy(mixed, tmp_path, block_rows):
    runs, x = mixed
    source = pattern(runs)
    kw: dict[str, Any] = {"block_rows": block_rows}
    m = h5linalg.moments(source, **kw)
    assert m.count == x.shape[0]
    assert_close(m.mean, x.mean(axis=0))
    assert_close(m.var, x.var(axis=0, ddof=1))
    assert np.array_equal(m.min, x.min(axis=0))
    assert np.array_equal(m.max, x.max(axis=0))
    assert_close(h5linalg.gram(source, **kw), x.T @ x)
    assert_close(h5linalg.covariance(source, **kw), np.cov(x, rowvar=False))
    result = h5linalg.pca(source, 2, **kw)
    values = np.linalg.eigvalsh(np.cov(x, rowvar=False))[::-1][:2]
    assert_close(result.explained_variance, values)
    b = np.arange(COLS * 2, dtype=np.float64).reshape(COLS, 2)
    product = h5linalg.matmul(source, b, **kw)
    assert isinstance(product, np.ndarray)
    assert_close(product, x @ b)
    vector = h5linalg.matmul(source, b[:, 0], **kw)
    assert isinstance(vector, np.ndarray)
    assert_close(vector, x @ b[:, 0])
    out = h5linalg.matmul(source, b, out=f"{tmp_path}/product.h5:/p", **kw)
    assert isinstance(out, H5Source)
    with h5py.File(out.path, "r") as file:
        assert file["p"].shape == (x.shape[0], 2)  # one dataset for the whole stack
        assert_close(file["p"][()], x @ b)


@pytest.mark.memcheck
def test_a_list_or_tuple_of_every_kind_is_a_stack(mixed):
    runs, x = mixed
    with h5py.File(runs / "day-2.h5", "r") as file:
        stack = [
            paths(runs)[0],  # a string
            file["samples"],  # an h5py dataset
            H5Source(runs / "day-3.h5", "samples"),  # an H5Source
            x[158:409],  # a 2-D array (day-10's rows)
            f"{runs}/day-11.h5:/samples",
        ]
        assert_close(h5linalg.gram(stack), x.T @ x)
        assert_close(h5linalg.gram(tuple(stack)), x.T @ x)


def test_lists_of_numbers_keep_their_numpy_meaning():
    rows = [[1.0, 2.0], [3.0, 5.0], [4.0, 4.0]]
    assert_close(h5linalg.gram(rows), np.asarray(rows).T @ np.asarray(rows))
    vectors = [np.array([1.0, 2.0]), np.array([3.0, 4.0])]  # 1-D items: numpy.asarray
    assert_close(h5linalg.gram(vectors), np.asarray(vectors).T @ np.asarray(vectors))


@pytest.mark.memcheck
def test_lstsq_needs_equal_total_rows_however_they_are_split(mixed, tmp_path):
    runs, x = mixed
    coefficients = np.arange(1.0, COLS + 1)
    y = x @ coefficients
    # y in three files whose boundaries fall elsewhere than x's.
    parts = []
    for i, (first, last) in enumerate([(0, 100), (100, 101), (101, len(y))]):
        with h5py.File(tmp_path / f"y{i}.h5", "w") as file:
            file["y"] = y[first:last]
        parts.append(f"{tmp_path}/y{i}.h5:/y")
    result = h5linalg.lstsq(pattern(runs), parts)
    assert result.shape == (COLS,)
    assert_close(result, np.linalg.lstsq(x, y, rcond=None)[0], rtol=1e-8)
    two = np.column_stack([y, 1 - 2 * y])
    assert_close(
        h5linalg.lstsq(pattern(runs), two),
        np.linalg.lstsq(x, two, rcond=None)[0],
        rtol=1e-8,
    )
    with pytest.raises(ValueError, match="same number of rows"):
        h5linalg.lstsq(pattern(runs), parts[:2])


@pytest.mark.memcheck
def test_row_ranges_of_one_dataset_as_a_distributed_task_reads_them(mixed):
    runs, x = mixed
    path = str(runs / "day-10.h5")  # shuffle and gzip, chunks of 7 rows
    # The core's row ranges: what h5linalg.distributed hands each task.
    ranges: list[Any] = [
        _core.DatasetRef(path, "/samples", first=0, count=100),
        _core.DatasetRef(path, "/samples", first=100, count=151),
    ]
    rows = x[158:409]  # day-10's rows
    assert_close(h5linalg.gram(ranges), rows.T @ rows)
    assert_close(h5linalg.covariance(ranges), np.cov(rows, rowvar=False))


def test_matches_are_taken_in_natural_order(mixed):
    runs, x = mixed
    # matmul with the identity returns the rows in the order they were read.
    rows = h5linalg.matmul(pattern(runs), np.eye(COLS))
    assert isinstance(rows, np.ndarray)
    assert np.array_equal(rows, x)


def test_a_pattern_that_matches_nothing_is_file_not_found(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"No file matches the pattern.*night-\*"
    ):
        h5linalg.gram(f"{tmp_path}/night-*.h5:/samples")


def test_an_existing_file_with_glob_characters_is_that_file(tmp_path):
    data = sample((20, 3), "<f8")
    odd = tmp_path / "run[1].h5"
    with h5py.File(odd, "w") as file:
        file["x"] = data
    # "run[1].h5" as a pattern would match "run1.h5", which holds other data.
    with h5py.File(tmp_path / "run1.h5", "w") as file:
        file["x"] = data * 2
    assert_close(h5linalg.gram(f"{odd}:/x"), data.T @ data)


def test_an_h5source_is_never_a_pattern(mixed):
    runs, _x = mixed
    with pytest.raises(FileNotFoundError, match=r"day-\*\.h5"):
        h5linalg.gram(H5Source(f"{runs}/day-*.h5", "samples"))


def test_a_pattern_can_span_folders(tmp_path):
    data = sample((30, 2), "<f8")
    for i, folder in enumerate(["a", "b/c"]):
        (tmp_path / folder).mkdir(parents=True)
        with h5py.File(tmp_path / folder / "x.h5", "w") as file:
            file["x"] = data[15 * i : 15 * (i + 1)]
    assert_close(h5linalg.gram(f"{tmp_path}/**/x.h5:/x"), data.T @ data)


def test_column_counts_must_agree(mixed, tmp_path):
    runs, _x = mixed
    with h5py.File(tmp_path / "wide.h5", "w") as file:
        file["samples"] = np.ones((4, COLS + 1))
    stack = [*paths(runs)[:2], f"{tmp_path}/wide.h5:/samples", paths(runs)[2]]
    message = (
        r"wide\.h5:/samples has shape \(4, 6\) but .*day-1\.h5:/samples, the first of "
        r"the stack, has shape \(120, 5\)"
    )
    with pytest.raises(ValueError, match=message):
        h5linalg.covariance(stack)


def test_a_damaged_file_in_a_stack_is_named(mixed):
    runs, _x = mixed
    (runs / "day-4.h5").write_bytes(b"not an HDF5 file at all" * 10)
    with pytest.raises(OSError, match=r"day-4\.h5"):
        h5linalg.gram(pattern(runs))


def test_the_untrusted_file_rules_hold_for_every_file(mixed, tmp_path):
    runs, x = mixed
    with h5py.File(tmp_path / "link.h5", "w") as file:
        file["samples"] = h5py.ExternalLink(str(runs / "day-1.h5"), "/samples")
    stack = [paths(runs)[1], f"{tmp_path}/link.h5:/samples"]
    with pytest.raises(PermissionError, match="external link"):
        h5linalg.gram(stack)
    expected = np.vstack([x[120:157], x[:120]])
    assert_close(h5linalg.gram(stack, allow_external=True), expected.T @ expected)


def test_out_may_not_be_any_file_of_the_stack(mixed):
    runs, _x = mixed
    with pytest.raises(ValueError, match=r"in the input file .*day-3\.h5"):
        h5linalg.matmul(pattern(runs), np.eye(COLS), out=f"{runs}/day-3.h5:/p")


def open_hdf5_files() -> int:
    """HDF5 files this process holds open, as the kernel sees them."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.endswith(".h5")
    return count


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux's /proc")
def test_a_stack_of_many_files_holds_few_open(tmp_path):
    data = sample((600, 3), "<f8")
    for i in range(300):
        with h5py.File(tmp_path / f"part-{i}.h5", "w") as file:
            file.create_dataset("x", data=data[2 * i : 2 * i + 2], chunks=(2, 3))
    seen: list[int] = []

    def progress(_done: int, _total: int) -> None:
        seen.append(open_hdf5_files())

    result = h5linalg.gram(f"{tmp_path}/part-*.h5:/x", block_rows=5, progress=progress)
    assert_close(result, data.T @ data)
    assert len(seen) > 100  # one report per block of 5 rows
    # The part being read, and the next one the reader thread prefetches.
    assert max(seen) <= 2
    assert open_hdf5_files() == 0


def test_describe_prints_each_file_in_order_and_the_totals(mixed, capsys):
    runs, x = mixed
    assert main(["describe", pattern(runs), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("5 datasets, read in this order:\n")
    listed = [line.split()[0] for line in out.splitlines()[1:6]]
    assert listed == paths(runs)
    assert f"  shape   ({x.shape[0]}, {COLS})" in out
    assert "shuffle + gzip(4)" in out
    stats = out.split("max\n")[1].splitlines()
    first = stats[0].split()
    assert int(first[0]) == 0
    assert float(first[1]) == pytest.approx(x[:, 0].mean(), rel=1e-5)
    assert float(first[3]) == pytest.approx(x[:, 0].min(), rel=1e-5)


def test_the_command_line_takes_several_sources_and_patterns(mixed, tmp_path, capsys):
    runs, x = mixed
    extra = sample((9, COLS), "<f8", seed=9)
    with h5py.File(tmp_path / "extra.h5", "w") as file:
        file["samples"] = extra
    output = tmp_path / "cov.npy"
    argv = ["cov", pattern(runs), f"{tmp_path}/extra.h5:/samples", "-o", str(output)]
    assert main([*argv, "--no-progress"]) == 0
    assert_close(np.load(output), np.cov(np.vstack([x, extra]), rowvar=False))
    capsys.readouterr()
    assert main(["cov", f"{tmp_path}/none-*.h5:/x", "-o", str(output)]) == 1
    assert "No file matches the pattern" in capsys.readouterr().err
