"""The self-contained wheel works with the system's HDF5, BLAS and codecs out of reach.

``tools/offline/build_portable_wheel.py`` builds and repairs the wheel (the ``.ci/run``
stage "portable wheel" does, then runs this module with ``H5LINALG_PORTABLE_WHEEL``
naming its output folder; without it these tests are skipped). The wheel is
installed into a fresh virtual environment, and the test suite runs there inside
a private mount namespace (``unshare``) in which every file of the system's HDF5,
BLAS/LAPACK, codec and curl libraries is replaced by an empty one (a bind mount of
/dev/null) and their folders by empty folders, with ``LD_LIBRARY_PATH`` empty: a
library the wheel failed to carry cannot be loaded at all. ``ldd`` there must
resolve every library of the extension, and each one outside glibc's and the
manylinux policy's must come from the wheel.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="auditwheel wheels are Linux's"),
    pytest.mark.wheel,
    pytest.mark.skipif(
        not os.environ.get("H5LINALG_PORTABLE_WHEEL"),
        reason="needs H5LINALG_PORTABLE_WHEEL (the --output-dir of "
        "tools/offline/build_portable_wheel.py; .ci/run's stage 'portable wheel' sets it)",
    ),
]

#: The system libraries hidden from the fresh environment (sonames, by prefix):
#: HDF5 and what only it needs (szip, curl), BLAS/LAPACK and the codecs.
HIDDEN = re.compile(
    r"lib(hdf5|blas|cblas|lapack|openblas|gfortran|quadmath|sz|aec|deflate|zstd|lz4"
    r"|blosc|lzf|snappy|curl)[A-Za-z0-9_.+-]*\.so.*"
)
#: Folders of those libraries (Debian's BLAS alternatives, HDF5's plugins).
HIDDEN_FOLDERS = ("hdf5", "blas", "lapack", "openblas-pthread", "openblas-openmp")

#: The tests run in the fresh environment: the suite without what needs the
#: source tree's build (stubs, packaging, the release checks), the benchmarks or
#: a compiler, and without the slow tests; test_linkage.py checks the wheel case.
SUITE = [
    "tests",
    "--ignore=tests/reliability/test_fuzz_files.py",
    "--ignore=tests/reliability/test_sdist.py",
    "--ignore=tests/reliability/test_reproducible.py",
    "--ignore=tests/reliability/test_memcheck_policy.py",
    "--ignore=tests/reliability/test_portable_wheel.py",
]


@pytest.fixture(scope="module")
def output_dir() -> Path:
    return Path(os.environ["H5LINALG_PORTABLE_WHEEL"]).resolve()


@pytest.fixture(scope="module")
def summary(output_dir: Path) -> dict[str, Any]:
    return json.loads((output_dir / "portable-wheel.json").read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def wheel(output_dir: Path, summary: dict[str, Any]) -> Path:
    return output_dir / str(summary["wheel"])


def system_library_folder() -> Path:
    return Path("/usr/lib") / (sysconfig.get_config_var("MULTIARCH") or "")


def hidden_files(keep: tuple[str, ...] = ()) -> list[Path]:
    """Every real file of the hidden libraries (the targets of their symlinks), but
    those whose name starts with one of ``keep``."""
    files: set[Path] = set()
    for folder in {system_library_folder(), Path("/usr/lib"), Path("/usr/local/lib")}:
        if folder.is_dir():
            for path in folder.iterdir():
                if HIDDEN.fullmatch(path.name) and path.exists():
                    files.add(path.resolve())
    return sorted(f for f in files if not f.name.startswith(keep))


def test_wheel_is_manylinux_and_names_what_it_carries(wheel, summary):
    assert re.search(
        r"-manylinux_2_\d+_x86_64\.whl$|-manylinux_2_\d+_aarch64\.whl$", wheel.name
    )
    assert summary["tag"] in wheel.name
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        bundled = json.loads(archive.read("h5linalg/_bundled.json"))
        (licenses,) = [
            n for n in names if n.endswith(".dist-info/licenses/LICENSES_bundled.txt")
        ]
        license_text = archive.read(licenses).decode(errors="replace")
    grafted = sorted(
        Path(n).name
        for n in names
        if n.startswith("h5linalg.libs/") and not n.endswith("/")
    )
    assert grafted == summary["grafted_files"]
    # One grafted file per library _bundled.json names, and one licence section each.
    unhashed = [re.sub(r"-[0-9a-f]{8}(?=\.)", "", name) for name in grafted]
    for soname in bundled["libraries"]:
        stem = soname.split(".so")[0] + ".so"
        assert any(name.startswith(stem) for name in unhashed), (soname, grafted)
        assert f"\n{soname} (" in license_text, soname
    assert len(bundled["libraries"]) == len(grafted)
    for must in ("libhdf5", "libdeflate", "libzstd", "liblz4", "libblosc", "liblzf"):
        assert any(name.startswith(must) for name in bundled["libraries"]), must
    blas = "libscipy_openblas" if summary["blas"] == "scipy-openblas32" else "libblas"
    assert any(name.startswith(blas) for name in bundled["libraries"])


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory, wheel) -> Path:
    """A new virtual environment with the wheel and the test dependencies (PyPI)."""
    where: Path = tmp_path_factory.mktemp("portable") / "venv"
    venv.create(where, with_pip=True, symlinks=True)
    python = where / "bin" / "python"
    pip = [str(python), "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "-U", "pip"], check=True, timeout=600)
    subprocess.run(
        [*pip, "install", str(wheel), "--group", f"{ROOT / 'pyproject.toml'}:test"],
        check=True,
        timeout=1200,
    )
    return python


def in_namespace(command: str, keep: tuple[str, ...] = ()) -> list[str]:
    """``command`` (shell) in a private mount namespace with the system's HDF5, BLAS
    and codecs (but the libraries ``keep`` names) replaced by empty files and folders."""
    mounts = [
        f"mount --bind /dev/null {shlex.quote(str(f))}" for f in hidden_files(keep)
    ]
    empty = "$(mktemp -d)"
    for name in HIDDEN_FOLDERS:
        folder = system_library_folder() / name
        if folder.is_dir():
            mounts.append(f"mount --bind {empty} {shlex.quote(str(folder))}")
    script = " && ".join(["set -e", *mounts, f"LD_LIBRARY_PATH= exec {command}"])
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is missing"
    # -r maps the user to root in a new user namespace, so mounting needs no privilege.
    return [unshare, "-rm", "sh", "-c", script]


CHECK_LOADED = r"""
import ctypes, json, re, subprocess, sys
from pathlib import Path
import numpy as np
import h5linalg
from h5linalg import _core
from h5linalg._config import config_info
libs = Path(_core.__file__).resolve().parent.parent / "h5linalg.libs"
canonical = lambda path: str(Path(path).resolve())
# The hidden files are empty now: the system's copy cannot be loaded.
for path in sys.argv[1:]:
    try:
        ctypes.CDLL(path)
    except OSError:
        continue
    raise SystemExit(f"{path} still loads")
