"""The h5linalg command line: describe and cov, and errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import assert_close, sample

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
        (["describe", "data-without-dataset.h5"], "FILE:/DATASET"),
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

    # The console script sits next to the interpreter running the tests.
    script = Path(sys.executable).parent / (
        "h5linalg.exe" if sys.platform == "win32" else "h5linalg"
    )
    result = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == f"h5linalg {h5linalg.__version__}"
