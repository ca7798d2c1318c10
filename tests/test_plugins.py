"""hdf5plugin's filters work with no setup, bound to h5linalg's own HDF5.

Each case runs in a fresh interpreter: which HDF5 library a plugin binds to
depends on what the process imported first, and registration happens once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import h5py
import hdf5plugin
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="binding plugins is implemented for ELF/Mach-O only"
)

#: What a child reports: the covariance h5linalg computed, and the binding.
CHILD = """
import json, sys
from pathlib import Path
if sys.argv[2] == "h5py-first":
    import h5py, hdf5plugin  # h5py's own HDF5 library is loaded before h5linalg's
import h5linalg
from h5linalg import _core, _plugins
got = {name: h5linalg.covariance(f"{sys.argv[1]}:/{name}").tolist() for name in ("zstd", "blosc_lz4")}
if sys.argv[2] == "h5py-first":
    # h5py's copies of the plugins still work, bound to h5py's HDF5.
    with h5py.File(sys.argv[1]) as f:
        got["h5py"] = float(f["zstd"][:].sum())
report = _plugins.filter_report()
maps = Path("/proc/self/maps").read_text() if Path("/proc/self/maps").exists() else ""
print(json.dumps({"got": got, "report": report, "maps": maps}))
"""


def hdf5_libraries(maps: str) -> set[str]:
    """The HDF5 C libraries mapped into a process (not the high-level one)."""
    paths = {line.split()[-1] for line in maps.splitlines() if "/" in line}
    names = {path: Path(path).name for path in paths}
    return {
        path
        for path, name in names.items()
        if name.startswith("libhdf5") and "_hl" not in name
    }


@pytest.fixture(scope="module")
def plugin_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    path = tmp_path_factory.mktemp("plugins") / "filtered.h5"
    data = np.random.default_rng(7).normal(3.0, 2.0, size=(3000, 5))
    with h5py.File(path, "w") as f:
        # Zstandard: a filter only hdf5plugin provides (neither HDF5 build has it).
        f.create_dataset("zstd", data=data, chunks=(256, 5), **hdf5plugin.Zstd())
        f.create_dataset(
            "blosc_lz4",
            data=data,
            chunks=(333, 5),
            **hdf5plugin.Blosc(cname="lz4", shuffle=hdf5plugin.Blosc.SHUFFLE),
        )
    return path, data


def run_child(path: Path, order: str, **env: str) -> dict[str, Any]:
    environment = {k: v for k, v in os.environ.items() if k != "HDF5_PLUGIN_PATH"}
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), order],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.mark.parametrize("order", ["h5linalg-first", "h5py-first"])
def test_plugin_filters_decode_with_no_setup(plugin_file, order):
    path, data = plugin_file
    child = run_child(path, order)
    for name in ("zstd", "blosc_lz4"):
        np.testing.assert_allclose(
            child["got"][name], np.cov(data, rowvar=False), rtol=1e-12, atol=1e-12
        )
    plugins = child["report"]["hdf5plugin"]
    if order == "h5py-first" and len(hdf5_libraries(child["maps"])) == 1:
        # h5py shares h5linalg's HDF5 (conda-forge, Debian's python3-h5py):
        # importing hdf5plugin registered its filters in that one library already.
        assert plugins["bound"] == []
    else:
        assert sorted(plugins["bound"]) == [
            32001,
            32015,
        ]  # blosc, zstd: what was needed
    if order == "h5py-first":
        assert child["got"]["h5py"] == pytest.approx(data.sum())
    # Bound to the HDF5 library h5linalg's module links, not h5py's bundled one.
    bound = plugins["bound to"]
    assert bound, plugins
    assert "h5py" not in bound
    assert bound in child["maps"]
    h5py_libs = Path(h5py.__file__).parent.parent / "h5py.libs"
    if order == "h5py-first" and h5py_libs.is_dir():
        assert str(h5py_libs) in child["maps"]  # both libraries are in the process


def test_a_users_plugin_path_keeps_precedence(plugin_file, tmp_path):
    """A zstd plugin on HDF5_PLUGIN_PATH is used; only blosc comes from hdf5plugin."""
    path, data = plugin_file
    own = tmp_path / "my-plugins"
    own.mkdir()
    zstd = next(Path(hdf5plugin.PLUGIN_PATH).glob("libh5zstd*"))
    shutil.copy2(zstd, own / zstd.name)
    child = run_child(path, "h5linalg-first", HDF5_PLUGIN_PATH=str(own))
    assert child["report"]["plugin search path"] == [str(own)]
    assert child["report"]["hdf5plugin"]["bound"] == [32001]
    np.testing.assert_allclose(
        child["got"]["zstd"], np.cov(data, rowvar=False), rtol=1e-12, atol=1e-12
    )


def test_hdf5plugin_itself_is_not_imported_by_h5linalg():
    code = "import sys, h5linalg; print('hdf5plugin' in sys.modules, 'h5py' in sys.modules)"
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown == ["False", "False"]
