"""Profiling one measurement through the native code: py-spy --native, or perf.

py-spy samples the Python threads (here the main thread, which calls BLAS and
waits for blocks) with their native C/C++ frames: a flame graph (SVG) and the
collapsed stacks, summarised into the share of samples per frame. perf samples
every thread of the process, including h5linalg's reader and inflate threads
and OpenBLAS's workers, which py-spy does not see.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
from pathlib import Path
from typing import Any

from measure import Measurement, run_child


def py_spy_command(output: Path, fmt: str, nonblocking: bool) -> list[str] | None:
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        return None
    command = [
        py_spy,
        "record",
        "--native",
        "--idle",
        "--rate",
        "200",
        "--format",
        fmt,
        "--output",
        str(output),
    ]
    if nonblocking:
        command.append("--nonblocking")
    return [*command, "--"]


def record_py_spy(
    variant: str, params: dict[str, Any], env: dict[str, str], stem: Path, scratch: Path
) -> tuple[Measurement, list[str]]:
    """Runs the measurement under py-spy twice: ``stem``-flamegraph.svg, then
    collapsed stacks (``scratch``-stacks.txt) summarised into ``stem``-profile.txt."""
    svg = stem.with_name(f"{stem.name}-flamegraph.svg")
    raw = scratch.with_name(f"{scratch.name}-stacks.txt")
    svg.unlink(missing_ok=True)  # so a stale graph is never reported as new
    raw.unlink(missing_ok=True)
    measurement, notes = _py_spy_twice(variant, params, env, svg, raw)
    if raw.exists():
        lines = [
            f"{share * 100:5.1f}% self {total * 100:5.1f}% total  {frame}"
            for frame, share, total in summarise_collapsed(raw)
        ]
        stem.with_name(f"{stem.name}-profile.txt").write_text("\n".join(lines) + "\n")
        print("\n".join(lines[:15]))
    if svg.exists():
        notes.append(f"flame graph: {svg}")
    return measurement, notes


def _py_spy_twice(
    variant: str, params: dict[str, Any], env: dict[str, str], svg: Path, raw: Path
) -> tuple[Measurement, list[str]]:
    notes: list[str] = []
    measurement = None
    for fmt, output in (("flamegraph", svg), ("raw", raw)):
        for nonblocking in (False, True):
            command = py_spy_command(output, fmt, nonblocking)
            if command is None:
                return run_child(variant, params, env), [
                    "py-spy not found; ran without profiler"
                ]
            measurement = run_child(variant, params, env, wrapper=command)
            if measurement.ok and output.exists():
                if nonblocking:
                    notes.append(f"py-spy needed --nonblocking for {fmt}")
                break
            notes.append(
                f"py-spy {fmt} (nonblocking={nonblocking}) failed: {measurement.error[-300:]}"
            )
    assert measurement is not None
    return measurement, notes


def summarise_collapsed(raw: Path, top: int = 25) -> list[tuple[str, float, float]]:
    """(frame, self share, total share) of the most frequent frames in collapsed stacks."""
    self_counts: collections.Counter[str] = collections.Counter()
    total_counts: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";")]
        samples += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            total_counts[frame] += count
    if not samples:
        return []
    return [
        (frame, self_counts[frame] / samples, total_counts[frame] / samples)
        for frame, _count in self_counts.most_common(top)
    ]


def _short(frame: str) -> str:
    """'dsyrk_UT (libopenblasp-r0.3.21.so)' style names without argument lists."""
    name = frame.split(" (", 1)[0]
    if "(" in name:
        name = name.split("(", 1)[0]
    location = frame.rsplit("(", 1)[-1].rstrip(")") if " (" in frame else ""
    library = Path(location.split(":", 1)[0]).name if location else ""
    return f"{name} [{library}]" if library else name


def record_perf(
    variant: str, params: dict[str, Any], env: dict[str, str], report: Path
) -> tuple[Measurement, list[str]]:
    """perf record -g of the measurement; perf report by thread (tid), library and symbol."""
    perf = shutil.which("perf")
    if perf is None:
        return run_child(variant, params, env), ["perf not found; ran without profiler"]
    data = report.with_suffix(".data")
    measurement = run_child(
        variant,
        params,
        env,
        wrapper=[perf, "record", "-F", "499", "-g", "-o", str(data), "--"],
    )
    sections = []
    for title, keys in (
        ("by thread", "pid"),
        ("by thread and library", "pid,dso"),
        ("by thread, library and symbol", "pid,dso,sym"),
    ):
        output = subprocess.run(
            [perf, "report", "-i", str(data), "--stdio", "--no-children",
             "--percent-limit", "0.5", "--sort", keys, "-g", "none"],
            capture_output=True, text=True, check=False,
        ).stdout  # fmt: skip
        lines = [
            line
            for line in output.splitlines()
            if line.strip() and not line.startswith("#")
        ]
        sections.append(f"## {title}\n" + "\n".join(lines))
    text = (
        f"perf record -F 499 -g of {variant}; threads are listed as tid:name, the main thread has the process id.\n\n"
        + "\n\n".join(sections)
        + "\n"
    )
    report.write_text(text)
    data.unlink(missing_ok=True)
    return measurement, [f"perf report written to {report}"]
