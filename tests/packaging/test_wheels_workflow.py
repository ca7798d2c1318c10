"""The wheel workflow (.github/workflows/wheels.yml) and [tool.cibuildwheel]: the
offline workflow check covers the file (a broken copy fails it), the platforms and
Pythons are the ones pyproject.toml declares, publishing is trusted publishing from
a protected environment on tags only, and every source release build_deps.sh
downloads is pinned with a SHA-256."""

from __future__ import annotations

import re

from tools.conda._common import ROOT, load_toml, load_yaml

WHEELS = ".github/workflows/wheels.yml"
VERSIONS = ROOT / "tools" / "wheels" / "versions.sh"


def test_publishing_is_trusted_and_protected():
    workflow = load_yaml(ROOT / WHEELS)
    jobs = workflow["jobs"]
    publish = jobs["publish"]
    assert publish["environment"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    assert "refs/tags/v" in publish["if"]
    assert set(publish["needs"]) == {"wheels", "sdist"}
    uses = [step.get("uses", "") for step in publish["steps"]]
    assert any(u.startswith("pypa/gh-action-pypi-publish@") for u in uses)
    # No other job may mint a token or write.
    for name, job in jobs.items():
        if name != "publish":
            assert job["permissions"] == {"contents": "read"}, name


def test_platforms_and_pythons_agree_with_pyproject():
    pyproject = load_toml(ROOT / "pyproject.toml")
    cibw = pyproject["tool"]["cibuildwheel"]
    classifiers = {
        c.rsplit(" :: ", 1)[1]
        for c in pyproject["project"]["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    # Free-threaded CPython: only 3.14t, which NumPy and h5py publish wheels for.
    assert {f"cp{v.replace('.', '')}-*" for v in classifiers} | {"cp314t-*"} == set(
        cibw["build"]
    )
    assert "cp313t-*" in cibw["skip"]
    (free_threaded,) = [o for o in cibw["overrides"] if o["select"] == "cp314t-*"]
    assert free_threaded["inherit"]["test-command"] == "prepend"
    assert "assert not sys._is_gil_enabled()" in free_threaded["test-command"]
    assert cibw["linux"]["manylinux-x86_64-image"] == "manylinux_2_28"
    assert cibw["linux"]["manylinux-aarch64-image"] == "manylinux_2_28"
    platforms = {
        entry["platform"]
        for entry in load_yaml(ROOT / WHEELS)["jobs"]["wheels"]["strategy"]["matrix"][
            "include"
        ]
    }
    assert platforms == {
        "manylinux_2_28_x86_64",
        "manylinux_2_28_aarch64",
        "macosx_arm64",
        "macosx_x86_64",
        "win_amd64",
    }
    for system in ("linux", "macos", "windows"):
        assert "build_deps.sh" in cibw[system]["before-all"]
        assert (
            "H5LINALG_BLAS_SYMBOL_PREFIX=scipy_"
            in cibw[system]["environment"]["CMAKE_ARGS"]
        )
        assert "H5LINALG_BUNDLED_DIR=" in cibw[system]["environment"]["CMAKE_ARGS"]


def test_every_source_release_is_pinned_with_a_checksum():
    text = VERSIONS.read_text()
    urls = dict(re.findall(r'^(\w+)_URL="([^"]+)"', text, flags=re.MULTILINE))
    assert set(urls) == {"ZLIB", "LIBDEFLATE", "ZSTD", "LZ4", "BLOSC", "LZF", "HDF5"}
    for name in urls:
        (sha,) = re.findall(rf"^{name}_SHA256=(\S+)$", text, flags=re.MULTILINE)
        assert re.fullmatch(r"[0-9a-f]{64}", sha), name
        assert re.search(rf"^{name}_VERSION=\S+$", text, flags=re.MULTILINE), name
    assert re.search(
        r"^SCIPY_OPENBLAS32_VERSION=\d+(\.\d+)+$", text, flags=re.MULTILINE
    )
