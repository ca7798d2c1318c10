"""The h5linalg command line: describe and cov, and errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from conftest import assert_close, sample
from wheel_data import SCANPY_PBMC68K

import h5linalg
from h5linalg import cli
from h5linalg.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "h5linalg", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "data.h5"
    x = sample((500, 3), "float32")
    with h5py.File(path, "w") as file:
        file.create_dataset("group/x", data=x, chunks=(64, 3), compression="gzip")
    return path, x


@pytest.mark.memcheck
def test_describe(data_file, capsys):
    path, x = data_file
    assert main(["describe", f"{path}:/group/x"]) == 0
    out = capsys.readouterr().out
    assert "shape   (500, 3)" in out
    assert "dtype   float32" in out
    assert "chunks (64, 3)" in out
    assert "gzip(4)" in out
    means = x.astype(np.float64).mean(axis=0)
    for j, mean in enumerate(means):
        row = next(line for line in out.splitlines() if line.split()[:1] == [str(j)])
        assert float(row.split()[1]) == pytest.approx(mean, rel=1e-5)


def test_cov_to_npy(data_file, tmp_path):
    path, x = data_file
    out = tmp_path / "cov.npy"
    result = run_cli("cov", f"{path}:/group/x", "-o", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert_close(np.load(out), np.cov(x.astype(np.float64), rowvar=False))
    again = run_cli("cov", f"{path}:/group/x", "-o", str(out))
    assert again.returncode == 1
    assert "--overwrite" in again.stderr


@pytest.mark.memcheck
def test_cov_to_hdf5(data_file, tmp_path):
    path, x = data_file
    out = tmp_path / "results.h5"
    assert (
        main(["cov", f"{path}:/group/x", "--out", f"{out}:/stats/cov", "--ddof", "0"])
        == 0
    )
    with h5py.File(out, "r") as file:
        assert_close(
            file["stats/cov"][()], np.cov(x.astype(np.float64), rowvar=False, ddof=0)
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["describe", "missing.h5:/x"], "No such file"),
        (["describe", "data-without-dataset.h5"], "No such file"),
        (["cov", "missing.h5:/x", "-o", "c.npy"], "No such file"),
    ],
)
def test_errors_are_one_line_without_traceback(args, message, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "h5linalg", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("h5linalg: error:")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_dataset_names_file_and_dataset(data_file):
    path, _ = data_file
    result = run_cli("describe", f"{path}:/nope")
    assert result.returncode == 1
    assert "'/nope' not found in" in result.stderr
    assert "data.h5" in result.stderr


def test_help_reads_well():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "describe" in result.stdout
    assert "cov" in result.stdout
    assert "FILE:/DATASET" in result.stdout
    cov_help = run_cli("cov", "--help").stdout
    assert "--out FILE:/DATASET" in cov_help
    assert "-o FILE.npy" in cov_help


def test_a_closed_pipe_ends_quietly(data_file):
    """`h5linalg describe FILE | head`: when the reader has gone, exit 0, no message."""
    path, _ = data_file
    process = subprocess.Popen(
        [sys.executable, "-m", "h5linalg", "describe", f"{path}:/group/x"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before anything is written
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0
    assert stderr == b""


def test_console_script_and_version():
    import h5linalg

    # Where the interpreter's installs put scripts: beside it in a venv, but in
    # Scripts\\ of a conda environment on Windows (the recipe runs this test).
    script = Path(sysconfig.get_path("scripts")) / (
        "h5linalg.exe" if sys.platform == "win32" else "h5linalg"
    )
    result = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == f"h5linalg {h5linalg.__version__}"


# --- Usage errors: exit 2, before any work or output --------------------------


@pytest.fixture
def no_computation(monkeypatch):
    """Fails the test if the command starts computing."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        msg = "the computation started"
        raise AssertionError(msg)

    monkeypatch.setattr(cli, "covariance", refuse)
    monkeypatch.setattr(cli, "moments", refuse)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["cov", "{x}", "-o", "proj.h5:/cov"],
            (
                "argument -o/--output: 'proj.h5:/cov' names an HDF5 dataset, but -o "
                "writes a .npy file; write the dataset with --out proj.h5:/cov"
            ),
        ),
        (
            ["cov", "{x}", "--out", "results.h5"],
            (
                "argument --out: 'results.h5' is a plain path, but --out writes an "
                "HDF5 dataset, FILE:/DATASET (for example results.h5:/cov); to write "
                "a .npy file use -o results.npy"
            ),
        ),
        (["cov", "{x}", "--out", "c.npy"], "to write a .npy file use -o c.npy"),
        (["describe", "{x}", "--memory-limit", "-5"], "'-5' is not a size"),
        (["describe", "{x}", "--memory-limit", "0"], "at least 1 byte"),
        (["describe", "{x}", "--memory-limit", "5X"], "'5X' is not a size"),
        (["describe", "{x}", "--block-rows", "0"], "must be at least 1, got 0"),
        (["cov", "{x}", "-o", "c.npy", "--ddof", "-1"], "must be at least 0"),
    ],
)
@pytest.mark.usefixtures("no_computation")
def test_usage_errors_exit_2_before_any_output(
    args, fragment, data_file, tmp_path, monkeypatch, capsys
):
    path, _ = data_file
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main([arg.format(x=f"{path}:/group/x") for arg in args])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert fragment in captured.err
    assert ".tmp" not in captured.err


