"""h5linalg's benchmark suite: ``python benchmarks/run.py`` (the pixi task ``bench``).

    python benchmarks/run.py                   # every workload, issue sizes, 5 repetitions
    python benchmarks/run.py --quick           # small sizes, about a minute (smoke/CI)
    python benchmarks/run.py --only gram,covariance --repeats 7
    python benchmarks/run.py --profile gram    # one run under py-spy --native: a flame graph
    python benchmarks/run.py --build-speed     # cold / no-op / one-file rebuild times

Datasets are generated one at a time under benchmarks/data/ (git-ignored),
warmed in the page cache, measured and deleted. Every workload runs with its
baselines in the same run, alternating, one process per measurement. A full run
writes results.json, summary.md and chart.png to benchmarks/results/; --quick
and --only runs write to benchmarks/data/results/ unless --output says otherwise.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# The modules beside this script are importable by name: `python benchmarks/run.py`
# puts its folder first on sys.path, as measure.py's child processes do.
import datasets
import profiling
import report
import targets
from machine import blas_summary, git, machine_info
from measure import Measurement, child_environment, run_child
from workloads import WORKLOADS, Variant, Workload, by_name

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
DATA_DIR = HERE / "data"
BASELINE_BLOCK_BYTES = (
    32 << 20
)  # the block a user's loop reads: about 32 MiB, whole chunks
MIB = 1024 * 1024


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="h5linalg against the h5py + NumPy loop, dask and the machine's floors.",
    )
    names = ", ".join(workload.name for workload in WORKLOADS)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small datasets (smoke test / CI, about a minute)",
    )
    parser.add_argument(
        "--only",
        metavar="WORKLOAD[,WORKLOAD]",
        help=f"run these workloads only: {names}",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        metavar="N",
        help="measurements per variant (default 5; 1 with --quick)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        metavar="T",
        help="BLAS threads for every measurement (default: all cores)",
    )
    parser.add_argument(
        "--profile",
        metavar="WORKLOAD",
        help="run one workload's h5linalg variant once under a profiler",
    )
    parser.add_argument(
        "--profile-variant",
        default="h5linalg",
        metavar="KEY",
        help="the variant --profile runs (default h5linalg)",
    )
    parser.add_argument(
        "--profiler",
        choices=("py-spy", "perf", "none"),
        default="py-spy",
        help="py-spy --native flame graph (default), perf (all threads), or none",
    )
    parser.add_argument(
        "--build-speed",
        action="store_true",
        help="measure cold / no-op / one-file rebuilds (alone: merged into "
        "the results in --output)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="DIR",
        help="where results go (default benchmarks/results for a full run)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DATA_DIR,
        metavar="DIR",
        help="scratch space for datasets (default benchmarks/data)",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="merge the workloads measured now into the results already in --output "
        "(replacing those workloads), e.g. after an engine change",
    )
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="keep generated datasets (and reuse existing ones)",
    )
    return parser


# --------------------------------------------------------------------------- planning


def named_workloads(names: list[str]) -> list[Workload]:
    """The workloads of these names, in the suite's order; unknown names exit."""
    table = by_name()
    unknown = [name for name in names if name not in table]
    if unknown:
        msg = (
            f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(table)}"
        )
        raise SystemExit(msg)
    return [table[name] for name in table if name in names]


def selected_workloads(args: argparse.Namespace) -> list[Workload]:
    if args.only:
        chosen = named_workloads(
            [name.strip() for name in args.only.split(",") if name.strip()]
        )
    else:
        chosen = [workload for workload in WORKLOADS if not workload.optional]
    if args.quick:
        chosen = [
            workload for workload in chosen if not workload.full_only or args.only
        ]
    return chosen


