"""Medians, ratios and targets of a run, written as JSON, a markdown table and a chart."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

from machine import blas_summary
from targets import Target

MIB = 1024 * 1024
ROLE_COLOURS = {
    "h5linalg": "#1f77b4",
    "baseline": "#d62728",
    "dask": "#ff7f0e",
    "floor": "#2ca02c",
    "diagnostic": "#7f7f7f",
}


def summarise_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median, spread, CPU use and memory of one variant's repetitions."""
    good = [run for run in runs if run["ok"]]
    skipped = [run for run in runs if run.get("skipped")]
    if not good:
        return {
            "median": None,
            "failures": len(runs) - len(skipped),
            "skipped": len(skipped),
            "reason": (skipped or runs or [{}])[0].get("error", ""),
        }
    seconds = [run["seconds"] for run in good]
    cpu = [run["cpu_seconds"] for run in good]
    others = [
        value
        for value in (
            run["extra"].get("others_cpu_timed", run["others_cpu_seconds"])
            for run in good
        )
        if value is not None and math.isfinite(value)
    ]
    return {
        "median": statistics.median(seconds),
        "min": min(seconds),
        "max": max(seconds),
        "spread": (max(seconds) - min(seconds)) / statistics.median(seconds),
        "cpu_median": statistics.median(cpu),
        "growth_max": max(run["growth"] for run in good),
        "peak_rss_max": max(run["peak_rss"] for run in good),
        "others_cpu_median": statistics.median(others) if others else None,
        "repetitions": len(good),
        "failures": len(runs) - len(good),
    }


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _ratio_text(value: float | None, reference: float | None) -> str:
    if not value or not reference:
        return "-"
    return f"{value / reference:.2f}"


def _updated(results: dict[str, Any]) -> str:
    """How a run merged with --update says so: each table gives its own time."""
    if not results.get("updated"):
        return ""
    return f", with workloads measured in a later run from {results['updated']}"


def markdown(results: dict[str, Any], targets: list[Target]) -> str:
    """The summary the README includes: machine, targets, one table per workload."""
    machine = results["machine"]
    lines = [
        "# h5linalg benchmark results",
        "",
        (
            f"Run {results['started']}{_updated(results)} ({results['mode']} sizes, "
            f"{results['repeats']} repetitions per variant, alternating, one process "
            "per measurement; medians)."
        ),
        "",
        (
            f"- Machine: {machine['cpu_model']}, {machine['cpu_count']} cores, "
            f"{machine['memory_gib']} GiB RAM, Linux {machine['kernel']}"
        ),
        (
            f"- BLAS threads for every measurement: {results['threads']} "
            "(OPENBLAS_NUM_THREADS; h5linalg inflate threads: default = cores)"
        ),
        f"- BLAS loaded: {blas_summary(machine['blas'])}",
        (
            f"- h5linalg {machine.get('h5linalg')} (git {machine['git_commit']}"
            f"{', engine modified' if machine['git_dirty'] else ''}), "
            f"Python {machine['python']}, NumPy {machine['numpy']}, h5py {machine['h5py']} "
            f"(HDF5 {machine.get('h5py_hdf5', '?')}), dask {machine['dask']}"
        ),
    ]
    build = machine.get("h5linalg_build", {})
    if build:
        lines.append(
            f"- h5linalg built with HDF5 {build.get('hdf5_built')}, zlib {build.get('zlib_built')}, "
            f"{build.get('compiler')}"
        )
    lines += [
        (
            f"- Load average at start {_fmt(machine['loadavg_start'][0])}, at end "
            f"{_fmt(results.get('loadavg_end', [float('nan')])[0])}; the machine is shared, "
            "so 'other CPU' below is the CPU time other processes used during a measurement."
        ),
        "",
        "## Targets",
        "",
        "| workload | target | measured | verdict |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {t.workload} | {t.target} | {t.measured} | **{t.verdict}** |"
        for t in targets
    ]
    lines += [
        "",
        "## Measurements",
        "",
        (
            "`x h5linalg` is the variant's median divided by h5linalg's: above 1, h5linalg "
            "is faster. CPU is user + system seconds of the process (all its threads); "
            "growth is peak resident memory above what the process held when the timed "
            "region started."
        ),
    ]
    for name, workload in results["workloads"].items():
        lines += workload_table(name, workload)
    build = results.get("build_speed")
    if build:
        lines += ["", "## Build speed", "", build_markdown(build)]
    lines.append("")
    return "\n".join(lines)