def test_usage_error_prints_nothing_on_stdout_in_a_real_run(data_file, tmp_path):
    path, _ = data_file
    result = run_cli("describe", f"{path}:/group/x", "--memory-limit", "-5")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "argument --memory-limit: '-5' is not a size" in result.stderr
    result = run_cli("cov", f"{path}:/group/x", "-o", f"{tmp_path}/p.h5:/cov")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "write the dataset with --out" in result.stderr


# --- Output errors: exit 1, before the computation -----------------------------


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    status = main(args)
    captured = capsys.readouterr()
    assert ".tmp" not in captured.err
    assert "Errno" not in captured.err
    return status, captured


@pytest.mark.usefixtures("no_computation")
def test_npy_output_in_a_missing_folder(data_file, tmp_path, capsys):
    path, _ = data_file
    target = tmp_path / "nodir" / "sub" / "c.npy"
    status, captured = run_main(["cov", f"{path}:/group/x", "-o", str(target)], capsys)
    assert status == 1
    assert captured.out == ""
    assert captured.err == (
        f"h5linalg: error: cannot write {str(target)!r}: the folder "
        f"{str(target.parent)!r} does not exist\n"
    )


@pytest.mark.usefixtures("no_computation")
def test_npy_output_that_is_a_folder(data_file, tmp_path, capsys):
    path, _ = data_file
    folder = tmp_path / "emptydir"
    folder.mkdir()
    status, captured = run_main(
        ["cov", f"{path}:/group/x", "-o", str(folder), "--overwrite"], capsys
    )
    assert status == 1
    assert f"-o {str(folder)!r} is a directory; give a file name in it" in captured.err
    assert list(folder.iterdir()) == []


@pytest.mark.usefixtures("no_computation")
def test_existing_npy_output_names_the_flag(data_file, tmp_path, capsys):
    path, _ = data_file
    target = tmp_path / "c.npy"
    target.write_bytes(b"keep")
    status, captured = run_main(["cov", f"{path}:/group/x", "-o", str(target)], capsys)
    assert status == 1
    assert "exists; pass --overwrite to replace it" in captured.err
    assert target.read_bytes() == b"keep"


@pytest.mark.usefixtures("no_computation")
def test_existing_hdf5_output_names_the_flag(data_file, tmp_path, capsys):
    path, _ = data_file
    target = tmp_path / "existing.h5"
    with h5py.File(target, "w") as file:
        file["c"] = np.zeros((3, 3))
    status, captured = run_main(
        ["cov", f"{path}:/group/x", "--out", f"{target}:/c"], capsys
    )
    assert status == 1
    assert captured.err == (
        f"h5linalg: error: '{target}:/c' already exists; pass --overwrite to replace it\n"
    )
    assert "overwrite=True" not in captured.err


