"""One version everywhere: the package, its installed metadata and the extension."""

from __future__ import annotations

import importlib.metadata
import os

import pytest

import h5linalg
from h5linalg import _core


def test_versions_agree():
    assert h5linalg.__version__ == importlib.metadata.version("h5linalg")
    assert _core.__version__ == h5linalg.__version__
    assert _core.build_info()["version"] == h5linalg.__version__


def test_public_names():
    assert sorted(dir(h5linalg)) == sorted(h5linalg.__all__)
    for name in h5linalg.__all__:
        assert hasattr(h5linalg, name)


def test_build_info_reports_the_linked_libraries():
    info = _core.build_info()
    assert info["hdf5_built"].count(".") == 2
    assert info["hdf5_running"].split(".")[:2] == info["hdf5_built"].split(".")[:2]
    assert info["numpy_built"] == "1.25"


@pytest.mark.memcheck
def test_show_config_prints_the_build_info(capsys):
    h5linalg.show_config()
    info = _core.build_info()
    assert f"hdf5_running: {info['hdf5_running']}" in capsys.readouterr().out


def test_gzip_chunks_are_inflated_by_the_expected_library():
    # Builds find libdeflate when it is installed (cmake/H5LinalgDependencies.cmake);
    # CI says which one its build must have (H5LINALG_EXPECT_GZIP_INFLATE).
    inflater = _core.build_info()["gzip_inflate"]
    name, version = inflater.split()
    assert name in {"libdeflate", "zlib"}
    assert version[0].isdigit()
    expected = os.environ.get("H5LINALG_EXPECT_GZIP_INFLATE")
    if expected:
        assert name == expected, inflater


def test_compressed_chunks_are_decoded_by_the_expected_libraries():
    # Each codec library is optional at build time (cmake/H5LinalgDependencies.cmake);
    # CI names the ones its build must have and which library decodes each codec
    # (H5LINALG_EXPECT_CODECS="gzip=libdeflate zstd=libzstd ...").
    codecs = _core.build_info()["codecs"]
    assert codecs["gzip"] == _core.build_info()["gzip_inflate"]
    assert set(codecs) <= {"gzip", "zstd", "lz4", "blosc", "lzf"}
    for library in codecs.values():
        _name, version = library.split()
        assert version[0].isdigit(), library
    expected = os.environ.get("H5LINALG_EXPECT_CODECS")
    if expected:
        wanted = dict(pair.split("=", 1) for pair in expected.split())
        found = {codec: library.split()[0] for codec, library in codecs.items()}
        assert found == wanted, codecs
