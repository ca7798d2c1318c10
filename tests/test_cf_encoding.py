"""Datasets whose CF attributes change what their numbers mean are refused, not
read raw: a packed temperature (int16, scale_factor, add_offset, _FillValue over
land) read raw has a mean of the stored integers and the fill value, a silent
wrong answer. The attributes are written here as netCDF-4 writers store them
(attributes of the HDF5 dataset), with h5py; decoding them is not implemented yet.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from wheel_data import PYART_PPI, PYART_RHI

import h5linalg
from h5linalg import _core

LAND = -32767  # the fill value of the packed temperature, over land


@pytest.fixture
def climate(tmp_path: Path) -> Path:
    """A file with the encodings netCDF-4 writers use, beside plain data."""
    rng = np.random.default_rng(0)
    packed = rng.integers(-500, 500, size=(60, 5), dtype=np.int16)
    packed[:, 2] = LAND
    with h5py.File(tmp_path / "climate.nc", "w") as file:
        t = file.create_dataset(
            "t", data=packed, chunks=(12, 5), compression="gzip", shuffle=True
        )
        t.attrs["scale_factor"] = np.float32(0.01)
        t.attrs["add_offset"] = np.float32(15.0)
        t.attrs["_FillValue"] = np.int16(LAND)
        radar = file.create_dataset(
            "reflectivity", data=rng.normal(size=(40, 3)).astype("f4")
        )
        radar.attrs["_FillValue"] = np.float32(-9999.0)
        missing = file.create_dataset("rain", data=rng.normal(size=(40, 3)))
        missing.attrs["missing_value"] = np.array([-1.0e20, -999.0])
        flag = file.create_dataset("flag", data=packed.astype(np.int8))
        flag.attrs["_Unsigned"] = "true"
        # What xarray writes for every float variable by default: NaN masks nothing.
        plain = file.create_dataset("plain", data=rng.normal(size=(40, 3)))
        plain.attrs["_FillValue"] = np.nan
        # _Unsigned = "false" on signed integers is what they are already.
        signed = file.create_dataset("signed", data=packed[:, :2].astype(np.int8))
        signed.attrs["_Unsigned"] = "false"
    return tmp_path / "climate.nc"


REFUSED = {
    "t": r"scale_factor=0\.01, add_offset=15, _FillValue=-32767",
    "reflectivity": r"_FillValue=-9999\)",
    "rain": r"missing_value=\[-1e\+20, -999\]",
    "flag": r"_Unsigned='true'",
}


@pytest.mark.parametrize("name", list(REFUSED))
@pytest.mark.parametrize(
    "run",
    [
        h5linalg.moments,
        h5linalg.gram,
        h5linalg.covariance,
        lambda s: h5linalg.pca(s, 1),
        lambda s: h5linalg.lstsq(s, np.ones(_shape(s)[0])),
        lambda s: h5linalg.matmul(s, np.ones((_shape(s)[1], 1))),
    ],
    ids=["moments", "gram", "covariance", "pca", "lstsq", "matmul"],
)
def test_every_function_refuses_an_encoded_dataset(climate, name, run):
    with pytest.raises(
        ValueError, match=f"CF encoding attributes \\({REFUSED[name]}"
    ) as error:
        run(f"{climate}:/{name}")
    assert "h5linalg does not decode them yet" in str(error.value)
    assert "xarray" in str(error.value)


def _describe(path: Path | str, name: str) -> dict[str, Any]:
    return _core.describe(_core.DatasetRef(str(path), name, allow_external=False))


def _shape(source: str) -> tuple[int, ...]:
    return tuple(_describe(*source.split(":"))["shape"])


def test_an_h5py_dataset_and_a_stack_are_refused_too(climate, tmp_path):
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as file:
        file.create_dataset("t", data=np.ones((3, 5), dtype=np.int16))
    with (
        h5py.File(climate, "r") as file,
        pytest.raises(ValueError, match="scale_factor"),
    ):
        h5linalg.moments(file["t"])
    with pytest.raises(ValueError, match=r"climate\.nc:/t has CF encoding"):
        h5linalg.covariance([f"{plain}:/t", f"{climate}:/t"])


@pytest.mark.parametrize("name", ["plain", "signed"])
def test_attributes_that_change_nothing_are_read(climate, name):
    with h5py.File(climate, "r") as file:
        data = file[name][()].astype(np.float64)
        assert list(file[name].attrs)  # the attribute is there
    result = h5linalg.moments(f"{climate}:/{name}")
    np.testing.assert_allclose(result.mean, data.mean(axis=0), rtol=1e-12)
    assert _describe(climate, name)["cf_encoding"] == []


def test_describe_lists_the_attributes_and_computes_nothing(climate):
    info = _describe(climate, "t")
    assert info["cf_encoding"] == [
        "scale_factor=0.01",
        "add_offset=15",
        "_FillValue=-32767",
    ]
    cli = [sys.executable, "-m", "h5linalg", "describe"]
    one = subprocess.run(
        [*cli, f"{climate}:/t"], capture_output=True, text=True, check=True
    )
    assert "CF      scale_factor=0.01, add_offset=15, _FillValue=-32767" in one.stdout
    assert "does not decode CF encoding attributes yet" in one.stdout
    assert "mean" not in one.stdout
    listing = subprocess.run(
        [*cli, str(climate)], capture_output=True, text=True, check=True
    )
    assert "6 datasets, 2 of them read by h5linalg" in listing.stdout
    assert (
        "(not read: CF-encoded (scale_factor=0.01, ...), not decoded yet)"
        in listing.stdout
    )


@pytest.mark.parametrize("scan", [PYART_PPI, PYART_RHI], ids=["ppi", "rhi"])
def test_a_real_radar_scan_with_fill_values_is_refused(wheel_file, scan):
    # Read raw, column 39 of the PPI scan has a mean of -984.71 (fill values
    # included); masked as xarray masks it, 16.88.
    path = wheel_file(scan)
    with pytest.raises(
        ValueError,
        match=r"reflectivity_horizontal has CF encoding attributes \(_FillValue=-9999\)",
    ):
        h5linalg.moments(f"{path}:/reflectivity_horizontal")
    with h5py.File(path, "r") as file:
        raw = file["reflectivity_horizontal"][()]
    assert (raw == -9999).any()  # the fill value is really there
