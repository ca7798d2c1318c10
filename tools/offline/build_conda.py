"""Build and test the conda packages of recipe/recipe.yaml offline, with
rattler-build's real engine (py-rattler-build) and only the stand-in channel.

    python -m tools.offline.build_conda --output-dir DIR [--work-dir W] [--channel-only]

Two cells of the recipe's own NumPy axis (recipe/variants.yaml plus
variants/numpy/conda_build_config.yaml), narrowed to Python 3.11: NumPy 1.26 and
NumPy 2. The variant keys the machine cannot match are overridden by the
versions of the stand-ins (standin_channel.py), each override printed. The build
runs the recipe's post-build checks (overlinking is an error there), then
every test of the recipe's `tests:` section in the test environment
rattler-build creates (the counts of the suite's subset it runs are recorded);
and CMake's cache and build.ninja must show HDF5,
BLAS/LAPACK, zlib, libdeflate and the codec libraries (zstd, LZ4, Blosc, LZF)
taken from the host prefix, never from /usr.

This proves the recipe, its build script and CMake's discovery inside a conda
prefix work with the real engine; it is not a conda-forge build (the full
matrix against conda-forge runs in .github/workflows/conda-package.yml).

The build runs in a child process in a session of its own (this script again,
with the hidden --in-this-process), and this process only waits for it. The
engine's Rust code holds the thread it runs on for minutes without returning
to Python, so a KeyboardInterrupt raised there would wait for it; here Ctrl-C
(or SIGTERM) stops every process of the child's session (the engine, apt-get,
dpkg-deb, pip, the build scripts and compilers) within seconds, and the script
exits with status 130 (143 for SIGTERM). Each phase prints a line as it starts.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import zstandard  # .conda members are zstd-compressed tarballs

from tools.conda._common import ROOT, CheckError
from tools.offline import standin_channel

# rattler_build (the engine) is imported where it is used: the inspection
# helpers (read_package, host_prefix_only) and the process handling serve
# where it may be missing.

RECIPE = ROOT / "recipe/recipe.yaml"
#: The recipe's NumPy axis, in the order `rattler-build -m` would merge them.
VARIANT_FILES = ("recipe/variants.yaml", "variants/numpy/conda_build_config.yaml")
PYTHON = "3.11"
#: The record of a build (in --output-dir): overrides, discovery, test results.
SUMMARY = "offline-build.json"


def _platform() -> Any:
    from rattler_build import PlatformConfig  # noqa: PLC0415

    return PlatformConfig(target_platform=standin_channel.SUBDIR)


def base_variants() -> Any:
    """The recipe's NumPy axis narrowed to Python 3.11 (its zip group together)."""
    from rattler_build import JinjaConfig, VariantConfig  # noqa: PLC0415

    merged = VariantConfig.from_file(ROOT / VARIANT_FILES[0]).merge(
        VariantConfig.from_conda_build_config(
            str(ROOT / VARIANT_FILES[1]), JinjaConfig(platform=_platform())
        )
    )
    variants = merged.to_dict()
    zip_keys = [list(group) for group in merged.zip_keys or []]
    group = next(g for g in zip_keys if "python" in g)
    keep = [
        i for i, p in enumerate(variants["python"]) if str(p).startswith(PYTHON + ".")
    ]
    if not keep:
        msg = f"{VARIANT_FILES[1]} has no Python {PYTHON} cell"
        raise CheckError(msg)
    for key in group:
        variants[key] = [variants[key][i] for i in keep]
    return variants, zip_keys


def render(variants: dict[str, list[Any]], zip_keys: list[list[str]]) -> list[Any]:
    from rattler_build import RenderConfig, Stage0Recipe, VariantConfig  # noqa: PLC0415

    config = VariantConfig(variants, zip_keys=zip_keys)
    return list(
        Stage0Recipe.from_file(RECIPE).render(
            config, RenderConfig(platform=_platform())
        )
    )


def required_names() -> dict[str, set[str]]:
    """Every package name the narrowed cells need, by where it occurs."""
    return standin_channel.recipe_requirements(render(*base_variants()))


