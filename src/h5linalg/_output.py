"""Checking where a result is to be written.

Writing it so that a failure never leaves it half-written is the C++ core's job
alone (``Hdf5OutputDataset``, src/core/hdf5/output.hpp): a temporary dataset
moved into place in an existing file, a temporary file renamed onto the name of
a new one. Here only the checks that need Python's view of the arguments.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from . import _core
from ._sources import H5Source, as_h5source


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def output_target(
    out: object,
    *,
    overwrite: object,
    vector: bool = False,
    inputs: Iterable[str] = (),
) -> tuple[_core.OutputRef, H5Source]:
    """The OutputRef to write to, and the H5Source the result is once written."""
    if not isinstance(overwrite, bool):
        msg = f"overwrite must be True or False, not {overwrite!r}"
        raise TypeError(msg)
    target = as_h5source(out, "out")
    for path in inputs:
        if _same_file(path, target.path):
            msg = (
                f"out {str(target)!r} is in the input file {path!r}; h5linalg opens its "
                "inputs read-only, so write the result to another file"
            )
            raise ValueError(msg)
    directory = os.path.dirname(os.path.abspath(target.path))
    if not os.path.isdir(directory):
        msg = (
            f"No such directory {directory!r} for the output file {target.path!r}; "
            "create it first"
        )
        raise FileNotFoundError(msg)
    ref = _core.OutputRef(
        target.path, target.dataset, overwrite=overwrite, vector=vector
    )
    return ref, target
