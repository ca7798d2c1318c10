"""h5linalg on a Dask ``distributed`` cluster: the top-level functions, spread over workers.

On a cluster whose scheduler listens at ``tcp://scheduler:8786``::

    from distributed import Client
    import h5linalg.distributed as hd

    client = Client("tcp://scheduler:8786")
    cov = hd.covariance("runs/day-*.h5:/samples")

The functions take the same sources (stacks and patterns too, expanded here on
the client) and options as :func:`h5linalg.moments` and the others, plus
``client=`` (default: the current client) and ``partition_rows=`` (default:
chosen from the chunking and the number of workers). Each task runs h5linalg's
own C++ kernel over one row range of one or more files, with the GIL released,
and returns a small partial state (count/mean/M2, a Gram or centred scatter
matrix, or the R factor of a TSQR); the states merge on the workers in a tree
whose shape depends only on the number of partitions, so for a given
partitioning the result is the same bit for bit whatever order the tasks finish
in, and a task run again after a lost worker gives the same answer.

Files are opened on the workers by path: every worker must see the same paths
(a shared file system), and for ``matmul(..., out=...)`` so must the client.
Dask's scheduler, transport and workers do the rest; nothing here replaces them.
"""

from __future__ import annotations

import functools
import os
import secrets
from typing import Any

import numpy as np
import numpy.typing as npt

try:
    import distributed
except ImportError as error:  # pragma: no cover - only without the optional dependency
    msg = (
        "h5linalg.distributed needs Dask's distributed scheduler, which is not installed: "
        "pip install 'h5linalg[distributed]' (with conda or pixi, add the distributed package)"
    )
    raise ImportError(msg) from error

from .. import _core
from .._docs import fill_doc
from .._options import check_ddof, check_k
from .._output import output_target
from .._progress import Progress
from .._results import PCA, FloatArray, Moments
from .._sources import H5Source, Source
from .._statistics import _divide_by_dof
from . import _tasks
from ._cluster import ClusterRun, merge_tree
from ._partitions import Piece, parts, plan

__all__ = ["covariance", "gram", "lstsq", "matmul", "moments", "pca"]


def _reduce(run: ClusterRun, kind: str, source: Source) -> Any:
    """The merged partial state of every row of ``source``."""
    with run:
        source_parts = parts(source, "source")
        rows, cols, _vector, chunk_rows = run.shape(source_parts)
        partitions = run.partitions(source_parts, rows, cols, chunk_rows)
        states = [
            run.submit(
                _tasks.partial, kind, pieces, run.allow_external, *run.kernel_options()
            )
            for pieces in partitions
        ]
        final = merge_tree(run, kind, states)
        run.wait(
            states, [sum(piece.count for piece in pieces) for pieces in partitions]
        )
        return final.result()


def _label(source: Source) -> str:
    return str(source) if isinstance(source, (str, H5Source)) else type(source).__name__


@fill_doc
def moments(
    source: Source,
    ddof: int = 1,
    *,
    client: distributed.Client | None = None,
    partition_rows: int | None = None,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | str | None = None,
) -> Moments:
    """:func:`h5linalg.moments` on the cluster: partial count/mean/M2/min/max merged
    with Chan et al.'s update, so data with a large offset keeps its precision.

    Parameters
    ----------
    {cluster_options}

    The other parameters, the result (NumPy's ``inf``/NaN when
    ``ddof >= count``), the errors and the warning are those of
    :func:`h5linalg.moments`; an error raised in a task is raised here.

    Examples
    --------
    >>> stats = hd.moments("runs/day-*.h5:/samples")
    >>> print(stats.count)
    1000
    >>> np.allclose(stats.mean, h5linalg.moments("runs/day-*.h5:/samples").mean)
    True
    """
    ddof = check_ddof(ddof)
    run = ClusterRun(
        client,
        partition_rows,
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="moments",
    )
    state: _core.MomentsState = _reduce(run, "moments", source)
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
    client: distributed.Client | None = None,
    partition_rows: int | None = None,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | str | None = None,
) -> FloatArray:
    """:func:`h5linalg.gram` on the cluster: each task's ``X.T @ X``, summed in a tree.

    Parameters
    ----------
    {cluster_options}

    The other parameters, the result and the errors are those of
    :func:`h5linalg.gram`; an error raised in a task is raised here.

    Examples
    --------
    >>> G = hd.gram("runs/day-*.h5:/samples", partition_rows=250)
    >>> np.allclose(G, h5linalg.gram("runs/day-*.h5:/samples"))
    True
    """
    run = ClusterRun(
        client,
        partition_rows,
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="gram",
    )
    state: _core.GramState = _reduce(run, "gram", source)
    return state.gram


