#!/usr/bin/env python3
"""h5linalg under AddressSanitizer and UndefinedBehaviorSanitizer (GCC).

One build serves both halves: scikit-build-core builds the extension module and
the C++ unit tests with ``-DH5LINALG_SANITIZE="address;undefined"`` (Debug, -O0 -g,
unstripped) in ``build/asan`` and installs the module into a side venv
(``build/asan-venv``) that shadows any editable install. Then:

1. ``ctest`` runs every C++ unit test, with LeakSanitizer on;
2. the Python smoke test (``smoke.py``: every public function, bad inputs,
   Ctrl-C) runs with libasan preloaded into the (uninstrumented) interpreter,
   ``PYTHONMALLOC=malloc`` so Python objects are checked too, and leak
   detection off (CPython frees little at exit; valgrind.py covers leaks);
3. with ``--full``, the default pytest suite runs the same way,
   but for the conda packaging checks, the fuzz campaign and the linkage audit
   (see FULL_SUITE_IGNORES).

Sanitizer reports go to files (``log_path``), so a finding in a child process
counts too. Any report, any failing test, or a module built without the
sanitizers makes the script exit with status 1.

    python -m tools.reliability.sanitizers           # build + ctest + smoke (~8 min cold, 1-2 warm)
    python -m tools.reliability.sanitizers --full    # + the whole pytest suite
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tools.reliability._support import (
    CANARY,
    HERE,
    REPO,
    CheckFailed,
    clean_env,
    compiler_library,
    exit_on_sigterm,
    log,
    needed_libraries,
    overlay_venv,
    pip_install_project,
    run,
    smoke_summary,
)

#: ASan settings for the C++ tests: leaks are checked there, where nothing else allocates.
ASAN_CPP = (
    "detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:"
    "strict_init_order=1:halt_on_error=1:abort_on_error=0"
)
#: For Python: CPython and NumPy keep memory until exit by design, so leak checks
#: are valgrind.py's job; everything else (overflows, use-after-free, ...) is on.
ASAN_PYTHON = (
    "detect_leaks=0:detect_stack_use_after_return=1:halt_on_error=1:abort_on_error=0:"
    "allocator_may_return_null=1"
)
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


#: What a sanitizer prints when it finds something (reports can also land in files).
MARKER = re.compile(
    r"ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|AddressSanitizer: CHECK failed"
    r"|:\d+(:\d+)?: runtime error: |SUMMARY: UndefinedBehaviorSanitizer"
)


def preload_list() -> str:
    """What the uninstrumented interpreter must load first: libasan, and libstdc++
    so that ASan can intercept C++ exceptions (__cxa_throw) thrown by the module."""
    return " ".join(
        str(compiler_library(name)) for name in ("libasan.so", "libstdc++.so.6")
    )


def built_module(python: Path, preload: str) -> Path:
    """The extension module `python` imports (with ASan preloaded, as it must be)."""
    code = "import h5linalg._core as c; print(c.__file__)"
    env = clean_env(LD_PRELOAD=preload, ASAN_OPTIONS="detect_leaks=0")
    out = run([python, "-c", code], env=env, cwd=tempfile.gettempdir(), capture=True)
    return Path(out.stdout.strip().splitlines()[-1])


def sanitizer_env(
    reports: Path, asan_options: str, preload: str | None
) -> dict[str, str]:
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


def collect_reports(reports: Path, what: str) -> int:
    """Prints the sanitizer reports of one run: files under `reports`, and the lines
    of its saved output (reports/output.txt) that carry a sanitizer's marker.
    Returns how many there are."""
    found = sorted(
        path
        for path in reports.iterdir()
        if path.is_file() and path.name != "output.txt"
    )
    for path in found:
        print(f"\n===== {what}: {path.name} =====", file=sys.stderr)
        print(path.read_text(errors="replace"), file=sys.stderr)
    output = reports / "output.txt"
    lines = output.read_text(errors="replace").splitlines() if output.exists() else []
    marked = [line for line in lines if MARKER.search(line)]
    if marked:
        print(f"\n===== {what}: sanitizer reports in the output =====", file=sys.stderr)
        print("\n".join(marked), file=sys.stderr)
    return len(found) + len(marked)


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--full", action="store_true", help="also run the pytest suite")
    parser.add_argument("--build-dir", type=Path, default=REPO / "build" / "asan")
    parser.add_argument("--venv", type=Path, default=REPO / "build" / "asan-venv")
    parser.add_argument(
        "--skip-build", action="store_true", help="reuse the last build"
    )
    parser.add_argument("--skip-ctest", action="store_true")
    parser.add_argument("--smoke-rows", type=int, default=120)
    parser.add_argument(
        "--pytest-args",
        default="-q -p no:cacheprovider",
        help="arguments for pytest with --full (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    exit_on_sigterm()
    started = time.monotonic()
    build_dir: Path = args.build_dir.resolve()
    reports = fresh_dir(build_dir.parent / f"{build_dir.name}-reports")
    summary: list[str] = []

    try:
        python = overlay_venv(args.venv.resolve())
        if not args.skip_build:
            build_dir.mkdir(parents=True, exist_ok=True)
            pip_install_project(
                python,
                REPO,
                build_dir,
                {"H5LINALG_SANITIZE": "address;undefined", "BUILD_TESTING": "ON"},
                build_type="Debug",
                strip=False,
                log_file=build_dir.parent / f"{build_dir.name}-build.log",
            )
        preload = preload_list()
        module = built_module(python, preload)
        needed = needed_libraries(module)
        log(f"extension {module}: NEEDED {', '.join(needed)}")
        if not any(name.startswith("libasan") for name in needed) or not any(
            name.startswith("libubsan") for name in needed
        ):
            msg = f"{module} is not built with ASan and UBSan (NEEDED: {needed})"
            raise CheckFailed(msg)

        failures: list[str] = []
        with tempfile.TemporaryDirectory(prefix="h5linalg-asan-") as scratch:
            canary_reports = fresh_dir(reports / "canary")
            result = run(
                [python, "-c", CANARY],
                env=sanitizer_env(canary_reports, ASAN_PYTHON, preload),
                cwd=scratch,
                check=False,
                tee=canary_reports / "output.txt",
            )
            if result.returncode == 0 or not any(canary_reports.glob("asan.*")):
                msg = "ASan missed a deliberate heap over-read: the sanitizer set-up is broken"
                raise CheckFailed(msg)
            log("canary: ASan reports a deliberate heap over-read, as it should")

        if not args.skip_ctest:
            cpp_reports = fresh_dir(reports / "ctest")
            result = run(
                ["ctest", "--test-dir", build_dir, "--output-on-failure", "-j", str(os.cpu_count() or 2)],
                env=sanitizer_env(cpp_reports, ASAN_CPP, None),
                check=False,
                tee=cpp_reports / "output.txt",
            )  # fmt: skip
            found = collect_reports(cpp_reports, "C++ unit tests")
            tally = re.findall(r"\d+% tests passed(?:, \d+ tests? failed)? out of \d+",
                               (cpp_reports / "output.txt").read_text(errors="replace"))  # fmt: skip
            summary.append(f"ctest: {tally[-1] if tally else f'status {result.returncode}'}; "
                           f"{found} sanitizer reports")  # fmt: skip
            if result.returncode != 0 or found:
                failures.append("C++ unit tests")

        with tempfile.TemporaryDirectory(prefix="h5linalg-asan-") as scratch:
            smoke_reports = fresh_dir(reports / "smoke")
            smoke_result = Path(scratch) / "smoke.json"
            result = run(
                [python, HERE / "smoke.py", "--rows", str(args.smoke_rows), "--workdir", scratch,
                 "--result", smoke_result],
                env=sanitizer_env(smoke_reports, ASAN_PYTHON, preload),
                cwd=scratch,
                check=False,
                tee=smoke_reports / "output.txt",
            )  # fmt: skip
            found = collect_reports(smoke_reports, "Python smoke test")
            problem = smoke_summary(smoke_result, result.returncode)
            output = (smoke_reports / "output.txt").read_text(errors="replace")
            checks = len(re.findall(r"^ok ", output, flags=re.MULTILINE))
            summary.append(f"smoke: {checks} checks passed{f' ({problem})' if problem else ''}; "
                           f"{found} sanitizer reports")  # fmt: skip
            if problem or found:
                failures.append("Python smoke test")

            if args.full:
                suite_reports = fresh_dir(reports / "pytest")
                result = run(
                    [python, "-m", "pytest", "-c", REPO / "pyproject.toml", "--rootdir", REPO,
                     *shlex.split(args.pytest_args), *FULL_SUITE_IGNORES, REPO / "tests"],
                    env=sanitizer_env(suite_reports, ASAN_PYTHON, preload),
                    cwd=scratch,
                    check=False,
                    tee=suite_reports / "output.txt",
                )  # fmt: skip
                found = collect_reports(suite_reports, "pytest suite")
                lines = (
                    (suite_reports / "output.txt")
                    .read_text(errors="replace")
                    .splitlines()
                )
                outcome = next((line.strip("= ") for line in reversed(lines)
                                if re.search(r"\d+ (passed|failed)", line)), "no summary")  # fmt: skip
                summary.append(f"pytest: {outcome}; {found} sanitizer reports")
                if result.returncode != 0 or found:
                    failures.append("pytest suite")
    except CheckFailed as error:
        print(f"sanitizers: {error}", file=sys.stderr)
        return 1

    elapsed = time.monotonic() - started
    (reports / "summary.txt").write_text("\n".join(summary) + "\n")
    print("\nsanitizers (address;undefined) summary:")
    for line in summary:
        print(f"  {line}")
    if failures:
        print(f"sanitizers: FAILED ({', '.join(failures)}) in {elapsed:.0f}s")
        return 1
    print(f"sanitizers: passed in {elapsed:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
