"""A local conda channel of stand-in packages, so that rattler-build's real
engine (py-rattler-build) can build and test recipe/recipe.yaml offline.

These machines reach PyPI and Debian's archive, not conda-forge. Every package
the recipe's build, host, run and test requirements resolve to is made here
from what they do reach, each one a real conda package built by rattler-build
from a generated recipe (so run_exports are declared the way conda-forge's
packages declare them):

* python: Debian's own python3 as a venv-style prefix (``venv --copies``), with
  the python_abi package its run_export names; Debian's python3-dev headers.
* Python packages: PyPI wheels of pinned versions, installed with their
  dist-info; their run requirements come from the wheels' own metadata.
* native libraries (HDF5, zlib, libdeflate, the codec libraries zstd, LZ4,
  Blosc, LZF and Blosc's Snappy, the generic BLAS/LAPACK, libgcc, libstdc++,
  the names of glibc's libraries for the sysroot): Debian's .deb files,
  unpacked, each with the run_exports of conda-forge's package
  (facts.toml [run-exports]) and, where its library links others, the
  requirements conda-forge's package has for them.
* cmake and ninja: the executables inside their PyPI wheels.
* the compilers: activation packages over the machine's gcc and g++, their
  conda-forge names sh scripts that exec them.

The stand-ins work on machines like the one that made them only (Debian 12,
x86_64): the native libraries still load their own dependencies (libcurl,
libsz, libgfortran, ...) from the system, and python uses /usr/lib/python3.X.
They are never uploaded anywhere, and nothing built against them is a
conda-forge package.

build_conda.py derives the list of stand-ins from the rendered recipe and
calls ensure_channel(); `python -m tools.offline.build_conda --channel-only`
builds just the channel.

The list of stand-ins is derived from the rendered recipe, so a requirement
added later without a stand-in fails here, loudly. Each package's build string
carries a digest of everything it is made from (and of its dependencies'
digests), so an unchanged channel is reused and a changed input rebuilds just
what it affects.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.conda._common import ROOT, CheckError, facts, spec_name

#: The only platform the stand-ins exist for.
SUBDIR = "linux-64"
#: Where the channel and its inputs live unless --work-dir says otherwise
#: (git-ignored; never committed).
DEFAULT_WORK_DIR = ROOT / "build/conda-standin"

#: PyPI wheels, by conda package name: the PyPI name and the pinned version.
#: Every run requirement of these wheels (for the stand-in Python) must be here
#: too; two versions of one name are two packages (NumPy 1.x and 2.x cells).
WHEELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pip": ("pip", ("26.3",)),
    "setuptools": ("setuptools", ("80.9.0",)),
    "setuptools-scm": ("setuptools-scm", ("10.3.4",)),
    "vcs-versioning": ("vcs-versioning", ("2.6.0",)),
    "packaging": ("packaging", ("26.4",)),
    "pathspec": ("pathspec", ("1.1.1",)),
    "scikit-build-core": ("scikit-build-core", ("1.1.2",)),
    "pybind11": ("pybind11", ("3.1.0",)),
    "numpy": ("numpy", ("1.26.4", "2.4.6")),
    "h5py": ("h5py", ("3.16.0",)),
    # The recipe's test of the suite's subset, and what pytest requires.
    "pytest": ("pytest", ("9.2.0",)),
    "iniconfig": ("iniconfig", ("2.3.1",)),
    "pluggy": ("pluggy", ("1.7.0",)),
    "pygments": ("pygments", ("2.21.0",)),
    "threadpoolctl": ("threadpoolctl", ("3.8.0",)),
}

#: The build tools' versions: the executables inside their PyPI wheels.
TOOLS = {"cmake": "4.4.5", "ninja": "1.13.2"}

#: The run_exports conda-forge's numpy packages carry (numpy-feedstock): a 1.x
#: build pins its own minor series upwards; a 2.x build exports the ABI floor
#: of the oldest NumPy that supports the oldest Python it supports (1.23 for
#: NumPy 2.3 and 2.4, whose oldest Python is 3.11).
NUMPY_RUN_EXPORTS = {
    "1.26.4": "numpy >=1.26.4,<2.0a0",
    "2.4.6": "numpy >=1.23,<3",
}

#: Debian packages unpacked for each native stand-in.
DEBS: dict[str, tuple[str, ...]] = {
    "hdf5": ("libhdf5-103-1", "libhdf5-dev"),
    "libdeflate": ("libdeflate0", "libdeflate-dev"),
    "zstd": ("libzstd1", "libzstd-dev"),
    "lz4-c": ("liblz4-1", "liblz4-dev"),
    "blosc": ("libblosc1", "libblosc-dev"),
    "liblzf": ("liblzf1", "liblzf-dev"),
    # Runtime only: Blosc links it, nothing here compiles against it.
    "snappy": ("libsnappy1v5",),
    "libzlib": ("zlib1g",),
    "zlib": ("zlib1g-dev",),
    "libblas": ("libblas3",),
    "liblapack": ("liblapack3",),
    "libgcc": ("libgcc-s1",),
    "libstdcxx": ("libstdc++6",),
    "sysroot_linux-64": ("libc6",),
}

#: Names the recipe may need that are no package (conda's virtual packages).
VIRTUAL_PREFIX = "__"

TRIPLET = "x86_64-conda-linux-gnu"
DEB_LIBDIR = "usr/lib/x86_64-linux-gnu"

#: For each library a stand-in's library may link (readelf -d NEEDED), the
#: package conda-forge's recipe has in host for it: its run_export becomes the
#: stand-in's run requirement, as on conda-forge.
LINKED_HOST = {
    "libz.so.1": "zlib",
    "libzstd.so.1": "zstd",
    "liblz4.so.1": "lz4-c",
    "libsnappy.so.1": "snappy",
}
#: Libraries whose run requirement conda-forge's compiler packages export
#: (strong run_exports of gxx/gcc), not a host package.
LINKED_RUNTIME = {"libstdc++.so.6": "libstdcxx", "libgcc_s.so.1": "libgcc"}
#: glibc's libraries: the sysroot's, required by no package of their own.
GLIBC_LIBRARY = re.compile(
    r"^(libc|libm|libdl|libpthread|librt|ld-linux-x86-64)\.so\.\d+$"
)


@dataclass
class Standin:
    """One stand-in package: what it is made from and how rattler-build builds it."""

    name: str
    version: str
    made_from: str
    #: Shell lines of the build script (after the staged files are copied).
    script: list[str] = field(default_factory=list)
    #: A folder whose contents become the package's files.
    staged: Path | None = None
    host: list[str] = field(default_factory=list)
    run: list[str] = field(default_factory=list)
    run_exports: dict[str, list[str]] = field(default_factory=dict)
    noarch: str | None = None
    #: The build string ends with this (variant pins such as ``*_cpython``).
    build_suffix: str = ""
    #: Files whose content the package is made from, for the digest.
    inputs: list[Path] = field(default_factory=list)
    digest: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"

    @property
    def build_string(self) -> str:
        return f"standin_h{self.digest}{self.build_suffix}"

    @property
    def file_name(self) -> str:
        return f"{self.name}-{self.version}-{self.build_string}.conda"

    @property
    def depends(self) -> list[str]:
        """Names this package needs in the channel (host, run, exported)."""
        specs = [
            *self.host,
            *self.run,
            *(s for v in self.run_exports.values() for s in v),
        ]
        names = {spec_name(s) for s in specs} - {self.name}
        return sorted(n for n in names if not n.startswith(VIRTUAL_PREFIX))


def run(cmd: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        msg = f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}"
        raise CheckError(msg)
    return done.stdout


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- Inputs: wheels and .deb files ------------------------------------------------


class Downloads:
    """PyPI wheels and Debian packages, fetched once into the work folder."""

    def __init__(self, folder: Path, python_version: str) -> None:
        self.wheels = folder / "wheels"
        self.debs = folder / "debs"
        self.unpacked = folder / "unpacked"
        self.python_version = python_version

    def wheel(self, pypi_name: str, version: str) -> Path:
        stem = canonicalize_name(pypi_name).replace("-", "_")
        found = sorted(self.wheels.glob(f"{stem}-{version}-*.whl"))
        if not found:
            self.wheels.mkdir(parents=True, exist_ok=True)
            major_minor = "".join(self.python_version.split(".")[:2])
            # The stand-in Python's own tags, whatever Python runs this script.
            run(
                [
                    sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--only-binary=:all:", "--dest", str(self.wheels),
                    "--python-version", self.python_version, "--implementation", "cp",
                    "--abi", f"cp{major_minor}", "--platform", "manylinux_2_28_x86_64",
                    "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64",
                    f"{pypi_name}=={version}",
                ]
            )  # fmt: skip
            found = sorted(self.wheels.glob(f"{stem}-{version}-*.whl"))
        if len(found) != 1:
            msg = f"expected one wheel of {pypi_name} {version} in {self.wheels}, found {found}"
            raise CheckError(msg)
        return found[0]

    def deb(self, package: str) -> Path:
        found = sorted(self.debs.glob(f"{package}_*.deb"))
        if not found:
            self.debs.mkdir(parents=True, exist_ok=True)
            run(["apt-get", "download", "-q", package], cwd=self.debs)
            found = sorted(self.debs.glob(f"{package}_*.deb"))
        if len(found) != 1:
            msg = f"expected one .deb of {package} in {self.debs}, found {found}"
            raise CheckError(msg)
        return found[0]

    def unpack(self, package: str) -> tuple[Path, Path]:
        """The .deb of ``package`` and the folder it is unpacked into."""
        deb = self.deb(package)
        target = self.unpacked / deb.stem
        if not target.is_dir():
            scratch = Path(tempfile.mkdtemp(dir=self.unpacked.parent))
            run(["dpkg-deb", "-x", str(deb), str(scratch)])
            self.unpacked.mkdir(parents=True, exist_ok=True)
            scratch.rename(target)
        return deb, target


def deb_version(deb: Path) -> str:
    """The upstream version of a .deb: ``1:1.2.13.dfsg-1+deb12u1`` -> ``1.2.13``."""
    full = run(["dpkg-deb", "-f", str(deb), "Version"]).strip()
    upstream = full.split(":", 1)[-1].rsplit("-", 1)[0]
    match = re.match(r"\d+(\.\d+)*", upstream)
    if not match:
        msg = f"cannot read a version from {deb.name} ({full})"
        raise CheckError(msg)
    return match.group(0)


def wheel_requirements(
    wheel: Path, environment: Mapping[str, str]
) -> list[Requirement]:
    """The wheel's Requires-Dist that apply to the stand-in Python (no extras)."""
    with zipfile.ZipFile(wheel) as archive:
        metadata_name = next(
            n for n in archive.namelist() if n.endswith(".dist-info/METADATA")
        )
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
    requirements = []
    for line in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(
            {**environment, "extra": ""}
        ):
            requirements.append(requirement)
    return requirements


