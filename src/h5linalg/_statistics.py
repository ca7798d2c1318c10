"""moments, gram, covariance and pca: one streaming pass over the source each."""

from __future__ import annotations

import warnings

import numpy as np

from . import _core
from ._options import check_ddof, check_k
from ._progress import Progress
from ._results import PCA, FloatArray, Moments
from ._run import run
from ._sources import Source


def _divide_by_dof(total: FloatArray, count: int, ddof: int) -> FloatArray:
    """``total / (count - ddof)``, or NaN with NumPy's warning when count <= ddof."""
    if count - ddof <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=3)
        return np.full_like(total, np.nan)
    return total / (count - ddof)


def moments(
    source: Source,
    ddof: int = 1,
    *,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | None = None,
) -> Moments:
    """Count, mean, variance (with ``ddof``), min and max of every column, in one pass.

    Matches ``X.astype(float64).mean(axis=0)``, ``.var(axis=0, ddof=ddof)``,
    ``.min(axis=0)`` and ``.max(axis=0)``, NaN and Inf included.
    """
    ddof = check_ddof(ddof)
    count, mean, m2, low, high = run(
        _core.moments,
        [(source, "source")],
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="moments",
    )
    return Moments(
        count=count, mean=mean, var=_divide_by_dof(m2, count, ddof), min=low, max=high
    )


def gram(
    source: Source,
    *,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | None = None,
) -> FloatArray:
    """``X.T @ X`` as an (n, n) float64 array, streamed through BLAS ``dsyrk``."""
    return run(
        _core.gram,
        [(source, "source")],
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="gram",
    )


def covariance(
    source: Source,
    ddof: int = 1,
    *,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | None = None,
) -> FloatArray:
    """``numpy.cov(X, rowvar=False, ddof=ddof)``, always (n, n), in one pass.

    Each block is centred on its own mean and merged with Chan et al.'s update,
    so data with a large common offset (say 1e8 + noise) keeps its precision.
    """
    ddof = check_ddof(ddof)
    count, _mean, scatter = run(
        _core.scatter,
        [(source, "source")],
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="covariance",
    )
    return _divide_by_dof(scatter, count, ddof)


def pca(
    source: Source,
    k: int,
    *,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | None = None,
) -> PCA:
    """The top ``k`` principal components of the columns (covariance with ddof=1).

    Raises ValueError for non-finite data, k < 1 or k greater than the number
    of columns.
    """
    k = check_k(k)
    mean, components, variance = run(
        _core.pca,
        [(source, "source")],
        k,
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="pca",
    )
    return PCA(components=components, explained_variance=variance, mean=mean)
