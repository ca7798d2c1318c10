"""One version everywhere: the package, its installed metadata and the extension."""

from __future__ import annotations

import importlib.metadata

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
