"""
Hooks for h5linalg's own tests; not part of the API.
"""
from __future__ import annotations
import h5linalg._core
import numpy
import numpy.typing
import typing
__all__: list[str] = ['decoded_chunks', 'open_hdf5_objects', 'read_rows', 'read_with_hdf5', 'signal_checks', 'stream_rows']
def decoded_chunks() -> dict[str, int]:
    """
    Chunks decoded on worker threads since the module was loaded, per codec.
    """
def open_hdf5_objects() -> int:
    """
    HDF5 objects h5linalg's HDF5 library holds open.
    """
def read_rows(dataset: h5linalg._core.DatasetRef, first: typing.SupportsInt | typing.SupportsIndex, count: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float64]:
    """
    Rows [first, first + count) as float64, read as h5linalg's functions read them (compressed chunks decoded on worker threads where the codec allows).
    """
def read_with_hdf5(dataset: h5linalg._core.DatasetRef, max_elements: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float64]:
    """
    The whole dataset as float64, read by one plain H5Dread: the reference for h5linalg's own read paths on the same HDF5 library.
    """
def signal_checks() -> int:
    """
    How many times runs have checked for Ctrl-C since the module was loaded.
    """
def stream_rows(source: typing.Any, *, block_rows: typing.SupportsInt | typing.SupportsIndex = 0, memory_limit: typing.SupportsInt | typing.SupportsIndex = 268435456) -> int:
    """
    Reads every row of a source through the block pipeline and discards it: what reading and decoding cost with no kernel (the benchmarks' decode floor).
    """