def test_existing_hdf5_output_is_replaced_with_the_flag(data_file, tmp_path, capsys):
    path, x = data_file
    target = tmp_path / "existing.h5"
    with h5py.File(target, "w") as file:
        file["c"] = np.zeros((3, 3))
    status, _ = run_main(
        ["cov", f"{path}:/group/x", "--out", f"{target}:/c", "--overwrite"], capsys
    )
    assert status == 0
    with h5py.File(target, "r") as file:
        assert_close(file["c"][()], np.cov(x.astype(np.float64), rowvar=False))


@pytest.mark.usefixtures("no_computation")
def test_hdf5_output_in_a_missing_folder(data_file, tmp_path, capsys):
    path, _ = data_file
    status, captured = run_main(
        ["cov", f"{path}:/group/x", "--out", f"{tmp_path}/nodir/r.h5:/c"], capsys
    )
    assert status == 1
    assert f"No such directory {str(tmp_path / 'nodir')!r}" in captured.err


@pytest.mark.usefixtures("no_computation")
def test_hdf5_output_that_is_a_folder(data_file, tmp_path, capsys):
    path, _ = data_file
    folder = tmp_path / "somedir"
    folder.mkdir()
    status, captured = run_main(
        ["cov", f"{path}:/group/x", "--out", f"{folder}:/x"], capsys
    )
    assert status == 1
    assert captured.err == (
        f"h5linalg: error: {str(folder)!r} is a directory, not an HDF5 file\n"
    )


def test_matmul_out_folder_is_refused_like_an_input_folder(tmp_path):
    folder = tmp_path / "somedir"
    folder.mkdir()
    x = sample((20, 3), "float64")
    with pytest.raises(OSError, match="is a directory") as output_error:
        h5linalg.matmul(x, np.eye(3), out=f"{folder}:/x")
    with pytest.raises(OSError, match="is a directory") as input_error:
        h5linalg.gram(f"{folder}:/x")
    assert str(output_error.value) == str(input_error.value)
    assert "bytes actually read" not in str(output_error.value)
    assert list(folder.iterdir()) == []


def test_api_still_says_overwrite_true(tmp_path):
    target = tmp_path / "existing.h5"
    with h5py.File(target, "w") as file:
        file["c"] = np.zeros((3, 3))
    with pytest.raises(FileExistsError, match=r"pass overwrite=True"):
        h5linalg.matmul(np.eye(3), np.eye(3), out=f"{target}:/c")


# --- Sizes and warnings ----------------------------------------------------------


def test_memory_limit_takes_units(data_file, capsys):
    path, _ = data_file
    assert main(["describe", f"{path}:/group/x", "--memory-limit", "1G"]) == 0
    assert main(["describe", f"{path}:/group/x", "--memory-limit", "512MiB"]) == 0
    out = capsys.readouterr().out
    assert out.count("shape   (500, 3)") == 2


def test_too_small_memory_limit_with_units_reaches_the_core(data_file, capsys):
    """'1K' is parsed as 1024 bytes, which no block of chunks fits in."""
    path, _ = data_file
    assert main(["describe", f"{path}:/group/x", "--memory-limit", "1K"]) == 1
    assert "h5linalg: error:" in capsys.readouterr().err


def test_library_warnings_are_one_line(data_file, tmp_path, capsys):
    path, _ = data_file
    status, captured = run_main(
        ["cov", f"{path}:/group/x", "-o", str(tmp_path / "c.npy"), "--ddof", "5000"],
        capsys,
    )
    assert status == 0
    assert captured.err == "h5linalg: warning: Degrees of freedom <= 0 for slice\n"
    # NumPy's values: the scatter divided by zero, so +-inf (NaN where it is 0).
    with h5py.File(path) as file:
        data = file["/group/x"][:].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.cov(data, rowvar=False, ddof=5000)
    np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), expected)


