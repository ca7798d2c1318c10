"""What the workers of a distributed run execute: one function per kind of task.

Every task calls h5linalg's compiled core (which releases the GIL), so a task
is the same C++ kernel as a local run, over its partition's rows. Tasks are
pure functions of their arguments: a task that is run again after a lost
worker gives the same bytes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _core
from .._environment import lstsq_slab_rows, parallel_inflate
from ._partitions import Part, Piece, source_of

#: _core's partial-state kernel and merge for each kind of reduction. The states
#: are _core's own classes (MomentsState, GramState, ScatterState; LstsqState
#: for lstsq), which pickle, so Dask passes them between workers as they are.
KERNELS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "moments": (_core.moments, _core.merge_moments),
    "gram": (_core.gram, _core.merge_gram),
    "scatter": (_core.scatter, _core.merge_scatter),
}


def shape(parts: list[Part], allow_external: bool, allow_1d: bool) -> tuple[Any, ...]:
    """(rows of each part, columns, 1-D, chunk rows of the first part), read on a worker.

    Opening every part here gives the same errors as a local run (a missing
    file, a damaged one, columns that differ) before any partition starts.
    """
    whole = [part.whole(allow_external) for part in parts]
    rows, cols, vector = _core.stack_shape(
        whole if len(whole) > 1 else whole[0], allow_1d
    )
    chunk_rows = 1
    first = whole[0]
    if isinstance(first, _core.DatasetRef):
        chunks = _core.describe(first)["chunks"]
        chunk_rows = int(chunks[0]) if chunks else 1
    return list(rows), int(cols), bool(vector), chunk_rows


def partial(
    kind: str,
    pieces: list[Piece],
    allow_external: bool,
    block_rows: int,
    memory_limit: int,
) -> Any:
    """The partial state of one partition (see src/bindings/states.cpp)."""
    kernel, _merge = KERNELS[kind]
    return kernel(
        source_of(pieces, allow_external),
        block_rows=block_rows,
        memory_limit=memory_limit,
    )


def lstsq_partial(
    x_pieces: list[Piece],
    y_pieces: list[Piece],
    allow_external: bool,
    block_rows: int,
    memory_limit: int,
) -> Any:
    return _core.lstsq_state(
        source_of(x_pieces, allow_external),
        source_of(y_pieces, allow_external),
        block_rows=block_rows,
        memory_limit=memory_limit,
        slab_rows=lstsq_slab_rows(),
    )


def merge(kind: str, a: Any, b: Any) -> Any:
    """Two partial states of neighbouring row ranges, merged in the core."""
    if kind == "lstsq":
        return _core.merge_lstsq(a, b)
    return KERNELS[kind][1](a, b)


def matmul_rows(
    pieces: list[Piece],
    b: np.ndarray,
    allow_external: bool,
    block_rows: int,
    memory_limit: int,
) -> Any:
    """A @ b for one partition's rows, returned."""
    return _core.matmul(
        source_of(pieces, allow_external),
        b,
        block_rows=block_rows,
        memory_limit=memory_limit,
    )


def matmul_part(
    pieces: list[Piece],
    b: np.ndarray,
    path: str,
    allow_external: bool,
    block_rows: int,
    memory_limit: int,
) -> int:
    """A @ b for one partition's rows, written to a file of its own; returns the rows."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    target = _core.OutputRef(path, "/part", overwrite=True, vector=b.ndim == 1)
    _core.matmul(
        source_of(pieces, allow_external),
        b,
        out=target,
        block_rows=block_rows,
        memory_limit=memory_limit,
    )
    return sum(piece.count for piece in pieces)


def assemble(
    paths: list[str],
    out: tuple[str, str, bool, bool],
    folder: str,
    block_rows: int,
    memory_limit: int,
    written: list[int],
) -> str:
    """Copies the parts into the final dataset, which appears only when complete,
    then removes the parts (after a failure the client removes them; a rerun of
    this task after a lost worker still finds them).

    ``written`` (the row counts the part tasks returned) is only there to make
    this task wait for all of them.
    """
    del written
    path, name, overwrite, vector = out
    parts = [
        _core.DatasetRef(part, "/part", parallel_inflate=parallel_inflate())
        for part in paths
    ]
    target = _core.OutputRef(path, name, overwrite=overwrite, vector=vector)
    _core.copy_rows(
        parts if len(parts) > 1 else parts[0],
        target,
        block_rows=block_rows,
        memory_limit=memory_limit,
    )
    remove(folder)
    return f"{path}:{name}"


def remove(folder: str) -> None:
    """Deletes a run's temporary folder (on any worker: they share the file system)."""
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(folder)
