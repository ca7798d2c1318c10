"""Damaged HDF5 files: every function ends with a result or a Python exception,
never a crash or a hang, and agrees with NumPy on h5py's data when both read it.

Hypothesis draws the damaged files (tests/reliability/fuzz/files.py), searches,
shrinks a failure to a small damage and keeps it in its example database; the
pieces are in tests/reliability/fuzz/. Environment variables:

- ``H5LINALG_FUZZ_CASES``: damaged files to try (default 1000; 0 skips the campaign);
- ``H5LINALG_FUZZ_SEED``: Hypothesis's seed (default 20260526: the same files each run);
- ``H5LINALG_FUZZ_TIMEOUT``: seconds one case may take before it counts as a hang (default 30);
- ``H5LINALG_FUZZ_REPORT``: where to write the JSON summary (cases, outcomes, failures).

A failing case's file is copied into tests/reliability/corpus/ (when small), and
test_corpus_replays_cleanly runs every file there on every run: commit them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzz import corpus, files, oracle
from fuzz.report import Summary
from fuzz.worker import Children
from hypothesis import HealthCheck, given, seed, settings

DEFAULT_CASES = 1000
DEFAULT_SEED = 20260526


def _setting(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    return int(text) if text else default


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> list[files.Template]:
    return files.make_templates(tmp_path_factory.mktemp("templates"))


@pytest.fixture(scope="module")
def children(
    templates: list[files.Template], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Children]:
    """One h5linalg child and one h5py child for the module's cases; before counting
    threads, the h5linalg child reads one valid file per compressed layout, so the
    thread pools start (and hdf5plugin's plugins load)."""
    layouts = ("gzip", "shuffle-gzip", *sorted(files.CODEC_LAYOUTS))
    warmup = [next(t.path for t in templates if t.layout == n) for n in layouts]
    timeout = float(_setting("H5LINALG_FUZZ_TIMEOUT", 30))
    running = Children(tmp_path_factory.mktemp("children"), warmup, timeout)
    yield running
    running.close()


def check(
    case: files.Case, children: Children, summary: Summary
) -> list[oracle.Failure]:
    return oracle.judge(case, *children.run(case.path, case.existing_out), summary)


def test_templates_are_read_correctly(templates, children):
    """The undamaged files pass every check (so a failure below is the damage's doing)."""
    summary = Summary()
    failures = [
        failure
        for i, t in enumerate(templates)
        for failure in check(
            files.Case(id=t.name, path=t.path, existing_out=i % 2 == 1),
            children,
            summary,
        )
    ]
    assert not failures, "\n".join(map(str, failures))
    assert summary.h5py_readable == len(templates)
    # On undamaged files both HDF5 libraries read the same numbers.
    assert summary.libraries_disagree == 0
    for name in oracle.FUNCTIONS:
        assert summary.outcomes[name] == {"result": len(templates)}, name
    # Every function's result was compared with NumPy on every template.
    assert summary.results_compared == len(templates) * len(oracle.FUNCTIONS)


@pytest.mark.fuzz
def test_fuzz_damaged_files(templates, children, tmp_path, capsys):
    count = _setting("H5LINALG_FUZZ_CASES", DEFAULT_CASES)
    if count <= 0:
        pytest.skip("H5LINALG_FUZZ_CASES=0")
    summary = Summary(seed=_setting("H5LINALG_FUZZ_SEED", DEFAULT_SEED))
    (tmp_path / "cases").mkdir()
    found: list[oracle.Failure] = []

    # Each example is about a child's round trip: Hypothesis's speed checks do not apply.
    @settings(
        max_examples=count, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @seed(summary.seed)
    @given(case=files.damaged_files(templates, tmp_path / "cases"))
    def campaign(case: files.Case) -> None:
        failures = check(case, children, summary)
        found.extend(failures)
        assert not failures, "\n".join(map(str, failures))

    started = time.monotonic()
    try:
        campaign()
    finally:
        summary.seconds = round(time.monotonic() - started, 1)
        # Hypothesis's last run is its smallest failing example: that one is kept.
        for failure in found[-1:]:
            summary.add_failure(failure, corpus.keep(failure))
        report = os.environ.get("H5LINALG_FUZZ_REPORT")
        if report:
            Path(report).write_text(summary.json())
        with capsys.disabled():
            print(
                f"\nfuzzing: {summary.cases} damaged files (seed {summary.seed}) x "
                f"{len(oracle.FUNCTIONS)} calls in {summary.seconds} s; "
                f"{summary.results_compared} results compared with NumPy on h5py's data "
                f"({summary.libraries_disagree} damaged files read differently by the "
                f"two HDF5 libraries, not compared); {len(summary.failures)} kept as failing"
            )


CORPUS = corpus.cases()


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_corpus_replays_cleanly(case, children):
    """Every file that once made a check fail passes them all now."""
    failures = check(case, children, Summary())
    meta = Path(case.path).with_suffix(".json")
    assert not failures, (
        "\n".join(map(str, failures)) + f"\n\n(first found as: {meta.read_text()})"
    )
