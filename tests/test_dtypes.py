"""Every numeric dtype in either byte order becomes float64; other dtypes are refused."""

from __future__ import annotations

import re

import h5py
import numpy as np
import pytest
from conftest import assert_close, reference

import h5linalg

NUMERIC = [
    "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64",
]  # fmt: skip
BYTE_ORDERS = ["<", ">"]


def values(dtype: np.dtype) -> np.ndarray:
    rng = np.random.default_rng(11)
    data = rng.normal(scale=50, size=(37, 3))
    if dtype.kind == "u":
        data = np.abs(data)
    if dtype.kind in "iu":
        data = np.round(data)
    converted = data.astype(dtype)
    if dtype.kind in "iu":
        converted[0, 0] = np.iinfo(
            dtype
        ).max  # the extreme value survives the conversion
    return converted


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("order", BYTE_ORDERS)
@pytest.mark.parametrize("kind", ["array", "string"])
@pytest.mark.parametrize(
    "layout",
    [
        "contiguous",
        "chunked-gzip",
        # Every conversion once, and the gzip and shuffle paths with it.
        pytest.param("narrow-chunks-shuffle-gzip", marks=pytest.mark.memcheck),
    ],
)
def test_numeric_dtypes(make_source, name, order, kind, layout):
    dtype = np.dtype(name).newbyteorder(order)
    data = values(dtype)
    x = reference(data)
    source = make_source(kind, data, layout)
    assert_close(h5linalg.gram(source, block_rows=5), x.T @ x, rtol=1e-12)
    stats = h5linalg.moments(source, block_rows=5)
    assert_close(stats.max, x.max(axis=0))
    assert_close(stats.mean, x.mean(axis=0))


def test_float16_specials_in_a_file(make_source):
    data = np.array(
        [[0.0, -0.0], [np.inf, -np.inf], [6.1e-5, 5.96e-8], [65504, 1]], "float16"
    )
    stats = h5linalg.moments(make_source("string", data), ddof=0)
    np.testing.assert_array_equal(stats.min, data.astype(np.float64).min(axis=0))
    np.testing.assert_array_equal(stats.max, data.astype(np.float64).max(axis=0))


UNSUPPORTED = {
    "bool": np.array([[True, False], [False, True]]),
    "complex128": np.ones((2, 2), dtype=np.complex128),
    "complex64": np.ones((2, 2), dtype=np.complex64),
    "longdouble": np.ones((2, 2), dtype=np.longdouble),
    "bytes": np.array([[b"a", b"b"], [b"c", b"d"]]),
}


@pytest.mark.memcheck
@pytest.mark.parametrize("name", list(UNSUPPORTED))
def test_unsupported_array_dtypes(name):
    data = UNSUPPORTED[name]
    expected = "long double" if name == "longdouble" else re.escape(str(data.dtype))
    with pytest.raises(TypeError, match=f"dtype .*{expected}"):
        h5linalg.gram(data)


def test_unsupported_array_dtypes_unicode_and_object():
    with pytest.raises(TypeError, match="dtype <U1"):
        h5linalg.gram(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="dtype object"):
        h5linalg.gram(np.array([[object(), 1]], dtype=object))


@pytest.mark.memcheck
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bool", "bool"),
        ("complex128", "complex128"),
        ("complex64", "complex64"),
        ("longdouble", "longdouble"),
        ("bytes", "string"),
    ],
)
def test_unsupported_dataset_dtypes(h5_path, name, expected):
    path = h5_path(x=UNSUPPORTED[name])
    with pytest.raises(TypeError, match=f"has dtype {expected}"):
        h5linalg.moments(f"{path}:/x")


def test_compound_enum_and_vlen_datasets(tmp_path):
    path = tmp_path / "types.h5"
    with h5py.File(path, "w") as file:
        file["compound"] = np.zeros((2, 2), dtype=[("a", "f8"), ("b", "i4")])
        file.create_dataset(
            "enum",
            data=np.zeros((2, 2), "u1"),
            dtype=h5py.enum_dtype({"RED": 0, "GREEN": 1}),
        )
        file.create_dataset("vlen", (2, 2), dtype=h5py.string_dtype())
        file.create_dataset("ref", (2, 2), dtype=h5py.ref_dtype)
        file.create_dataset("opaque", data=np.zeros((2, 2), "V4"))
    for name, label in [
        ("compound", "compound"),
        ("enum", "enum"),
        ("vlen", "string"),
        ("ref", "reference"),
        ("opaque", "opaque"),
    ]:
        with pytest.raises(TypeError, match=f"has dtype {label}"):
            h5linalg.gram(f"{path}:/{name}")
