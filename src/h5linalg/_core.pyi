"""
h5linalg's compiled core: streaming BLAS/LAPACK kernels over HDF5 datasets. Private; use the functions of the h5linalg package.
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['DatasetRef', 'OutputRef', 'build_info', 'default_memory_limit', 'describe', 'filter_available', 'gram', 'lstsq', 'matmul', 'moments', 'pca', 'plugin_folder_report', 'plugin_search_path', 'scatter', 'use_plugin_folder', 'write_array']
class DatasetRef:
    """
    A dataset inside an HDF5 file, as the Python layer resolved it.
    """
    def __init__(self, path: str, name: str, *, allow_external: bool = False, ignore_file_locks: bool = False) -> None:
        ...
    @property
    def allow_external(self) -> bool:
        ...
    @property
    def ignore_file_locks(self) -> bool:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def path(self) -> str:
        ...
class OutputRef:
    """
    Where matmul writes: a dataset in an HDF5 file (created if it does not exist).
    """
    def __init__(self, path: str, name: str, *, overwrite: bool = False, vector: bool = False) -> None:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def path(self) -> str:
        ...
def build_info() -> dict[str, typing.Any]:
    """
    Versions of the libraries h5linalg was built against and runs with.
    """
def describe(dataset: DatasetRef) -> dict[str, typing.Any]:
    """
    Shape, dtype, layout, chunking, filters and stored size of a dataset.
    """
def filter_available(id: typing.SupportsInt | typing.SupportsIndex) -> bool:
    """
    Whether h5linalg's HDF5 library can decode filter `id` (loading a plugin if needed).
    """
def gram(source: typing.Any, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None) -> numpy.typing.NDArray[numpy.float64]:
    """
    X.T @ X, streamed through BLAS dsyrk.
    """
def lstsq(x: typing.Any, y: typing.Any, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None) -> numpy.typing.NDArray[numpy.float64]:
    """
    Least-squares coefficients (n, m) by streaming QR; y may be 1-D (m = 1).
    """
def matmul(a: typing.Any, b: typing.Any, *, out: OutputRef | None = None, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None) -> numpy.typing.NDArray[numpy.float64] | None:
    """
    A @ B for a streamed A and an in-memory B: returned as an array, or written to `out`.
    """
def moments(source: typing.Any, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None) -> tuple[int, numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    (count, mean, sum of squared deviations, min, max) of each column, in one pass.
    """
def pca(source: typing.Any, k: typing.SupportsInt | typing.SupportsIndex, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    (mean, components (k, n), explained variance (k,)) of the covariance, ddof=1.
    """
def plugin_folder_report() -> dict[str, typing.Any]:
    """
    The plugins of the use_plugin_folder() folder, and which are bound.
    """
def plugin_search_path() -> list[str]:
    """
    HDF5's plugin search path, in search order.
    """
def scatter(source: typing.Any, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None) -> tuple[int, numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    (count, mean, centred scatter matrix); covariance = scatter / (count - ddof).
    """
def use_plugin_folder(folder: str) -> None:
    """
    Binds a private copy of the plugin in `folder` for each filter a dataset needs that this HDF5 cannot decode (HDF5_PLUGIN_PATH keeps precedence).
    """
def write_array(array: typing.Any, out: OutputRef) -> None:
    """
    Writes a float64 array to `out`, atomically like matmul.
    """
__version__: str
default_memory_limit: int = 268435456
