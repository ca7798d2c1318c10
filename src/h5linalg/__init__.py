"""h5linalg: out-of-core linear algebra and statistics on HDF5 datasets.

Moments, Gram and covariance matrices, PCA, tall-skinny least squares and
blocked matrix products over datasets larger than memory, streamed block by
block through BLAS/LAPACK in C++. Every function takes a *source*: a 2-D NumPy
array, an ``h5py.Dataset``, an :class:`H5Source`, or ``"file.h5:/dataset"``.

    >>> import h5linalg
    >>> cov = h5linalg.covariance("measurements.h5:/samples")  # doctest: +SKIP
"""

from __future__ import annotations

try:
    from . import _core  # first, so a missing build gets the message below
except ImportError as error:  # pragma: no cover - only without a built extension
    msg = (
        "h5linalg's compiled extension (h5linalg._core) is missing or broken. "
        "In a source checkout, build it first: `pixi run build`, or "
        "`pip install --no-build-isolation -e .` (see README.md)."
    )
    raise ImportError(msg) from error

from . import _environment
from ._config import show_config
from ._lstsq import lstsq
from ._matmul import matmul
from ._plugins import use_hdf5plugin
from ._results import PCA, Moments
from ._sources import H5Source
from ._statistics import covariance, gram, moments, pca
from ._version import __version__

__all__ = [
    "PCA",
    "H5Source",
    "Moments",
    "__version__",
    "covariance",
    "gram",
    "lstsq",
    "matmul",
    "moments",
    "pca",
    "show_config",
]


use_hdf5plugin()  # hdf5plugin's filters with no setup, when it is installed
# The core reads no environment: the pool's size is set here, before it starts.
_core.set_worker_threads(_environment.worker_threads())


def __dir__() -> list[str]:
    return __all__
