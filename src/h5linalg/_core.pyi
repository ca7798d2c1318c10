"""
h5linalg's compiled core: streaming BLAS/LAPACK kernels over HDF5 datasets. Private; use the functions of the h5linalg package.
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['DatasetRef', 'GramState', 'LstsqState', 'MomentsState', 'OutputRef', 'ScatterState', 'build_info', 'check_output', 'copy_rows', 'default_memory_limit', 'describe', 'filter_available', 'gram', 'list_datasets', 'lstsq', 'lstsq_state', 'matmul', 'merge_gram', 'merge_lstsq', 'merge_moments', 'merge_scatter', 'moments', 'pca', 'pca_from_scatter', 'plugin_folder_report', 'plugin_search_path', 'scatter', 'set_worker_threads', 'solve_lstsq', 'stack_shape', 'use_plugin_folder', 'write_array']
class DatasetRef:
    """
    A dataset inside an HDF5 file, as the Python layer resolved it.
    """
    def __init__(self, path: str, name: str, *, allow_external: bool = False, ignore_file_locks: bool = False, first: typing.SupportsInt | typing.SupportsIndex = 0, count: typing.SupportsInt | typing.SupportsIndex = 0, parallel_inflate: bool = True) -> None:
        """
        `first` and `count` (if not 0) select rows [first, first + count); without `parallel_inflate`, HDF5's own filters decode every chunk.
        """
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
    def parallel_inflate(self) -> bool:
        ...
    @property
    def path(self) -> str:
        ...
class MomentsState:
    """
    count, mean, sum of squared deviations (m2), min and max of each column of some rows.
    """
    def __getstate__(self) -> tuple[int, numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
        ...
    def __setstate__(self, arg0: tuple[int, typing.Annotated[numpy.typing.ArrayLike, numpy.float64], typing.Annotated[numpy.typing.ArrayLike, numpy.float64], typing.Annotated[numpy.typing.ArrayLike, numpy.float64], typing.Annotated[numpy.typing.ArrayLike, numpy.float64]]) -> None:
        ...
    @property
    def count(self) -> int:
        ...
    @property
    def m2(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The sum of squared deviations.
        """
    @property
    def max(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The greatest value (NaN with a NaN).
        """
    @property
    def mean(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The mean of each column.
        """
    @property
    def min(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The least value (NaN with a NaN).
        """
class ScatterState:
    """
    count, mean and centred scatter matrix of the columns of some rows.
    """
    def __getstate__(self) -> tuple[int, numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
        ...
    def __setstate__(self, arg0: tuple[int, typing.Annotated[numpy.typing.ArrayLike, numpy.float64], typing.Annotated[numpy.typing.ArrayLike, numpy.float64]]) -> None:
        ...
    @property
    def count(self) -> int:
        ...
    @property
    def mean(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The mean of each column (n,).
        """
    @property
    def scatter(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        The centred scatter matrix (n, n): covariance = scatter / (count - ddof).
        """
class GramState:
    """
    X.T @ X of some rows.
    """
    def __getstate__(self) -> tuple[numpy.typing.NDArray[numpy.float64]]:
        ...
    def __setstate__(self, arg0: tuple[typing.Annotated[numpy.typing.ArrayLike, numpy.float64]]) -> None:
        ...
    @property
    def gram(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        X.T @ X (n, n).
        """
class LstsqState:
    """
    The streaming QR state of some rows of [X | y].
    """
    def __getstate__(self) -> tuple[int, int, int, numpy.typing.NDArray[numpy.float64]]:
        ...
    def __setstate__(self, arg0: tuple[int, int, int, typing.Annotated[numpy.typing.ArrayLike, numpy.float64]]) -> None:
        ...
    @property
    def factor(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        L, (n + m, n + m): L @ L.T = A.T @ A for A = [X | y].
        """
    @property
    def m(self) -> int:
        """
        Columns of y.
        """
    @property
    def n(self) -> int:
        """
        Columns of X.
        """
    @property
    def rows(self) -> int:
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
def check_output(out: OutputRef) -> bool:
    """
    The checks matmul makes of `out` before writing (FileExistsError, ...); returns whether the file exists. Writes nothing.
    """
def copy_rows(source: typing.Any, out: OutputRef, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None) -> None:
    """
    Writes every row of a source into `out`, atomically like matmul.
    """
def describe(dataset: DatasetRef) -> dict[str, typing.Any]:
    """
    Shape, dtype, layout, chunking, filters and stored size of a dataset.
    """
def filter_available(id: typing.SupportsInt | typing.SupportsIndex) -> bool:
    """
    Whether h5linalg's HDF5 library can decode filter `id` (loading a plugin if needed).
    """
def gram(source: typing.Any, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None) -> GramState:
    """
    X.T @ X, streamed through BLAS dsyrk.
    """
def list_datasets(path: str, limit: typing.SupportsInt | typing.SupportsIndex) -> list[dict[str, typing.Any]]:
    """
    The datasets of a file and its links to other files, by name, reading no data and opening nothing outside the file; the first `limit` described.
    """
def lstsq(x: typing.Any, y: typing.Any, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None, slab_rows: typing.SupportsInt | typing.SupportsIndex = 0) -> numpy.typing.NDArray[numpy.float64]:
    """
    Least-squares coefficients (n, m) by streaming QR; y may be 1-D (m = 1). `slab_rows`: rows per LAPACK call (0: the default, 4096).
    """
def lstsq_state(x: typing.Any, y: typing.Any, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None, slab_rows: typing.SupportsInt | typing.SupportsIndex = 0) -> LstsqState:
    """
    The streaming QR state of rows of [X | y]; `slab_rows` as for lstsq.
    """
def matmul(a: typing.Any, b: typing.Any, *, out: OutputRef | None = None, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None) -> numpy.typing.NDArray[numpy.float64] | None:
    """
    A @ B for a streamed A and an in-memory B: returned as an array, or written to `out`.
    """
def merge_gram(a: GramState, b: GramState) -> GramState:
    """
    X.T @ X of two disjoint sets of rows together.
    """
def merge_lstsq(a: LstsqState, b: LstsqState) -> LstsqState:
    """
    The QR state of two disjoint sets of rows together (one more QR).
    """
def merge_moments(a: MomentsState, b: MomentsState) -> MomentsState:
    """
    The moments of two disjoint sets of rows together (Chan et al.).
    """
def merge_scatter(a: ScatterState, b: ScatterState) -> ScatterState:
    """
    The centred scatter of two disjoint sets of rows together (Chan et al.).
    """
def moments(source: typing.Any, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None) -> MomentsState:
    """
    count, mean, sum of squared deviations (m2), min and max of each column, in one pass.
    """
def pca(source: typing.Any, k: typing.SupportsInt | typing.SupportsIndex, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    (mean, components (k, n), explained variance (k,)) of the covariance, ddof=1.
    """
def pca_from_scatter(state: ScatterState, k: typing.SupportsInt | typing.SupportsIndex, label: str) -> tuple[numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64], numpy.typing.NDArray[numpy.float64]]:
    """
    (mean, components (k, n), explained variance (k,)) from the scatter of all rows.
    """
def plugin_folder_report() -> dict[str, typing.Any]:
    """
    The plugins of the use_plugin_folder() folder, and which are bound.
    """
def plugin_search_path() -> list[str]:
    """
    HDF5's plugin search path, in search order.
    """
def scatter(source: typing.Any, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456, progress: typing.Any = None) -> ScatterState:
    """
    count, mean and centred scatter matrix; covariance = scatter / (count - ddof).
    """
def set_worker_threads(count: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Sets the threads that decode compressed chunks (0: the CPUs), before the pool starts: h5linalg calls it at import with $H5LINALG_NUM_THREADS.
    """
def solve_lstsq(state: LstsqState, x_label: str, y_label: str) -> numpy.typing.NDArray[numpy.float64]:
    """
    Least-squares coefficients (n, m) from the QR state of all rows.
    """
def stack_shape(source: typing.Any, allow_1d: bool = False) -> tuple[list[int], int, bool]:
    """
    (rows of each part, columns, 1-D): a source's shape, every part of a stack checked as reading it would (same errors), without reading any rows.
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