@fill_doc
def covariance(
    source: Source,
    ddof: int = 1,
    *,
    client: distributed.Client | None = None,
    partition_rows: int | None = None,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | str | None = None,
) -> FloatArray:
    """:func:`h5linalg.covariance` on the cluster: centred scatter matrices merged
    with Chan et al.'s update.

    Parameters
    ----------
    {cluster_options}

    The other parameters, the result (NumPy's ``inf``/NaN when
    ``ddof >= count``), the errors and the warning are those of
    :func:`h5linalg.covariance`; an error raised in a task is raised here.

    Examples
    --------
    >>> cov = hd.covariance("runs/day-*.h5:/samples")
    >>> np.allclose(cov, h5linalg.covariance("runs/day-*.h5:/samples"))
    True
    """
    ddof = check_ddof(ddof)
    run = ClusterRun(
        client,
        partition_rows,
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="covariance",
    )
    state: _core.ScatterState = _reduce(run, "scatter", source)
    return _divide_by_dof(state.scatter, state.count, ddof)


@fill_doc
def pca(
    source: Source,
    k: int,
    *,
    client: distributed.Client | None = None,
    partition_rows: int | None = None,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | str | None = None,
) -> PCA:
    """:func:`h5linalg.pca` on the cluster: the merged scatter, then one eigensolve.

    Parameters
    ----------
    {cluster_options}

    The other parameters, the result and the errors are those of
    :func:`h5linalg.pca`; an error raised in a task is raised here.

    Examples
    --------
    >>> top = hd.pca("runs/day-*.h5:/samples", k=2)
    >>> top.components.shape
    (2, 4)
    """
    k = check_k(k)
    run = ClusterRun(
        client,
        partition_rows,
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="pca",
    )
    state = _reduce(run, "scatter", source)
    mean, components, variance = _core.pca_from_scatter(state, k, _label(source))
    return PCA(components=components, explained_variance=variance, mean=mean)


@fill_doc
def lstsq(
    x_source: Source,
    y_source: Source,
    *,
    client: distributed.Client | None = None,
    partition_rows: int | None = None,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | str | None = None,
) -> FloatArray:
    """:func:`h5linalg.lstsq` on the cluster: a TSQR reduction. Each task factors
    its rows of ``[X | y]``; the R factors (with Q^T y) merge by one more QR each,
    never through the normal equations.

    Parameters
    ----------
    {cluster_options}

    The other parameters, the result and the errors are those of
    :func:`h5linalg.lstsq`; an error raised in a task is raised here.

    Examples
    --------
    >>> beta = hd.lstsq("survey.h5:/samples", "survey.h5:/target", partition_rows=300)
    >>> np.round(beta, 6)
    array([ 1. , -2. ,  0.5,  3. ])
    """
    run = ClusterRun(
        client,
        partition_rows,
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="lstsq",
    )
    with run:
        x_parts = parts(x_source, "x_source")
        y_parts = parts(y_source, "y_source")
        x_rows, n, _x_vector, chunk_rows = run.shape(x_parts)
        y_rows, _m, y_vector, _y_chunk = run.shape(y_parts, allow_1d=True)
        if sum(x_rows) != sum(y_rows):
            msg = (
                f"X and y must have the same number of rows: X {_label(x_source)} has "
                f"{sum(x_rows)}, y {_label(y_source)} has {sum(y_rows)}"
            )
            raise ValueError(msg)
        # One partitioning for both, so each task holds the same rows of X and y.
        height = run.height(x_rows, n, chunk_rows)
        x_partitions = plan(x_rows, x_parts, height)
        y_partitions = plan(y_rows, y_parts, height)
        states = [
            run.submit(
                _tasks.lstsq_partial, xp, yp, run.allow_external, *run.kernel_options()
            )
            for xp, yp in zip(x_partitions, y_partitions, strict=True)
        ]
        final = merge_tree(run, "lstsq", states)
        run.wait(
            states, [sum(piece.count for piece in pieces) for pieces in x_partitions]
        )
        coefficients = _core.solve_lstsq(
            final.result(), _label(x_source), _label(y_source)
        )
    result: FloatArray = coefficients.ravel() if y_vector else coefficients
    return result


