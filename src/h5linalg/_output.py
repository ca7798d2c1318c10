"""Choosing where a result is written, so that a failure never leaves it half-written.

Inside an existing file the C++ writer creates the dataset under a temporary
name and moves it into place when complete. A new file is written under a
temporary file name in the same directory and renamed when complete.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator

from . import _core
from ._sources import H5Source, as_h5source


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


@contextlib.contextmanager
def output_target(
    out: object,
    *,
    overwrite: object,
    vector: bool = False,
    inputs: Iterable[str | None] = (),
) -> Iterator[tuple[_core.OutputRef, H5Source]]:
    """Yields the OutputRef to write to and the H5Source it will be on success."""
    if not isinstance(overwrite, bool):
        msg = f"overwrite must be True or False, not {overwrite!r}"
        raise TypeError(msg)
    target = as_h5source(out, "out")
    for path in inputs:
        if path is not None and _same_file(path, target.path):
            msg = (
                f"out {str(target)!r} is in the input file {path!r}; h5linalg opens its "
                "inputs read-only, so write the result to another file"
            )
            raise ValueError(msg)
    directory = os.path.dirname(os.path.abspath(target.path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(2, "No such directory for the output file", directory)

    if os.path.exists(target.path):
        yield (
            _core.OutputRef(
                target.path, target.dataset, overwrite=overwrite, vector=vector
            ),
            target,
        )
        return

    name = os.path.basename(target.path)
    temporary = os.path.join(directory, f".{name}.h5linalg-{secrets.token_hex(4)}.tmp")
    try:
        yield (
            _core.OutputRef(temporary, target.dataset, create_file=True, vector=vector),
            target,
        )
        os.replace(temporary, target.path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
