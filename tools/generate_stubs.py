"""Regenerates the type stubs of the compiled modules (src/h5linalg/_core.pyi, _testing.pyi).

    python -m tools.generate_stubs          # rewrite the stubs
    python -m tools.generate_stubs --check  # fail (exit 1, with a diff) if they drifted

Both modules live in the one extension (h5linalg._testing holds the test hooks,
made beside _core). The output depends on the versions of pybind11 (which built the module) and of
pybind11-stubgen, so both are pinned in the `stubs` dependency group of
pyproject.toml and checked here.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.metadata
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "h5linalg"
MODULES = ("_core", "_testing")


def pinned_versions() -> dict[str, str]:
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    pins = {}
    for requirement in groups["stubs"]:
        # Only the exact pins shape the output.
        name, pinned, version = requirement.partition("==")
        if pinned:
            pins[name.strip()] = version.strip()
    return pins


def generate(module: str) -> str:
    with tempfile.TemporaryDirectory() as output:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pybind11_stubgen",
                f"h5linalg.{module}",
                "--exit-code",
                "--output-dir",
                output,
            ],
            check=True,
        )
        text = (Path(output) / "h5linalg" / f"{module}.pyi").read_text()
    # The version string changes with every commit; the stub only needs its type.
    return re.sub(
        r"^__version__: str = .*$", "__version__: str", text, flags=re.MULTILINE
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare instead of writing"
    )
    args = parser.parse_args()

    for name, version in pinned_versions().items():
        installed = importlib.metadata.version(name)
        if installed != version:
            print(
                f"{name} {installed} is installed, but the stubs are made with {version}: "
                "run `python -m pip install --group stubs`",
                file=sys.stderr,
            )
            return 1

    drifted = False
    for module in MODULES:
        stub = PACKAGE / f"{module}.pyi"
        fresh = generate(module)
        if not args.check:
            stub.write_text(fresh)
            print(f"wrote {stub.relative_to(ROOT)}")
            continue
        current = stub.read_text() if stub.exists() else ""
        if current == fresh:
            print(f"{stub.relative_to(ROOT)} is up to date")
            continue
        sys.stderr.writelines(
            difflib.unified_diff(
                current.splitlines(keepends=True),
                fresh.splitlines(keepends=True),
                f"committed/{module}.pyi",
                f"generated/{module}.pyi",
            )
        )
        drifted = True
    if drifted:
        print(
            "the stubs drifted from the extension: run `python -m tools.generate_stubs`",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