def extract_members(wheel: Path, prefix: str, target: Path) -> None:
    """Extract the wheel members under ``prefix`` into ``target``, keeping modes."""
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if not info.filename.startswith(prefix) or info.is_dir():
                continue
            destination = target / info.filename[len(prefix) :]
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, destination.open("wb") as out:
                shutil.copyfileobj(source, out)
            mode = (info.external_attr >> 16) & 0o777
            destination.chmod(mode or 0o644)


# --- Staging: each package's files, laid out the way conda-forge's are ------------


def fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def copy_libraries(source: Path, pattern: str, lib: Path) -> list[str]:
    """Copy shared libraries (files and their SONAME links) into ``lib``."""
    lib.mkdir(parents=True, exist_ok=True)
    names = []
    for path in sorted(source.glob(pattern)):
        target = lib / path.name
        if path.is_symlink():
            target.symlink_to(os.readlink(path))
        else:
            shutil.copy2(path, target)
        names.append(path.name)
    if not names:
        msg = f"no {pattern} in {source}"
        raise CheckError(msg)
    return names


def link(lib: Path, name: str, target: str) -> None:
    (lib / name).symlink_to(target)


def needed_libraries(library: Path) -> list[str]:
    """The DT_NEEDED entries of an ELF file, in order (readelf -d)."""
    return [
        line.split("[", 1)[1].rstrip("]").strip()
        for line in run(["readelf", "-d", str(library)]).splitlines()
        if "(NEEDED)" in line and "[" in line
    ]


