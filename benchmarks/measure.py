"""One measurement in its own process: the clock the child times with, and
the parent's side of starting it.

The parent (run.py) starts ``python benchmarks/child.py SPEC_JSON`` once per
measurement. The child runs one *variant* (a function from workloads.py or
baselines.py), times the region the variant marks with its :class:`Clock`, and
prints one JSON line: wall and CPU seconds, resident memory before the timed
region, peak resident memory (``ru_maxrss``) and the BLAS libraries loaded
(threadpoolctl). The parent also reads the child's own ``rusage`` through
``os.wait4``, and how busy the rest of the machine was meanwhile (/proc/stat).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

RESULT_PREFIX = "H5LINALG-BENCH-RESULT "
#: The script each measurement runs in (it imports the variants; this module does not).
CHILD = Path(__file__).resolve().with_name("child.py")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def current_rss_bytes() -> int:
    """Resident set size of this process now."""
    with Path("/proc/self/statm").open() as handle:
        return int(handle.read().split()[1]) * PAGE_SIZE


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak_rss() -> bool:
    """Resets the kernel's peak-RSS mark (VmHWM) to the current RSS (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def region_peak_rss_bytes() -> int:
    """VmHWM: the peak RSS since reset_peak_rss() (or since the start)."""
    with Path("/proc/self/status").open() as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return peak_rss_bytes()


class Skip(Exception):
    """A variant that cannot run here (a missing optional package)."""


class Clock:
    """Marks the timed region of a variant: ``with clock: ...`` (used exactly once)."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self.rss_before = 0
        self.region_peak = 0
        self.others_cpu = float("nan")
        self.used = False
        self._start_busy = 0
        self._start_wall = 0.0
        self._start_cpu = 0.0

    def __enter__(self) -> Self:
        if self.used:
            msg = "a Clock times one region only"
            raise RuntimeError(msg)
        reset_peak_rss()
        self.rss_before = current_rss_bytes()
        self._start_busy = _cpu_jiffies()[0]
        self._start_cpu = _process_cpu_seconds()
        self._start_wall = time.perf_counter()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.wall = time.perf_counter() - self._start_wall
        self.cpu = _process_cpu_seconds() - self._start_cpu
        busy = (_cpu_jiffies()[0] - self._start_busy) / os.sysconf("SC_CLK_TCK")
        self.others_cpu = max(0.0, busy - self.cpu)
        self.region_peak = region_peak_rss_bytes()
        self.used = True


def _process_cpu_seconds() -> float:
    """User + system CPU seconds of every thread of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def blas_info() -> list[dict[str, Any]]:
    """The BLAS libraries loaded in this process, as threadpoolctl reports them."""
    try:
        from threadpoolctl import threadpool_info  # noqa: PLC0415
    except ImportError:
        return []
    keys = (
        "internal_api",
        "version",
        "num_threads",
        "architecture",
        "threading_layer",
        "filepath",
    )
    return [
        {key: entry.get(key) for key in keys}
        for entry in threadpool_info()
        if entry.get("user_api") == "blas"
    ]


# --------------------------------------------------------------------------- parent


def _cpu_jiffies() -> tuple[int, int, int]:
    """(busy, total, steal) jiffies of the whole machine from /proc/stat."""
    with Path("/proc/stat").open() as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq
    return busy, busy + idle + iowait + steal, steal


@dataclass
class Measurement:
    """What one child reported, plus what the parent saw."""

    variant: str
    ok: bool
    seconds: float = float("nan")
    cpu_seconds: float = float("nan")
    rss_before: int = 0
    region_peak_rss: int = 0
    peak_rss: int = 0
    peak_rss_parent: int = 0
    others_cpu_seconds: float = float("nan")
    steal_seconds: float = 0.0
    loadavg: float = 0.0
    blas: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    skipped: str = ""
    rep: int = 0

    @property
    def growth(self) -> int:
        """Peak resident memory during the timed region above what the process held
        when it started (VmHWM reset at the start; ru_maxrss where that is not possible)."""
        return max(0, (self.region_peak_rss or self.peak_rss) - self.rss_before)

    def as_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["growth"] = self.growth
        return data


def run_child(
    variant: str,
    params: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    timeout: float = 3600.0,
    wrapper: list[str] | None = None,
) -> Measurement:
    """Starts one measurement process and waits for it (``wrapper`` e.g. py-spy)."""
    spec = json.dumps({"variant": variant, "params": dict(params)})
    command = [*(wrapper or []), sys.executable, str(CHILD), spec]
    ticks = os.sysconf("SC_CLK_TCK")
    with tempfile.TemporaryFile("w+") as errors:
        busy0, _total0, steal0 = _cpu_jiffies()
        started = time.monotonic()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, env=dict(env), text=True
        )
        assert process.stdout is not None
        try:
            output = _read_all(process, timeout, started)
        finally:
            _pid, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
        busy1, _total1, steal1 = _cpu_jiffies()
        errors.seek(0)
        stderr_text = errors.read()
    line = next(
        (
            text
            for text in reversed(output.splitlines())
            if text.startswith(RESULT_PREFIX)
        ),
        None,
    )
    measurement = Measurement(variant=variant, ok=False, loadavg=os.getloadavg()[0])
    measurement.peak_rss_parent = usage.ru_maxrss * 1024
    child_cpu = usage.ru_utime + usage.ru_stime
    measurement.others_cpu_seconds = max(0.0, (busy1 - busy0) / ticks - child_cpu)
    measurement.steal_seconds = (steal1 - steal0) / ticks
    if line is None:
        measurement.error = f"exit status {process.returncode}, no result line; stderr:\n{stderr_text[-4000:]}"
        return measurement
    data = json.loads(line[len(RESULT_PREFIX) :])
    if "error" in data:
        measurement.error = data["error"]
        return measurement
    if "skipped" in data:
        measurement.skipped = data["skipped"]
        measurement.error = "skipped: " + data["skipped"]
        return measurement
    measurement.ok = True
    for key in (
        "seconds",
        "cpu_seconds",
        "rss_before",
        "region_peak_rss",
        "peak_rss",
        "blas",
        "extra",
    ):
        setattr(measurement, key, data[key])
    return measurement


def _read_all(process: subprocess.Popen[str], timeout: float, started: float) -> str:
    assert process.stdout is not None
    chunks: list[str] = []
    for text in process.stdout:
        chunks.append(text)
        if time.monotonic() - started > timeout:
            process.kill()
            break
    return "".join(chunks)


def child_environment(
    threads: int, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of every measurement: the same BLAS thread count for all."""
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    env.pop("H5LINALG_SERIAL_INFLATE", None)
    env.pop("H5LINALG_NUM_THREADS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(overrides or {})
    return env


#: A variant: takes its parameters and the Clock to time its work with; may
#: return extra results (JSON-able, plus "_array" for a result to check).
Variant = Callable[[dict[str, Any], Clock], "dict[str, Any] | None"]