def workload_table(name: str, workload: dict[str, Any]) -> list[str]:
    """A workload's heading, the table of its variants and its notes."""
    variants = workload["variants"]
    reference = variants.get("h5linalg", {}).get("summary", {}).get("median")
    lines = [
        "",
        f"### {name}: {workload['title']}",
        "",
        f"Dataset: {workload['dataset_description']}. {engine_text(workload)}",
        "",
        "| variant | role | median s | min-max s | x h5linalg | CPU s | growth MiB | other CPU s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for variant in variants.values():
        s = variant["summary"]
        # A `|` in a label ("[X | y]") would split its table cell.
        label = variant["label"].replace("|", "\\|")
        if s.get("median") is None:
            what = "skipped" if s.get("skipped") else "failed"
            reason = str(s.get("reason", "")).strip().splitlines()
            why = reason[-1][:80].replace("|", "/") if reason else ""
            lines.append(f"| {label} | {variant['role']} | {what}: {why} | | | | | |")
            continue
        lines.append(
            f"| {label} | {variant['role']} | {_fmt(s['median'])} | "
            f"{_fmt(s['min'])}-{_fmt(s['max'])} | {_ratio_text(s['median'], reference)} | "
            f"{_fmt(s['cpu_median'], 1)} | {s['growth_max'] / MIB:.0f} | "
            f"{_fmt(s['others_cpu_median'], 1)} |"
        )
    notes = workload.get("notes")
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    return lines


def engine_text(workload: dict[str, Any]) -> str:
    """Which h5linalg build the workload measured (the engine may change between runs)."""
    engine = dict(workload.get("engine") or {})
    built = {
        run["extra"].get("h5linalg_core_mtime")
        for variant in workload["variants"].values()
        for run in variant["runs"]
        if run.get("extra", {}).get("h5linalg_core_mtime")
    }
    if built:
        engine["core_mtime"] = ", ".join(sorted(built))
    if not engine:
        return "Engine build: not recorded."
    parts = [f"h5linalg {engine['version']}" if engine.get("version") else "h5linalg"]
    if engine.get("git_commit"):
        parts.append(f"git {engine['git_commit']}")
    if engine.get("core_mtime"):
        parts.append(f"_core built {engine['core_mtime']}")
    when = f"; measured {workload['started'][:16]}" if workload.get("started") else ""
    return f"Engine: {', '.join(parts)}{when}."


def build_markdown(build: dict[str, Any]) -> str:
    lines = [
        f"`{build['command']}` in a scratch copy ({build['where']}).",
        "",
        "| step | seconds | target | verdict |",
        "|---|---|---|---|",
    ]
    for step in build["steps"]:
        target = step.get("target")
        verdict = (
            "-"
            if target is None
            else ("met" if step["seconds"] <= target else "NOT met")
        )
        status = "" if step["ok"] else " (failed)"
        lines.append(
            f"| {step['name']}{status} | {step['seconds']:.1f} | "
            f"{'-' if target is None else f'<= {target} s'} | {verdict} |"
        )
    lines += [f"- {note}" for note in build.get("notes", [])]
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path) -> None:
    """One panel per workload: median seconds per variant, min-max whiskers."""
    import matplotlib as mpl  # noqa: PLC0415

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    workloads = [
        (name, w)
        for name, w in results["workloads"].items()
        if any(v["summary"].get("median") for v in w["variants"].values())
    ]
    if not workloads:
        return
    heights = [max(1.2, 0.32 * len(w["variants"]) + 0.6) for _name, w in workloads]
    figure, axes = plt.subplots(
        len(workloads),
        1,
        figsize=(10, sum(heights)),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for axis, (name, workload) in zip(axes[:, 0], workloads, strict=True):
        variants = [
            v for v in workload["variants"].values() if v["summary"].get("median")
        ]
        medians = [v["summary"]["median"] for v in variants]
        lows = [m - v["summary"]["min"] for m, v in zip(medians, variants, strict=True)]
        highs = [
            v["summary"]["max"] - m for m, v in zip(medians, variants, strict=True)
        ]
        positions = range(len(variants))
        axis.barh(
            positions,
            medians,
            xerr=[lows, highs],
            color=[ROLE_COLOURS.get(v["role"], "#999999") for v in variants],
            capsize=2,
        )
        axis.set_yticks(list(positions), [v["label"] for v in variants], fontsize=7)
        axis.invert_yaxis()
        axis.set_title(f"{name}: {workload['title']}", fontsize=9, loc="left")
        axis.tick_params(axis="x", labelsize=7)
        for position, median in zip(positions, medians, strict=True):
            axis.text(median, position, f" {median:.2f}", va="center", fontsize=6)
    axes[-1, 0].set_xlabel("seconds (median, min-max), lower is better")
    from matplotlib.patches import Rectangle  # noqa: PLC0415

    handles = [
        Rectangle((0, 0), 1, 1, color=colour) for colour in ROLE_COLOURS.values()
    ]
    figure.legend(handles, list(ROLE_COLOURS), loc="upper right", fontsize=7, ncols=5)
    machine = results["machine"]
    figure.suptitle(
        f"h5linalg benchmarks ({results['mode']}), {machine['cpu_model']}, "
        f"{machine['cpu_count']} cores, {results['threads']} BLAS threads, {results['started'][:16]}",
        fontsize=9,
        x=0.01,
        ha="left",
    )
    figure.tight_layout(rect=(0, 0, 1, 0.98))
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write(
    results: dict[str, Any], targets: list[Target], directory: Path
) -> dict[str, Path]:
    """results.json, summary.md and chart.png in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": directory / "results.json",
        "summary": directory / "summary.md",
        "chart": directory / "chart.png",
    }
    data = dict(results)
    data["targets"] = [target.as_json() for target in targets]
    paths["json"].write_text(
        json.dumps(clean(data), indent=1, default=_json_default) + "\n"
    )
    paths["summary"].write_text(markdown(results, targets))
    try:
        chart(results, paths["chart"])
    except ImportError:
        paths.pop("chart")  # matplotlib missing: JSON and markdown still written
    return paths


def clean(value: Any) -> Any:
    """NaN and infinity as null, so the JSON is strict."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(item) for item in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    msg = f"cannot write {type(value).__name__} to JSON"
    raise TypeError(msg)
