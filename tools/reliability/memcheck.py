#!/usr/bin/env python3
"""The memory checks: pytest (and the C++ unit tests) under ASan+UBSan, and under valgrind.

``asan``: scikit-build-core builds the extension module and the C++ unit tests
with ``-DH5LINALG_SANITIZE="address;undefined"`` (Debug, unstripped) in
``build/asan`` and installs the module into a side venv (``build/asan-venv``)
that shadows any editable install. ``ctest`` runs the C++ tests with
LeakSanitizer on; then pytest runs the tests marked ``memcheck`` (every
kernel, source kind, codec, the output writer, bad input, Ctrl-C and failing
callbacks) with libasan preloaded into the (uninstrumented) interpreter and
``PYTHONMALLOC=malloc``, so Python objects are checked too. ``--full`` runs the
default suite instead (but for FULL_SUITE_IGNORES).

``valgrind``: pytest runs the same tests under memcheck, with
``PYTHONMALLOC=malloc`` and the suppressions of ``valgrind.supp``, on the
h5linalg the interpreter imports (in CI, the development build). Its XML report
fails the run on (Finding):

* any invalid read or write, invalid or mismatched free, invalid jump or
  overlapping copy, wherever it happens (nothing else may corrupt our memory);
* any definite leak whose allocation stack passes through h5linalg's own code;
* any use of an uninitialised value whose first frame outside libc is ours.

Everything else valgrind says about CPython, NumPy, h5py or OpenBLAS (which
free little at exit by design) is counted and listed, not failed. Stacks show
file and line with an unstripped build: ``--python`` an interpreter that has
one (``pip install -Ccmake.build-type=RelWithDebInfo -Cinstall.strip=false .``).

Either exits with status 1 on any finding, any failing test, a pytest run that
ended before writing its report, a module built without the sanitizers, or a
set-up that misses a deliberate heap over-read (the canary).

    python -m tools.reliability.memcheck asan        # ~8 min cold, ~2 warm
    python -m tools.reliability.memcheck valgrind    # ~2 min

Why a script: pytest cannot start itself under valgrind or with a sanitizer
runtime preloaded, nor tell h5linalg's findings from CPython's (see below).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from tools.reliability._support import (
    HERE,
    REPO,
    CheckFailed,
    clean_env,
    compiler_library,
    exit_on_sigterm,
    log,
    memcheck_modules,
    needed_libraries,
    overlay_venv,
    pip_install_project,
    run,
    run_pytest,
)

#: Reads 16 bytes past the end of a 16-byte malloc block from uninstrumented code
#: (ctypes -> memcpy): ASan's memcpy interceptor and valgrind must both report it.
CANARY = (
    "import ctypes; libc = ctypes.CDLL(None); libc.malloc.restype = ctypes.c_void_p; "
    "block = libc.malloc(16); print(len(ctypes.string_at(block, 32)))"
)


# --- ASan and UBSan ----------------------------------------------------------------

ASAN_BUILD = REPO / "build" / "asan"
#: ASan settings for the C++ tests: leaks are checked there, where nothing else allocates.
ASAN_CPP = (
    "detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:"
    "strict_init_order=1:halt_on_error=1:abort_on_error=0"
)
#: For Python: CPython and NumPy keep memory until exit by design, so leak checks
#: are valgrind's job; everything else (overflows, use-after-free, ...) is on.
ASAN_PYTHON = (
    "detect_leaks=0:detect_stack_use_after_return=1:halt_on_error=1:abort_on_error=0:"
    "allocator_may_return_null=1"
)
#: The module is built with -fno-sanitize-recover=all: a UBSan report also ends
#: the process that made it.
UBSAN = "halt_on_error=1:print_stacktrace=1"
#: Left out of --full: the conda packaging checks run no h5linalg code; the fuzz
#: campaign's children cap their address space (RLIMIT_AS), which leaves ASan no
#: room for its shadow memory ("Failed to mmap"); the linkage audit is about
#: release builds, and rightly rejects one that links libasan.
FULL_SUITE_IGNORES = (
    f"--ignore={REPO / 'tests' / 'packaging'}",
    f"--ignore={REPO / 'tests' / 'reliability' / 'test_fuzz_files.py'}",
    f"--ignore={REPO / 'tests' / 'reliability' / 'test_linkage.py'}",
)


def sanitizer_env(
    reports: Path, asan_options: str, preload: str | None
) -> dict[str, str]:
    """Reports go to files under `reports` (log_path), so that a finding in a child
    process whose exit status nobody checks still counts."""
    env = clean_env(
        ASAN_OPTIONS=f"{asan_options}:log_path={reports / 'asan'}",
        UBSAN_OPTIONS=f"{UBSAN}:log_path={reports / 'ubsan'}",
        LSAN_OPTIONS=f"suppressions={HERE / 'lsan.supp'}",
        PYTHONFAULTHANDLER="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if preload is not None:
        env["LD_PRELOAD"] = preload
        env["PYTHONMALLOC"] = "malloc"
    return env


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def reports_in(reports: Path, what: str) -> int:
    """Prints the sanitizer report files of one run; returns how many there are."""
    found = sorted(path for path in reports.iterdir() if path.is_file())
    for path in found:
        print(f"\n===== {what}: {path.name} =====", file=sys.stderr)
        print(path.read_text(errors="replace"), file=sys.stderr)
    return len(found)


def sanitized_python(skip_build: bool) -> tuple[Path, str]:
    """The side venv's python with the sanitized module, and what it must preload:
    libasan, and libstdc++ so that ASan can intercept the C++ exceptions
    (__cxa_throw) the module throws."""
    python = overlay_venv(REPO / "build" / "asan-venv")
    if not skip_build:
        ASAN_BUILD.mkdir(parents=True, exist_ok=True)
        pip_install_project(
            python,
            REPO,
            ASAN_BUILD,
            {"H5LINALG_SANITIZE": "address;undefined", "BUILD_TESTING": "ON"},
            build_type="Debug",
            strip=False,
            log_file=REPO / "build" / "asan-build.log",
        )
    preload = " ".join(
        str(compiler_library(name)) for name in ("libasan.so", "libstdc++.so.6")
    )
    code = "import h5linalg._core as c; print(c.__file__)"
    env = clean_env(LD_PRELOAD=preload, ASAN_OPTIONS="detect_leaks=0")
    out = run([python, "-c", code], env=env, cwd=tempfile.gettempdir(), capture=True)
    module = Path(out.stdout.strip().splitlines()[-1])
    needed = needed_libraries(module)
    log(f"extension {module}: NEEDED {', '.join(needed)}")
    for runtime in ("libasan", "libubsan"):
        if not any(name.startswith(runtime) for name in needed):
            msg = f"{module} is not built with ASan and UBSan (NEEDED: {needed})"
            raise CheckFailed(msg)
    return python, preload


def asan(args: argparse.Namespace) -> list[str]:
    """Runs the canary, ctest and pytest; returns what failed."""
    python, preload = sanitized_python(args.skip_build)
    reports = fresh_dir(REPO / "build" / "asan-reports")
    canary = fresh_dir(reports / "canary")
    env = sanitizer_env(canary, ASAN_PYTHON, preload)
    result = run([python, "-c", CANARY], env=env, check=False, capture=True)
    if result.returncode == 0 or not any(canary.glob("asan.*")):
        msg = "ASan missed a deliberate heap over-read: the sanitizer set-up is broken"
        raise CheckFailed(msg)
    log("canary: ASan reports a deliberate heap over-read, as it should")

    failures = []
    cpp = fresh_dir(reports / "ctest")
    jobs = str(os.cpu_count() or 2)
    result = run(
        ["ctest", "--test-dir", ASAN_BUILD, "--output-on-failure", "-j", jobs],
        env=sanitizer_env(cpp, ASAN_CPP, None),
        check=False,
    )
    found = reports_in(cpp, "C++ unit tests")
    if result.returncode != 0 or found:
        failures.append(
            f"C++ unit tests (exit status {result.returncode}, {found} reports)"
        )
    python_reports = fresh_dir(reports / "pytest")
    selection = (
        [*FULL_SUITE_IGNORES, str(REPO / "tests")]
        if args.full
        else ["-m", "memcheck", *memcheck_modules()]
    )
    problem = run_pytest(
        python,
        ["-q", *selection],
        env=sanitizer_env(python_reports, ASAN_PYTHON, preload),
    )
    found = reports_in(python_reports, "pytest")
    if problem or found:
        failures.append(f"pytest ({problem or 'passed'}, {found} reports)")
    return failures


# --- valgrind ----------------------------------------------------------------------
# valgrind's own exit status cannot carry this policy: a suppression matches a
# stack by its frames, and cannot say "a leak with no h5linalg frame in its
# allocation stack"; so the verdict is made from valgrind's XML report.

#: Memory errors that fail wherever they are.
ALWAYS_FATAL = {
    "InvalidRead",
    "InvalidWrite",
    "InvalidFree",
    "MismatchedFree",
    "InvalidJump",
    "Overlap",
    "InvalidMemPool",
}
#: Fail when h5linalg's code is the first frame outside the C library.
FATAL_IF_OURS_ON_TOP = {
    "UninitCondition",
    "UninitValue",
    "SyscallParam",
    "ClientCheck",
    "FishyValue",
}
#: Fail when h5linalg's code is anywhere in the allocation stack.
FATAL_IF_OURS_IN_STACK = {"Leak_DefinitelyLost"}

OUR_OBJECT = re.compile(r"/h5linalg/_core[^/]*\.so$")
OUR_FUNCTION = re.compile(r"h5linalg::|PyInit__core")
SYSTEM_OBJECT = re.compile(
    r"/(libc\.so|libc-|ld-linux|libstdc\+\+|libgcc_s|vgpreload_)[^/]*$"
)


@dataclass
class Frame:
    function: str
    obj: str
    file: str
    line: str

    def ours(self) -> bool:
        return bool(OUR_OBJECT.search(self.obj) or OUR_FUNCTION.search(self.function))

    def __str__(self) -> str:
        where = f" ({self.file}:{self.line})" if self.file else ""
        return f"{self.function or '???'} in {Path(self.obj).name or '?'}{where}"


@dataclass
class Finding:
    kind: str
    what: str
    frames: list[Frame]
    suppression: str = ""
    fatal: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        outside = [
            frame for frame in self.frames if not SYSTEM_OBJECT.search(frame.obj)
        ]
        if self.kind in ALWAYS_FATAL:
            self.fatal = True
        elif self.kind in FATAL_IF_OURS_IN_STACK:
            self.fatal = any(frame.ours() for frame in self.frames)
        elif self.kind in FATAL_IF_OURS_ON_TOP:
            self.fatal = bool(outside) and outside[0].ours()
        top = outside[0] if outside else (self.frames[0] if self.frames else None)
        #: The library to list it under: the first frame outside libc and the like.
        self.origin = Path(top.obj).name if top is not None else "?"


def parse_report(path: Path) -> tuple[list[Finding], dict[str, int]]:
    """The findings of valgrind's XML report, and how often each suppression was used."""
    root = ET.parse(path).getroot()  # valgrind's own output
    findings = []
    for error in root.iter("error"):
        frames = [
            Frame(*(frame.findtext(tag) or "" for tag in ("fn", "obj", "file", "line")))
            for frame in error.findall("stack/frame")
        ]
        what = error.findtext("what") or error.findtext("xwhat/text") or ""
        suppression = error.findtext("suppression/rawtext") or ""
        findings.append(
            Finding(error.findtext("kind") or "?", what, frames, suppression)
        )
    used = {
        (pair.findtext("name") or "?"): int(pair.findtext("count") or 0)
        for pair in root.findall("suppcounts/pair")
    }
    return findings, used


