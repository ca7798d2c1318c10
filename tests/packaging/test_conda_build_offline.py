"""The conda packages built by rattler-build's real engine against the stand-in
channel (tools/offline/build_conda.py), inspected file by file, and the
engine shown, on tiny recipes, to report a failing test (build_conda.py reads
its result) and to find a library the stand-in sysroot does not provide.

The packages come from H5LINALG_CONDA_PACKAGES (the --output-dir of a run of
build_conda.py, as .ci/run passes it) or are built here, which takes a few
minutes; the stand-in channel is reused from build/conda-standin.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

# Without py-rattler-build, tests/conftest.py makes this module one skip.
import rattler_build
import zstandard

from tools.conda._common import ROOT, CheckError, spec_name
from tools.offline import build_conda, standin_channel

pytestmark = pytest.mark.slow

PACKAGES_ENV = "H5LINALG_CONDA_PACKAGES"
#: The run requirements conda-forge's packages would give the extension, by name.
EXPECTED_DEPENDS = {
    "python",
    "python_abi",
    "numpy",
    "hdf5",
    "libblas",
    "liblapack",
    "libzlib",
    "libdeflate",
    "zstd",
    "lz4-c",
    "blosc",
    "liblzf",
    "libstdcxx",
    "libgcc",
    "__glibc",
}
#: Each cell's NumPy requirements: the recipe's floor and numpy's run_export.
EXPECTED_NUMPY = {
    "1.26": {"numpy >=1.25", "numpy >=1.26.4,<2.0a0"},
    "2": {"numpy >=1.25", "numpy >=1.23,<3"},
}
EXTENSION = re.compile(
    r"lib/python3\.11/site-packages/h5linalg/_core\.cpython-311-x86_64-linux-gnu\.so"
)


@pytest.fixture(scope="module")
def output_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get(PACKAGES_ENV)
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("conda-offline")
    # In a child process, as the script builds: Ctrl-C stops it within seconds.
    if build_conda.build_in_child(out, standin_channel.DEFAULT_WORK_DIR) != 0:
        pytest.fail("build_conda.py failed (its output is above)")
    return out


@pytest.fixture(scope="module")
def packages(output_dir: Path) -> dict[str, Any]:
    """The built packages by their NumPy cell."""
    found = {}
    for path in sorted((output_dir / standin_channel.SUBDIR).glob("h5linalg-*.conda")):
        package = build_conda.read_package(path)
        found[str(package.variant["numpy"])] = package
    return found


def test_one_package_per_numpy_cell(packages: dict[str, Any]) -> None:
    assert sorted(packages) == ["1.26", "2"]


def test_the_extension_is_under_site_packages(packages: dict[str, Any]) -> None:
    for package in packages.values():
        paths = [p["_path"] for p in package.paths]
        assert any(EXTENSION.fullmatch(p) for p in paths), paths
        assert "lib/python3.11/site-packages/h5linalg/__init__.py" in paths
        assert "bin/h5linalg" in paths


@pytest.mark.parametrize("cell", sorted(EXPECTED_NUMPY))
def test_run_requirements_are_what_conda_forge_would_give(
    packages: dict[str, Any], cell: str
) -> None:
    depends = packages[cell].index["depends"]
    assert {d.split()[0] for d in depends} == EXPECTED_DEPENDS
    assert {d for d in depends if d.startswith("numpy ")} == EXPECTED_NUMPY[cell]
    # Every native library is bounded above, so an ABI break is never installed.
    bounded = ("hdf5", "libblas", "liblapack", "libzlib", "libdeflate", "__glibc")
    for name in (*bounded, "zstd", "lz4-c", "blosc", "liblzf"):
        (spec,) = (d for d in depends if d.split()[0] == name)
        assert ",<" in spec, spec
    assert "python_abi 3.11.* *_cp311" in depends


def pyc_source(name: str) -> str:
    """The source file a .pyc of ``__pycache__`` was compiled from."""
    folder, _, file = name.rpartition("/__pycache__/")
    return f"{folder}/{file.split('.')[0]}.py"


def test_no_file_holds_a_build_path(packages: dict[str, Any]) -> None:
    """Only files registered for prefix replacement may hold the host prefix,
    and no file holds the work folder (pip's direct_url.json included).

    A .pyc records the path it was compiled at, the host prefix, as its code's
    file name; Python replaces it with the real path on import (importlib's
    _fix_co_filename), so that one path, of the .pyc's own source, is allowed.
    """
    for package in packages.values():
        registered = {
            p["_path"]: p["prefix_placeholder"].encode()
            for p in package.paths
            if "prefix_placeholder" in p
        }
        (host,) = set(registered.values())  # one host prefix per build
        assert not any("direct_url.json" in name for name in package.files)
        for name, content in package.files.items():
            left = (
                content.replace(registered[name], b"")
                if name in registered
                else content
            )
            if name.endswith(".pyc"):
                left = left.replace(host + b"/" + pyc_source(name).encode(), b"")
            assert b"rattler-build_h5linalg_" not in left, name
            assert b"_placehold_placehold" not in left, name


def test_libraries_came_from_the_host_prefix(output_dir: Path) -> None:
    builds = sorted((output_dir / "bld").glob("rattler-build_h5linalg_*"))
    assert len(builds) == 2
    for bld in builds:
        found = build_conda.host_prefix_only(bld)
        for wanted in ("HDF5_DIR=$PREFIX/", "BLAS_blas_LIBRARY=$PREFIX/lib/libblas.so"):
            assert any(line.startswith(wanted) for line in found), found


def test_the_recipe_tests_passed_in_rattler_builds_test_environment(
    output_dir: Path,
) -> None:
    summary = json.loads((output_dir / build_conda.SUMMARY).read_text())
    recipe_tests = len(packaged_tests())
    assert len(summary["packages"]) == 2
    for name, record in summary["packages"].items():
        assert record["tests"] == {str(i): True for i in range(recipe_tests)}, name


def packaged_tests() -> list[dict[str, Any]]:
    """The recipe's tests that the package carries: rattler-build runs the
    package_contents tests when it packages (a failure fails the build)."""
    tests = rattler_build.Stage0Recipe.from_file(build_conda.RECIPE).to_dict()["tests"]
    return [t for t in tests if "package_contents" not in t]


def suite_subset() -> tuple[str, list[str]]:
    """The index of the packaged test that runs pytest, and pytest's arguments
    there (the source files it copies, test modules among them, select the tests)."""
    ((index, test),) = [(i, t) for i, t in enumerate(packaged_tests()) if "files" in t]
    (command,) = test["script"]["content"]
    arguments = shlex.split(command.removeprefix("python -m pytest"))
    modules = [f for f in test["files"]["source"] if Path(f).name.startswith("test_")]
    return str(index), arguments + modules


def test_the_recipe_runs_the_suite_subset_and_every_test_passes(
    output_dir: Path,
) -> None:
    # The subset collected here, from the repository: the tests the recipe's
    # pytest ran, each passed or skipped, none failed.
    index, arguments = suite_subset()
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *arguments],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    selected = sum(1 for line in collected.splitlines() if "::" in line)
    assert selected > 1000, collected[-2000:]
    summary = json.loads((output_dir / build_conda.SUMMARY).read_text())
    for name, record in summary["packages"].items():
        counts = record["pytest"]
        assert list(counts) == [index], name
        assert set(counts[index]) <= {"passed", "skipped", "deselected"}, counts
        assert counts[index] == {"passed": selected, "deselected": 1}, name


def test_the_v0_file_checks_pass_on_the_package_and_fail_on_a_missing_file(
    packages: dict[str, Any], tmp_path: Path
) -> None:
    # The conda-build form's stand-in for package_contents (`test -f` lines),
    # run by bash on the files of a package rattler-build's checks passed.
    package = packages["2"]
    meta = (ROOT / "recipe/conda-build/meta.yaml").read_text(encoding="utf-8")
    checks = [
        line.removeprefix("    - ").removesuffix("  # [unix]")
        for line in meta.splitlines()
        if line.startswith("    - test -f ")
    ]
    script = "set -e\n" + "\n".join(checks).replace(
        "{{ version }}", package.index["version"]
    )
    assert len(checks) >= 5, meta
    for name, content in package.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    site = tmp_path / "lib/python3.11/site-packages"
    env = {"PATH": os.environ["PATH"], "PREFIX": str(tmp_path), "SP_DIR": str(site)}

    def run() -> int:
        return subprocess.run(["bash", "-c", script], env=env, check=False).returncode

    assert run() == 0
    (site / "h5linalg/py.typed").unlink()
    assert run() != 0


# --- The codec stand-ins: conda-forge's run_exports and what their libraries link ---


def standin_metadata(channel: Path, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """index.json and run_exports.json of the stand-in ``name`` in ``channel``."""
    (path,) = sorted((channel / standin_channel.SUBDIR).glob(f"{name}-[0-9]*.conda"))
    with zipfile.ZipFile(path) as archive:
        info = build_conda._tar_members(archive, "info-")
    return json.loads(info["info/index.json"]), json.loads(
        info.get("info/run_exports.json", b"{}")
    )


def test_codec_stand_ins_export_conda_forges_bounds() -> None:
    channel, standins = standin_channel.ensure_channel(
        build_conda.required_names(), standin_channel.DEFAULT_WORK_DIR
    )
    versions = {s.name: s.version for s in standins}
    for name in ("zstd", "lz4-c", "blosc", "liblzf", "snappy", "libdeflate"):
        _, exports = standin_metadata(channel, name)
        assert exports == {
            "weak": [standin_channel.pinned_export(name, versions[name])]
        }, name
    # Debian's libblosc links LZ4, Snappy, zlib and zstd: blosc requires the
    # packages, bounded by their run_exports as conda-forge's blosc is.
    index, _ = standin_metadata(channel, "blosc")
    assert {spec_name(d) for d in index["depends"]} == {
        "lz4-c", "snappy", "libzlib", "zstd",
    }  # fmt: skip
    assert all(",<" in d for d in index["depends"]), index["depends"]
    index, _ = standin_metadata(channel, "snappy")
    assert [spec_name(d) for d in index["depends"]] == ["libstdcxx"]


# --- The discovery check itself fails on a build that used /usr ----------------


def fake_build(tmp_path: Path, cache: str, ninja: str) -> Path:
    bld = tmp_path / "rattler-build_h5linalg_1"
    host = bld / "host_env_placehold"
    (host / "lib").mkdir(parents=True)
    build_dir = bld / "work/build/cp311"
    build_dir.mkdir(parents=True)
    (build_dir / "CMakeCache.txt").write_text(cache.replace("HOST", str(host)))
    (build_dir / "build.ninja").write_text(ninja.replace("HOST", str(host)))
    return bld


GOOD_CACHE = "HDF5_DIR:PATH=HOST/lib/cmake/hdf5\nBLAS_blas_LIBRARY:FILEPATH=HOST/lib/libblas.so\n"


def test_discovery_check_passes_a_build_inside_the_prefix(tmp_path: Path) -> None:
    bld = fake_build(tmp_path, GOOD_CACHE, "  LINK_LIBRARIES = HOST/lib/libhdf5.so\n")
    assert "HDF5_DIR=$PREFIX/lib/cmake/hdf5" in build_conda.host_prefix_only(bld)


@pytest.mark.parametrize(
    ("cache", "ninja", "match"),
    [
        (
            "LAPACK_lapack_LIBRARY:FILEPATH=/usr/lib/x86_64-linux-gnu/liblapack.so\n",
            "",
            r"liblapack\.so",
        ),
        (
            "",
            "  LINK_LIBRARIES = HOST/lib/libhdf5.so /usr/lib/x86_64-linux-gnu/libz.so\n",
            r"libz\.so",
        ),
        (
            "ZSTD_LIBRARY:FILEPATH=/usr/lib/x86_64-linux-gnu/libzstd.so\n",
            "",
            r"CMakeCache\.txt: ZSTD_LIBRARY",
        ),
        ("zstd_DIR:PATH=/usr/lib/x86_64-linux-gnu/cmake/zstd\n", "", r"zstd_DIR"),
        ("", "  LINK_LIBRARIES = /usr/lib/x86_64-linux-gnu/liblz4.so\n", r"liblz4"),
        ("", "  LINK_LIBRARIES = /usr/lib/x86_64-linux-gnu/libblosc.so\n", r"libblosc"),
        ("LIBLZF_INCLUDE_DIR:PATH=/usr/include/liblzf\n", "", r"LIBLZF_INCLUDE_DIR"),
    ],
)
def test_discovery_check_names_a_library_from_usr(
    tmp_path: Path, cache: str, ninja: str, match: str
) -> None:
    bld = fake_build(tmp_path, GOOD_CACHE + cache, ninja)
    with pytest.raises(CheckError, match=match):
        build_conda.host_prefix_only(bld)


# liblzf's header is in include/liblzf/, in Debian's package and conda-forge's.
@pytest.mark.parametrize(
    ("folder", "header", "flag"),
    [
        ("usr/include/hdf5/serial", "hdf5.h", "-isystem "),
        ("usr/include", "liblzf/lzf.h", "-I"),
    ],
)
def test_discovery_check_names_an_include_folder_with_library_headers(
    tmp_path: Path, folder: str, header: str, flag: str
) -> None:
    system = tmp_path / folder
    (system / header).parent.mkdir(parents=True)
    (system / header).write_text("")
    bld = fake_build(tmp_path, GOOD_CACHE, f"  INCLUDES = {flag}{system}\n")
    with pytest.raises(CheckError, match="holds a library header"):
        build_conda.host_prefix_only(bld)


# --- The engine's own checks catch what they must, on tiny recipes ----------------


@pytest.fixture(scope="module")
def channel() -> tuple[str, dict[str, list[Any]]]:
    """The stand-in channel and the compiler variants of this machine."""
    path, standins = standin_channel.ensure_channel(
        build_conda.required_names(), standin_channel.DEFAULT_WORK_DIR
    )
    overrides = build_conda.overrides(standins)
    variants = {
        "c_compiler": ["gcc"],
        "c_compiler_version": [overrides["c_compiler_version"][0]],
        "c_stdlib": ["sysroot"],
        "c_stdlib_version": [overrides["c_stdlib_version"][0]],
    }
    return standin_channel.channel_url(path), variants


def build_tiny(
    tmp_path: Path, recipe: dict[str, Any], channel: tuple[str, dict[str, list[Any]]]
) -> Path:
    """Build ``recipe`` against the stand-in channel; return the package file."""
    folder = tmp_path / "recipe"
    folder.mkdir(parents=True)
    (folder / "recipe.yaml").write_text(json.dumps(recipe))  # JSON is YAML
    out = tmp_path / "out"
    url, variants = channel
    rattler_build.Stage0Recipe.from_file(folder / "recipe.yaml").run_build(
        variant_config=rattler_build.VariantConfig(variants),
        output_dir=out,
        channels=[url],
    )
    (package,) = [*out.glob("*/*.conda")]
    return package


def probe_recipe(name: str, tests: list[dict[str, Any]]) -> dict[str, Any]:
    """A tiny generic package holding share/probe.txt, with ``tests``."""
    return {
        "package": {"name": name, "version": "1.0"},
        "build": {
            "noarch": "generic",
            "script": [
                'mkdir -p "$PREFIX/share" && echo ok > "$PREFIX/share/probe.txt"'
            ],
        },
        "tests": tests,
    }


def test_a_failing_test_command_fails_and_a_passing_one_passes(
    tmp_path: Path, channel: tuple[str, dict[str, list[Any]]]
) -> None:
    recipe = probe_recipe(
        "probe-tests",
        [
            {"script": ['test -f "$PREFIX/share/probe.txt"']},
            {"script": ["echo the probe test fails on purpose; exit 7"]},
        ],
    )
    package = build_tiny(tmp_path, recipe, channel)
    probe = rattler_build.Package.from_file(package)
    results = [probe.run_test(i, channel=[channel[0]]) for i in range(probe.test_count)]
    assert [r.success for r in results] == [True, False]
    assert "fails on purpose" in "\n".join(results[1].output)


def test_a_missing_file_of_package_contents_fails_the_build(
    tmp_path: Path, channel: tuple[str, dict[str, list[Any]]]
) -> None:
    recipe = probe_recipe(
        "probe-contents", [{"package_contents": {"files": ["share/probe.txt"]}}]
    )
    build_tiny(tmp_path / "present", recipe, channel)
    recipe["tests"] = [{"package_contents": {"files": ["share/missing.txt"]}}]
    with pytest.raises(
        rattler_build.RattlerBuildError, match="No match for files glob: share/missing"
    ):
        build_tiny(tmp_path / "missing", recipe, channel)


def zlib_probe(*, host: list[str]) -> dict[str, Any]:
    return {
        "package": {"name": "probe-links-zlib", "version": "1.0"},
        "build": {
            "script": [
                (
                    'printf "#include <zlib.h>\\nconst char *probe(void) '
                    '{ return zlibVersion(); }\\n" > probe.c'
                ),
                'mkdir -p "$PREFIX/lib"',
                '$CC -shared -fPIC probe.c -o "$PREFIX/lib/libprobe.so" $CPPFLAGS $LDFLAGS -lz',
            ],
            "dynamic_linking": {"overlinking_behavior": "error"},
        },
        "requirements": {
            "build": ["${{ compiler('c') }}", "${{ stdlib('c') }}"],
            "host": host,
        },
    }


def test_a_library_linked_but_left_out_of_host_fails_the_link_check(
    tmp_path: Path, channel: tuple[str, dict[str, list[Any]]]
) -> None:
    # With zlib in host the library links the stand-in's libz and passes...
    package = build_tiny(tmp_path / "with", zlib_probe(host=["zlib"]), channel)
    depends = rattler_build.Package.from_file(package).depends
    assert any(d.startswith("libzlib ") for d in depends), depends
    # ...without it, the compiler takes the system's libz, which no run
    # requirement provides: overlinking, an error as the recipe configures it.
    with pytest.raises(rattler_build.RattlerBuildError, match=r"(?i)overlinking.*libz"):
        build_tiny(tmp_path / "without", zlib_probe(host=[]), channel)


# --- The build tools' stand-ins work when an installer copies them -------------------

#: The stand-ins whose executables a build runs from the build prefix.
BUILD_TOOLS = ("gcc_linux-64", "gxx_linux-64", "cmake", "ninja", "python")


def install_by_copying(package: Path, prefix: Path) -> None:
    """Install ``package`` into ``prefix`` as an installer that copies does
    (conda's --copy, or one that resolves symbolic links): every file of
    paths.json written, its prefix placeholder replaced, and each link then
    replaced by a copy of what it points to.

    As conda does on extraction, each file must match its sha256 and size."""
    with zipfile.ZipFile(package) as archive:
        info = build_conda._tar_members(archive, "info-")
        name = next(n for n in archive.namelist() if n.startswith("pkg-"))
        raw = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(archive.read(name)))
        entries = {p["_path"]: p for p in json.loads(info["info/paths.json"])["paths"]}
        with tarfile.open(fileobj=raw, mode="r|") as tar:
            members = []
            for member in tar:  # a stream: each file is read as it comes
                if not member.isdir():
                    extract(tar, member, prefix)
                    members.append(member)
    assert sorted(m.name for m in members) == sorted(entries), package.name
    for member in members:
        entry, target = entries[member.name], prefix / member.name
        assert entry["path_type"] == ("softlink" if member.issym() else "hardlink")
        if member.isfile():
            content = target.read_bytes()
            assert (hashlib.sha256(content).hexdigest(), len(content)) == (
                entry["sha256"], entry["size_in_bytes"],
            ), member.name  # fmt: skip
            if "prefix_placeholder" in entry:
                assert entry["file_mode"] == "text", member.name
                old = entry["prefix_placeholder"].encode()
                target.write_bytes(content.replace(old, bytes(prefix)))
    for member in members:
        if member.issym():
            # Raises for a link to nothing, as copying one does.
            source = (prefix / member.name).resolve(strict=True)
            (prefix / member.name).unlink()
            shutil.copy2(source, prefix / member.name)


def extract(tar: tarfile.TarFile, member: tarfile.TarInfo, prefix: Path) -> None:
    """Write one file or link of a package's tarball under ``prefix``."""
    target = prefix / member.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if member.issym():
        target.symlink_to(member.linkname)
    else:
        source = tar.extractfile(member)
        assert source is not None, member.name
        target.write_bytes(source.read())
        target.chmod(member.mode & 0o777)


@pytest.fixture(scope="module")
def copied_prefix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build tools' stand-ins, installed into one prefix by copying."""
    channel, standins = standin_channel.ensure_channel(
        build_conda.required_names(), standin_channel.DEFAULT_WORK_DIR
    )
    prefix = tmp_path_factory.mktemp("copied") / "prefix"
    for standin in standins:
        if standin.name in BUILD_TOOLS:
            subdir = "noarch" if standin.noarch else standin_channel.SUBDIR
            install_by_copying(channel / subdir / standin.file_name, prefix)
    return prefix


HELLO = {
    "CMakeLists.txt": (
        "cmake_minimum_required(VERSION 3.15)\nproject(hello C CXX)\n"
        "add_executable(hello_c hello.c)\nadd_executable(hello_cxx hello.cpp)\n"
    ),
    "hello.c": '#include <stdio.h>\nint main(void) { puts("C ok"); return 0; }\n',
    "hello.cpp": '#include <iostream>\nint main() { std::cout << "C++ ok\\n"; }\n',
}


def test_copied_compilers_build_and_run_c_and_cxx_with_copied_cmake_and_ninja(
    copied_prefix: Path, tmp_path: Path
) -> None:
    for alias in ("cc", "gcc", "c++", "g++"):
        wrapper = copied_prefix / "bin" / f"{standin_channel.TRIPLET}-{alias}"
        assert wrapper.stat().st_mode & 0o777 == 0o755, wrapper
        assert wrapper.read_text().startswith("#!/bin/sh\n"), wrapper
    for file, text in HELLO.items():
        (tmp_path / file).write_text(text)
    # The compilers come from the packages' own activation, as in a build.
    activation = copied_prefix / "etc/conda/activate.d"
    script = (
        f'. "{activation}/activate-gcc_linux-64.sh" && '
        f'. "{activation}/activate-gxx_linux-64.sh" && '
        "cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release && "
        "cmake --build build && build/hello_c && build/hello_cxx"
    )
    environment = {
        "PATH": f"{copied_prefix / 'bin'}:/usr/bin:/bin",
        "CONDA_PREFIX": str(copied_prefix),
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        ["/bin/sh", "-c", script], cwd=tmp_path, env=environment,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith("C ok\nC++ ok\n"), done.stdout
    # Each tool the build ran is the copy in the prefix.
    cache = (tmp_path / "build/CMakeCache.txt").read_text()
    for language, alias in (("C", "cc"), ("CXX", "c++")):
        compiler = f"{copied_prefix}/bin/{standin_channel.TRIPLET}-{alias}"
        assert f"CMAKE_{language}_COMPILER:FILEPATH={compiler}" in cache
    assert f"CMAKE_COMMAND:INTERNAL={copied_prefix}/bin/cmake" in cache
    assert f"CMAKE_MAKE_PROGRAM:FILEPATH={copied_prefix}/bin/ninja" in cache


def test_copied_python_runs_as_its_prefixs_interpreter(copied_prefix: Path) -> None:
    python = copied_prefix / "bin/python"
    assert not python.is_symlink()
    shown = subprocess.run(
        [str(python), "-c", "import sys, zlib; print(sys.prefix)"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert shown.strip() == str(copied_prefix)
