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
from conftest import only_in_a_checkout

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.bench
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


def _row(line: str) -> str:
    """A table row as its cells say it, however it is padded or escaped: the
    README is formatted by mdformat (`| --- |`, `\\<=`), summary.md as
    benchmarks/report.py writes it (`|---|`, `<=`)."""
    cells = [
        cell.strip().replace("\\<", "<") for cell in line.strip().strip("|").split("|")
    ]
    if all(set(cell) <= set(":-") for cell in cells):
        cells = ["---"] * len(cells)
    return "| " + " | ".join(cells) + " |"


def _tables(markdown: str) -> list[list[str]]:
    """The Markdown tables of a text, each as its list of rows."""
    tables: list[list[str]] = []
    previous_was_row = False
    for line in markdown.splitlines():
        row = line.startswith("|")
        if row and not previous_was_row:
            tables.append([])
        if row:
            tables[-1].append(_row(line))
        previous_was_row = row
    return tables


@only_in_a_checkout
def test_readme_shows_the_committed_results() -> None:
    """The README's targets and build-speed tables are those of results/summary.md."""
    summary = (REPO / "benchmarks" / "results" / "summary.md").read_text()
    readme = (REPO / "README.md").read_text()
    section = readme.split("<!-- performance:begin -->")[1].split(
        "<!-- performance:end -->"
    )[0]
    wanted = [
        table
        for table in _tables(summary)
        if table[0].startswith(("| workload | target |", "| step | seconds |"))
    ]
    assert len(wanted) == 2
    assert [t for t in _tables(section) if t in wanted] == wanted, (
        "README.md's performance tables differ from benchmarks/results/summary.md: "
        "copy them again after a benchmark run"
    )
