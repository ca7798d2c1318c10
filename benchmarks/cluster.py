"""The distributed workloads' variants: h5linalg.distributed and dask.array on one cluster.

Each measurement process starts a ``LocalCluster`` of worker processes with one
thread each (h5linalg's decode threads and BLAS alike: one core per worker),
warms it with a small run of the same call, and only then starts its clock, so
start-up is excluded. The cluster is the same for h5linalg and for dask.array;
the single-process h5linalg line of the same workload (workloads.py) runs with
every core of the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import baselines
from measure import Clock

#: Every worker process computes on one core.
ONE_CORE = {
    "H5LINALG_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
}


@contextmanager
def local_cluster(p: dict[str, Any]) -> Iterator[Any]:
    """A warm client on ``p['threads']`` single-threaded worker processes."""
    import distributed  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    import h5linalg.distributed as hd  # noqa: PLC0415

    cluster = distributed.LocalCluster(
        n_workers=int(p["threads"]),
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        env=ONE_CORE,
    )
    with cluster, distributed.Client(cluster) as client:
        hd.gram(np.ones((64, 4)), client=client)  # imports h5linalg on every worker
        yield client


def gram_distributed(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import h5linalg.distributed as hd  # noqa: PLC0415

    with local_cluster(p) as client:
        with clock:
            gram = hd.gram(baselines.source(p), client=client)
        return {"_array": gram}


def covariance_distributed(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    import h5linalg.distributed as hd  # noqa: PLC0415

    with local_cluster(p) as client:
        with clock:
            covariance = hd.covariance(baselines.source(p), client=client)
        return {"_array": covariance}


def matmul_distributed(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """To an HDF5 dataset: every partition's file, and the assembly into one."""
    import h5linalg.distributed as hd  # noqa: PLC0415

    with local_cluster(p) as client:
        return baselines.timed_matmul(
            p,
            clock,
            lambda out, weights: hd.matmul(
                baselines.source(p),
                weights,
                out=f"{out}:/C",
                overwrite=True,
                client=client,
            ),
        )


def _dask_x(p: dict[str, Any], handle: Any) -> Any:
    """The dataset as dask.array, in chunks of about 128 MiB (whole HDF5 chunks)."""
    import dask.array as da  # noqa: PLC0415

    dataset = handle[p["dataset"]]
    chunk = dataset.chunks[0] if dataset.chunks else 1
    rows = max(chunk, (128 << 20) // (8 * dataset.shape[1]) // chunk * chunk)
    return da.from_array(dataset, chunks=(rows, dataset.shape[1]))


def gram_dask_cluster(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    h5py = baselines.h5py_with_plugins()
    with local_cluster(p), h5py.File(p["path"], "r") as handle:
        x = _dask_x(p, handle)
        with clock:
            gram = (x.T @ x).compute()
        return {"_array": gram, "dask_chunk_rows": int(x.chunks[0][0])}


def covariance_dask_cluster(p: dict[str, Any], clock: Clock) -> dict[str, Any]:
    h5py = baselines.h5py_with_plugins()
    with local_cluster(p), h5py.File(p["path"], "r") as handle:
        x = _dask_x(p, handle)
        with clock:
            covariance = baselines.centred_scatter(x).compute()
        return {"_array": covariance}


VARIANTS = {
    "gram_distributed": gram_distributed,
    "covariance_distributed": covariance_distributed,
    "matmul_distributed": matmul_distributed,
    "gram_dask_cluster": gram_dask_cluster,
    "covariance_dask_cluster": covariance_dask_cluster,
}
