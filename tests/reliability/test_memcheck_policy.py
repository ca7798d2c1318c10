"""What tools/reliability/memcheck.py counts against h5linalg, on synthetic reports.

The valgrind run itself takes a minute or two (``python -m
tools.reliability.memcheck valgrind``); these tests pin down its verdicts:
invalid accesses fail wherever they are, definite leaks fail when h5linalg's
code made the allocation, uninitialised values fail when h5linalg's code used
them, and CPython/NumPy noise does not.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools" / "reliability"
CORE = (
    "/venv/lib/python3.11/site-packages/h5linalg/_core.cpython-311-x86_64-linux-gnu.so"
)
PYTHON = "/usr/lib/libpython3.11.so.1.0"
NUMPY = (
    "/venv/lib/python3.11/site-packages/numpy/_core/_multiarray_umath.cpython-311.so"
)
OPENBLAS = "/usr/lib/x86_64-linux-gnu/libopenblas.so.0"
LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"
MALLOC = "/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so"


def valgrind_tool() -> ModuleType:
    return importlib.import_module("tools.reliability.memcheck")


def error(kind: str, *frames: tuple[str, str]) -> str:
    stack = "".join(
        f"<frame><ip>0x1</ip><obj>{obj}</obj><fn>{fn}</fn></frame>"
        for fn, obj in frames
    )
    return f"<error><unique>0x1</unique><kind>{kind}</kind><what>w</what><stack>{stack}</stack></error>"


def verdicts(tmp_path: Path, *errors: str) -> list[bool]:
    report = tmp_path / "memcheck.xml"
    report.write_text(
        '<?xml version="1.0"?><valgrindoutput>' + "".join(errors) + "</valgrindoutput>"
    )
    findings, _ = valgrind_tool().parse_report(report)
    return [finding.fatal for finding in findings]


@pytest.mark.parametrize(
    ("report", "fatal"),
    [
        (error("InvalidRead", ("dgemm_kernel", OPENBLAS), ("???", CORE)), True),
        (error("InvalidWrite", ("memcpy", LIBC), ("PyBytes_FromStringAndSize", PYTHON)), True),
        (error("InvalidFree", ("free", MALLOC), ("h5linalg::ChunkReader::read", CORE)), True),
        (error("Leak_DefinitelyLost", ("malloc", MALLOC), ("operator new", "/usr/lib/libstdc++.so.6"), ("???", CORE)), True),
        (error("Leak_DefinitelyLost", ("malloc", MALLOC), ("H5MM_malloc", "/usr/lib/libhdf5_serial.so.103"), ("h5linalg::open_dataset", "/build/_core.so")), True),
        (error("Leak_DefinitelyLost", ("malloc", MALLOC), ("PyTuple_Pack", PYTHON), ("init_promoter", NUMPY)), False),
        (error("Leak_IndirectlyLost", ("malloc", MALLOC), ("???", CORE)), False),
        (error("UninitCondition", ("memcmp", LIBC), ("???", CORE), ("x", PYTHON)), True),
        (error("UninitCondition", ("maybe_small_long", PYTHON), ("???", CORE)), False),
        (error("SyscallParam", ("pwrite64", LIBC), ("H5FD_sec2_write", "/usr/lib/libhdf5_serial.so.103"), ("???", CORE)), False),
    ],
)  # fmt: skip
def test_verdict(tmp_path, report, fatal):
    assert verdicts(tmp_path, report) == [fatal]


def test_suppression_counts_are_read(tmp_path):
    report = tmp_path / "memcheck.xml"
    report.write_text(
        '<?xml version="1.0"?><valgrindoutput><errorcounts><pair><count>3</count>'
        "<unique>0x1</unique></pair></errorcounts><suppcounts><pair><count>12</count>"
        "<name>glibc-ld.so-strncmp-overread-in-is_dst</name></pair></suppcounts>"
        "</valgrindoutput>"
    )
    findings, used = valgrind_tool().parse_report(report)
    assert findings == []
    assert used == {"glibc-ld.so-strncmp-overread-in-is_dst": 12}


def test_every_suppression_is_explained():
    """valgrind.supp: a comment before each entry saying why it is not h5linalg's bug."""
    lines = (TOOLS / "valgrind.supp").read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "{"]
    assert starts, "no suppressions: then drop this test"
    for start in starts:
        assert lines[start - 1].startswith("#"), (
            f"suppression at line {start + 1} lacks a comment"
        )
        name = lines[start + 1].strip()
        assert "h5linalg" not in name
        assert "_core" not in "".join(lines[start : start + 12])


def test_a_run_ended_by_exit_0_fails(tmp_path):
    """The reference BLAS ends the process with exit(0) on a bad argument: pytest's
    exit status is then 0, and only its missing report shows the run stopped."""
    test = tmp_path / "test_exit.py"
    test.write_text("import os\n\n\ndef test_exit():\n    os._exit(0)\n")
    support = importlib.import_module("tools.reliability._support")
    problem = support.run_pytest(
        Path(sys.executable), ["-q", str(test)], env=support.clean_env()
    )
    assert problem == "the process ended before pytest finished (no report written)"
