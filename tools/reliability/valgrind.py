#!/usr/bin/env python3
"""valgrind memcheck on the Python smoke test of every h5linalg function.

Runs ``smoke.py`` (every public function on every kind of source, bad inputs,
Ctrl-C; 145 checks, under a minute) with ``PYTHONMALLOC=malloc``, so every Python
object is a malloc block that memcheck tracks, and with the documented
suppressions in ``valgrind.supp``. Then it reads valgrind's XML report and fails
(exit status 1) on:

* any invalid read or write, invalid or mismatched free, invalid jump or
  overlapping copy, wherever it happens (nothing else may corrupt our memory);
* any definite leak whose allocation stack passes through h5linalg's own code
  (the ``_core`` extension module or an ``h5linalg::`` symbol);
* any use of an uninitialised value or syscall on uninitialised bytes whose
  first frame outside libc is h5linalg's own code.

Everything else valgrind says about CPython, NumPy, h5py or OpenBLAS (which
free little at exit by design) is counted and listed, not failed. With
``--build``, an unstripped RelWithDebInfo extension is built first (in
``build/valgrind``, installed into ``build/valgrind-venv``) so stacks show h5linalg
functions and lines; by default the h5linalg the interpreter imports is tested
(in CI, the development build).

    python -m tools.reliability.valgrind             # ~1 min
    python -m tools.reliability.valgrind --build     # + a debug-info build (~3 min cold)
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from tools.reliability._support import (
    CANARY,
    HERE,
    REPO,
    CheckFailed,
    clean_env,
    exit_on_sigterm,
    log,
    overlay_venv,
    pip_install_project,
    run,
    smoke_summary,
)

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
PYTHON_OBJECT = re.compile(r"/(libpython[^/]*|python3[.0-9]*)$")
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
    count: int = 1
    suppression: str = ""
    fatal: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if self.kind in ALWAYS_FATAL:
            self.fatal = True
        elif self.kind in FATAL_IF_OURS_IN_STACK:
            self.fatal = any(frame.ours() for frame in self.frames)
        elif self.kind in FATAL_IF_OURS_ON_TOP:
            top = next(
                (f for f in self.frames if not SYSTEM_OBJECT.search(f.obj)), None
            )
            self.fatal = top is not None and top.ours()

    def origin(self) -> str:
        """The library a finding is attributed to: h5linalg if its code is in the
        stack of a leak or on top of another error, else the first frame outside
        libc, ld.so, the C++ runtime and (if possible) CPython's allocator."""
        if self.fatal and self.kind not in ALWAYS_FATAL:
            return "h5linalg"
        outside = [
            frame for frame in self.frames if not SYSTEM_OBJECT.search(frame.obj)
        ]
        for frame in outside:
            if not PYTHON_OBJECT.search(frame.obj):
                return Path(frame.obj).name or "?"
        chosen = outside[0] if outside else (self.frames[0] if self.frames else None)
        return Path(chosen.obj).name if chosen is not None else "?"


