"""Sphinx configuration of h5linalg's documentation site.

Build: ``pixi run docs``, or ``sphinx-build -W -n --keep-going -b html docs
docs/_build/html`` and the examples with ``-b doctest`` (the same doctrees).
The API reference is autodoc of the installed package: build the extension first.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sphinx.util import logging

import h5linalg

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS))  # _example_files, for the doctests

project = "h5linalg"
author = "The h5linalg developers"
copyright = "the h5linalg developers"
release = h5linalg.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = "h5linalg"
html_static_path: list[str] = []

# --- API reference ---------------------------------------------------------------
# Public names are documented where users type them (h5linalg.covariance), so the
# reference uses `.. currentmodule:: h5linalg` and never the private modules.
autodoc_typehints = (
    "none"  # the aliases (Source, Progress) are private: say it in words
)
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
# Types as plain text: they are prose ("(n, n) float64 array"), not object names.
napoleon_use_param = False
napoleon_use_rtype = False
napoleon_use_ivar = False  # attributes get targets: h5linalg.Moments.mean

# --- Cross-references --------------------------------------------------------------
nitpicky = True
# Python's own inventory, read from a local file: this machine and CI cannot reach
# the web, and a fetch that fails is a warning, which -W turns into an error.
# Debian's python3-doc package ships it (apt install python3-doc; CI installs it),
# for Debian's Python, whatever the Python running Sphinx: the newest
# /usr/share/doc/python3.X found is used. H5LINALG_PYTHON_INVENTORY names another
# objects.inv, or, set empty, builds as if there were none.
PYTHON_INVENTORY_VARIABLE = "H5LINALG_PYTHON_INVENTORY"


def _minor(folder: Path) -> int:
    suffix = folder.name.removeprefix("python3.")
    return int(suffix) if suffix.isdigit() else -1


def python_inventory(
    environ: Mapping[str, str] = os.environ, doc_root: Path = Path("/usr/share/doc")
) -> Path | None:
    """The local objects.inv of Python's documentation, or None."""
    if PYTHON_INVENTORY_VARIABLE in environ:
        named = environ[PYTHON_INVENTORY_VARIABLE]
        return Path(named) if named and Path(named).is_file() else None
    folders = sorted(doc_root.glob("python3.*"), key=_minor, reverse=True)
    for folder in folders:
        if _minor(folder) >= 0 and (folder / "html" / "objects.inv").is_file():
            return folder / "html" / "objects.inv"
    return None


_PYTHON_INVENTORY = python_inventory()
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
if _PYTHON_INVENTORY is not None:
    intersphinx_mapping["python"] = (
        "https://docs.python.org/3",
        str(_PYTHON_INVENTORY),
    )
# NumPy's, h5py's and Dask's inventories cannot be had offline (no Debian package
# ships NumPy's; h5py's and Dask's would pull in a web stack), so their names stay
# unlinked rather than fail the nitpicky build.
nitpick_ignore = [
    ("py:exc", "numpy.linalg.LinAlgError"),
    ("py:class", "numpy.ndarray"),
    ("py:class", "h5py.Dataset"),
    ("py:class", "distributed.Client"),
]


def _python_name_as_text(_app: object, _env: object, node: Any, contnode: Any) -> Any:
    """Without Python's inventory, a standard-library name is plain text.

    Sphinx itself never nitpicks a builtin (``str``, ``ValueError``); a name from
    another standard module (``os.PathLike``) would be an unresolved reference
    under ``-n``. Only those: a misspelt h5linalg name still fails the build.
    """
    if node.get("refdomain") == "py":
        module = str(node.get("reftarget", "")).lstrip("~.").split(".")[0]
        if module in sys.stdlib_module_names:
            return contnode
    return None


# --- Examples (sphinx-build -b doctest) ---------------------------------------------
# Every example runs in one scratch folder holding survey.h5 and runs/day-*.h5.
doctest_global_setup = """
import os as _os
import _example_files
_previous_folder = _os.getcwd()
_example_files.enter()
import h5py
import numpy as np
import h5linalg
"""
doctest_global_cleanup = """
_example_files.leave(_previous_folder)
"""
doctest_default_flags = (
    __import__("doctest").ELLIPSIS
    | __import__("doctest").NORMALIZE_WHITESPACE
    | __import__("doctest").DONT_ACCEPT_TRUE_FOR_1
)

# --- Pages made from committed results ---------------------------------------------
FUZZ_REPORT = ROOT / "tests" / "reliability" / "results" / "fuzz-report.json"
GENERATED = DOCS / "_generated"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def fuzz_tables(report: dict[str, Any]) -> str:
    """The reliability page's tables, from the fuzz campaign's JSON report."""
    outcomes: dict[str, dict[str, int]] = report["outcomes"]
    kinds = sorted({kind for counts in outcomes.values() for kind in counts})
    kinds.sort(key=lambda kind: kind != "result")  # results first
    calls = len(outcomes)
    summary = _table(
        ["what", "count"],
        [
            ["damaged files (seed " + str(report["seed"]) + ")", report["cases"]],
            ["calls on each file", calls],
            ["seconds for the campaign", report["seconds"]],
            ["results compared with NumPy on h5py's data", report["results_compared"]],
            ["files h5py could read", report["h5py_readable"]],
            [
                "files the two HDF5 libraries read differently (not compared)",
                report["libraries_disagree"],
            ],
            ["failures", len(report["failures"])],
        ],
    )
    by_call = _table(
        ["call", *kinds],
        [
            [f"`{name}`"] + [counts.get(k, 0) for k in kinds]
            for name, counts in sorted(outcomes.items())
        ],
    )
    by_mutation = _table(
        ["damage", "files"],
        [[f"`{m}`", n] for m, n in sorted(report["by_mutation"].items())],
    )
    return (
        summary
        + "\n### How each call ended\n\n"
        + "A result, or the Python exception named in the column.\n\n"
        + by_call
        + "\n### The damage done\n\n"
        + by_mutation
    )


def _generate(_app: object) -> None:
    GENERATED.mkdir(exist_ok=True)
    report = json.loads(FUZZ_REPORT.read_text(encoding="utf-8"))
    target = GENERATED / "fuzz-tables.md"
    text = fuzz_tables(report)
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def _note_python_inventory(_app: object) -> None:
    if _PYTHON_INVENTORY is None:
        named = os.environ.get(PYTHON_INVENTORY_VARIABLE)
        where = (
            f"{PYTHON_INVENTORY_VARIABLE}={named!r} is not a file"
            if named
            else f"{PYTHON_INVENTORY_VARIABLE} is set empty"
            if named is not None
            else "apt install python3-doc, or set "
            f"{PYTHON_INVENTORY_VARIABLE} to an objects.inv"
        )
        logging.getLogger(__name__).info(
            "h5linalg docs: no Python inventory (%s); Python's own names are "
            "plain text, not links",
            where,
        )


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _generate)
    app.connect("builder-inited", _note_python_inventory)
    if _PYTHON_INVENTORY is None:
        app.connect("missing-reference", _python_name_as_text)
    return {"parallel_read_safe": True}
