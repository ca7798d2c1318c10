"""The differential oracle: what counts as a crash, a leak or a disagreement with h5py.

h5py (another HDF5 library) reads each damaged dataset and NumPy computes on its
data; no tool knows what h5linalg's results should be, so this module says it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from fuzz.files import Case
from fuzz.report import Summary
from fuzz.worker import matmul_operand

#: The calls each case makes, in this order.
FUNCTIONS = (
    "moments",
    "gram",
    "covariance",
    "pca",
    "lstsq",
    "matmul",
    "matmul_out",
    "describe_cli",
)
#: MemoryError messages of allocations that no memory_limit check came before.
UNBOUNDED = re.compile(r"bad_alloc|bad_array_new_length")


@dataclass
class Failure:
    """A case that crashed, hung, leaked, or disagreed with NumPy on h5py's data."""

    case: Case
    kind: str  # "crash", "hang", "leak", "memory", "runaway", "disagreement"
    detail: str

    def __str__(self) -> str:
        case = self.case
        return (
            f"{self.kind.upper()} {case.id} ({case.template}, {case.mutation}: "
            f"{case.detail}; file {case.path})\n  {self.detail}"
        )


def _close(
    name: str, actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float
) -> str | None:
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return f"{name}: shape {actual.shape} != NumPy's {expected.shape}"
    if not np.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True):
        diff = np.abs(actual - expected)
        worst = int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff)))
        return (
            f"{name}: differs from NumPy on h5py's data (worst at flat index {worst}: "
            f"{actual.flat[worst]!r} vs {expected.flat[worst]!r}; rtol={rtol}, atol={atol:.3g})"
        )
    return None


def libraries_disagree(
    mine: dict[str, np.ndarray], reference: dict[str, np.ndarray]
) -> bool:
    """Whether h5linalg's HDF5 (plain H5Dread) and h5py's HDF5 return different data.

    A damaged chunk index can make HDF5 1.10 read bytes that a newer HDF5 reads
    differently or not at all (HDF5's own heap over-read, seen under valgrind in
    h5dump). The data is then undefined, and h5linalg's results have no reference.
    """
    for key in ("x", "y"):
        plain, theirs = mine.get(f"plain.{key}"), reference.get(key)
        if plain is None or theirs is None:
            continue
        if plain.size != theirs.size or not np.array_equal(
            plain.ravel(), theirs.ravel(), equal_nan=True
        ):
            return True
    return False


def well_behaved(x: np.ndarray) -> bool:
    """Finite and small enough that squares and sums cannot overflow."""
    return bool(np.all(np.isfinite(x))) and (
        x.size == 0 or float(np.max(np.abs(x))) < 1e100
    )


def _moments(mine: dict[str, np.ndarray], x: np.ndarray, scale2: float) -> list[Any]:
    rows = x.shape[0]
    found: list[Any] = []
    if int(mine["moments.count"]) != rows:
        found.append(f"moments: count {int(mine['moments.count'])} != {rows} rows")
    # min and max are exact operations; NaN propagates in both.
    found.append(_close("moments.min", mine["moments.min"], x.min(axis=0), 0, 0))
    found.append(_close("moments.max", mine["moments.max"], x.max(axis=0), 0, 0))
    if math.isfinite(scale2):
        mean, atol = x.mean(axis=0), 1e-12 * math.sqrt(scale2)
        found.append(_close("moments.mean", mine["moments.mean"], mean, 1e-10, atol))
        if rows > 1:
            var = x.var(axis=0, ddof=1)
            found.append(
                _close("moments.var", mine["moments.var"], var, 1e-8, 1e-12 * scale2)
            )
    return found


