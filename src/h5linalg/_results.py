"""Result objects: frozen dataclasses of float64 NumPy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Moments:
    """Per-column statistics of a source, as NumPy computes them on ``X.astype(float64)``.

    ``var`` uses the ``ddof`` passed to :func:`h5linalg.moments`. NaN and Inf
    propagate as in ``numpy.mean``/``var``/``min``/``max``.

    Attributes
    ----------
    count : int
        Rows read.
    mean : numpy.ndarray
        (n,): the mean of each column.
    var : numpy.ndarray
        (n,): the variance of each column, with the ``ddof`` of the call.
    min : numpy.ndarray
        (n,): the smallest value of each column.
    max : numpy.ndarray
        (n,): the largest value of each column.

    Examples
    --------
    >>> stats = h5linalg.moments("survey.h5:/samples")
    >>> print(stats.count)
    1000
    >>> np.round(stats.mean)
    array([10., 20., 30., 40.])
    """

    count: int
    mean: FloatArray
    var: FloatArray
    min: FloatArray
    max: FloatArray


@dataclass(frozen=True)
class PCA:
    """Principal components: the top-k eigenpairs of the covariance (ddof=1).

    ``components`` has one unit-length component per row, shape (k, n), in
    descending order of ``explained_variance``; each component's largest-magnitude
    entry is positive.

    Attributes
    ----------
    components : numpy.ndarray
        (k, n): one unit-length component per row.
    explained_variance : numpy.ndarray
        (k,): the variance along each component, largest first.
    mean : numpy.ndarray
        (n,): the column means the data were centred on.

    Examples
    --------
    >>> top = h5linalg.pca("survey.h5:/samples", k=2)
    >>> np.allclose(np.linalg.norm(top.components, axis=1), 1.0)
    True
    >>> bool(top.explained_variance[0] >= top.explained_variance[1])
    True
    """

    components: FloatArray
    explained_variance: FloatArray
    mean: FloatArray