def pinned_export(name: str, version: str) -> str:
    """The run_export conda-forge's ``name`` gives a package built against
    ``version``: pin_subpackage's bound (facts.toml [run-exports]), e.g. x.x:
    ``zstd >=1.5.4,<1.6.0a0``."""
    fact = facts()["run-exports"].get(name)
    if fact is None:
        msg = f"tools/conda/facts.toml has no [run-exports.{name}]: read {name}'s feedstock"
        raise CheckError(msg)
    width = len(fact["upper-bound"].split("."))
    parts = [int(p) for p in version.split(".")[:width]]
    parts += [0] * (width - len(parts))
    parts[-1] += 1
    return f"{name} >={version},<{'.'.join(map(str, parts))}.0a0"


def relocated_pkg_config(source: Path, folder: Path) -> None:
    """Debian's pkg-config file, for a prefix that can be anywhere: its
    folders relative to the file's own (pkg-config's ${pcfiledir}), the
    libraries in lib/ as in conda-forge's packages."""
    text = re.sub(
        r"^prefix=/usr$",
        "prefix=${pcfiledir}/../..",
        source.read_text(),
        flags=re.MULTILINE,
    )
    # Some name /usr again instead of ${prefix} (libdeflate: includedir=/usr/include).
    text = re.sub(r"^(\w+)=/usr/", r"\1=${prefix}/", text, flags=re.MULTILINE)
    text = text.replace("/lib/x86_64-linux-gnu", "/lib")
    if "/usr" in text or "${pcfiledir}" not in text:
        msg = f"{source}: not a pkg-config file with prefix=/usr"
        raise CheckError(msg)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / source.name).write_text(text)


HDF5_CONFIG = """\
# HDF5's CMake package for the stand-in hdf5 (Debian ships none, and its h5cc
# hard-codes /usr): found by FindHDF5's config mode, relative to this folder so
# it works in whatever prefix the package is installed into.
get_filename_component(_hdf5_prefix "${{CMAKE_CURRENT_LIST_DIR}}/../../.." ABSOLUTE)
set(HDF5_VERSION "{version}")
set(HDF5_VERSION_STRING "{version}")
set(HDF5_INCLUDE_DIR "${{_hdf5_prefix}}/include")
set(HDF5_ENABLE_PARALLEL OFF)
set(HDF5_BUILD_SHARED_LIBS ON)
if(NOT TARGET hdf5-shared)
  add_library(hdf5-shared SHARED IMPORTED)
  set_target_properties(hdf5-shared PROPERTIES
    IMPORTED_LOCATION "${{_hdf5_prefix}}/lib/{library}"
    IMPORTED_SONAME "{soname}"
    INTERFACE_INCLUDE_DIRECTORIES "${{_hdf5_prefix}}/include")
endif()
set(HDF5_FOUND TRUE)
"""

