"""The small HDF5 files the documentation's examples read.

The doctest builder runs every example in one folder that holds these files
(``survey.h5`` and the stack ``runs/day-*.h5``), so each example can name them
as a user would name their own. The folder is removed when the build ends.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import h5py
import numpy as np

#: Least-squares coefficients of ``survey.h5:/target`` on ``survey.h5:/samples``.
BETA = np.array([1.0, -2.0, 0.5, 3.0])

_folder: Path | None = None


def _samples(rows: int, seed: int) -> np.ndarray:
    """Four correlated columns around an offset, as instruments record them."""
    rng = np.random.default_rng(seed)
    mixing = np.array(
        [
            [1.0, 0.5, 0.0, 0.0],
            [0.0, 1.0, 0.3, 0.0],
            [0.0, 0.0, 1.0, 0.2],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    return rng.normal(size=(rows, 4)) @ mixing + np.array([10.0, 20.0, 30.0, 40.0])


def write(folder: Path) -> None:
    """``survey.h5`` (/samples 1000 x 4 in gzip chunks, /target) and ``runs/``."""
    samples = _samples(1000, seed=0)
    with h5py.File(folder / "survey.h5", "w") as f:
        f.create_dataset("samples", data=samples, chunks=(100, 4), compression="gzip")
        f.create_dataset("target", data=samples @ BETA)
    (folder / "runs").mkdir()
    for day, rows in ((1, 300), (2, 200), (10, 500)):
        with h5py.File(folder / "runs" / f"day-{day}.h5", "w") as f:
            f.create_dataset("samples", data=_samples(rows, seed=day), chunks=(50, 4))


def enter() -> Path:
    """Makes the examples' folder (once per process) and changes into it."""
    global _folder  # noqa: PLW0603  (one folder for the whole build)
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="h5linalg-docs-"))
        write(_folder)
        atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    os.chdir(_folder)
    return _folder


def leave(previous: str) -> None:
    """Back to the folder the build ran in."""
    os.chdir(previous)
