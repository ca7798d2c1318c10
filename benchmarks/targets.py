"""The issue's targets, evaluated on the medians of one run.

Every target reports the measured value, the limit and met / not met; a target
whose inputs were not measured in this run (``--only``) is "not evaluated".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

MEMORY_LIMIT_BYTES = 256 * 1024 * 1024
MIB = 1024 * 1024


@dataclass
class Target:
    workload: str
    target: str
    measured: str
    met: bool | None  # None: not evaluated
    value: float = float("nan")
    limit: float = float("nan")

    @property
    def verdict(self) -> str:
        return {True: "met", False: "NOT met", None: "not evaluated"}[self.met]

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict
        return data


Medians = dict[
    str, dict[str, "float | None"]
]  # workload -> variant key -> median seconds


def _get(medians: Medians, workload: str, variant: str) -> float:
    value = medians.get(workload, {}).get(variant, float("nan"))
    return value if value is not None else float("nan")


def _ok(*values: float) -> bool:
    return all(math.isfinite(value) and value > 0 for value in values)


def _at_most(
    workload: str, text: str, value: float, limit: float, measured: str
) -> Target:
    met = (value <= limit) if _ok(value, limit) else None
    return Target(
        workload, text, measured if met is not None else "-", met, value, limit
    )


def _at_least(
    workload: str, text: str, value: float, limit: float, measured: str
) -> Target:
    met = (value >= limit) if math.isfinite(value) and value > 0 else None
    return Target(
        workload, text, measured if met is not None else "-", met, value, limit
    )


def evaluate(medians: Medians, extras: dict[str, Any], cores: int) -> list[Target]:
    """All targets of the issue; ``extras`` holds accuracy and memory figures."""
    targets: list[Target] = []

    def g(workload: str, variant: str) -> float:
        return _get(medians, workload, variant)

    # gram, 8M x 64 float64
    h5, numpy_floor, read = (
        g("gram", "h5linalg"),
        g("gram", "numpy_in_memory"),
        g("gram", "read_floor"),
    )
    floor = numpy_floor + read / cores
    targets.append(
        _at_most(
            "gram",
            "<= 1.15 x (in-memory BLAS floor + read floor / cores)",
            h5,
            1.15 * floor,
            f"{h5:.2f} s vs limit {1.15 * floor:.2f} s (floor {numpy_floor:.2f} + {read:.2f}/{cores}"
            f" = {floor:.2f} s; {h5 / floor:.2f} x floor)",
        )
    )
    loop = g("gram", "h5py_loop")
    targets.append(
        _at_least(
            "gram",
            ">= 1.25 x faster than the h5py + NumPy loop",
            loop / h5,
            1.25,
            f"{loop / h5:.2f} x ({loop:.2f} s vs {h5:.2f} s)",
        )
    )
    dask = g("gram", "dask")
    targets.append(
        _at_least(
            "gram",
            "faster than dask",
            dask / h5,
            1.0,
            f"{dask / h5:.2f} x ({dask:.2f} s vs {h5:.2f} s)",
        )
    )

    # covariance
    cov, two_pass, cov_gram = (
        g("covariance", "h5linalg"),
        g("covariance", "h5py_two_pass"),
        g("covariance", "h5linalg_gram"),
    )
    targets.append(
        _at_least(
            "covariance",
            ">= 2.0 x faster than the two-pass h5py + NumPy loop",
            two_pass / cov,
            2.0,
            f"{two_pass / cov:.2f} x ({two_pass:.2f} s vs {cov:.2f} s)",
        )
    )
    targets.append(
        _at_most(
            "covariance",
            "<= 1.25 x h5linalg's own gram time",
            cov / cov_gram,
            1.25,
            f"{cov / cov_gram:.2f} x ({cov:.2f} s vs gram {cov_gram:.2f} s, same run)",
        )
    )

    # gram, 1M x 512
    wide, wide_floor = g("gram_wide", "h5linalg"), g("gram_wide", "numpy_in_memory")
    targets.append(
        _at_most(
            "gram_wide",
            "<= 1.10 x the in-memory BLAS floor",
            wide / wide_floor,
            1.10,
            f"{wide / wide_floor:.2f} x ({wide:.2f} s vs NumPy in memory {wide_floor:.2f} s)",
        )
    )

    # gram, float32
    f32 = g("gram_f32", "h5linalg")
    targets.append(
        _at_most(
            "gram_f32",
            "<= 1.15 x the float64 time",
            f32 / h5,
            1.15,
            f"{f32 / h5:.2f} x ({f32:.2f} s vs float64 {h5:.2f} s)",
        )
    )

    # gram over compressed data: against the h5py loop and against the floor
    # (single-thread decode CPU-s + BLAS core-s) / cores, both measured in the run.
    for workload, speedup, baseline in (
        ("gram_gzip", 3.0, "h5py + NumPy loop"),
        ("gram_zstd", 1.8, "h5py + hdf5plugin + NumPy loop"),
        ("gram_blosc_lz4", 1.5, "h5py + hdf5plugin + NumPy loop, Blosc on 1 thread"),
    ):
        mine, loop = g(workload, "h5linalg"), g(workload, "h5py_loop")
        targets.append(
            _at_least(
                workload,
                f">= {speedup} x faster than the {baseline}",
                loop / mine,
                speedup,
                f"{loop / mine:.2f} x ({loop:.2f} s vs {mine:.2f} s)",
            )
        )
        if workload == "gram_blosc_lz4":
            continue  # the issue sets no floor target for Blosc
        decode, blas = g(workload, "decode_1t"), g(workload, "numpy_in_memory_1t")
        floor = (decode + blas) / cores
        targets.append(
            _at_most(
                workload,
                "<= 1.2 x (1-thread decode CPU-s + BLAS core-s) / cores",
                mine / floor,
                1.2,
                f"{mine / floor:.2f} x ({mine:.2f} s vs floor ({decode:.2f} + {blas:.2f})"
                f"/{cores} = {floor:.2f} s)",
            )
        )

    # on a 2-worker LocalCluster, one core per worker
    for workload in ("distributed_gram", "distributed_covariance"):
        mine, dask_cluster, single = (
            g(workload, "h5linalg"),
            g(workload, "dask"),
            g(workload, "single_process"),
        )
        targets.append(
            _at_least(
                workload,
                ">= 1.5 x faster than dask.array on the same cluster",
                dask_cluster / mine,
                1.5,
                f"{dask_cluster / mine:.2f} x ({dask_cluster:.2f} s vs {mine:.2f} s)",
            )
        )
        targets.append(
            _at_most(
                workload,
                "<= 1.3 x the single-process h5linalg time",
                mine / single,
                1.3,
                f"{mine / single:.2f} x ({mine:.2f} s vs one process {single:.2f} s)",
            )
        )

    # gram over a stack of files, against the same rows in one file
    for workload, limit, what in (
        ("gram_files16", 1.10, "16 files"),
        ("gram_files_many", 1.5, "1,000 files"),
    ):
        stack, one = g(workload, "h5linalg"), g(workload, "one_file")
        targets.append(
            _at_most(
                workload,
                f"{what}: <= {limit:.2f} x the same rows in one file",
                stack / one,
                limit,
                f"{stack / one:.2f} x ({stack:.2f} s vs one file {one:.2f} s)",
            )
        )

    # lstsq
    accuracy = extras.get("lstsq_accuracy", {})
    qr_error = accuracy.get("h5linalg", float("nan"))
    normal_error = accuracy.get("h5py_normal_equations", float("nan"))
    if math.isfinite(qr_error):
        met = qr_error <= 1e-6 and (
            not math.isfinite(normal_error) or normal_error > 1e-3
        )
        targets.append(
            Target(
                "lstsq",
                "accurate where normal equations fail (cond 1e8)",
                f"relative error h5linalg {qr_error:.1e}, normal equations {normal_error:.1e}, "
                f"numpy.linalg.lstsq {accuracy.get('numpy_lstsq_in_memory', float('nan')):.1e}",
                met,
                qr_error,
                1e-6,
            )
        )
    else:
        targets.append(
            Target(
                "lstsq", "accurate where normal equations fail (cond 1e8)", "-", None
            )
        )
    ls, normal, numpy_ls = (
        g("lstsq", "h5linalg"),
        g("lstsq", "h5py_normal_equations"),
        g("lstsq", "numpy_lstsq_in_memory"),
    )
    targets.append(
        _at_most(
            "lstsq",
            "<= 2 x the normal-equations h5py + NumPy loop",
            ls / normal,
            2.0,
            f"{ls / normal:.2f} x ({ls:.2f} s vs {normal:.2f} s)",
        )
    )
    targets.append(
        _at_least(
            "lstsq",
            ">= 3 x faster than numpy.linalg.lstsq in memory",
            numpy_ls / ls,
            3.0,
            f"{numpy_ls / ls:.2f} x (numpy.linalg.lstsq {numpy_ls:.2f} s vs {ls:.2f} s)",
        )
    )

    # matmul
    mm = g("matmul", "h5linalg")
    m_read, m_write, m_blas = (
        g("matmul", "read_floor"),
        g("matmul", "write_floor"),
        g("matmul", "numpy_in_memory_1t"),
    )
    bound = max(m_read + m_write, (m_blas + m_read + m_write) / cores)
    targets.append(
        _at_most(
            "matmul",
            "<= 1.3 x max(read + write floor, (BLAS core-s + read + write) / cores)",
            mm / bound,
            1.3,
            f"{mm / bound:.2f} x ({mm:.2f} s vs bound {bound:.2f} s: read {m_read:.2f}, "
            f"write {m_write:.2f}, BLAS {m_blas:.2f} core-s)",
        )
    )

    # memory: every h5linalg run on a 4 GB dataset
    memory = extras.get("h5linalg_growth", {})
    if memory:
        worst_key = max(memory, key=lambda key: memory[key])
        worst = memory[worst_key]
        listed = ", ".join(
            f"{key} {value / MIB:.0f}" for key, value in sorted(memory.items())
        )
        targets.append(
            Target(
                "memory",
                "peak resident memory growth <= 256 MB, any workload",
                f"max {worst / MIB:.0f} MiB ({worst_key}); per workload MiB: {listed}",
                worst <= MEMORY_LIMIT_BYTES,
                worst,
                MEMORY_LIMIT_BYTES,
            )
        )
    return targets