def test_library_warnings_in_a_real_run(data_file, tmp_path):
    path, _ = data_file
    result = run_cli(
        "cov", f"{path}:/group/x", "-o", str(tmp_path / "c.npy"), "--ddof", "5000"
    )
    assert result.returncode == 0
    assert result.stderr == "h5linalg: warning: Degrees of freedom <= 0 for slice\n"


# --- Missing datasets: did you mean ---------------------------------------------


@pytest.fixture
def survey(tmp_path):
    path = tmp_path / "survey.h5"
    with h5py.File(path, "w") as file:
        file["samples"] = sample((30, 4), "float64")
        file["group/labels"] = np.arange(30)
    return path


@pytest.mark.memcheck
def test_missing_dataset_suggests_close_names_in_the_cli(survey, capsys):
    status, captured = run_main(["describe", f"{survey}:/sample"], capsys)
    assert status == 1
    assert captured.err == (
        f"h5linalg: error: dataset '/sample' not found in {str(survey)!r}; "
        "did you mean '/samples'?\n"
    )


def test_missing_dataset_suggests_close_names_in_the_api(survey):
    with pytest.raises(KeyError, match=r"did you mean '/group/labels'\?"):
        h5linalg.moments(f"{survey}:/group/label")
    with pytest.raises(KeyError) as far:
        h5linalg.moments(f"{survey}:/zzzzzz")
    assert "did you mean" not in str(far.value)


# --- describe FILE ------------------------------------------------------------


def h5py_datasets(path: Path) -> dict[str, tuple[Any, Any, Any]]:
    """h5py's own listing: {name: dataset} of every dataset, visititems order."""
    found: dict[str, tuple[Any, Any, Any]] = {}
    with h5py.File(path, "r") as file:

        def note(name: str, item: Any) -> None:
            if isinstance(item, h5py.Dataset):
                found["/" + name] = (item.shape, item.dtype, item.chunks)

        file.visititems(note)
    return found


def listing_lines(out: str) -> dict[str, str]:
    return {
        line.split()[0]: line for line in out.splitlines() if line.startswith("  /")
    }