def overrides(standins: list[standin_channel.Standin]) -> dict[str, tuple[str, str]]:
    """Variant values the machine cannot match -> (value, why), from the stand-ins."""
    by_name = {s.name: s for s in standins}

    def version(name: str) -> str:
        return by_name[name].version

    gcc = version("gcc_linux-64").split(".")[0]
    blas = ".".join(version("libblas").split(".")[:2])
    return {
        "c_compiler_version": (gcc, f"the machine's gcc {version('gcc_linux-64')}"),
        "cxx_compiler_version": (gcc, f"the machine's g++ {version('gxx_linux-64')}"),
        "c_stdlib_version": (
            version("sysroot_linux-64"),
            f"the machine's glibc {version('sysroot_linux-64')}",
        ),
        "hdf5": (version("hdf5"), f"Debian's HDF5 {version('hdf5')}"),
        "libblas": (
            f"{blas}.* *netlib",
            f"Debian's reference BLAS {version('libblas')}",
        ),
        "libcblas": (
            f"{blas}.* *netlib",
            "the libcblas stand-in (CBLAS is in libblas)",
        ),
        "liblapack": (
            f"{blas}.* *netlib",
            f"Debian's reference LAPACK {version('liblapack')}",
        ),
    }


def final_variants(
    standins: list[standin_channel.Standin],
) -> tuple[dict[str, list[Any]], list[list[str]], list[str]]:
    variants, zip_keys = base_variants()
    notes = [f"python: narrowed to the {PYTHON} cells ({variants['python']})"]
    for key, (value, why) in overrides(standins).items():
        before = variants.get(key)
        width = len(before) if before else 1
        variants[key] = [value] * width
        notes.append(f"{key}: {before[0] if before else '(unset)'} -> {value} ({why})")
    return variants, zip_keys, notes


# --- Inspection ----------------------------------------------------------------------


@dataclass
class CondaPackage:
    """The metadata and files of a .conda archive."""

    path: Path
    index: dict[str, Any]
    paths: list[dict[str, Any]]
    #: The variant the package was built for (info/hash_input.json).
    variant: dict[str, Any]
    files: dict[str, bytes]


def _tar_members(archive: zipfile.ZipFile, prefix: str) -> dict[str, bytes]:
    name = next(n for n in archive.namelist() if n.startswith(prefix))
    raw = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(archive.read(name)))
    members = {}
    with tarfile.open(fileobj=raw, mode="r|") as tar:
        for member in tar:
            if member.isfile():
                extracted = tar.extractfile(member)
                assert extracted is not None
                members[member.name] = extracted.read()
    return members


def read_package(path: Path) -> CondaPackage:
    with zipfile.ZipFile(path) as archive:
        info = _tar_members(archive, "info-")
        files = _tar_members(archive, "pkg-")
    return CondaPackage(
        path,
        json.loads(info["info/index.json"]),
        json.loads(info["info/paths.json"])["paths"],
        json.loads(info["info/hash_input.json"]),
        files,
    )


#: Headers that mean "this include folder provides one of the libraries".
LIBRARY_HEADERS = (
    "hdf5.h",
    "H5pubconf.h",
    "zlib.h",
    "libdeflate.h",
    "zstd.h",
    "lz4.h",
    "blosc.h",
    "lzf.h",
    "liblzf/lzf.h",
    "cblas.h",
    "lapack.h",
)
#: build.ninja variables that carry include folders and libraries.
NINJA_VARIABLES = re.compile(
    r"^\s+(INCLUDES|FLAGS|LINK_FLAGS|LINK_LIBRARIES|LINK_PATH) = (.*)$"
)


#: CMake cache entries of the libraries, the codecs' in any case
#: (find_package(zstd) sets zstd_DIR).
CACHE_ENTRY = re.compile(
    r"^((?:HDF5|BLAS|LAPACK|CBLAS|ZLIB|LIBDEFLATE|(?i:zstd|lz4|blosc|liblzf|lzf))"
    r"_[A-Za-z_]*)(?::[A-Z]+)?=(.*)$"
)


def _cache_outside(
    cache: Path, host: Path, inside: Callable[[str], bool]
) -> tuple[set[str], list[str]]:
    """What CMake's cache found (paths shown under $PREFIX), and the entries outside."""
    found: set[str] = set()
    outside: list[str] = []
    for line in cache.read_text().splitlines():
        match = CACHE_ENTRY.match(line)
        for value in match.group(2).split(";") if match else ():
            if value.startswith("/"):
                found.add(f"{match.group(1)}={value.replace(str(host), '$PREFIX')}")  # type: ignore[union-attr]
                if not inside(value):
                    outside.append(f"CMakeCache.txt: {line}")
    return found, outside