HDF5_CONFIG_VERSION = """\
set(PACKAGE_VERSION "{version}")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
"""

#: The flags conda-forge's compiler activation exports for linux-64 builds
#: (ctng-compiler-activation), trimmed to the ones that matter for this build:
#: headers and libraries of the host prefix first, and an rpath into it.
ACTIVATION = """\
# Activation of the stand-in {name}: the machine's {tool} under conda-forge's
# name, with the flags conda-forge's compiler activation sets.
export {var}="${{BUILD_PREFIX:-$CONDA_PREFIX}}/bin/{triplet}-{alias}"
export {flags_var}="-fPIC -fstack-protector-strong -O2 -pipe -isystem ${{PREFIX:-$CONDA_PREFIX}}/include"
export CPPFLAGS="-DNDEBUG -isystem ${{PREFIX:-$CONDA_PREFIX}}/include"
export LDFLAGS="-Wl,-O2 -Wl,--as-needed -Wl,-rpath,${{PREFIX:-$CONDA_PREFIX}}/lib -Wl,-rpath-link,${{PREFIX:-$CONDA_PREFIX}}/lib -L${{PREFIX:-$CONDA_PREFIX}}/lib"
export HOST="{triplet}"
export CONDA_TOOLCHAIN_HOST="{triplet}"
"""


