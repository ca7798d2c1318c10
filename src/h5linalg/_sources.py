"""What a *source* can be, and how each kind reaches the C++ core.

A source is a 2-D NumPy array (read in place, any dtype h5linalg supports), an
``h5py.Dataset`` (reopened read-only by file and name in h5linalg's own HDF5
library), an :class:`H5Source`, or the string ``"path/to/file.h5:/group/dataset"``.

A *stack* is several sources read one after another as one taller dataset: a
list or tuple of the kinds above, or a string whose file part is a glob pattern
(``"runs/day-*.h5:/samples"``, its matches in natural order). The C++ core reads
it as one row concatenation, opening each file only while its rows are read.
"""

from __future__ import annotations

import errno
import glob
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, overload

import numpy as np
import numpy.typing as npt

from . import _core
from ._environment import parallel_inflate

_FORM = "FILE:/DATASET (for example 'data.h5:/group/x')"


@dataclass(frozen=True, init=False)
class H5Source:
    """A dataset inside an HDF5 file.

    ``H5Source("data.h5", "group/x")`` and ``H5Source.parse("data.h5:/group/x")``
    name the same dataset; ``dataset`` is always absolute and ``str()`` gives
    the ``FILE:/DATASET`` form the command line uses. Any function takes one
    as a source, and :func:`~h5linalg.matmul` returns one for ``out``.

    Parameters
    ----------
    path : str or os.PathLike
        The HDF5 file (it is opened only when a function reads it).
    dataset : str
        The dataset's name in the file, with or without the leading ``/``.

    Attributes
    ----------
    path : str
        The file, as given.
    dataset : str
        The dataset's absolute name, such as ``"/group/x"``.

    Raises
    ------
    TypeError
        ``path`` is neither a string nor a path.
    ValueError
        ``dataset`` is empty.

    Examples
    --------
    >>> source = h5linalg.H5Source("survey.h5", "samples")
    >>> source
    H5Source(path='survey.h5', dataset='/samples')
    >>> str(source)
    'survey.h5:/samples'
    >>> h5linalg.gram(source).shape
    (4, 4)
    """

    path: str
    dataset: str

    def __init__(self, path: str | os.PathLike[str], dataset: str) -> None:
        object.__setattr__(self, "path", _checked_path(path))
        object.__setattr__(self, "dataset", _checked_dataset(dataset))

    def __str__(self) -> str:
        return f"{self.path}:{self.dataset}"

    @classmethod
    def parse(cls, text: str) -> H5Source:
        """Splits ``"file.h5:/group/x"`` into file and dataset.

        The split is at the right-most ``:/`` whose left part is an existing file
        (so paths may contain ``:/``, as Windows paths do); when no left part
        exists, at the right-most ``:/``, so a missing file is reported as such.

        Parameters
        ----------
        text : str
            ``"FILE:/DATASET"``.

        Returns
        -------
        H5Source
            The file and the dataset.

        Raises
        ------
        ValueError
            ``text`` has no ``:/``.

        Examples
        --------
        >>> h5linalg.H5Source.parse("survey.h5:/samples")
        H5Source(path='survey.h5', dataset='/samples')
        """
        positions = [i for i in range(len(text) - 1) if text.startswith(":/", i)]
        if not positions:
            msg = f"{text!r} does not name a dataset; write it as {_FORM}"
            raise ValueError(msg)
        for position in reversed(positions):
            if os.path.isfile(text[:position]):
                return cls(text[:position], text[position + 1 :])
        position = positions[-1]
        return cls(text[:position], text[position + 1 :])


#: Everything the functions accept as a source: an H5Source, a ``FILE:/DATASET``
#: string (its file part may be a glob pattern), a list or tuple of those or of
#: 2-D arrays and h5py datasets (a stack), or array data: a NumPy array or what
#: ``numpy.asarray`` takes, which includes an ``h5py.Dataset`` (it has
#: ``__array__``; h5linalg reopens it by file and name instead of reading it
#: through NumPy).
Source: TypeAlias = (
    H5Source | str | Sequence[H5Source | str | npt.NDArray[Any]] | npt.ArrayLike
)

#: One source for _core: an array read in place, or a dataset by name.
ResolvedPart: TypeAlias = np.ndarray | _core.DatasetRef

#: What a source becomes for _core: one part, or a stack of them (a list).
Resolved: TypeAlias = ResolvedPart | list[ResolvedPart]


def _checked_path(path: object) -> str:
    if not isinstance(path, (str, os.PathLike)):
        msg = f"H5Source path must be a str or os.PathLike, not {type(path).__name__}"
        raise TypeError(msg)
    return os.fspath(path)


def _checked_dataset(dataset: object) -> str:
    if not isinstance(dataset, str) or not dataset:
        msg = f"H5Source needs a dataset name such as '/group/x', got {dataset!r}"
        raise ValueError(msg)
    return dataset if dataset.startswith("/") else "/" + dataset


def as_h5source(value: object, role: str = "source") -> H5Source:
    """An H5Source from an H5Source or a ``FILE:/DATASET`` string."""
    if isinstance(value, H5Source):
        return value
    if isinstance(value, str):
        return H5Source.parse(value)
    msg = f"{role} must be a {_FORM} string or an H5Source, not {type(value).__name__}"
    raise TypeError(msg)