x = np.random.default_rng(0).normal(size=(2000, 5))
h5linalg.lstsq(x, x[:, 0] + 1.0)
ldd = subprocess.run(["ldd", _core.__file__], capture_output=True, text=True, check=True).stdout
resolved = {name: canonical(path)
            for name, path in re.findall(r"^\s*(\S+) => (\S+)", ldd, flags=re.M)}
mapped = sorted({line.split()[5] for line in Path("/proc/self/maps").read_text().splitlines()
                 if len(line.split()) >= 6 and line.split()[5].startswith("/")})
print(json.dumps({"libs": str(libs), "ldd": resolved, "mapped": mapped,
                  "config": {k: str(v) for k, v in config_info().items()}}))
"""


def test_extension_resolves_everything_inside_the_wheel(fresh_venv):
    hidden = [str(path) for path in hidden_files()]
    assert any("hdf5" in path for path in hidden), "the system's HDF5 is not installed"
    command = " ".join(
        shlex.quote(part) for part in [str(fresh_venv), "-c", CHECK_LOADED, *hidden]
    )
    result = subprocess.run(
        in_namespace(command),
        capture_output=True,
        text=True,
        cwd="/",
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    libs = report["libs"]
    assert "not found" not in json.dumps(report["ldd"])
    glibc = re.compile(
        r"lib(c|m|dl|rt|pthread|gcc_s|stdc\+\+|z|resolv|expat|mvec)\.so\.\d+"
    )
    foreign = {
        soname: path
        for soname, path in report["ldd"].items()
        if not path.startswith(libs + "/") and not glibc.fullmatch(soname)
    }
    assert not foreign, f"resolved outside the wheel: {foreign}"
    mapped_hidden = [
        path for path in report["mapped"]
        if HIDDEN.fullmatch(Path(path).name) and not path.startswith(libs + "/")
        and "/h5py.libs/" not in path and "/numpy.libs/" not in path
        and "/hdf5plugin/" not in path
    ]  # fmt: skip
    assert not mapped_hidden, mapped_hidden
    assert any(path.startswith(libs + "/libhdf5") for path in report["mapped"])
    assert "bundled" in report["config"]


def test_suite_passes_in_a_fresh_venv_with_system_libraries_hidden(fresh_venv, summary):
    pytest_command = [
        str(fresh_venv), "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
        *[arg if not arg.startswith(("tests", "--ignore=tests")) else arg.replace("tests", str(ROOT / "tests"), 1) for arg in SUITE],
    ]  # fmt: skip
    expect = (
        "bundled scipy-openblas32" if summary["blas"] == "scipy-openblas32" else None
    )
    env_prefix = "H5LINALG_FUZZ_CASES=0 H5LINALG_EXPECT_WHEEL=1 "
    if expect:
        env_prefix += f"H5LINALG_EXPECT_BLAS={shlex.quote(expect)} "
    command = (
        "env " + env_prefix + " ".join(shlex.quote(part) for part in pytest_command)
    )
    # binutils' readelf, which test_linkage.py compares its ELF reader with, links
    # the system's libzstd: that one stays (the test above proves h5linalg loads
    # the wheel's libzstd with every system copy hidden).
    result = subprocess.run(
        in_namespace(command, keep=("libzstd",)), capture_output=True, text=True, cwd="/",
        timeout=1800, check=False,
    )  # fmt: skip
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