class Maker:
    """Makes the Standin of each package name from the downloads."""

    def __init__(self, work: Path, downloads: Downloads) -> None:
        self.staging = work / "staging"
        self.downloads = downloads
        self.python_version = downloads.python_version
        self.python_xy = ".".join(self.python_version.split(".")[:2])
        self.environment: dict[str, str] = {
            **{k: str(v) for k, v in default_environment().items()},
            "python_version": self.python_xy,
            "python_full_version": self.python_version,
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "sys_platform": "linux",
            "platform_system": "Linux",
            "platform_machine": "x86_64",
            "os_name": "posix",
        }

    def make(self, name: str) -> list[Standin]:
        if name in WHEELS:
            pypi, versions = WHEELS[name]
            return [self.from_wheel(name, pypi, v) for v in versions]
        maker = getattr(self, "make_" + name.replace("-", "_"), None)
        if maker is None:
            msg = (
                f"the recipe needs '{name}', which has no stand-in: add it to "
                "WHEELS or DEBS (with a make_ function) in tools/offline/standin_channel.py"
            )
            raise CheckError(msg)
        made: Standin = maker()
        return [made]

    def stage(self, name: str) -> Path:
        return fresh(self.staging / name)

    # Python and its ABI tag.

    def make_python(self) -> Standin:
        abi = "cp" + self.python_xy.replace(".", "")
        interpreter = Path(f"/usr/bin/python{self.python_xy}")
        return Standin(
            "python",
            self.python_version,
            f"Debian's python{self.python_xy} ({interpreter}) as a venv --copies prefix",
            script=[
                f'{interpreter} -m venv --copies --without-pip "$PREFIX"',
                # venv's lib64 -> lib link points at a folder this package has
                # no files in: an installer that copies what links point to
                # finds nothing there. conda-forge's python has no lib64.
                'rm "$PREFIX/lib64"',
            ],
            run_exports={"weak": [f"python_abi {self.python_xy}.* *_{abi}"]},
            build_suffix="_cpython",
            inputs=[interpreter.resolve()],
        )

    def make_python_abi(self) -> Standin:
        abi = "cp" + self.python_xy.replace(".", "")
        return Standin(
            "python_abi",
            self.python_xy,
            f"the ABI tag of the stand-in python ({abi}); no files",
            build_suffix=f"_{abi}",
        )

    # PyPI wheels.

    def from_wheel(self, name: str, pypi: str, version: str) -> Standin:
        wheel = self.downloads.wheel(pypi, version)
        pip_wheel = self.downloads.wheel(*self._pip())
        pure = wheel.name.endswith("-none-any.whl")
        run_specs = ["python"] if pure else []
        for requirement in wheel_requirements(wheel, self.environment):
            conda = canonicalize_name(requirement.name)
            if conda not in WHEELS:
                msg = (
                    f"{wheel.name} requires {requirement}, which has no stand-in: "
                    "pin it in WHEELS in tools/offline/standin_channel.py"
                )
                raise CheckError(msg)
            run_specs.append(f"{conda} {requirement.specifier}".strip())
        site = f"$PREFIX/lib/python{self.python_xy}/site-packages"
        standin = Standin(
            name,
            version,
            f"the PyPI wheel {wheel.name}",
            script=[
                # pip runs from its own wheel, so no package needs pip to exist first.
                (
                    f'"$PREFIX/bin/python" {pip_wheel}/pip install --no-deps --no-index '
                    "--no-compile --no-cache-dir --no-warn-script-location "
                    f"--disable-pip-version-check {wheel}"
                ),
                # A direct install from a file records its path; a package must not.
                f'rm -f "{site}"/*.dist-info/direct_url.json',
            ],
            host=["python"],
            run=run_specs,
            noarch="python" if pure else None,
            inputs=[wheel, pip_wheel],
        )
        if name == "numpy":
            standin.run_exports = {"weak": [NUMPY_RUN_EXPORTS[version]]}
        return standin

    def _pip(self) -> tuple[str, str]:
        pypi, versions = WHEELS["pip"]
        return pypi, versions[0]

    def make_cmake(self) -> Standin:
        wheel = self.downloads.wheel("cmake", TOOLS["cmake"])
        staged = self.stage("cmake")
        extract_members(wheel, "cmake/data/", staged)
        return Standin(
            "cmake",
            TOOLS["cmake"],
            f"the executables in the PyPI wheel {wheel.name}",
            staged=staged,
            inputs=[wheel],
        )

    def make_ninja(self) -> Standin:
        version = TOOLS["ninja"]
        wheel = self.downloads.wheel("ninja", version)
        staged = self.stage("ninja")
        extract_members(wheel, f"ninja-{version}.data/scripts/", staged / "bin")
        return Standin(
            "ninja",
            version,
            f"the executable in the PyPI wheel {wheel.name}",
            staged=staged,
            inputs=[wheel],
        )

    # Native libraries from Debian's packages.

    def _debs(self, name: str) -> tuple[list[Path], list[Path], str]:
        debs, roots = [], []
        for package in DEBS[name]:
            deb, root = self.downloads.unpack(package)
            debs.append(deb)
            roots.append(root)
        return debs, roots, ", ".join(d.name for d in debs)

    def make_libzlib(self) -> Standin:
        debs, (root,), made_from = self._debs("libzlib")
        version = deb_version(debs[0])
        staged = self.stage("libzlib")
        copy_libraries(root / "lib/x86_64-linux-gnu", "libz.so.*", staged / "lib")
        exports = f"libzlib >={version},<2.0a0"
        return Standin(
            "libzlib", version, made_from, staged=staged,
            run_exports={"weak": [exports]}, inputs=debs,
        )  # fmt: skip

    def make_zlib(self) -> Standin:
        debs, (root,), made_from = self._debs("zlib")
        version = deb_version(debs[0])
        staged = self.stage("zlib")
        (staged / "include").mkdir()
        for header in ("zlib.h", "zconf.h"):
            shutil.copy2(root / "usr/include" / header, staged / "include" / header)
        (staged / "lib").mkdir()
        link(staged / "lib", "libz.so", "libz.so.1")
        # conda-forge's zlib holds the headers and depends on libzlib, whose
        # run_export every package that links libz gets.
        return Standin(
            "zlib", version, made_from, staged=staged,
            run=[f"libzlib {version}.*"],
            run_exports={"weak": [f"libzlib >={version},<2.0a0"]}, inputs=debs,
        )  # fmt: skip

    def _netlib(self, name: str, what: str, run: list[str]) -> Standin:
        """libblas or liblapack: Debian's reference library under its SONAME,
        with the dev link, the netlib build string and conda-forge's run_export."""
        debs, (root,), made_from = self._debs(name)
        version = deb_version(debs[0])
        library = name.removeprefix("lib")  # blas, lapack: Debian's folder too
        staged = self.stage(name)
        copy_libraries(root / DEB_LIBDIR / library, f"{name}.so.*", staged / "lib")
        link(staged / "lib", f"{name}.so", f"{name}.so.3")
        return Standin(
            name, version, f"{made_from} ({what})", staged=staged, run=run,
            run_exports={"weak": [f"{name} >={version},<4.0a0"]},
            build_suffix="_netlib", inputs=debs,
        )  # fmt: skip

    def _linked(self, library: Path) -> tuple[list[str], list[str]]:
        """Host and run requirements for what ``library`` links: conda-forge's
        recipe has the package of each linked library in host (whose
        run_export requires it at run time) and gets libstdcxx/libgcc from its
        compilers."""
        host, run = [], []
        gcc = deb_version(self.downloads.deb(DEBS["libstdcxx"][0])).split(".")[0]
        for needed in needed_libraries(library):
            if needed in LINKED_HOST:
                host.append(LINKED_HOST[needed])
            elif needed in LINKED_RUNTIME:
                run.append(f"{LINKED_RUNTIME[needed]} >={gcc}")
            elif not GLIBC_LIBRARY.match(needed):
                msg = (
                    f"{library.name} links {needed}, which no stand-in provides: "
                    "add it to LINKED_HOST in tools/offline/standin_channel.py"
                )
                raise CheckError(msg)
        return host, run

    def _library(
        self, name: str, library: str, headers: tuple[str, ...] = (), pc: str = ""
    ) -> Standin:
        """A library from Debian's runtime package (and -dev package: headers
        under include/ as Debian has them, which is conda-forge's layout too,
        and its pkg-config file ``pc``), with conda-forge's run_export and what
        its library links as requirements."""
        debs, roots, made_from = self._debs(name)
        version = deb_version(debs[0])
        staged = self.stage(name)
        names = copy_libraries(roots[0] / DEB_LIBDIR, f"{library}.so.*", staged / "lib")
        soname = min(names, key=len)
        if headers:
            link(staged / "lib", f"{library}.so", soname)
        for header in headers:
            target = staged / "include" / header
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(roots[1] / "usr/include" / header, target)
        if pc:
            relocated_pkg_config(
                roots[1] / DEB_LIBDIR / "pkgconfig" / pc, staged / "lib/pkgconfig"
            )
        host, run = self._linked(staged / "lib" / soname)
        return Standin(
            name, version, made_from, staged=staged, host=host, run=run,
            run_exports={"weak": [pinned_export(name, version)]}, inputs=debs,
        )  # fmt: skip

    def make_libdeflate(self) -> Standin:
        return self._library(
            "libdeflate", "libdeflate", ("libdeflate.h",), "libdeflate.pc"
        )

    def make_zstd(self) -> Standin:
        return self._library(
            "zstd", "libzstd", ("zstd.h", "zdict.h", "zstd_errors.h"), "libzstd.pc"
        )

    def make_lz4_c(self) -> Standin:
        headers = ("lz4.h", "lz4hc.h", "lz4frame.h", "lz4frame_static.h")
        return self._library("lz4-c", "liblz4", headers, "liblz4.pc")

    def make_blosc(self) -> Standin:
        # Debian's libblosc links the system's LZ4, Snappy, zlib and zstd (its
        # bundled copies removed), as conda-forge's blosc links its packages.
        return self._library(
            "blosc", "libblosc", ("blosc.h", "blosc-export.h"), "blosc.pc"
        )

    def make_liblzf(self) -> Standin:
        # lzf.h is in include/liblzf/ in Debian's package and conda-forge's.
        return self._library("liblzf", "liblzf", ("liblzf/lzf.h",), "liblzf.pc")

    def make_snappy(self) -> Standin:
        return self._library("snappy", "libsnappy")

    def make_libblas(self) -> Standin:
        return self._netlib(
            "libblas", "the reference BLAS; Debian builds CBLAS into it", []
        )

    def make_libcblas(self) -> Standin:
        version = deb_version(self.downloads.deb(DEBS["libblas"][0]))
        # No library and no run_export: Debian's libblas.so.3 carries CBLAS,
        # so a package built here links libblas only (conda-forge's libcblas
        # is a separate library, linked there).
        return Standin(
            "libcblas", version,
            "no files: Debian's libblas contains CBLAS (see the libblas stand-in)",
            run=[f"libblas {version}.* *_netlib"], build_suffix="_netlib",
        )  # fmt: skip

    def make_liblapack(self) -> Standin:
        blas = deb_version(self.downloads.deb(DEBS["libblas"][0]))
        return self._netlib(
            "liblapack", "the reference LAPACK", [f"libblas {blas}.* *_netlib"]
        )

    def make_hdf5(self) -> Standin:
        debs, (runtime, dev), made_from = self._debs("hdf5")
        version = deb_version(debs[0])
        staged = self.stage("hdf5")
        names = copy_libraries(
            runtime / DEB_LIBDIR, "libhdf5_serial.so.*", staged / "lib"
        )
        soname = min(names, key=len)
        library = max(names, key=len)
        link(staged / "lib", "libhdf5.so", soname)
        shutil.copytree(dev / "usr/include/hdf5/serial", staged / "include")
        cmake_dir = staged / "lib/cmake/hdf5"
        cmake_dir.mkdir(parents=True)
        (cmake_dir / "hdf5-config.cmake").write_text(
            HDF5_CONFIG.format(version=version, library=library, soname=soname)
        )
        (cmake_dir / "hdf5-config-version.cmake").write_text(
            HDF5_CONFIG_VERSION.format(version=version)
        )
        major, minor, patch = version.split(".")[:3]
        # conda-forge's HDF5 1.x pins the patch release (max_pin x.x.x).
        upper = f"{major}.{minor}.{int(patch) + 1}.0a0"
        return Standin(
            "hdf5", version,
            f"{made_from} (serial; it loads libcurl, libsz and its other "
            "dependencies from the system)",
            staged=staged, run=["libzlib"],
            run_exports={"weak": [f"hdf5 >={version},<{upper}"]}, inputs=debs,
        )  # fmt: skip

    def make_libgcc(self) -> Standin:
        debs, (root,), made_from = self._debs("libgcc")
        staged = self.stage("libgcc")
        copy_libraries(root / "lib/x86_64-linux-gnu", "libgcc_s.so.*", staged / "lib")
        return Standin(
            "libgcc", deb_version(debs[0]), made_from, staged=staged, inputs=debs
        )

    def make_libstdcxx(self) -> Standin:
        debs, (root,), made_from = self._debs("libstdcxx")
        staged = self.stage("libstdcxx")
        copy_libraries(root / DEB_LIBDIR, "libstdc++.so.*", staged / "lib")
        version = deb_version(debs[0])
        return Standin(
            "libstdcxx", version, made_from, staged=staged,
            run=[f"libgcc >={version.split('.')[0]}"], inputs=debs,
        )  # fmt: skip

    def make_sysroot_linux_64(self) -> Standin:
        debs, (root,), made_from = self._debs("sysroot_linux-64")
        version = ".".join(deb_version(debs[0]).split(".")[:2])
        staged = self.stage("sysroot_linux-64")
        lib64 = staged / TRIPLET / "sysroot/lib64"
        # rattler-build's overlinking check treats as system libraries exactly
        # the *.so* files of the sysroot package in the build environment.
        copy_libraries(root / "lib/x86_64-linux-gnu", "*.so*", lib64)
        return Standin(
            "sysroot_linux-64", version,
            f"the names of glibc's libraries, from {made_from} (never linked: "
            "the machine's gcc uses its own glibc)",
            staged=staged,
            run_exports={"strong": [f"__glibc >={version},<3.0.a0"]}, inputs=debs,
        )  # fmt: skip

    # The compilers.

    def _compiler(self, name: str, tool: str, aliases: tuple[str, ...]) -> Standin:
        path = shutil.which(tool)
        if path is None:
            msg = f"{name} stands in for the machine's {tool}, which is not installed"
            raise CheckError(msg)
        executable = Path(path).resolve()
        version = run([str(executable), "-dumpfullversion"]).strip()
        major = version.split(".")[0]
        staged = self.stage(name)
        (staged / "bin").mkdir()
        for alias in aliases:
            # A script, not a link to the compiler: an installer that copies
            # (conda's --copy, tools that resolve links) would copy the
            # compiler's binary itself, which then cannot find cc1 and
            # collect2, looked for relative to its own location.
            wrapper = staged / "bin" / f"{TRIPLET}-{alias}"
            wrapper.write_text(
                f"#!/bin/sh\n# {name}'s {alias}: the machine's {tool}.\n"
                f'exec {shlex.quote(str(executable))} "$@"\n'
            )
            wrapper.chmod(0o755)
        c = tool == "gcc"
        activate = staged / "etc/conda/activate.d" / f"activate-{name}.sh"
        activate.parent.mkdir(parents=True)
        activate.write_text(
            ACTIVATION.format(
                name=name, tool=tool, triplet=TRIPLET, alias=aliases[0],
                var="CC" if c else "CXX", flags_var="CFLAGS" if c else "CXXFLAGS",
            )
        )  # fmt: skip
        exports = [f"libgcc >={major}"] + ([] if c else [f"libstdcxx >={major}"])
        return Standin(
            name, version, f"an activation package over the machine's {executable}",
            staged=staged, run=[] if c else [f"gcc_linux-64 {version}.*"],
            run_exports={"strong": exports}, inputs=[executable],
        )  # fmt: skip

    def make_gcc_linux_64(self) -> Standin:
        return self._compiler("gcc_linux-64", "gcc", ("cc", "gcc"))

    def make_gxx_linux_64(self) -> Standin:
        return self._compiler("gxx_linux-64", "g++", ("c++", "g++"))