def _ninja_outside(ninja: Path, inside: Callable[[str], bool]) -> list[str]:
    """The include folders, libraries and library folders of build.ninja outside."""
    outside: list[str] = []
    for line in ninja.read_text().splitlines():
        match = NINJA_VARIABLES.match(line)
        if not match:
            continue
        tokens = match.group(2).replace("-isystem ", "-I").split()
        for token in tokens:
            path = token.removeprefix("-I").removeprefix("-L").split("-rpath,")[-1]
            if not path.startswith("/") or inside(path):
                continue
            if token.startswith("-I") and any(
                (Path(path) / h).exists() for h in LIBRARY_HEADERS
            ):
                outside.append(
                    f"build.ninja: include folder {path} (holds a library header)"
                )
            elif not token.startswith("-I") and re.search(
                r"(hdf5|blas|lapack|libz|deflate|zstd|lz4|blosc|lzf)", path
            ):
                outside.append(f"build.ninja: {match.group(1)} {path}")
            elif token.startswith("-L") or "-rpath" in token:
                outside.append(f"build.ninja: library folder {path}")
    return outside


def host_prefix_only(bld: Path) -> list[str]:
    """Where CMake found HDF5, BLAS/LAPACK, zlib and the codec libraries in one
    build folder, a line each; CheckError if any came from outside the host
    prefix.

    Two independent records: CMake's cache (what find_package() chose) and
    build.ninja (the include folders and libraries the compiler and linker
    really get). An include folder outside the prefix is allowed only if it
    holds none of the libraries' headers (Debian's Python headers, say).
    """
    hosts = sorted(bld.glob("host_env*"))
    caches = sorted(bld.glob("work/build/*/CMakeCache.txt"))
    if len(hosts) != 1 or len(caches) != 1:
        msg = f"{bld}: expected one host prefix and one CMakeCache.txt, found {hosts} {caches}"
        raise CheckError(msg)
    host, work = hosts[0], bld / "work"

    def inside(path: str) -> bool:
        return Path(path).is_relative_to(host) or Path(path).is_relative_to(work)

    found, outside = _cache_outside(caches[0], host, inside)
    outside += _ninja_outside(caches[0].parent / "build.ninja", inside)
    if not any(f.startswith(("HDF5_DIR", "BLAS_", "LAPACK_", "ZLIB_")) for f in found):
        outside.append("(CMake's cache names none of HDF5, BLAS, LAPACK, zlib)")
    if outside:
        msg = f"{bld.name}: libraries found outside the host prefix {host}:\n  " + (
            "\n  ".join(sorted(set(outside)))
        )
        raise CheckError(msg)
    return sorted(found)


# --- The build -----------------------------------------------------------------------


def _shown(path: Path) -> str:
    """``path`` relative to the repository if it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def phase(line: str) -> None:
    """Say what the build does next, at once (the phases take minutes)."""
    print(line, flush=True)


def build_channel(work_dir: Path) -> tuple[Path, list[standin_channel.Standin]]:
    """The stand-in channel of every package the recipe needs, built if needed."""
    started = time.monotonic()
    phase(
        f"building the stand-in channel in {_shown(work_dir)} "
        "(about 2 min from nothing, seconds when unchanged)\u2026"
    )
    names = required_names()
    print("requirements of the rendered recipe:", ", ".join(sorted(names)))
    channel, standins = standin_channel.ensure_channel(names, work_dir)
    print(f"stand-in channel {standin_channel.channel_url(channel)}:")
    for standin in standins:
        print(f"  {standin.file_name:72} {standin.made_from}")
    print(f"  ({len(standins)} packages, {time.monotonic() - started:.0f} s)")
    return channel, standins


def build_cells(
    output_dir: Path, work_dir: Path, channels: list[str], variants: Any
) -> list[Path]:
    """rattler-build's engine building both cells into ``output_dir``."""
    from rattler_build import (  # noqa: PLC0415
        RenderConfig,
        Stage0Recipe,
        ToolConfiguration,
        VariantConfig,
    )

    variants, zip_keys = variants
    cells = render(variants, zip_keys)
    print(f"cells: {[c.variant.get('numpy') for c in cells]}")
    if len(cells) != 2:
        msg = f"expected two cells (NumPy 1.26 and 2), rendered {len(cells)}"
        raise CheckError(msg)
    if output_dir.exists():
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True)
    # A package cache of this build's own: the shared one keys packages by file
    # name, and a stand-in rebuilt under the same name, or one an interrupted
    # build left half-extracted, would make every later solve fail there.
    cache = work_dir / "rattler-cache"
    shutil.rmtree(cache, ignore_errors=True)
    os.environ["RATTLER_CACHE_DIR"] = str(cache)
    numpys = " and ".join(str(c.variant.get("numpy")) for c in cells)
    phase(
        f"rattler-build: building {_shown(RECIPE)} for python {PYTHON} "
        f"\u00d7 numpy {numpys} in {_shown(output_dir)} (several minutes)\u2026"
    )
    Stage0Recipe.from_file(RECIPE).run_build(
        variant_config=VariantConfig(variants, zip_keys=zip_keys),
        render_config=RenderConfig(platform=_platform()),
        tool_config=ToolConfiguration(keep_build=True, test_strategy="skip"),
        output_dir=output_dir,
        channels=channels,
    )
    packages = sorted((output_dir / standin_channel.SUBDIR).glob("h5linalg-*.conda"))
    if len(packages) != len(cells):
        msg = f"expected {len(cells)} packages in {output_dir}, found {packages}"
        raise CheckError(msg)
    return packages


