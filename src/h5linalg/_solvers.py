"""lstsq (streaming QR) and matmul (into memory or into an HDF5 dataset)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from . import _core
from ._output import output_target
from ._progress import Progress
from ._results import FloatArray
from ._run import run
from ._sources import H5Source, Resolved, Source, files_of, resolve


def lstsq(
    x_source: Source,
    y_source: Source,
    *,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | None = None,
) -> FloatArray:
    """Least-squares coefficients ``b`` minimising ``||X b - y||``.

    Shape (n,) for a 1-D ``y`` and (n, m) for a 2-D one. Uses a streaming QR
    factorisation (TSQR), never the normal equations, so it matches
    ``numpy.linalg.lstsq`` even for ill-conditioned X (cond ~ 1e8). Needs at
    least as many rows as columns; a rank-deficient X (by NumPy's default
    rcond) raises ``numpy.linalg.LinAlgError``; NaN or Inf raise ValueError.
    """
    return run(
        _core.lstsq,
        [(x_source, "x_source"), (y_source, "y_source")],
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="lstsq",
    )


def matmul(
    a_source: Source,
    b: npt.ArrayLike,
    out: H5Source | str | None = None,
    overwrite: bool = False,
    *,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | None = None,
) -> FloatArray | H5Source:
    """``A @ b`` for a streamed A (m, k) and an in-memory NumPy ``b`` (k, p) or (k,).

    Without ``out``, returns a C-contiguous float64 array of shape (m, p), or
    (m,) for a 1-D ``b``. With ``out="file.h5:/C"`` (or an H5Source), streams
    the result into a chunked float64 dataset, creating the file and groups as
    needed, and returns that H5Source. ``out`` may not be in A's file; an
    existing dataset is replaced only with ``overwrite=True``. On any error or
    Ctrl-C the output never appears half-written under its name.
    """
    b_array = np.asarray(b)
    if out is None:
        product = run(
            _core.matmul,
            [(a_source, "a_source")],
            b_array,
            block_rows=block_rows,
            memory_limit=memory_limit,
            progress=progress,
            allow_external=allow_external,
            label="matmul",
        )
        assert product is not None  # without `out`, _core returns the product
        return product
    a_input = resolve(a_source, allow_external=allow_external, role="a_source")
    target, result = output_target(
        out, overwrite=overwrite, vector=b_array.ndim == 1, inputs=files_of(a_input)
    )
    _write(a_input, b_array, target, block_rows, memory_limit, progress, allow_external)
    return result


def _write(
    a_input: Resolved,
    b: np.ndarray,
    target: _core.OutputRef,
    block_rows: int | None,
    memory_limit: int | None,
    progress: Progress,
    allow_external: bool,
) -> None:
    run(
        _core.matmul,
        [(a_input, "a_source")],
        b,
        out=target,
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="matmul",
    )