def _pca(
    mine: dict[str, np.ndarray], x: np.ndarray, cov: np.ndarray, scale2: float
) -> list[Any]:
    values = np.linalg.eigvalsh(cov)[::-1]
    explained = mine["pca.explained_variance"]
    k = len(explained)
    top = float(max(values[0], 0.0))
    found: list[Any] = [
        _close(
            "pca.explained_variance",
            explained,
            values[:k],
            1e-8,
            1e-9 * top + 1e-12 * scale2,
        ),
        _close(
            "pca.mean",
            mine["pca.mean"],
            x.mean(axis=0),
            1e-10,
            1e-12 * math.sqrt(scale2),
        ),
    ]
    for i in range(k):
        v, lam = mine["pca.components"][i], explained[i]
        residual = float(np.linalg.norm(cov @ v - lam * v))
        if residual > 1e-7 * top + 1e-10 * scale2 or abs(np.linalg.norm(v) - 1) > 1e-8:
            found.append(
                f"pca: component {i} is not a unit eigenvector of NumPy's covariance "
                f"(|C v - lambda v| = {residual:.3g}, |v| = {np.linalg.norm(v):.12g})"
            )
    return found


def _lstsq(beta: np.ndarray, x: np.ndarray, yy: np.ndarray) -> list[Any]:
    beta = beta.reshape(x.shape[1], -1)
    reference = np.linalg.lstsq(x, yy, rcond=None)[0]
    mine_residual = float(np.linalg.norm(x @ beta - yy))
    best = float(np.linalg.norm(x @ reference - yy))
    size = float(np.linalg.norm(x) * np.linalg.norm(beta) + np.linalg.norm(yy))
    found: list[Any] = []
    if mine_residual > best * (1 + 1e-6) + 1e-9 * size:
        found.append(f"lstsq: residual {mine_residual:.17g} > NumPy's {best:.17g}")
    if float(np.linalg.cond(x)) < 1e6:
        atol = 1e-9 * float(np.max(np.abs(reference)))
        found.append(_close("lstsq", beta, reference, 1e-6, atol))
    return found


def _matmul_out(path: str, expected: np.ndarray, atol: float) -> list[Any]:
    import h5py

    with h5py.File(path, "r") as file:
        written = file["c"][()]
        names = sorted(file)
    found = [_close("matmul_out", written, expected, 1e-12, atol)]
    if any(".h5linalg" in n or "partial" in n for n in names):
        found.append(f"matmul_out: stray datasets in the output file: {names}")
    return found


def _second_moments(
    mine: dict[str, np.ndarray], ok: set[str], x: np.ndarray, scale2: float
) -> tuple[list[Any], set[str]]:
    """gram, covariance and pca against NumPy; and which of them were compared."""
    rows, cols = x.shape
    found: list[Any] = []
    checked = {"gram"} & ok
    if "gram" in ok:
        found.append(
            _close("gram", mine["gram"], x.T @ x, 1e-10, 1e-12 * rows * scale2)
        )
    if rows > 1:
        cov = np.cov(x, rowvar=False, ddof=1).reshape(cols, cols)
        checked |= {"covariance", "pca"} & ok
        if "covariance" in ok:
            found.append(
                _close("covariance", mine["covariance"], cov, 1e-8, 1e-12 * scale2)
            )
        if "pca" in ok:
            found += _pca(mine, x, cov, scale2)
    return found, checked


def _products(
    record: dict[str, Any], ok: set[str], x: np.ndarray, y: np.ndarray | None
) -> tuple[list[Any], set[str]]:
    """lstsq and matmul (in memory and into a file) against NumPy; and which of
    them were compared."""
    mine = record["arrays"]
    rows, cols = x.shape
    found: list[Any] = []
    checked = {"matmul", "matmul_out"} & ok
    yy = (
        y.reshape(rows, -1)
        if y is not None and y.ndim == 1 and len(y) == rows
        else None
    )
    if "lstsq" in ok and yy is not None and well_behaved(yy) and rows >= cols:
        checked.add("lstsq")
        found += _lstsq(mine["lstsq"], x, yy)
    product = x @ matmul_operand(cols)
    atol = 1e-12 * float(np.max(np.abs(product)))
    if "matmul" in ok:
        found.append(_close("matmul", mine["matmul"], product, 1e-12, atol))
    if "matmul_out" in ok:
        found += _matmul_out(record["out_file"], product, atol)
    return found, checked


def _describe(stdout: str, x: np.ndarray) -> list[Any]:
    match = re.search(r"shape\s+\(([^)]*)\)", stdout)
    shown = (
        tuple(int(v) for v in match.group(1).split(",") if v.strip()) if match else None
    )
    return [] if shown == x.shape else [f"describe: shape {shown} != h5py's {x.shape}"]


