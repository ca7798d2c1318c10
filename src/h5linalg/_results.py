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
    """

    components: FloatArray
    explained_variance: FloatArray
    mean: FloatArray