def report(findings: list[Finding], used: dict[str, int]) -> int:
    """Prints the findings; returns how many are fatal."""
    fatal = [finding for finding in findings if finding.fatal]
    for finding in fatal:
        print(f"\n##### {finding.kind}: {finding.what}", file=sys.stderr)
        for frame in finding.frames[:30]:
            print(f"    {frame}", file=sys.stderr)
        if finding.suppression:
            print("  a suppression would be (only if it is not h5linalg's bug):\n    "
                  + finding.suppression.strip().replace("\n", "\n    "), file=sys.stderr)  # fmt: skip
    tally = collections.Counter((f.kind, f.origin, f.fatal) for f in findings)
    print("\nvalgrind findings by kind and library (FATAL = counted against h5linalg):")
    for (kind, origin, is_fatal), count in sorted(tally.items()) or [
        (("none", "", False), 0)
    ]:
        print(f"  {count:6d}  {kind:22s} {origin:45s} {'FATAL' if is_fatal else ''}")
    for name, count in sorted(used.items()):
        print(f"  {count:6d}  suppressed by valgrind.supp: {name}")
    return len(fatal)


def memcheck_command(xml_path: Path) -> list[str]:
    return [
        "valgrind", "--tool=memcheck", "--leak-check=full",
        "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite",
        "--num-callers=50", "--error-limit=no", "--gen-suppressions=all",
        f"--suppressions={HERE / 'valgrind.supp'}",
        "--xml=yes", f"--xml-file={xml_path}",
    ]  # fmt: skip