def compare(
    record: dict[str, Any], x: np.ndarray, y: np.ndarray | None
) -> tuple[list[str], int]:
    """Disagreements between h5linalg's results and NumPy on h5py's data; and how many
    results were compared."""
    outcomes, mine = record["outcomes"], record["arrays"]
    ok = {name for name, o in outcomes.items() if o["status"] == "result"}
    ok = ok & {*mine, "moments", "pca", "matmul_out", "describe_cli"}
    if x.ndim != 2 or x.size == 0:
        return [], 0
    behaved = well_behaved(x)
    scale2 = float(np.max(x * x)) if behaved else math.inf
    found: list[Any] = _moments(mine, x, scale2) if "moments" in ok else []
    checked = {"moments"} & ok
    if behaved:
        second, compared = _second_moments(mine, ok, x, scale2)
        products, multiplied = _products(record, ok, x, y)
        found += second + products
        checked |= compared | multiplied
        if "describe_cli" in ok:
            checked.add("describe_cli")
            found += _describe(outcomes["describe_cli"]["stdout"], x)
    return [p for p in found if p], len(checked)


def _h5py_refusal(reference: dict[str, Any] | None) -> str | None:
    """h5py's error opening /x, if it refused (not merely skipped a large dataset)."""
    if reference is None:
        return None
    report = reference["report"]
    error = report.get("error") or report.get("x.error")
    if error is None or error == "too large to compare" or "x.shape" in report:
        return None
    return str(error)


def _problems(case: Case, record: dict[str, Any]) -> list[str]:
    """What the child saw (leaks, memory) and what the parent sees in the output file."""
    outcomes = record["outcomes"]
    problems = list(record["problems"])
    unbounded = [
        name
        for name in FUNCTIONS
        if outcomes[name].get("type") == "MemoryError"
        and UNBOUNDED.search(outcomes[name]["message"])
    ]
    if unbounded:
        problems.append(
            f"{', '.join(unbounded)}: an allocation not bounded by memory_limit failed "
            "(MemoryError: std::bad_alloc) instead of a clear MemoryError"
        )
    if case.existing_out and outcomes["matmul_out"]["status"] != "result":
        import h5py

        with h5py.File(record["out_file"], "r") as file:
            names = sorted(file)
        if names != ["keep"]:
            problems.append(f"a failed matmul into an existing file left {names}")
    return problems


def judge(case: Case, mine: Any, reference: Any, summary: Summary) -> list[Failure]:
    """The failures of one case, from the two children's records (or how they ended);
    counts what happened in `summary`."""
    summary.add_case(case)
    if isinstance(reference, str):
        summary.h5py_crashed += 1
        summary.h5py_crash_cases = [
            *summary.h5py_crash_cases,
            f"{case.id} ({reference})",
        ][:20]
        reference = None
    if isinstance(mine, str):
        kind = "hang" if mine.startswith("timeout") else "crash"
        return [Failure(case, kind, f"the h5linalg child ended with {mine}")]
    outcomes = mine["outcomes"]
    summary.add_outcomes(case, outcomes)
    failures = []
    problems = _problems(case, mine)
    if problems:
        memory = any("resident memory" in p or "by memory_limit" in p for p in problems)
        failures.append(
            Failure(case, "memory" if memory else "leak", "; ".join(problems))
        )
    budgeted = [n for n in FUNCTIONS if outcomes[n].get("type") == "RowBudgetExceeded"]
    if budgeted:
        summary.stopped_by_budget += 1
        refusal = _h5py_refusal(reference)
        if refusal:
            detail = (
                f"{', '.join(budgeted)} kept streaming a dataset h5py refuses "
                f"to open ({refusal}); only the fuzzing budget stopped them"
            )
            failures.append(Failure(case, "runaway", detail))
    if reference is None or "x" not in reference["arrays"]:
        return failures
    summary.h5py_readable += 1
    if libraries_disagree(mine["arrays"], reference["arrays"]):
        summary.libraries_disagree += 1
        return failures
    x, y = reference["arrays"]["x"], reference["arrays"].get("y")
    disagreements, compared = compare(mine, x, y)
    summary.results_compared += compared
    if disagreements:
        failures.append(Failure(case, "disagreement", "; ".join(disagreements)))
    return failures