@fill_doc
def matmul(
    a_source: Source,
    b: npt.ArrayLike,
    out: H5Source | str | None = None,
    overwrite: bool = False,
    *,
    client: distributed.Client | None = None,
    partition_rows: int | None = None,
    block_rows: int | None = None,
    progress: Progress = False,
    allow_external: bool = False,
    memory_limit: int | str | None = None,
) -> FloatArray | H5Source:
    """:func:`h5linalg.matmul` on the cluster.

    With ``out``, each task writes its rows of ``A @ b`` into a temporary file of
    its own beside the output, and one task copies them into the final dataset,
    which appears only when complete (an ordinary dataset, not a virtual one); a
    failed or cancelled run leaves nothing under the final name and removes its
    temporary files.

    Parameters
    ----------
    {cluster_options}

    The other parameters, the result and the errors are those of
    :func:`h5linalg.matmul`; an error raised in a task is raised here.

    Examples
    --------
    >>> W = np.eye(4)[:, :2]
    >>> hd.matmul("runs/day-*.h5:/samples", W, out="runs-x2.h5:/x2")
    H5Source(path='runs-x2.h5', dataset='/x2')
    """
    b_array = np.asarray(b)
    run = ClusterRun(
        client,
        partition_rows,
        block_rows=block_rows,
        memory_limit=memory_limit,
        progress=progress,
        allow_external=allow_external,
        label="matmul",
    )
    with run:
        a_parts = parts(a_source, "a_source")
        rows, cols, _vector, chunk_rows = run.shape(a_parts)
        partitions = run.partitions(a_parts, rows, cols, chunk_rows)
        counts = [sum(piece.count for piece in pieces) for pieces in partitions]
        b_future = run.client.scatter(b_array, broadcast=True)
        if out is None:
            return _matmul_in_memory(run, partitions, counts, b_future)
        files = [part.path for part in a_parts if part.path is not None]
        target, written = output_target(
            out, overwrite=overwrite, vector=b_array.ndim == 1, inputs=files
        )
        # An existing dataset fails now, not after every task.
        _core.check_output(target)
        _matmul_to_file(
            run, partitions, counts, b_future, written, overwrite, b_array.ndim == 1
        )
        return written


def _matmul_in_memory(
    run: ClusterRun,
    partitions: list[list[Piece]],
    counts: list[int],
    b_future: distributed.Future[Any],
) -> FloatArray:
    """``A @ b`` gathered on the client: each task returns its rows."""
    products = [
        run.submit(
            _tasks.matmul_rows,
            pieces,
            b_future,
            run.allow_external,
            *run.kernel_options(),
        )
        for pieces in partitions
    ]
    run.wait(products, counts)
    result: FloatArray = np.concatenate(run.client.gather(products))
    return result


def _matmul_to_file(
    run: ClusterRun,
    partitions: list[list[Piece]],
    counts: list[int],
    b_future: distributed.Future[Any],
    written: H5Source,
    overwrite: bool,
    vector: bool,
) -> None:
    """``A @ b`` into ``written``: each task writes its rows into a temporary part
    file of its own, and one task assembles the parts into the final dataset."""
    directory, name = os.path.split(os.path.abspath(written.path))
    folder = os.path.join(directory, f".{name}.h5linalg-parts-{secrets.token_hex(6)}")
    # The temporary parts go whichever way the run ends; the workers see the
    # folder (they wrote it), and so does the client (it checked `out`).
    run.on_failure(functools.partial(_tasks.remove, folder))
    paths = [os.path.join(folder, f"part-{i}.h5") for i in range(len(partitions))]
    parts_written: list[distributed.Future[Any]] = []
    try:
        parts_written = [
            run.submit(
                _tasks.matmul_part,
                pieces,
                b_future,
                path,
                run.allow_external,
                *run.kernel_options(),
            )
            for pieces, path in zip(partitions, paths, strict=True)
        ]
        assembled = run.submit(
            _tasks.assemble,
            paths,
            (written.path, written.dataset, overwrite, vector),
            folder,
            *run.kernel_options(),
            parts_written,
        )
        run.wait(parts_written, counts)
        assembled.result()
    except Exception:
        # Parts still being written finish first, so none lands in a folder
        # already removed (a running task cannot be stopped, only forgotten).
        distributed.wait(parts_written)
        raise
