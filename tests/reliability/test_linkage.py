"""Linkage audit: the built extension module links only what the package declares.

Reads the DT_NEEDED, RPATH and RUNPATH entries of ``h5linalg._core`` (parsing the
ELF file directly, so the test also runs where binutils is missing, e.g. a conda
test environment) and checks them against ``tools/reliability/linkage.json``:
HDF5, the generic BLAS/CBLAS/LAPACK shims, zlib, the C++ runtime and libc are
declared; an implementation such as OpenBLAS linked by name, libpython or a
sanitizer runtime is forbidden; anything else is unknown and fails with the
list. ``ldd`` must resolve every dependency.

A self-contained wheel (``h5linalg/_bundled.json`` present: tools/wheels) is the
other case, checked against the file's ``wheel`` section instead: the extension
links the copies auditwheel grafted into ``h5linalg.libs`` (HDF5, the codecs, the
scipy_-prefixed OpenBLAS) and the manylinux policy's libraries, never the generic
libblas/liblapack or an HDF5 outside the wheel. Conda and source builds must keep
the generic, unprefixed BLAS names.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from h5linalg import _core
from h5linalg._config import bundled_info

EXPECTED_FILE = (
    Path(__file__).resolve().parents[2] / "tools" / "reliability" / "linkage.json"
)

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="ELF linkage (DT_NEEDED, ldd) is checked on Linux"
)

#: A wheel that carries its libraries (tools/wheels) rather than a conda or source build.
IS_WHEEL = bundled_info() is not None
only_builds = pytest.mark.skipif(
    IS_WHEEL,
    reason="does not apply: a self-contained wheel (the test_wheel_* tests check it)",
)
only_wheels = pytest.mark.skipif(
    not IS_WHEEL,
    reason="does not apply: not a self-contained wheel (no h5linalg/_bundled.json)",
)

# ELF constants (System V ABI).
PT_LOAD, PT_DYNAMIC = 1, 2
DT_NULL, DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 1, 5, 15, 29


@dataclass
class DynamicInfo:
    needed: list[str] = field(default_factory=list)
    rpath: list[str] = field(default_factory=list)
    runpath: list[str] = field(default_factory=list)


def read_dynamic(path: Path) -> DynamicInfo:
    """DT_NEEDED, DT_RPATH and DT_RUNPATH of an ELF shared object, from its program
    headers (present even in stripped files)."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        msg = f"{path} is not an ELF file"
        raise ValueError(msg)
    is_64 = data[4] == 2
    endian = "<" if data[5] == 1 else ">"
    if is_64:
        (phoff,) = struct.unpack_from(endian + "Q", data, 0x20)
        phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x36)
        header = (
            endian + "IIQQQQQQ"
        )  # type, flags, offset, vaddr, paddr, filesz, memsz, align
        dyn_entry = endian + "qQ"
    else:
        (phoff,) = struct.unpack_from(endian + "I", data, 0x1C)
        phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x2A)
        header = (
            endian + "IIIIIIII"
        )  # type, offset, vaddr, paddr, filesz, memsz, flags, align
        dyn_entry = endian + "iI"
    loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
    dynamic: tuple[int, int] | None = None  # (offset, filesz)
    for index in range(phnum):
        fields = struct.unpack_from(header, data, phoff + index * phentsize)
        if is_64:
            kind, _, offset, vaddr, _, filesz, _, _ = fields
        else:
            kind, offset, vaddr, _, filesz, _, _, _ = fields
        if kind == PT_LOAD:
            loads.append((vaddr, offset, filesz))
        elif kind == PT_DYNAMIC:
            dynamic = (offset, filesz)
    if dynamic is None:
        return DynamicInfo()

    entries: list[tuple[int, int]] = []
    size = struct.calcsize(dyn_entry)
    for position in range(dynamic[0], dynamic[0] + dynamic[1], size):
        tag, value = struct.unpack_from(dyn_entry, data, position)
        if tag == DT_NULL:
            break
        entries.append((tag, value))
    strtab_vaddr = next(value for tag, value in entries if tag == DT_STRTAB)
    strtab = next(
        offset + strtab_vaddr - vaddr
        for vaddr, offset, filesz in loads
        if vaddr <= strtab_vaddr < vaddr + filesz
    )

    def string(at: int) -> str:
        start = strtab + at
        return data[start : data.index(b"\0", start)].decode()

    info = DynamicInfo()
    for tag, value in entries:
        if tag == DT_NEEDED:
            info.needed.append(string(value))
        elif tag == DT_RPATH:
            info.rpath += string(value).split(":")
        elif tag == DT_RUNPATH:
            info.runpath += string(value).split(":")
    return info