@pytest.fixture
def varied_file(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as file:
        file["x"] = np.ones((4, 2))
    path = tmp_path / "varied.h5"
    with h5py.File(path, "w") as file:
        file.create_dataset(
            "a/b/matrix",
            data=sample((40, 3), "float32"),
            chunks=(8, 3),
            compression="gzip",
        )
        file["a/cube"] = np.zeros((2, 3, 4))
        file["a/vector"] = np.arange(5)
        file["names"] = np.array([b"one", b"two"])
        file["table"] = np.zeros(3, dtype=[("a", "f8"), ("b", "i4")])
        file.create_dataset("empty", shape=(0, 3), dtype="f8")
        file["soft"] = h5py.SoftLink("/a/cube")
        file["elsewhere"] = h5py.ExternalLink(str(other), "/x")
        layout = h5py.VirtualLayout(shape=(4, 2), dtype="f8")
        layout[:] = h5py.VirtualSource(str(other), "x", shape=(4, 2))
        file.create_virtual_dataset("virtual", layout)
    return path


def test_describe_file_lists_datasets_as_h5py_sees_them(varied_file, capsys):
    status, captured = run_main(["describe", str(varied_file)], capsys)
    assert status == 0
    lines = listing_lines(captured.out)
    expected = h5py_datasets(varied_file)  # h5py does not visit links out of the file
    assert set(lines) == {*expected, "/elsewhere"}
    assert captured.out.splitlines()[0] == (
        f"{varied_file}: {len(expected) + 1} datasets, 1 of them read by h5linalg"
    )
    for name, (shape, _, chunks) in expected.items():
        if name != "/virtual":
            assert str(shape) in lines[name]
            if chunks is not None:
                assert f"chunks {chunks}" in lines[name]
    assert "float32" in lines["/a/b/matrix"]
    assert "gzip(4)" in lines["/a/b/matrix"]
    assert "(not read" not in lines["/a/b/matrix"]
    assert "(not read: 3-D, not 2-D)" in lines["/a/cube"]
    assert (
        "(not read: 1-D, read only as the y of lstsq or the b of matmul)"
        in lines["/a/vector"]
    )
    assert (
        "(not read: not numeric (dtype string (fixed-length, 3 bytes)))"
        in lines["/names"]
    )
    assert "(not read: not numeric (dtype compound))" in lines["/table"]
    assert "(not read: empty (no rows))" in lines["/empty"]
    assert "not read without --allow-external" in lines["/virtual"]
    assert "virtual dataset" in lines["/virtual"]
    assert lines["/elsewhere"].endswith(
        f"external link to {other_of(varied_file)}:/x: not read without --allow-external"
    )
    assert f"describe one with: h5linalg describe {varied_file}:/a/b/matrix" in (
        captured.out
    )


def other_of(path: Path) -> str:
    return str(path.parent / "other.h5")


def test_describe_file_never_opens_other_files(varied_file, capsys):
    """The external link and the virtual dataset point at a file that is gone."""
    (varied_file.parent / "other.h5").unlink()
    status, captured = run_main(["describe", str(varied_file)], capsys)
    assert status == 0
    lines = listing_lines(captured.out)
    assert "not read without --allow-external" in lines["/virtual"]
    assert "not read without --allow-external" in lines["/elsewhere"]


def test_describe_file_caps_the_listing(tmp_path, capsys):
    path = tmp_path / "many.h5"
    with h5py.File(path, "w") as file:
        for i in range(120):
            file[f"g/d{i:03d}"] = np.full((2, 2), i)
    status, captured = run_main(["describe", str(path)], capsys)
    assert status == 0
    lines = listing_lines(captured.out)
    assert len(lines) == 50
    assert sorted(lines) == sorted(h5py_datasets(path))[:50]
    assert "... 70 more (list them all with --all)" in captured.out
    status, captured = run_main(["describe", str(path), "--all"], capsys)
    assert status == 0
    assert set(listing_lines(captured.out)) == set(h5py_datasets(path))
    assert "more (list them all" not in captured.out


def test_describe_file_of_an_empty_file(tmp_path, capsys):
    path = tmp_path / "empty.h5"
    h5py.File(path, "w").close()
    status, captured = run_main(["describe", str(path)], capsys)
    assert status == 0
    assert captured.out == f"{path}: 0 datasets, 0 of them read by h5linalg\n"


def test_describe_a_folder_or_a_text_file(tmp_path, capsys):
    status, captured = run_main(["describe", str(tmp_path)], capsys)
    assert status == 1
    assert "is a directory, not an HDF5 file" in captured.err
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    status, captured = run_main(["describe", str(text)], capsys)
    assert status == 1
    assert "as an HDF5 file: it is not HDF5" in captured.err


def test_describe_a_real_h5ad_file_from_a_wheel(wheel_file, capsys):
    """scanpy's bundled AnnData file, written by anndata with h5py, not by us."""
    path = wheel_file(SCANPY_PBMC68K)
    status, captured = run_main(["describe", str(path), "--all"], capsys)
    assert status == 0
    lines = listing_lines(captured.out)
    expected = h5py_datasets(path)
    assert set(lines) == set(expected)
    readable = [name for name, line in lines.items() if "(not read" not in line]
    assert readable == ["/X"]  # the dense matrix; the rest are 1-D, compound, strings
    for name, (shape, dtype, chunks) in expected.items():
        assert str(shape) in lines[name]
        if dtype.names is not None:
            assert "not numeric (dtype compound)" in lines[name]
        if chunks is not None:
            assert f"chunks {chunks}" in lines[name]
    # And /X, named as the listing suggests, reads as NumPy reads it.
    assert f"describe one with: h5linalg describe {path}:/X" in captured.out
    with h5py.File(path, "r") as file:
        x = file["X"][()].astype(np.float64)
    assert_close(h5linalg.covariance(f"{path}:/X"), np.cov(x, rowvar=False), 1e-8)