#: pytest's summary line: "==== 2150 passed, 3 skipped, 1 deselected in 40.12s ====".
PYTEST_SUMMARY = re.compile(r"=+ (\d+ \w+(?:, \d+ \w+)*) in [\d.]+s")


def pytest_counts(output: list[str]) -> dict[str, int]:
    """The outcomes of the last pytest summary line in a test's output (none: {})."""
    for line in reversed(output):
        match = PYTEST_SUMMARY.search(line)
        if match:
            pairs = (part.split() for part in match[1].split(", "))
            return {word: int(count) for count, word in pairs}
    return {}


def run_recipe_tests(
    packages: list[Path], channels: list[str], summary: dict[str, Any]
) -> list[str]:
    """Every test of the recipe on each package, in rattler-build's test
    environments; what failed (the results go into ``summary``)."""
    from rattler_build import Package  # noqa: PLC0415

    phase(
        f"rattler-build: running the recipe's tests of {len(packages)} packages "
        "in its test environments (a few minutes)\u2026"
    )
    failed = []
    for path in packages:
        package = read_package(path)
        print(f"{path.name}")
        print(f"  run requirements: {', '.join(package.index['depends'])}")
        # One test at a time: run_tests() stops at the first failure.
        built = Package.from_file(path)
        results = [built.run_test(i, channel=channels) for i in range(built.test_count)]
        counts = {}
        for result in results:
            status = "passed" if result.success else "FAILED"
            found = pytest_counts(result.output)
            if found:
                counts[str(result.test_index)] = found
                status += f" (pytest: {found})"
            print(f"  test {result.test_index}: {status}")
            if not result.success:
                failed.append(f"{path.name} test {result.test_index}")
                print(result.output)
        if not results:
            failed.append(f"{path.name}: the recipe's tests did not run")
        summary["packages"][path.name] = {
            "depends": package.index["depends"],
            "tests": {str(r.test_index): bool(r.success) for r in results},
            # What pytest reported, for the tests that run it.
            "pytest": counts,
        }
    return failed