# --- Which packages: derived from the rendered recipe -------------------------------


def recipe_requirements(rendered: Iterable[Any]) -> dict[str, set[str]]:
    """Package names of every requirement of the rendered variants, by where
    they occur (build, host, run, tests)."""
    found: dict[str, set[str]] = {}
    for variant in rendered:
        recipe = variant.recipe.to_dict()
        requirements = recipe.get("requirements", {})
        for section in ("build", "host", "run"):
            for spec in requirements.get(section, []):
                found.setdefault(spec_name(spec), set()).add(section)
        for test in recipe.get("tests", []):
            if "python" in test:
                # rattler-build's python test imports with python and runs pip check.
                for name in ("python", "pip"):
                    found.setdefault(name, set()).add("tests")
            for section in ("build", "run"):
                for spec in test.get("requirements", {}).get(section, []):
                    found.setdefault(spec_name(spec), set()).add("tests")
    return {n: s for n, s in found.items() if not n.startswith(VIRTUAL_PREFIX)}


def plan(names: Iterable[str], maker: Maker) -> list[Standin]:
    """Every stand-in the names need, dependencies first, with their digests."""
    made: dict[str, list[Standin]] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in made:
            continue
        made[name] = maker.make(name)
        pending.extend(dep for s in made[name] for dep in s.depends)
    ordered: list[Standin] = []
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            msg = f"stand-ins depend on each other in a cycle through {name}"
            raise CheckError(msg)
        visiting.add(name)
        for standin in made[name]:
            for dep in standin.depends:
                visit(dep)
        visiting.discard(name)
        done.add(name)
        for standin in made[name]:
            standin.digest = digest_of(
                standin, [d for dep in standin.depends for d in made[dep]]
            )
            ordered.append(standin)

    for name in sorted(made):
        visit(name)
    return ordered