def load_expected() -> dict[str, Any]:
    return json.loads(EXPECTED_FILE.read_text())  # type: ignore[no-any-return]


@dataclass
class Verdict:
    declared: dict[str, str] = field(default_factory=dict)  # soname -> entry name
    forbidden: dict[str, str] = field(default_factory=dict)  # soname -> why
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required entries not linked


def classify(needed: list[str], expected: dict[str, Any]) -> Verdict:
    verdict = Verdict()
    for soname in needed:
        bad = next(
            (
                rule
                for rule in expected["forbidden"]
                if re.fullmatch(rule["pattern"], soname)
            ),
            None,
        )
        if bad is not None:
            verdict.forbidden[soname] = bad["why"]
            continue
        entry = next(
            (e for e in expected["declared"] if re.fullmatch(e["pattern"], soname)),
            None,
        )
        if entry is None:
            verdict.unknown.append(soname)
        else:
            verdict.declared[soname] = entry["name"]
    linked = set(verdict.declared.values())
    verdict.missing = [
        entry["name"]
        for entry in expected["declared"]
        if entry["required"] and entry["name"] not in linked
    ]
    return verdict


@pytest.fixture(scope="module")
def module_path() -> Path:
    return Path(_core.__file__).resolve()


@pytest.fixture(scope="module")
def dynamic(module_path: Path) -> DynamicInfo:
    return read_dynamic(module_path)


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    return load_expected()


@only_builds
def test_every_needed_library_is_declared(module_path, dynamic, expected):
    verdict = classify(dynamic.needed, expected)
    problems = [f"{name}: FORBIDDEN, {why}" for name, why in verdict.forbidden.items()]
    if verdict.unknown:
        problems.append(
            f"not declared in {EXPECTED_FILE.name}: {', '.join(verdict.unknown)} "
            "(declare them there, with the package that provides them, or stop linking them)"
        )
    assert not problems, (
        f"{module_path.name} links {dynamic.needed}:\n  " + "\n  ".join(problems)
    )


@only_builds
def test_every_required_library_is_linked(module_path, dynamic, expected):
    verdict = classify(dynamic.needed, expected)
    assert not verdict.missing, (
        f"{module_path.name} links {dynamic.needed}, nothing for {verdict.missing}"
    )


@only_builds
def test_blas_and_lapack_are_the_generic_shims(dynamic):
    blas = [name for name in dynamic.needed if re.search(r"blas|lapack|mkl|blis", name)]
    assert set(blas) <= {"libblas.so.3", "libcblas.so.3", "liblapack.so.3"}, blas
    assert "libblas.so.3" in blas
    assert "liblapack.so.3" in blas


def test_no_absolute_rpath(module_path, dynamic, expected):
    allowed = expected["runpath"]["allowed"]
    bad = [p for p in dynamic.rpath + dynamic.runpath if not re.fullmatch(allowed, p)]
    assert not bad, (
        f"{module_path.name}: RPATH/RUNPATH {bad}: {expected['runpath']['why']}"
    )