def valgrind(args: argparse.Namespace) -> list[str]:
    """Runs the canary and the memcheck tests under valgrind; returns what failed."""
    report_dir = fresh_dir(REPO / "build" / "valgrind-report")
    env = clean_env(
        PYTHONMALLOC="malloc",  # every object a malloc block memcheck sees
        OPENBLAS_NUM_THREADS="1",  # BLAS threads only slow valgrind down
        H5LINALG_NUM_THREADS="2",  # still a pool of inflate workers
        PYTHONDONTWRITEBYTECODE="1",
    )
    canary_xml = report_dir / "canary.xml"
    run([*memcheck_command(canary_xml), args.python, "-c", CANARY], env=env,
        check=False, capture=True)  # fmt: skip
    if not any(
        f.kind == "InvalidRead" and f.fatal for f in parse_report(canary_xml)[0]
    ):
        msg = "valgrind missed a deliberate heap over-read: the set-up is broken"
        raise CheckFailed(msg)
    log("canary: memcheck reports a deliberate heap over-read, as it should")

    xml_path = report_dir / "memcheck.xml"
    problem = run_pytest(
        args.python,
        # Plain asserts (a failing one still fails): rewriting them recompiles
        # every test module, half the time valgrind spends collecting.
        ["-q", "--assert=plain", "-m", "memcheck", *memcheck_modules()],
        env=env,
        wrapper=memcheck_command(xml_path),
        timeout=1200,
    )
    if not xml_path.exists():
        msg = "valgrind wrote no report"
        raise CheckFailed(msg)
    fatal = report(*parse_report(xml_path))
    log(f"report: {xml_path}")
    failures = [f"pytest ({problem})"] if problem else []
    return failures + ([f"{fatal} findings against h5linalg"] if fatal else [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    tools = parser.add_subparsers(dest="tool", required=True)
    sanitizers = tools.add_parser("asan", help="ctest and pytest under ASan and UBSan")
    sanitizers.add_argument(
        "--skip-build", action="store_true", help="reuse the last build"
    )
    sanitizers.add_argument(
        "--full", action="store_true", help="the whole default suite"
    )
    memcheck = tools.add_parser("valgrind", help="the memcheck tests under valgrind")
    memcheck.add_argument("--python", type=Path, default=Path(sys.executable),
                          help="interpreter whose h5linalg is tested (default: this one)")  # fmt: skip
    args = parser.parse_args(argv)
    exit_on_sigterm()
    started = time.monotonic()
    try:
        failures = asan(args) if args.tool == "asan" else valgrind(args)
    except CheckFailed as error:
        failures = [str(error)]
    elapsed = time.monotonic() - started
    if failures:
        print(f"memcheck {args.tool}: FAILED in {elapsed:.0f}s: {'; '.join(failures)}")
        return 1
    print(f"memcheck {args.tool}: passed in {elapsed:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