def digest_of(standin: Standin, dependencies: list[Standin]) -> str:
    digest = hashlib.sha256()
    digest.update(recipe_text(standin, with_build_string=False).encode())
    for path in standin.inputs:
        digest.update(f"{path.name}:{sha256(path)}".encode())
    if standin.staged is not None:
        for path in sorted(standin.staged.rglob("*")):
            relative = path.relative_to(standin.staged)
            if path.is_symlink():
                digest.update(f"{relative}->{os.readlink(path)}".encode())
            elif path.is_file():
                digest.update(f"{relative}:{sha256(path)}".encode())
    for dep in dependencies:
        digest.update(dep.digest.encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:10]


def recipe_text(standin: Standin, *, with_build_string: bool = True) -> str:
    script = list(standin.script)
    if standin.staged is not None:
        script.insert(0, f'cp -a "{standin.staged}/." "$PREFIX/"')
    build: dict[str, Any] = {
        "number": 0,
        "script": script or ["true"],
        # The files are used as they come: no rpath rewriting.
        "dynamic_linking": {"binary_relocation": False},
    }
    if with_build_string:
        build["string"] = standin.build_string
    if standin.noarch:
        build["noarch"] = standin.noarch
    requirements: dict[str, Any] = {}
    if standin.host:
        requirements["host"] = standin.host
    if standin.run:
        requirements["run"] = standin.run
    if standin.run_exports:
        requirements["run_exports"] = standin.run_exports
    recipe: dict[str, Any] = {
        "schema_version": 1,
        "package": {"name": standin.name, "version": standin.version},
        "build": build,
    }
    if requirements:
        recipe["requirements"] = requirements
    recipe["about"] = {
        "summary": (
            f"Stand-in for conda-forge's {standin.name}, made from {standin.made_from}; "
            "for offline test builds on the machine that made it only"
        )
    }
    return str(yaml.safe_dump(recipe, sort_keys=False))


