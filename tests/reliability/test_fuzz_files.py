"""Damaged HDF5 files: every function ends with a result or a Python exception,
never a crash or a hang, and agrees with NumPy on h5py's data when both read it.

The machinery is in fuzz_runner.py. Environment variables:

- ``H5LINALG_FUZZ_CASES``: damaged files to try (default 1000; 0 skips the campaign);
- ``H5LINALG_FUZZ_SEED``: which files (default 20260526; the same seed gives the same files);
- ``H5LINALG_FUZZ_JOBS``: h5linalg child processes at a time (default 2);
- ``H5LINALG_FUZZ_TIMEOUT``: seconds one case may take before it counts as a hang (default 30);
- ``H5LINALG_FUZZ_REPORT``: where to write the JSON summary (cases, outcomes, failures).

A failing case's file is copied into tests/reliability/corpus/ (when small), and
test_corpus_replays_cleanly runs every file there on every run: commit them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import fuzz_runner
import pytest

DEFAULT_CASES = 1000
DEFAULT_SEED = 20260526


def _setting(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    return int(text) if text else default


def _warmup(templates: list[fuzz_runner.Template]) -> list[str]:
    """One valid file per compressed layout, so the thread pools start (and hdf5plugin's
    plugins load) before counting."""
    return [
        next(t.path for t in templates if t.layout == layout)
        for layout in ("gzip", "shuffle-gzip", *sorted(fuzz_runner.CODEC_LAYOUTS))
    ]


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> list[fuzz_runner.Template]:
    return fuzz_runner.make_templates(tmp_path_factory.mktemp("templates"))


def test_templates_are_read_correctly(templates, tmp_path):
    """The undamaged files pass every check (so a failure below is the damage's doing)."""
    cases = [
        fuzz_runner.Case(
            id=f"template:{t.name}",
            template=t.name,
            mutation="none",
            detail="",
            path=t.path,
            sha256="",
        )
        for t in templates
    ]
    summary, failures = fuzz_runner.run_campaign(
        cases, tmp_path / "run", warmup=_warmup(templates), jobs=1
    )
    assert not failures, "\n".join(map(fuzz_runner.format_failure, failures))
    assert summary.h5py_readable == len(templates)
    # On undamaged files both HDF5 libraries read the same numbers.
    assert summary.libraries_disagree == 0
    for name in fuzz_runner.FUNCTIONS:
        assert summary.outcomes[name] == {"result": len(templates)}, name
    # Every function's result was compared with NumPy on every template.
    assert summary.results_compared == len(templates) * len(fuzz_runner.FUNCTIONS)


@pytest.mark.fuzz
def test_fuzz_damaged_files(templates, tmp_path, capsys):
    count = _setting("H5LINALG_FUZZ_CASES", DEFAULT_CASES)
    if count <= 0:
        pytest.skip("H5LINALG_FUZZ_CASES=0")
    seed = _setting("H5LINALG_FUZZ_SEED", DEFAULT_SEED)
    cases = fuzz_runner.make_cases(templates, count, seed, tmp_path / "cases")
    summary, failures = fuzz_runner.run_campaign(
        cases,
        tmp_path / "run",
        warmup=_warmup(templates),
        jobs=_setting("H5LINALG_FUZZ_JOBS", 2),
        timeout=float(_setting("H5LINALG_FUZZ_TIMEOUT", 30)),
        seed=seed,
    )
    for failure in failures:
        fuzz_runner.keep_in_corpus(failure)
    summary.failures = [
        {**record, "corpus_file": failure.corpus_file}
        for record, failure in zip(summary.failures, failures, strict=True)
    ]
    report = os.environ.get("H5LINALG_FUZZ_REPORT")
    if report:
        Path(report).write_text(fuzz_runner.summary_json(summary))
    with capsys.disabled():
        print(
            f"\nfuzzing: {summary.cases} damaged files (seed {seed}) x "
            f"{len(fuzz_runner.FUNCTIONS)} calls in {summary.seconds} s; "
            f"{summary.results_compared} results compared with NumPy on h5py's data "
            f"({summary.libraries_disagree} damaged files read differently by the two "
            "HDF5 libraries, not compared); "
            f"{len(failures)} failures"
        )
    assert not failures, "\n\n".join(map(fuzz_runner.format_failure, failures)) + (
        "\n\nsummary:\n" + json.dumps(summary.outcomes, indent=1)
    )


CORPUS = fuzz_runner.corpus_cases()


@pytest.mark.parametrize(
    "case", CORPUS, ids=[c.id.removeprefix("corpus:") for c in CORPUS]
)
def test_corpus_replays_cleanly(case, tmp_path):
    """Every file that once made a check fail passes them all now."""
    _summary, failures = fuzz_runner.run_campaign(
        [case],
        tmp_path / "run",
        jobs=1,
        timeout=float(_setting("H5LINALG_FUZZ_TIMEOUT", 30)),
    )
    meta = Path(case.path).with_suffix(".json")
    found = json.loads(meta.read_text()).get("message", "") if meta.exists() else ""
    assert not failures, (
        "\n\n".join(map(fuzz_runner.format_failure, failures))
        + f"\n\n(first found as: {found})"
    )