def test_ldd_resolves_every_dependency(module_path):
    ldd = shutil.which("ldd")
    assert ldd is not None, "ldd (glibc's libc-bin) is missing"
    result = subprocess.run(
        [ldd, module_path], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    unresolved = [
        line.strip() for line in result.stdout.splitlines() if "not found" in line
    ]
    assert not unresolved, f"ldd {module_path}:\n{result.stdout}"


def test_elf_reader_agrees_with_readelf(module_path, dynamic):
    """The hand-written ELF reader against binutils, where binutils is installed."""
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.skip("binutils' readelf is not installed; the ELF reader stands alone")
    output = subprocess.run(
        [readelf, "-d", module_path], capture_output=True, text=True, check=True
    ).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", output)
    assert dynamic.needed == needed
    assert len(dynamic.needed) >= 5


def test_expected_set_is_well_formed(expected):
    names = [entry["name"] for entry in expected["declared"]]
    assert len(names) == len(set(names))
    for rule in expected["declared"] + expected["forbidden"]:
        re.compile(rule["pattern"])
        assert rule.get("why")
    for entry in expected["declared"]:
        assert entry.get("conda_host"), entry["name"]
        assert isinstance(entry["required"], bool)


@pytest.mark.parametrize(
    ("needed", "problem"),
    [
        (["libhdf5_serial.so.103", "libopenblas.so.0", "libc.so.6"], "forbidden"),
        (["libhdf5.so.310", "libmkl_rt.so.2", "libc.so.6"], "forbidden"),
        (["libpython3.12.so.1.0", "libc.so.6"], "forbidden"),
        (["libasan.so.8", "libc.so.6"], "forbidden"),
        (["libhdf5.so.310", "libfoo.so.1", "libc.so.6"], "unknown"),
        (["libblas.so.3", "libc.so.6"], "missing"),
    ],
)
def test_classifier_catches_bad_linkage(needed, problem, expected):
    """The audit is not vacuous: each kind of bad linkage is caught."""
    verdict = classify(needed, expected)
    assert getattr(verdict, problem)


def test_classifier_accepts_debian_and_conda_forge_builds(expected):
    debian = [
        "libhdf5_serial.so.103", "libz.so.1", "liblapack.so.3", "libblas.so.3",
        "libdeflate.so.0", "libzstd.so.1", "liblz4.so.1", "libblosc.so.1", "liblzf.so.1",
        "libstdc++.so.6", "libm.so.6", "libgcc_s.so.1", "libc.so.6", "ld-linux-x86-64.so.2",
    ]  # fmt: skip
    conda_forge = [
        "libhdf5.so.310", "libcblas.so.3", "liblapack.so.3", "libblas.so.3", "libz.so.1",
        "libdeflate.so.0", "libzstd.so.1", "liblz4.so.1", "libblosc.so.1", "liblzf.so.1",
        "libstdc++.so.6", "libgcc_s.so.1", "libc.so.6",
    ]  # fmt: skip
    for needed in (debian, conda_forge):
        verdict = classify(needed, expected)
        assert not verdict.forbidden, verdict
        assert not verdict.unknown, verdict
        assert not verdict.missing, verdict


@dataclass
class WheelVerdict:
    bundled: dict[str, str] = field(default_factory=dict)  # soname -> entry name
    other_bundled: list[str] = field(default_factory=list)
    system: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(
        default_factory=list
    )  # required bundled entries not linked


def classify_wheel(needed: list[str], expected: dict[str, Any]) -> WheelVerdict:
    """The DT_NEEDED entries of a repaired wheel's extension against ``wheel``."""
    rules = expected["wheel"]
    verdict = WheelVerdict()
    for soname in needed:
        entry = next(
            (e for e in rules["bundled"] if re.fullmatch(e["pattern"], soname)), None
        )
        if re.fullmatch(rules["system"]["pattern"], soname):
            verdict.system.append(soname)
        elif entry is not None:
            verdict.bundled[soname] = entry["name"]
        elif re.fullmatch(rules["other_bundled"]["pattern"], soname):
            verdict.other_bundled.append(soname)
        elif re.fullmatch(rules["forbidden"]["pattern"], soname):
            verdict.forbidden.append(soname)
        else:
            verdict.unknown.append(soname)
    linked = set(verdict.bundled.values())
    verdict.missing = [
        e["name"] for e in rules["bundled"] if e["required"] and e["name"] not in linked
    ]
    return verdict


@only_wheels
def test_wheel_links_its_bundled_libraries(module_path, dynamic, expected):
    verdict = classify_wheel(dynamic.needed, expected)
    assert not verdict.forbidden, (
        f"{module_path.name} links {verdict.forbidden}: {expected['wheel']['forbidden']['why']}"
    )
    assert not verdict.unknown, f"{module_path.name}: unexpected {verdict.unknown}"
    assert not verdict.missing, (
        f"{module_path.name} links {dynamic.needed}, nothing for {verdict.missing}"
    )
    grafted = module_path.parent.parent / expected["wheel"]["grafted_folder"]
    for soname in [*verdict.bundled, *verdict.other_bundled]:
        assert (grafted / soname).is_file(), f"{soname} is not in {grafted}"


@only_wheels
def test_wheel_looks_in_its_own_folder(dynamic, expected):
    folder = expected["wheel"]["grafted_folder"]
    assert f"$ORIGIN/../{folder}" in dynamic.rpath + dynamic.runpath


@only_wheels
def test_wheel_calls_the_prefixed_blas():
    assert _core.build_info()["blas_symbol_prefix"] == "scipy_"


def test_wheel_is_detected_where_ci_says_so():
    if os.environ.get("H5LINALG_EXPECT_WHEEL"):
        assert IS_WHEEL, (
            "H5LINALG_EXPECT_WHEEL is set but h5linalg/_bundled.json is missing"
        )


@only_builds
def test_builds_keep_the_generic_blas_names(module_path):
    """Conda and source builds call cblas_dgemm, not a prefixed name (nm, where binutils is)."""
    assert _core.build_info()["blas_symbol_prefix"] == ""
    nm = shutil.which("nm")
    if nm is None:
        pytest.skip("binutils' nm is not installed")
    undefined = subprocess.run(
        [nm, "-D", "--undefined-only", module_path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "cblas_dgemm" in undefined
    assert "dgesdd_" in undefined
    assert not [name for name in undefined if name.startswith("scipy_")]


def test_wheel_classifier_accepts_ci_and_debian_wheels(expected):
    ci = [
        "libhdf5-1a2b3c4d.so.310.5.1", "libscipy_openblas-0f1e2d3c.so", "libz-12345678.so.1.3.2",
        "libdeflate-9abcdef0.so.0", "libzstd-11112222.so.1.5.7", "liblz4-33334444.so.1.10.0",
        "libblosc-55556666.so.1.21.6", "liblzf-77778888.so.1", "libstdc++.so.6", "libm.so.6",
        "libgcc_s.so.1", "libc.so.6",
    ]  # fmt: skip
    debian = [
        "libhdf5_serial-8768aa43.so.103.3.1", "libscipy_openblas-b396d74f.so", "libz.so.1",
        "libdeflate-7a207818.so.0", "libzstd-6bb594bb.so.1.5.4", "liblz4-0f0ce522.so.1.9.4",
        "libblosc-9bb1824a.so.1.21.3", "liblzf-4c834dd7.so.1.5", "libstdc++.so.6",
        "libm.so.6", "libgcc_s.so.1", "libc.so.6",
    ]  # fmt: skip
    for needed in (ci, debian):
        verdict = classify_wheel(needed, expected)
        assert not verdict.forbidden, verdict
        assert not verdict.unknown, verdict
        assert not verdict.missing, verdict


@pytest.mark.parametrize(
    ("swap", "problem"),
    [
        (("libscipy_openblas-b396d74f.so", "libblas.so.3"), "forbidden"),
        (("libhdf5_serial-8768aa43.so.103.3.1", "libhdf5_serial.so.103"), "forbidden"),
        (("libzstd-6bb594bb.so.1.5.4", "libzstd.so.1"), "unknown"),
        (("liblzf-4c834dd7.so.1.5", "libc.so.6"), "missing"),
    ],
)
def test_wheel_classifier_catches_unbundled_libraries(swap, problem, expected):
    needed = [
        "libhdf5_serial-8768aa43.so.103.3.1", "libscipy_openblas-b396d74f.so",
        "libdeflate-7a207818.so.0", "libzstd-6bb594bb.so.1.5.4", "liblz4-0f0ce522.so.1.9.4",
        "libblosc-9bb1824a.so.1.21.3", "liblzf-4c834dd7.so.1.5", "libc.so.6",
    ]  # fmt: skip
    needed = [swap[1] if name == swap[0] else name for name in needed]
    assert getattr(classify_wheel(needed, expected), problem)