# --- The channel --------------------------------------------------------------------


def channel_url(channel: Path) -> str:
    return channel.resolve().as_uri()


def existing_packages(channel: Path) -> Iterator[Path]:
    for subdir in (SUBDIR, "noarch"):
        yield from (channel / subdir).glob("*.conda")


def build_channel(standins: list[Standin], work: Path) -> Path:
    """Build the stand-ins that the channel lacks; return the channel folder."""
    channel = work / "channel"
    channel.mkdir(parents=True, exist_ok=True)
    # A package superseded by a new build of the same name and version goes;
    # other packages stay (a smaller plan may share the channel).
    wanted = {s.file_name for s in standins}
    keys = {s.key for s in standins}
    for stale in existing_packages(channel):
        if stale.name not in wanted and stale.name.rsplit("-", 1)[0] in keys:
            stale.unlink()
    present = {p.name for p in existing_packages(channel)}
    # The engine is imported here, not at the top: the module's other helpers
    # (pinned_export, channel_url, SUBDIR, ...) serve where it may be missing.
    from rattler_build import Stage0Recipe  # noqa: PLC0415

    recipes = work / "recipes"
    for standin in standins:
        if standin.file_name in present:
            continue
        folder = fresh(recipes / f"{standin.name}-{standin.version}")
        (folder / "recipe.yaml").write_text(recipe_text(standin))
        print(f"  building {standin.file_name} ({standin.made_from})", flush=True)
        Stage0Recipe.from_file(folder / "recipe.yaml").run_build(
            output_dir=channel, channels=[channel_url(channel)]
        )
    shutil.rmtree(channel / "bld", ignore_errors=True)
    shutil.rmtree(channel / "src_cache", ignore_errors=True)
    (channel / "standins.json").write_text(
        json.dumps(
            {s.file_name: s.made_from for s in standins}, indent=2, sort_keys=True
        )
        + "\n"
    )
    return channel


def debian_python_version() -> str:
    """The version of Debian's python3, which the python stand-in is."""
    interpreter = "/usr/bin/python3"
    if not Path(interpreter).exists():
        msg = "Debian's python3 is missing: apt-get install python3 python3-dev python3-venv"
        raise CheckError(msg)
    version = run(
        [interpreter, "-c", "import platform; print(platform.python_version())"]
    ).strip()
    include = run(
        [interpreter, "-c", "import sysconfig; print(sysconfig.get_paths()['include'])"]
    ).strip()
    if not (Path(include) / "Python.h").is_file():
        msg = f"Debian's Python headers are missing ({include}): apt-get install python3-dev"
        raise CheckError(msg)
    return version


def ensure_channel(
    names: Iterable[str], work: Path = DEFAULT_WORK_DIR
) -> tuple[Path, list[Standin]]:
    """The stand-in channel holding ``names`` and all they need, built if needed."""
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        msg = (
            "the stand-in channel is made from Debian's x86_64 packages: linux-64 only"
        )
        raise CheckError(msg)
    work.mkdir(parents=True, exist_ok=True)
    maker = Maker(work, Downloads(work / "downloads", debian_python_version()))
    standins = plan(names, maker)
    return build_channel(standins, work), standins