def _h5py_dataset_ref(dataset: Any, allow_external: bool) -> _core.DatasetRef:
    """Reopens an h5py.Dataset by file name and dataset name.

    h5py from PyPI carries its own libhdf5, so its identifiers mean nothing to
    h5linalg's HDF5 library; the file on disk is what both can share.
    """
    file = dataset.file
    if file.driver in {"core", "fileobj"}:
        msg = (
            f"the h5py dataset {dataset.name!r} lives in an in-memory or Python "
            f"file object (driver={file.driver!r}), which h5linalg cannot reopen; "
            "write the file to disk, or pass the data itself (dataset[()])"
        )
        raise ValueError(msg)
    if dataset.name is None:
        msg = "the h5py dataset is anonymous (not linked into its file); link it to a name first"
        raise ValueError(msg)
    writable = file.mode != "r"
    if writable:
        # Make what the caller wrote visible to the second reader of this file.
        file.flush()
    return _core.DatasetRef(
        file.filename,
        dataset.name,
        allow_external=allow_external,
        # The caller holds the file open for writing, so HDF5's lock would refuse us.
        ignore_file_locks=writable,
        parallel_inflate=parallel_inflate(),
    )


def _file_ref(source: H5Source, allow_external: bool) -> _core.DatasetRef:
    if not os.path.exists(source.path):
        raise FileNotFoundError(errno.ENOENT, "No such file", source.path)
    return _core.DatasetRef(
        source.path,
        source.dataset,
        allow_external=allow_external,
        parallel_inflate=parallel_inflate(),
    )


def natural_key(text: str) -> list[str | int]:
    """Sorts runs of digits by value: ``day-2`` before ``day-10``."""
    return [
        int(piece) if piece.isdigit() else piece for piece in re.split(r"(\d+)", text)
    ]


def expand_text(text: str) -> list[H5Source]:
    """The datasets a ``FILE:/DATASET`` string names: one, or a pattern's matches.

    A file part that names an existing file is that file, glob characters or
    not; otherwise glob characters make it a pattern (``**`` spans folders).
    """
    source = H5Source.parse(text)
    if os.path.exists(source.path) or not glob.has_magic(source.path):
        return [source]
    matches = [
        path for path in glob.glob(source.path, recursive=True) if os.path.isfile(path)
    ]
    if not matches:
        raise FileNotFoundError(
            errno.ENOENT, "No file matches the pattern", source.path
        )
    return [H5Source(path, source.dataset) for path in sorted(matches, key=natural_key)]


def _is_stack_item(item: object) -> bool:
    # A DatasetRef is a part already resolved (a stack passed on by matmul).
    if isinstance(item, (str, H5Source, _core.DatasetRef)):
        return True
    if isinstance(item, np.ndarray):
        return item.ndim == 2
    h5py = sys.modules.get("h5py")
    return h5py is not None and isinstance(item, h5py.Dataset)


def is_stack(source: object) -> bool:
    """Whether a list or tuple is a stack of sources rather than array data."""
    return (
        isinstance(source, (list, tuple))
        and len(source) > 0
        and all(_is_stack_item(item) for item in source)
    )


def parts_of(source: object) -> list[object]:
    """The sources a stack or pattern stands for, in order; [source] otherwise."""
    items = (
        list(source)
        if isinstance(source, (list, tuple)) and is_stack(source)
        else [source]
    )
    parts: list[object] = []
    for item in items:
        parts.extend(expand_text(item) if isinstance(item, str) else [item])
    return parts


@overload
def resolve(
    source: H5Source | _core.DatasetRef, *, allow_external: bool, role: str = ...
) -> _core.DatasetRef: ...
@overload
def resolve(
    source: Source | _core.DatasetRef | list[ResolvedPart],
    *,
    allow_external: bool,
    role: str = ...,
) -> Resolved: ...
def resolve(
    source: Source | _core.DatasetRef | list[ResolvedPart],
    *,
    allow_external: bool,
    role: str = "source",
) -> Resolved:
    """The object _core reads: a NumPy array, a _core.DatasetRef, or a list of
    them (a stack or a pattern with more than one part)."""
    if isinstance(source, str) or is_stack(source):
        parts = [
            _resolve_part(part, allow_external=allow_external, role=role)
            for part in parts_of(source)
        ]
        return parts[0] if len(parts) == 1 else parts
    return _resolve_part(source, allow_external=allow_external, role=role)


def _resolve_part(source: object, *, allow_external: bool, role: str) -> ResolvedPart:
    if isinstance(source, _core.DatasetRef):
        return source
    if isinstance(source, H5Source):
        return _file_ref(source, allow_external)
    if isinstance(source, str):
        return _file_ref(H5Source.parse(source), allow_external)
    h5py = sys.modules.get("h5py")
    if h5py is not None:
        if isinstance(source, h5py.Dataset):
            return _h5py_dataset_ref(source, allow_external)
        if isinstance(source, h5py.Group):
            msg = f"{role} {source.name!r} is an h5py group, not a dataset; pass one of its datasets"
            raise TypeError(msg)
    if isinstance(source, np.ma.MaskedArray):
        msg = (
            f"{role} is a masked array; h5linalg would ignore the mask. "
            "Pass .filled(np.nan) or drop the masked rows first"
        )
        raise TypeError(msg)
    if isinstance(source, np.ndarray):
        return source
    if isinstance(source, (os.PathLike, bytes)):
        msg = (
            f"{role} {source!r} names a file but not a dataset; write it as {_FORM} "
            "or use H5Source(path, dataset)"
        )
        raise TypeError(msg)
    array = np.asarray(source)
    if array.dtype == object:
        msg = (
            f"{role} of type {type(source).__name__} is not a NumPy array, "
            f"an h5py.Dataset, an H5Source or a {_FORM} string"
        )
        raise TypeError(msg)
    return array


def files_of(resolved: Resolved) -> list[str]:
    """The files a resolved source reads (none for arrays)."""
    parts = resolved if isinstance(resolved, list) else [resolved]
    return [part.path for part in parts if isinstance(part, _core.DatasetRef)]
