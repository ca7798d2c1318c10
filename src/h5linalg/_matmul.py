"""matmul: a streamed A times an in-memory b, into memory or into an HDF5 dataset."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from . import _core
from ._docs import fill_doc
from ._output import output_target
from ._progress import Progress
from ._results import FloatArray
from ._run import run
from ._sources import H5Source, Resolved, Source, files_of, resolve


@fill_doc
def matmul(
    a_source: Source,
    b: npt.ArrayLike,
    out: H5Source | str | None = None,
    overwrite: bool = False,
    *,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | str | None = None,
) -> FloatArray | H5Source:
    """``A @ b`` for a streamed A (m, k) and an in-memory NumPy ``b`` (k, p) or (k,).

    Without ``out``, returns a C-contiguous float64 array of shape (m, p), or
    (m,) for a 1-D ``b``. With ``out="file.h5:/C"`` (or an H5Source), streams
    the result into a chunked float64 dataset, creating the file and groups as
    needed, and returns that H5Source. ``out`` may not be in A's file; an
    existing dataset is replaced only with ``overwrite=True``. On any error or
    Ctrl-C the output never appears half-written under its name.

    Parameters
    ----------
    a_source : source
        A, (m, k): any source, as for :func:`~h5linalg.moments`.
    b : array_like
        B in memory, (k, p) or (k,).
    out : H5Source or str, optional
        Where to write ``A @ b``: a ``"file.h5:/dataset"`` outside A's files.
        Default: return it as an array.
    overwrite : bool, default False
        Replace an existing dataset named by ``out``.
    {options_in_brief}

    Returns
    -------
    numpy.ndarray or H5Source
        The (m, p) or (m,) product, or the :class:`~h5linalg.H5Source` of the
        dataset written to ``out``.

    Raises
    ------
    FileExistsError
        ``out`` exists and ``overwrite`` is False.
    ValueError
        Shapes that do not match, or ``out`` in one of A's files; and the
        errors of :func:`~h5linalg.moments`.

    Examples
    --------
    >>> W = np.eye(4)[:, :2]
    >>> h5linalg.matmul("survey.h5:/samples", W).shape
    (1000, 2)
    >>> h5linalg.matmul("survey.h5:/samples", W, out="projected.h5:/x2")
    H5Source(path='projected.h5', dataset='/x2')
    >>> with h5py.File("projected.h5") as f:
    ...     f["x2"].shape
    (1000, 2)
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
    memory_limit: int | str | None,
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
