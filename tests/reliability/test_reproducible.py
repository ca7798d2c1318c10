"""Reproducible builds: two wheels of one commit are byte-identical.

The slow test runs ``tools/reliability/release_checks.py reproducible``: with
``SOURCE_DATE_EPOCH`` set to the commit time, the wheel built from the sdist
(shared with test_sdist.py) and a wheel built from a clean clone, in other
directories, must have the same SHA-256; otherwise the test shows which members
differ and how. The fast tests prove that report points at real differences.

The self-contained wheel is repaired by auditwheel (tools/offline/build_portable_wheel.py,
run by .ci/run's stage "portable wheel", which names its output folder in
``H5LINALG_PORTABLE_WHEEL``): two more repairs of the same unrepaired wheel, with
the same ``SOURCE_DATE_EPOCH``, must be byte-identical to the shipped one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from release_support import release_checks, tool

from h5linalg import _core


def write_zip(path: Path, members: dict[str, bytes], when: tuple[int, ...]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=when)  # type: ignore[arg-type]
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return path


def test_identical_archives_have_no_report(tmp_path):
    members = {"a.txt": b"one\n", "pkg/b.py": b"x = 1\n"}
    first = write_zip(tmp_path / "1.whl", members, (2020, 1, 1, 0, 0, 0))
    second = write_zip(tmp_path / "2.whl", members, (2020, 1, 1, 0, 0, 0))
    assert tool("wheel_diff").compare_archives(first, second) == []


def test_report_names_timestamps_and_changed_text(tmp_path):
    first = write_zip(
        tmp_path / "1.whl",
        {"a.txt": b"one\n", "RECORD": b"x,1\n"},
        (2020, 1, 1, 0, 0, 0),
    )
    second = write_zip(
        tmp_path / "2.whl",
        {"a.txt": b"one\n", "RECORD": b"x,2\n"},
        (2021, 1, 1, 0, 0, 0),
    )
    report = "\n".join(tool("wheel_diff").compare_archives(first, second))
    assert "a.txt: zip metadata differs: date_time" in report
    assert "SOURCE_DATE_EPOCH" in report
    assert "RECORD: contents differ" in report
    assert "-x,1" in report
    assert "+x,2" in report


def test_report_names_the_differing_section_of_a_shared_object(tmp_path):
    """A byte changed inside the extension's .rodata is traced to that section."""
    wheel_diff = tool("wheel_diff")
    original = Path(_core.__file__).read_bytes()
    sections = wheel_diff.elf_sections(original)
    rodata = sections[".rodata"]
    offset = original.index(rodata) + len(rodata) // 2
    changed = bytearray(original)
    changed[offset] ^= 0xFF
    name = "h5linalg/_core.so"
    when = (2020, 1, 1, 0, 0, 0)
    first = write_zip(tmp_path / "1.whl", {name: original}, when)
    second = write_zip(tmp_path / "2.whl", {name: bytes(changed)}, when)
    report = "\n".join(wheel_diff.compare_archives(first, second))
    assert f"{name}: contents differ" in report
    assert "section .rodata: differs" in report
    assert "section .text" not in report
    assert "build-id" in report


def test_report_names_members_only_in_one(tmp_path):
    when = (2020, 1, 1, 0, 0, 0)
    first = write_zip(tmp_path / "1.whl", {"a": b"1", "b": b"2"}, when)
    second = write_zip(tmp_path / "2.whl", {"a": b"1", "c": b"2"}, when)
    report = "\n".join(tool("wheel_diff").compare_archives(first, second))
    assert "only in the first: b" in report
    assert "only in the second: c" in report


@pytest.mark.slow
def test_wheel_from_sdist_and_from_tree_are_identical(release_workdir, tmp_path):
    summary = release_checks("reproducible", release_workdir, tmp_path / "summary.json")
    assert summary["reproducible"] == "identical"


@pytest.mark.wheel
@pytest.mark.skipif(
    not os.environ.get("H5LINALG_PORTABLE_WHEEL"),
    reason="needs H5LINALG_PORTABLE_WHEEL (the --output-dir of tools/offline/build_portable_wheel.py)",
)
def test_two_repairs_of_one_wheel_are_identical(tmp_path):
    output = Path(os.environ["H5LINALG_PORTABLE_WHEEL"])
    summary = json.loads((output / "portable-wheel.json").read_text())
    auditwheel = shutil.which("auditwheel", path=str(Path(sys.executable).parent))
    assert auditwheel, "auditwheel is missing: python -m pip install --group wheels"
    env = dict(os.environ, **summary["repair_environment"])
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    repaired = []
    for attempt in ("first", "second"):
        subprocess.run(
            [auditwheel, "repair", "--plat", summary["tag"], "-w", tmp_path / attempt,
             output / summary["unrepaired"]],
            env=env, check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        (wheel,) = (tmp_path / attempt).glob("*.whl")
        repaired.append(wheel)
    wheel_diff = tool("wheel_diff")
    shipped = output / summary["wheel"]
    for wheel in repaired:
        report = wheel_diff.compare_archives(shipped, wheel)
        assert report == [], "\n".join(report)
        assert wheel_diff.sha256(wheel) == wheel_diff.sha256(shipped)
