"""Smoke test of the benchmark suite: ``benchmarks/run.py --quick`` writes its results.

No timing is asserted here: speed claims are what the suite prints as medians
and ratios, never a timed assertion in a test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_quick_run_writes_json_and_summary(tmp_path: Path) -> None:
    for module in ("h5py", "dask", "threadpoolctl"):
        pytest.importorskip(module)
    output = tmp_path / "results"
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "run.py"),
            "--quick",
            "--output",
            str(output),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, (
        completed.stdout[-3000:] + completed.stderr[-3000:]
    )

    results = json.loads((output / "results.json").read_text())
    assert results["mode"] == "quick"
    assert results["machine"]["cpu_count"] >= 1
    assert results["machine"]["blas"], "threadpoolctl found no BLAS"
    gram = results["workloads"]["gram"]["variants"]
    for key in ("h5linalg", "h5py_loop", "dask", "read_floor", "numpy_in_memory"):
        assert gram[key]["summary"]["median"] > 0, key
        run = gram[key]["runs"][0]
        assert run["peak_rss"] > 0
        assert run["blas"], "no BLAS recorded for the measurement"
    assert {target["verdict"] for target in results["targets"]} <= {
        "met",
        "NOT met",
        "not evaluated",
    }

    summary = (output / "summary.md").read_text()
    assert "## Targets" in summary
    assert "h5linalg.gram" in summary
    try:
        import matplotlib as mpl  # noqa: F401
    except ImportError:
        pass
    else:
        assert (output / "chart.png").stat().st_size > 0
    # Datasets are deleted after use.
    assert not list((tmp_path / "data").glob("*.h5"))