def parse_report(path: Path) -> tuple[list[Finding], dict[str, int]]:
    root = ET.parse(path).getroot()  # valgrind's own output
    findings = []
    for error in root.iter("error"):
        stack = error.find("stack")
        frames = [
            Frame(
                function=frame.findtext("fn") or "",
                obj=frame.findtext("obj") or "",
                file=frame.findtext("file") or "",
                line=frame.findtext("line") or "",
            )
            for frame in (stack.findall("frame") if stack is not None else [])
        ]
        what = error.findtext("what") or error.findtext("xwhat/text") or ""
        suppression = error.findtext("suppression/rawtext") or ""
        findings.append(
            Finding(error.findtext("kind") or "?", what, frames, 1, suppression)
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
            print(
                "  a suppression would be (only if it is not h5linalg's bug):",
                file=sys.stderr,
            )
            print(
                "    " + finding.suppression.strip().replace("\n", "\n    "),
                file=sys.stderr,
            )
    tally: collections.Counter[tuple[str, str, bool]] = collections.Counter(
        (finding.kind, finding.origin(), finding.fatal) for finding in findings
    )
    print("\nvalgrind findings by kind and library (FATAL = counted against h5linalg):")
    if not tally:
        print("  none")
    for (kind, origin, is_fatal), count in sorted(tally.items()):
        print(f"  {count:6d}  {kind:22s} {origin:45s} {'FATAL' if is_fatal else ''}")
    if used:
        print("suppressions used (valgrind.supp):")
        for name, count in sorted(used.items()):
            print(f"  {count:6d}  {name}")
    return len(fatal)


def memcheck_command(xml_path: Path) -> list[str]:
    return [
        "valgrind", "--tool=memcheck", "--leak-check=full",
        "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite",
        "--num-callers=50", "--error-limit=no", "--gen-suppressions=all",
        f"--suppressions={HERE / 'valgrind.supp'}",
        "--xml=yes", f"--xml-file={xml_path}",
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--python", type=Path, default=Path(sys.executable),
                        help="interpreter whose h5linalg is tested (default: this one)")  # fmt: skip
    parser.add_argument(
        "--build",
        action="store_true",
        help="build an unstripped debug-info module first",
    )
    parser.add_argument(
        "--rows", type=int, default=120, help="rows of smoke-test data (default 120)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer source kinds (about half the checks)",
    )
    parser.add_argument(
        "--report-dir", type=Path, default=REPO / "build" / "valgrind-report"
    )
    parser.add_argument(
        "--timeout", type=float, default=1200, help="seconds (default 1200)"
    )
    args = parser.parse_args(argv)  # fmt: skip
    exit_on_sigterm()
    started = time.monotonic()
    report_dir: Path = args.report_dir.resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    xml_path = report_dir / "memcheck.xml"
    xml_path.unlink(missing_ok=True)

    try:
        python = args.python
        if args.build:
            python = overlay_venv(REPO / "build" / "valgrind-venv")
            pip_install_project(
                python,
                REPO,
                REPO / "build" / "valgrind",
                {},
                build_type="RelWithDebInfo",
                strip=False,
                log_file=report_dir / "build.log",
            )
        smoke: list[str | os.PathLike[str]] = [
            HERE / "smoke.py",
            "--rows",
            str(args.rows),
        ]
        if args.quick:
            smoke.append("--quick")
        env = clean_env(
            PYTHONMALLOC="malloc",  # every object a malloc block memcheck sees
            OPENBLAS_NUM_THREADS="1",  # BLAS threads only slow valgrind down
            H5LINALG_NUM_THREADS="2",  # still a pool of inflate workers
            PYTHONDONTWRITEBYTECODE="1",
        )
        with tempfile.TemporaryDirectory(prefix="h5linalg-valgrind-") as scratch:
            # The canary proves the set-up reports an invalid read in foreign code.
            canary_xml = report_dir / "canary.xml"
            run([*memcheck_command(canary_xml), python, "-c", CANARY],
                env=env, cwd=scratch, check=False, capture=True)  # fmt: skip
            canary, _ = parse_report(canary_xml)
            if not any(
                finding.kind == "InvalidRead" and finding.fatal for finding in canary
            ):
                msg = (
                    "valgrind missed a deliberate heap over-read: the set-up is broken"
                )
                raise CheckFailed(msg)
            log("canary: memcheck reports a deliberate heap over-read, as it should")

            smoke_result = Path(scratch) / "smoke.json"
            result = run(
                [*memcheck_command(xml_path), python, *smoke, "--workdir", scratch,
                 "--result", smoke_result],
                env=env,
                cwd=scratch,
                check=False,
                timeout=args.timeout,
            )  # fmt: skip
            problem = smoke_summary(smoke_result, result.returncode)
            checks = (
                json.loads(smoke_result.read_text())["passed"] if not problem else 0
            )
        if not xml_path.exists():
            msg = "valgrind wrote no report"
            raise CheckFailed(msg)
        findings, used = parse_report(xml_path)
    except CheckFailed as error:
        print(f"valgrind: {error}", file=sys.stderr)
        return 1

    fatal = report(findings, used)
    elapsed = time.monotonic() - started
    log(f"report: {xml_path}")
    if problem:
        print(f"valgrind: the smoke test failed under valgrind ({problem})")
        return 1
    if fatal:
        print(f"valgrind: FAILED, {fatal} findings against h5linalg ({len(findings)} in all) "
              f"in {elapsed:.0f}s")  # fmt: skip
        return 1
    print(f"valgrind: passed, {checks} smoke checks, no invalid access and no definite leak "
          f"from h5linalg ({len(findings)} findings elsewhere, listed above) in {elapsed:.0f}s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
