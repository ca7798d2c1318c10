"""lstsq: least squares by a streaming QR factorisation (TSQR)."""

from __future__ import annotations

from . import _core
from ._docs import fill_doc
from ._environment import lstsq_slab_rows
from ._progress import Progress
from ._results import FloatArray
from ._run import run
from ._sources import Source


@fill_doc
def lstsq(
    x_source: Source,
    y_source: Source,
    *,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | str | None = None,
) -> FloatArray:
    """Least-squares coefficients ``b`` minimising ``||X b - y||``.

    Shape (n,) for a 1-D ``y`` and (n, m) for a 2-D one. Uses a streaming QR
    factorisation (TSQR), never the normal equations, so it matches
    ``numpy.linalg.lstsq`` even for ill-conditioned X (cond ~ 1e8). Needs at
    least as many rows as columns; a rank-deficient X (by NumPy's default
    rcond) raises ``numpy.linalg.LinAlgError``; NaN or Inf raise ValueError.

    Parameters
    ----------
    x_source : source
        X, (m, n): any source, as for :func:`~h5linalg.moments`.
    y_source : source
        y, (m,) or (m, k): a source with the same number of rows, read in step
        with X (a 1-D dataset is allowed here).
    {options_in_brief}
        The options are those of :func:`~h5linalg.moments`.

    Returns
    -------
    numpy.ndarray
        The coefficients: (n,) for a 1-D y, (n, k) for a 2-D one.

    Raises
    ------
    numpy.linalg.LinAlgError
        X is rank-deficient.
    ValueError
        Fewer rows than columns, row counts that differ, NaN or Inf, and the
        errors of :func:`~h5linalg.moments`.

    Examples
    --------
    >>> beta = h5linalg.lstsq("survey.h5:/samples", "survey.h5:/target")
    >>> np.round(beta, 6)
    array([ 1. , -2. ,  0.5,  3. ])
    """
    return run(
        _core.lstsq,
        [(x_source, "x_source"), (y_source, "y_source")],
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="lstsq",
        slab_rows=lstsq_slab_rows(),
    )