def build(
    output_dir: Path, work_dir: Path, *, channel_only: bool = False
) -> list[Path]:
    """Build the channel, then both cells; return the package files.

    This runs the engine in the calling thread, where Ctrl-C waits for it:
    build_in_child() runs it where Ctrl-C stops it."""
    started = time.monotonic()
    channel, standins = build_channel(work_dir)
    if channel_only:
        return []
    variants, zip_keys, notes = final_variants(standins)
    print("variant overrides:")
    for note in notes:
        print(f"  {note}")
    channels = [standin_channel.channel_url(channel)]
    packages = build_cells(output_dir, work_dir, channels, (variants, zip_keys))
    summary: dict[str, Any] = {
        "variant_overrides": notes,
        "discovery": {},
        "packages": {},
    }
    print("discovery inside the host prefix (CMakeCache.txt, build.ninja):")
    for bld in sorted((output_dir / "bld").glob("rattler-build_h5linalg_*")):
        print(f"  {bld.name}:")
        summary["discovery"][bld.name] = host_prefix_only(bld)
        for line in summary["discovery"][bld.name]:
            print(f"    {line}")
    test_channels = [*channels, standin_channel.channel_url(output_dir)]
    failed = run_recipe_tests(packages, test_channels, summary)
    # What the tests of tests/packaging/test_conda_build_offline.py read back.
    (output_dir / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")
    if failed:
        raise CheckError("tests failed: " + ", ".join(failed))
    print(
        f"{len(packages)} packages built and tested in {time.monotonic() - started:.0f} s"
    )
    return packages


# --- Running the build where Ctrl-C stops it ---------------------------------------

#: The hidden flag of the child process: build here, in this process.
IN_THIS_PROCESS = "--in-this-process"
#: Seconds the build's processes get to exit after SIGTERM, before SIGKILL.
TERMINATE_GRACE = 3.0
#: Seconds to wait for them after SIGKILL.
KILL_GRACE = 5.0


@dataclass(frozen=True)
class Proc:
    """A process as /proc/PID/stat shows it."""

    pid: int
    comm: str
    state: str
    ppid: int
    session: int
    #: Clock ticks after boot the process started at: a reused pid differs.
    start: int


def processes() -> dict[int, Proc]:
    """Every process of the machine, from /proc (no psutil)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (comm) state ppid pgrp session ...": comm may hold ") ".
        head, _, tail = stat.rpartition(")")
        fields = tail.split()
        pid = int(entry.name)
        found[pid] = Proc(
            pid, head.partition("(")[2], fields[0], int(fields[1]), int(fields[3]),
            int(fields[19]),
        )  # fmt: skip
    return found


def session_members(session: int) -> list[int]:
    """The live processes of ``session`` (zombies left out)."""
    return [
        p.pid for p in processes().values() if p.state != "Z" and p.session == session
    ]


def stop_session(process: subprocess.Popen[bytes]) -> None:
    """Stop ``process``, a session leader, and every process of its session
    (whatever process group they are in): SIGTERM, then SIGKILL to those left
    after TERMINATE_GRACE seconds; return when none is left."""
    session = process.pid
    for sig, grace in ((signal.SIGTERM, TERMINATE_GRACE), (signal.SIGKILL, KILL_GRACE)):
        # The child's process group at once (what forks meanwhile is in it
        # too), while the child is not reaped (its pid is not reused then);
        # then the processes of its session in other groups.
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(session, sig)
        for pid in session_members(session):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if process.poll() is not None and not session_members(session):
                return
            time.sleep(0.05)
    process.wait()


def build_in_child(
    output_dir: Path, work_dir: Path, *, channel_only: bool = False
) -> int:
    """Run build() in a child process and return its exit status.

    The child is this module (``python -m``, from the repository root) with
    IN_THIS_PROCESS, in a session of its own, so a terminal's Ctrl-C reaches
    this process only. On KeyboardInterrupt
    (raised here at once: this thread only waits) every process of the
    child's session is stopped, then the KeyboardInterrupt goes on.
    """
    command = [
        sys.executable, "-u", "-m", "tools.offline.build_conda",
        "--output-dir", str(output_dir.resolve()), "--work-dir", str(work_dir.resolve()),
        IN_THIS_PROCESS,
    ]  # fmt: skip
    if channel_only:
        command.append("--channel-only")
    process = subprocess.Popen(  # from the root, where `tools` is importable
        command, stdin=subprocess.DEVNULL, start_new_session=True, cwd=ROOT
    )
    try:
        return process.wait()
    except BaseException:
        # A second Ctrl-C (or a SIGTERM) must not cut the clean-up short.
        in_main = threading.current_thread() is threading.main_thread()
        signals = (signal.SIGINT, signal.SIGTERM) if in_main else ()
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in signals}
        try:
            stop_session(process)
        finally:
            for sig, handler in previous.items():
                if handler is not None:
                    signal.signal(sig, handler)
        raise


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is."""


def _terminated(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument(
        "--work-dir", type=Path, default=standin_channel.DEFAULT_WORK_DIR
    )
    parser.add_argument(
        "--channel-only", action="store_true", help="build the stand-in channel only"
    )
    parser.add_argument(IN_THIS_PROCESS, action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    output_dir, work_dir = args.output_dir.resolve(), args.work_dir.resolve()
    if not args.in_this_process:
        previous = signal.signal(signal.SIGTERM, _terminated)
        try:
            return build_in_child(output_dir, work_dir, channel_only=args.channel_only)
        except KeyboardInterrupt as interrupt:
            what = "terminated" if isinstance(interrupt, Terminated) else "interrupted"
            print(
                f"{what}: the build and every process it started were stopped",
                file=sys.stderr,
                flush=True,
            )
            return 128 + (signal.SIGTERM if what == "terminated" else signal.SIGINT)
        finally:
            signal.signal(signal.SIGTERM, previous)

    from rattler_build import RattlerBuildError  # noqa: PLC0415

    try:
        build(output_dir, work_dir, channel_only=args.channel_only)
    except CheckError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except RattlerBuildError as error:
        # The engine's exception names no cause; its build log does.
        for log in sorted(args.output_dir.glob("bld/*/work/conda_build.log")):
            print(f"--- {log} (last 60 lines)", file=sys.stderr)
            print("\n".join(log.read_text().splitlines()[-60:]), file=sys.stderr)
        print(f"error: rattler-build: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