def baseline_block_rows(spec: datasets.DatasetSpec) -> int:
    """Whole chunks, about 32 MiB of float64 rows: what a careful user's loop reads."""
    chunks = max(1, BASELINE_BLOCK_BYTES // (spec.cols * 8) // spec.chunk_rows)
    return min(spec.rows, chunks * spec.chunk_rows)


def base_params(
    workload: Workload, spec: datasets.DatasetSpec, path: Path, args: Any
) -> dict[str, Any]:
    params: dict[str, Any] = {
        # A split dataset is read as the stack its glob pattern names.
        "path": str(path / "part-*.h5") if spec.files > 1 else str(path),
        "one_file": str(path / "one.h5") if spec.files > 1 else str(path),
        "dataset": "/x",
        "rows": spec.rows,
        "width": spec.cols,
        "block_rows": baseline_block_rows(spec),
        "threads": args.threads,
        "out": str(args.data_dir / f"out-{workload.name}.h5"),
    }
    params.update(workload.params)
    return params


# --------------------------------------------------------------------------- measuring


@contextmanager
def prepared(
    spec: datasets.DatasetSpec, args: argparse.Namespace, *, reuse: bool
) -> Iterator[dict[str, Any]]:
    """The dataset, generated (or with ``reuse`` an existing one) and warm in the
    page cache; deleted afterwards unless --keep-data. Yields its description."""
    path = args.data_dir / spec.file_name
    if reuse and path.exists():
        info = {
            "path": str(path),
            "description": spec.describe(),
            "reused": True,
            "file_bytes": path.stat().st_size,
        }
    else:
        print(f"[data] generating {spec.name}: {spec.describe()}", flush=True)
        info = datasets.generate(spec, args.data_dir, threads=args.threads)
    try:
        info["cached_fraction_after_warm"] = datasets.warm(path)
        yield info
    finally:
        if not args.keep_data:
            datasets.delete(path)
            print(f"[data] deleted {path}", flush=True)


def _ensure_warm(path: Path) -> float:
    fraction = datasets.cached_fraction(path)
    if not math.isnan(fraction) and fraction < 0.98:
        fraction = datasets.warm(path)
    return min(1.0, fraction) if not math.isnan(fraction) else fraction


def measure_workload(
    workload: Workload, spec: datasets.DatasetSpec, path: Path, args: argparse.Namespace
) -> dict[str, Any]:
    variants = [v for v in workload.variants if not (args.quick and v.full_only)]
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    params = base_params(workload, spec, path, args)
    notes: list[str] = [f"baseline loops read blocks of {params['block_rows']:,} rows"]
    if workload.name == "matmul":
        # The write floor and the h5py loop use the chunking h5linalg gives its output.
        warmup = run_child(
            "matmul_h5linalg",
            {**params, "verify": True},
            child_environment(args.threads),
        )
        chunks = warmup.extra.get("output_chunks") if warmup.ok else None
        params["out_chunks"] = chunks or [min(spec.rows, 8192), params["columns"]]
        notes.append(f"output chunks {tuple(params['out_chunks'])} (h5linalg's choice)")
    runs: dict[str, list[Measurement]] = {v.key: [] for v in variants}
    check_dir = args.data_dir / "checks"
    check_dir.mkdir(parents=True, exist_ok=True)
    for rep in range(args.repeats):
        shift = rep % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            if variant.max_repeats is not None and rep >= variant.max_repeats:
                continue
            cached = _ensure_warm(path)
            variant_params = {**params, **variant.params}
            if rep == 0:
                variant_params["save_result"] = str(
                    check_dir / f"{workload.name}-{variant.key}.npy"
                )
                variant_params["verify"] = True
            measurement = run_child(
                variant.function,
                variant_params,
                child_environment(args.threads, variant.env),
            )
            measurement.rep = rep
            measurement.extra["cached_fraction"] = cached
            runs[variant.key].append(measurement)
            _print_measurement(workload.name, rep, args.repeats, variant, measurement)
    result: dict[str, Any] = {
        "title": workload.title,
        "started": started,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "engine": engine_stamp(),
        "dataset": spec.name,
        "dataset_description": spec.describe(),
        "diagnostic": workload.diagnostic,
        "params": {
            key: value for key, value in params.items() if key not in {"path", "out"}
        },
        "variants": {},
        "notes": notes,
    }
    for variant in variants:
        entries = [m.as_json() for m in runs[variant.key]]
        result["variants"][variant.key] = {
            "label": variant.label,
            "role": variant.role,
            "function": variant.function,
            "env": variant.env,
            "params": variant.params,
            "summary": report.summarise_runs(entries),
            "runs": entries,
        }
    notes.extend(_check_results(workload, variants, path, check_dir, result))
    return result


def engine_stamp() -> dict[str, str]:
    """The h5linalg build the measurement processes load now (version, _core mtime, git)."""
    from importlib import metadata  # noqa: PLC0415

    stamp = {"git_commit": git("rev-parse", "--short", "HEAD")}
    try:
        stamp["version"] = metadata.version("h5linalg")
        import h5linalg  # noqa: PLC0415
    except (metadata.PackageNotFoundError, ImportError):
        return stamp
    for core in Path(h5linalg.__file__).parent.glob("_core*.so"):
        stamp["core_mtime"] = time.strftime(
            "%Y-%m-%dT%H:%M:%S", time.localtime(core.stat().st_mtime)
        )
    return stamp


def _print_measurement(
    name: str, rep: int, repeats: int, variant: Variant, m: Measurement
) -> None:
    others = m.extra.get("others_cpu_timed", m.others_cpu_seconds)
    if m.ok:
        text = (
            f"{m.seconds:7.2f} s  cpu {m.cpu_seconds:6.1f} s  growth {m.growth / MIB:6.0f} MiB"
            f"  other-cpu {others:5.1f} s"
        )
    elif m.skipped:
        text = f"skipped: {m.skipped}"
    else:
        text = (
            "FAILED: " + m.error.strip().splitlines()[-1][:200] if m.error else "FAILED"
        )
    print(f"[{name}] {rep + 1}/{repeats} {variant.key:<28} {text}", flush=True)


def _check_results(
    workload: Workload,
    variants: list[Variant],
    path: Path,
    check_dir: Path,
    result: dict[str, Any],
) -> list[str]:
    """Compares every variant's answer with a reference; records errors in the results."""
    import numpy as np  # noqa: PLC0415

    if workload.name == "lstsq":
        return _check_coefficients(variants, path, result)
    notes: list[str] = []
    arrays = {
        v.key: np.load(check_dir / f"{workload.name}-{v.key}.npy")
        for v in variants
        if (check_dir / f"{workload.name}-{v.key}.npy").exists()
    }
    reference_key = next(
        (
            key
            for key in (
                "numpy_in_memory",
                "h5py_loop",
                "h5py_two_pass",
                "one_file",
                "single_process",
            )
            if key in arrays
        ),
        None,
    )
    if reference_key is not None:
        reference = arrays[reference_key]
        scale = float(np.max(np.abs(reference))) or 1.0
        functions = {v.key: v.function for v in variants}

        def kind(key: str) -> str:  # gram, covariance, ...: compare like with like
            return functions[key].split("_")[0]

        differences = {
            key: float(np.max(np.abs(array - reference)) / scale)
            for key, array in arrays.items()
            if array.shape == reference.shape
            and key != reference_key
            and kind(key) == kind(reference_key)
        }
        result["max_rel_difference_vs_" + reference_key] = differences
        if differences:
            worst = max(differences.values())
            notes.append(
                f"all results agree with {reference_key} to {worst:.1e} (max |difference| / max |value|)"
            )
    for file in check_dir.glob(f"{workload.name}-*.npy"):
        file.unlink()
    for variant_key, variant in result["variants"].items():
        for run in variant["runs"][:1]:
            error = run["extra"].get("max_rel_error_sampled")
            if error is not None:
                notes.append(
                    f"{variant_key}: sampled output rows match NumPy to {error:.1e}"
                )
    return notes


def _check_coefficients(
    variants: list[Variant], path: Path, result: dict[str, Any]
) -> list[str]:
    """Least squares: each variant's relative error against the true beta."""
    import h5py  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    with h5py.File(path, "r") as handle:
        beta = handle["beta"][()]
    accuracy: dict[str, float] = {}
    for variant in variants:
        runs = [r for r in result["variants"][variant.key]["runs"] if r["ok"]]
        coefficients = runs[0]["extra"].get("coefficients") if runs else None
        if coefficients is not None:
            error = float(
                np.linalg.norm(np.asarray(coefficients) - beta) / np.linalg.norm(beta)
            )
            accuracy[variant.key] = error
    result["accuracy_vs_true_beta"] = accuracy
    return [
        "relative error of the coefficients against the true beta (y = X @ beta exactly): "
        + ", ".join(f"{key} {value:.1e}" for key, value in accuracy.items())
    ]


# --------------------------------------------------------------------------- the run


def run_benchmarks(args: argparse.Namespace, output: Path) -> dict[str, Any]:
    chosen = selected_workloads(args)
    specs = datasets.dataset_specs(args.quick)
    results: dict[str, Any] = {
        "schema": 1,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "mode": "quick" if args.quick else "full",
        "repeats": args.repeats,
        "threads": args.threads,
        "machine": machine_info(),
        "datasets": {},
        "workloads": {},
    }
    _print_header(results)
    order = list(dict.fromkeys(workload.dataset for workload in chosen))
    for dataset_name in order:
        spec = specs[dataset_name]
        with prepared(spec, args, reuse=args.keep_data) as info:
            results["datasets"][dataset_name] = info
            print(
                f"[data] {spec.name}: {info['file_bytes'] / 1e9:.2f} GB on disk, warm",
                flush=True,
            )
            for workload in (w for w in chosen if w.dataset == dataset_name):
                results["workloads"][workload.name] = measure_workload(
                    workload, spec, Path(info["path"]), args
                )
                # Written after every workload: an interrupted run keeps what it measured.
                results["finished"] = f"(in progress: {workload.name} done)"
                if not args.update:
                    report.write(results, targets.evaluate(results), output)
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results["loadavg_end"] = os.getloadavg()
    return merge_previous(results, output / "results.json", update=args.update)


def merge_previous(
    results: dict[str, Any], previous: Path, *, update: bool
) -> dict[str, Any]:
    """Keeps the previous results' build-speed table and, with --update, the
    workloads not measured now."""
    try:
        old = json.loads(previous.read_text()) if previous.exists() else {}
    except (OSError, ValueError):
        old = {}
    if old.get("build_speed") and "build_speed" not in results:
        results["build_speed"] = old["build_speed"]
    if update and old.get("workloads"):
        merged = {**old["workloads"], **results["workloads"]}
        order = [workload.name for workload in WORKLOADS]
        results["workloads"] = {
            name: merged[name] for name in sorted(merged, key=order.index)
        }
        results["datasets"] = {**old.get("datasets", {}), **results["datasets"]}
        results["updated"] = results["started"]
        results["started"] = old.get("started", results["started"])
    return results


def _print_header(results: dict[str, Any]) -> None:
    machine = results["machine"]
    print(
        f"[bench] {machine['cpu_model']}, {machine['cpu_count']} cores, "
        f"{results['threads']} BLAS threads, {results['mode']} sizes, "
        f"{results['repeats']} repetitions",
        flush=True,
    )
    print(f"[bench] BLAS: {blas_summary(machine['blas'])}", flush=True)


def profile(args: argparse.Namespace, output: Path) -> int:
    [workload] = named_workloads([args.profile])
    variant = next(
        (v for v in workload.variants if v.key == args.profile_variant), None
    )
    if variant is None:
        keys = ", ".join(v.key for v in workload.variants)
        msg = (
            f"{workload.name} has no variant {args.profile_variant}; choose from {keys}"
        )
        raise SystemExit(msg)
    spec = datasets.dataset_specs(args.quick)[workload.dataset]
    output.mkdir(parents=True, exist_ok=True)
    stem = (
        workload.name if variant.key == "h5linalg" else f"{workload.name}-{variant.key}"
    )
    with prepared(spec, args, reuse=True) as info:
        params = {
            **base_params(workload, spec, Path(info["path"]), args),
            **variant.params,
        }
        if workload.name == "matmul":
            params["out_chunks"] = [min(spec.rows, 8192), params["columns"]]
        env = child_environment(args.threads, variant.env)
        if args.profiler == "py-spy":
            measurement, notes = profiling.record_py_spy(
                variant.function, params, env, output / stem, args.data_dir / stem
            )
        elif args.profiler == "perf":
            measurement, notes = profiling.record_perf(
                variant.function, params, env, output / f"{stem}-perf.txt"
            )
        else:
            measurement, notes = run_child(variant.function, params, env), []
    for note in notes:
        print(f"[profile] {note}")
    if not measurement.ok:
        print(
            f"[profile] the measurement failed:\n{measurement.error}", file=sys.stderr
        )
        return 1
    print(
        f"[profile] {workload.name}/{variant.key}: {measurement.seconds:.2f} s "
        f"(cpu {measurement.cpu_seconds:.1f} s) under {args.profiler}"
    )
    return 0


def build_speed_alone(args: argparse.Namespace, output: Path) -> int:
    """--build-speed without workloads: its table added to the results in ``output``."""
    import build_speed  # noqa: PLC0415

    build = build_speed.measure(args.data_dir)
    results_file = output / "results.json"
    previous = json.loads(results_file.read_text()) if results_file.exists() else {}
    if "workloads" in previous:
        previous["build_speed"] = build
        paths = report.write(previous, targets.evaluate(previous), output)
    else:
        output.mkdir(parents=True, exist_ok=True)
        results_file.write_text(json.dumps({"build_speed": build}, indent=1) + "\n")
        paths = {"json": results_file}
    print(report.build_markdown(build))
    print(f"[bench] wrote {', '.join(str(p) for p in paths.values())}")
    return 0 if all(step["ok"] for step in build["steps"]) else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 5
    if args.repeats < 1:
        msg = "--repeats must be at least 1"
        raise SystemExit(msg)
    args.data_dir = args.data_dir.resolve()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    partial = args.quick or args.only
    default = args.data_dir / "results" if partial and not args.update else RESULTS_DIR
    output = (args.output or default).resolve()
    if args.profile:
        return profile(args, args.output.resolve() if args.output else RESULTS_DIR)
    if args.build_speed and not args.only:
        return build_speed_alone(args, output)
    results = run_benchmarks(args, output)
    if args.build_speed:
        import build_speed  # noqa: PLC0415

        results["build_speed"] = build_speed.measure(args.data_dir)
    found = targets.evaluate(results)
    paths = report.write(results, found, output)
    print()
    for target in found:
        print(
            f"[target] {target.workload:<18} {target.verdict:<14} {target.target}: {target.measured}"
        )
    print(f"[bench] wrote {', '.join(str(p) for p in paths.values())}")
    failures = sum(
        v["summary"].get("failures", 0)
        for w in results["workloads"].values()
        for v in w["variants"].values()
    )
    if failures:
        print(
            f"[bench] {failures} measurement(s) failed; see results.json",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
