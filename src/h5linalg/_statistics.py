"""moments, gram, covariance and pca: one streaming pass over the source each."""

from __future__ import annotations

import warnings

import numpy as np

from . import _core
from ._docs import fill_doc
from ._options import check_ddof, check_k
from ._progress import Progress
from ._results import PCA, FloatArray, Moments
from ._run import run
from ._sources import Source


def _divide_by_dof(total: FloatArray, count: int, ddof: int) -> FloatArray:
    """``total / (count - ddof)``, with NumPy's values and warning when count <= ddof.

    NumPy's ``var`` and ``cov`` then divide by zero: +inf where ``total`` is
    positive, -inf where it is negative, NaN where it is 0 (or NaN), after a
    ``RuntimeWarning("Degrees of freedom <= 0 for slice")``. That warning is
    raised here too, once, for the caller of ``moments``/``covariance`` (local or
    distributed: both call this). NumPy's floating-point warnings that follow it
    ("divide by zero encountered ...", "invalid value encountered ...") come
    from how NumPy happens to divide and differ between ``var`` and ``cov``;
    they are not repeated.
    """
    dof = count - ddof
    if dof <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=3)
        with np.errstate(divide="ignore", invalid="ignore"):
            return total / 0.0
    return total / dof


@fill_doc
def moments(
    source: Source,
    ddof: int = 1,
    *,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | str | None = None,
) -> Moments:
    """Count, mean, variance (with ``ddof``), min and max of every column, in one pass.

    Matches ``X.astype(float64).mean(axis=0)``, ``.var(axis=0, ddof=ddof)``,
    ``.min(axis=0)`` and ``.max(axis=0)``, NaN and Inf included.

    Parameters
    ----------
    source : source
        A 2-D NumPy array, an ``h5py.Dataset``, an :class:`~h5linalg.H5Source`,
        a ``"file.h5:/dataset"`` string, or a stack of them (a list, or a
        pattern such as ``"runs/day-*.h5:/samples"``).
    ddof : int, default 1
        Delta degrees of freedom of the variance, as in ``numpy.var``: the sum
        of squared deviations is divided by ``count - ddof``. When that is not
        positive, the variance is NumPy's: ``inf`` where the sum is positive,
        NaN where it is 0 (a constant column), with NumPy's
        ``RuntimeWarning("Degrees of freedom <= 0 for slice")``.
    {options}

    Returns
    -------
    Moments
        ``count`` and the per-column ``mean``, ``var``, ``min`` and ``max``.

    Raises
    ------
    {source_errors}

    Warns
    -----
    {ddof_warning}

    Examples
    --------
    >>> stats = h5linalg.moments("survey.h5:/samples")
    >>> stats.count, stats.mean.shape
    (1000, (4,))
    >>> with h5py.File("survey.h5") as f:
    ...     X = f["samples"][:]
    >>> np.allclose(stats.var, X.var(axis=0, ddof=1))
    True
    """
    ddof = check_ddof(ddof)
    state = run(
        _core.moments,
        [(source, "source")],
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="moments",
    )
    return Moments(
        count=state.count,
        mean=state.mean,
        var=_divide_by_dof(state.m2, state.count, ddof),
        min=state.min,
        max=state.max,
    )


@fill_doc
def gram(
    source: Source,
    *,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | str | None = None,
) -> FloatArray:
    """``X.T @ X`` as an (n, n) float64 array, streamed through BLAS ``dsyrk``.

    Parameters
    ----------
    source : source
        Any source, as for :func:`~h5linalg.moments`.
    {options}

    Returns
    -------
    numpy.ndarray
        The (n, n) float64 Gram matrix of the n columns.

    Raises
    ------
    {source_errors}

    Examples
    --------
    >>> G = h5linalg.gram("survey.h5:/samples")
    >>> G.shape
    (4, 4)
    >>> with h5py.File("survey.h5") as f:
    ...     X = f["samples"][:]
    >>> np.allclose(G, X.T @ X)
    True
    """
    state = run(
        _core.gram,
        [(source, "source")],
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="gram",
    )
    return state.gram


@fill_doc
def covariance(
    source: Source,
    ddof: int = 1,
    *,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | str | None = None,
) -> FloatArray:
    """``numpy.cov(X, rowvar=False, ddof=ddof)``, always (n, n), in one pass.

    Each block is centred on its own mean and merged with Chan et al.'s update,
    so data with a large common offset (say 1e8 + noise) keeps its precision.

    Parameters
    ----------
    source : source
        Any source, as for :func:`~h5linalg.moments`.
    ddof : int, default 1
        Delta degrees of freedom: the scatter matrix is divided by
        ``count - ddof``. When that is not positive, the result is NumPy's:
        ``inf`` or ``-inf`` with the sign of the scatter entry, NaN where the
        entry is 0 (as for a constant column), with NumPy's
        ``RuntimeWarning("Degrees of freedom <= 0 for slice")``.
    {options}

    Returns
    -------
    numpy.ndarray
        The (n, n) float64 covariance matrix of the n columns.

    Raises
    ------
    {source_errors}

    Warns
    -----
    {ddof_warning}

    Examples
    --------
    >>> cov = h5linalg.covariance("survey.h5:/samples")
    >>> with h5py.File("survey.h5") as f:
    ...     X = f["samples"][:]
    >>> np.allclose(cov, np.cov(X, rowvar=False))
    True
    """
    ddof = check_ddof(ddof)
    state = run(
        _core.scatter,
        [(source, "source")],
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="covariance",
    )
    return _divide_by_dof(state.scatter, state.count, ddof)


@fill_doc
def pca(
    source: Source,
    k: int,
    *,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | str | None = None,
) -> PCA:
    """The top ``k`` principal components of the columns (covariance with ddof=1).

    Parameters
    ----------
    source : source
        Any source, as for :func:`~h5linalg.moments`.
    k : int
        How many components, from 1 to the number of columns.
    {options}

    Returns
    -------
    PCA
        ``components`` (k, n), ``explained_variance`` (k,) and ``mean`` (n,).

    Raises
    ------
    ValueError
        Non-finite data, ``k < 1`` or ``k`` greater than the number of columns,
        and the errors of :func:`~h5linalg.moments`.

    Examples
    --------
    >>> top = h5linalg.pca("survey.h5:/samples", k=2)
    >>> top.components.shape, top.explained_variance.shape
    ((2, 4), (2,))
    >>> with h5py.File("survey.h5") as f:
    ...     X = f["samples"][:]
    >>> variances = np.linalg.eigvalsh(np.cov(X, rowvar=False))[::-1]
    >>> np.allclose(top.explained_variance, variances[:2])
    True
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
