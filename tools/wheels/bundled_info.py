#!/usr/bin/env python3
"""Writes what a wheel carries: ``bundled.json`` and ``LICENSES_bundled.txt``.

Both go into the folder CMake's ``H5LINALG_BUNDLED_DIR`` names: ``bundled.json``
becomes ``h5linalg/_bundled.json`` (``h5linalg.show_config()`` prints it) and
``LICENSES_bundled.txt`` the wheel's ``.dist-info/licenses/LICENSES_bundled.txt``
(every bundled library's licence, one section each, as NumPy's and h5py's wheels
carry them). Standard library only: build_deps.sh runs it before anything is
installed::

    bundled_info.py --output DIR --licenses DIR_OF_NAME.txt \\
        --origin "how the libraries were obtained" --library HDF5=1.14.6 ...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def write(
    output: Path, libraries: dict[str, str], licenses: dict[str, str], origin: str
) -> None:
    """Writes ``output/bundled.json`` and ``output/LICENSES_bundled.txt``;
    ``licenses`` maps a library name to its licence text."""
    output.mkdir(parents=True, exist_ok=True)
    info = {
        "origin": origin,
        "libraries": dict(sorted(libraries.items(), key=lambda kv: kv[0].lower())),
        "licenses": ".dist-info/licenses/LICENSES_bundled.txt",
    }
    (output / "bundled.json").write_text(json.dumps(info, indent=2) + "\n")
    heading = (
        "The h5linalg wheel carries these native libraries; their licences follow.\n"
        f"({origin})\n"
    )
    sections = [heading]
    for name in sorted(licenses, key=str.lower):
        text = licenses[name].rstrip() + "\n"
        rule = "-" * 78
        sections.append(f"{rule}\n{name}\n{rule}\n\n{text}")
    (output / "LICENSES_bundled.txt").write_text("\n".join(sections))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument(
        "--licenses",
        type=Path,
        required=True,
        help="a folder of NAME.txt licence files, one per bundled library",
    )
    parser.add_argument("--origin", required=True)
    parser.add_argument(
        "--library",
        action="append",
        default=[],
        metavar="NAME=VERSION",
        help="a bundled library and its version (repeat)",
    )
    args = parser.parse_args(argv)
    libraries = dict(item.split("=", 1) for item in args.library)
    licenses = {
        path.stem: path.read_text(errors="replace")
        for path in sorted(args.licenses.glob("*.txt"))
    }
    if not licenses:
        parser.error(f"no licence files in {args.licenses}")
    write(args.output, libraries, licenses, args.origin)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
